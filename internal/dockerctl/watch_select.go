package dockerctl

import (
	"strings"

	"github.com/docker/docker/api/types/filters"

	"github.com/scalebench/scalebench/internal/results"
)

// Prefixes of the Swarm watch selectors. A compose project name never
// holds a colon, so they cannot be mistaken for one.
const (
	swarmStackPrefix   = "swarm-stack:"
	swarmServicePrefix = "swarm-service:"
)

// SwarmStackSelector is the Watch selector of the task containers of every
// service of a Swarm stack: "swarm-stack:" followed by the stack's
// namespace (its LabelStackNamespace).
func SwarmStackSelector(namespace string) string { return swarmStackPrefix + namespace }

// SwarmServiceSelector is the Watch selector of the task containers of one
// Swarm service: "swarm-service:" followed by the service's name.
func SwarmServiceSelector(service string) string { return swarmServicePrefix + service }

// selection is a parsed Watch selector: the labels every selected
// container carries, and how its service and number are read.
type selection struct {
	swarm bool
	// labels are "key=value" (the label has that value) or "key" (the
	// container has the label); a container must match them all.
	labels []string
}

// parseSelector reads a Watch selector: a compose project name,
// SwarmStackSelector or SwarmServiceSelector. ok is false when it selects
// nothing: "", or a Swarm selector without a name.
func parseSelector(sel string) (s selection, ok bool) {
	switch {
	case strings.HasPrefix(sel, swarmStackPrefix):
		ns := strings.TrimPrefix(sel, swarmStackPrefix)
		return selection{swarm: true, labels: []string{LabelStackNamespace + "=" + ns, LabelSwarmService}}, ns != ""
	case strings.HasPrefix(sel, swarmServicePrefix):
		name := strings.TrimPrefix(sel, swarmServicePrefix)
		return selection{swarm: true, labels: []string{LabelSwarmService + "=" + name}}, name != ""
	case sel == "":
		return selection{}, false
	}
	return selection{labels: []string{LabelProject + "=" + sel}}, true
}

// filter selects the running containers to sample.
func (s selection) filter() filters.Args {
	f := filters.NewArgs()
	for _, l := range s.labels {
		f.Add("label", l)
	}
	return f
}

// eventFilter selects the selected containers' events that Watch reads:
// watchedActions, and start (which makes it look for containers at once).
func (s selection) eventFilter() filters.Args {
	f := s.filter()
	f.Add("type", "container")
	for _, a := range watchedActions {
		f.Add("event", a)
	}
	f.Add("event", "start")
	return f
}

// series starts the series of a container from its ID, name and labels
// (a container's, or an event's attributes, which hold its labels).
func (s selection) series(id, name string, labels map[string]string) *results.ContainerSeries {
	cs := &results.ContainerSeries{Name: name, ID: id}
	if cs.Name == "" {
		cs.Name = shortID(id)
	}
	if s.swarm {
		cs.Service = labels[LabelSwarmService]
		cs.Number = taskSlot(labels[LabelSwarmTaskName])
		return cs
	}
	cs.Service = labels[LabelService]
	cs.Number = containerNumber(labels)
	if labels[LabelOneoff] == "True" {
		cs.Number = 0
	}
	return cs
}
