package dockerctl

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"

	"github.com/scalebench/scalebench/internal/results"
)

// Labels that describe how a project's services are tied together.
const (
	// LabelDependsOn is compose v2's record of a service's depends_on:
	// "svc:condition:restart,svc2:condition:restart". Compose v1 does not
	// set it.
	LabelDependsOn = "com.docker.compose.depends_on"
	// LabelStackNamespace is the stack a Swarm service was deployed in by
	// docker stack deploy.
	LabelStackNamespace = "com.docker.stack.namespace"
)

// Topology reads the compose project's services as the engine shows them:
// every service with a non-one-off container (stopped ones included, with 0
// replicas), its running replicas, the host ports they publish, its
// depends_on (compose v2 only) and its networks, sorted by name. Entry is
// the service whose container publishes target's port (its explicit port,
// else 80 for http and 443 for https) on a loopback or wildcard host
// address; "" when none does. It changes nothing.
func (c *Client) Topology(ctx context.Context, project string, target *url.URL) (*results.Topology, error) {
	ctrs, err := c.api.ContainerList(ctx, container.ListOptions{
		All: true,
		Filters: filters.NewArgs(
			filters.Arg("label", LabelProject+"="+project),
			filters.Arg("label", LabelOneoff+"=False"),
		),
	})
	if err != nil {
		return nil, fmt.Errorf("topology of compose project %s: list containers: %w", project, err)
	}
	kept := ctrs[:0]
	for _, ct := range ctrs {
		if ct.Labels[LabelProject] == project && ct.Labels[LabelOneoff] == "False" {
			kept = append(kept, ct)
		}
	}
	return composeTopology(kept, targetPort(target)), nil
}

// Topology is the topology of the service's compose project; see
// Client.Topology.
func (s *ComposeService) Topology(ctx context.Context, target *url.URL) (*results.Topology, error) {
	return s.c.Topology(ctx, s.project, target)
}

// composeTopology builds a project's topology from its containers; port is
// the target's host port (0: no entry).
func composeTopology(ctrs []container.Summary, port int) *results.Topology {
	type acc struct {
		svc      results.TopologyService
		entry    bool
		entryIP  string
		ports    map[int]bool
		deps     map[string]bool
		networks map[string]bool
	}
	by := map[string]*acc{}
	for _, ct := range ctrs {
		name := ct.Labels[LabelService]
		if name == "" {
			continue
		}
		a := by[name]
		if a == nil {
			a = &acc{svc: results.TopologyService{Name: name}, ports: map[int]bool{}, deps: map[string]bool{}, networks: map[string]bool{}}
			by[name] = a
		}
		if ct.State == container.StateRunning {
			a.svc.Replicas++
		}
		for _, p := range ct.Ports {
			if p.PublicPort == 0 {
				continue
			}
			a.ports[int(p.PublicPort)] = true
			if port != 0 && int(p.PublicPort) == port && (p.Type == "" || p.Type == "tcp") && reachableHostIP(p.IP) {
				a.entry = true
			}
		}
		for _, d := range parseDependsOn(ct.Labels[LabelDependsOn]) {
			a.deps[d] = true
		}
		if ct.NetworkSettings != nil {
			for n := range ct.NetworkSettings.Networks {
				a.networks[n] = true
			}
		}
	}
	top := &results.Topology{}
	for _, a := range by {
		a.svc.Published = sortedInts(a.ports)
		a.svc.DependsOn = sortedKeys(a.deps)
		a.svc.Networks = sortedKeys(a.networks)
		top.Services = append(top.Services, a.svc)
	}
	sort.Slice(top.Services, func(i, j int) bool { return top.Services[i].Name < top.Services[j].Name })
	for _, s := range top.Services {
		if by[s.Name].entry {
			top.Entry = s.Name
			break
		}
	}
	return top
}

// parseDependsOn reads compose v2's depends_on label,
// "svc:condition:restart,svc2:condition:restart" (older v2 releases wrote
// "svc:condition"), into the service names, sorted and without repeats.
func parseDependsOn(label string) []string {
	seen := map[string]bool{}
	for _, part := range strings.Split(label, ",") {
		name, _, _ := strings.Cut(strings.TrimSpace(part), ":")
		if name = strings.TrimSpace(name); name != "" {
			seen[name] = true
		}
	}
	return sortedKeys(seen)
}

// targetPort is the host port a load to target goes to: its explicit port,
// else 80 for http and 443 for https; 0 when target is nil or says neither.
func targetPort(target *url.URL) int {
	if target == nil {
		return 0
	}
	if p := target.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return 0
		}
		return n
	}
	switch strings.ToLower(target.Scheme) {
	case "http":
		return 80
	case "https":
		return 443
	}
	return 0
}

// reachableHostIP reports whether a port published on host address ip
// receives the load scalebench sends to 127.0.0.1: a loopback address or
// the wildcard (0.0.0.0, ::, or none given).
func reachableHostIP(ip string) bool {
	if ip == "" {
		return true
	}
	a := net.ParseIP(ip)
	return a != nil && (a.IsLoopback() || a.IsUnspecified())
}

// SwarmTopology reads the Swarm service's stack as the engine shows it: the
// services labelled with its com.docker.stack.namespace or, when it was not
// deployed as part of a stack, the service itself and the services that
// publish target's port. Per service: running tasks, published ports (the
// endpoint's, ingress or host mode) and networks, sorted by name; Swarm
// records no depends_on. Entry is the service publishing target's port
// (explicit, else 80 for http and 443 for https). It changes nothing.
func (c *Client) SwarmTopology(ctx context.Context, service string, target *url.URL) (*results.Topology, error) {
	svc, _, err := c.api.ServiceInspectWithRaw(ctx, service, swarm.ServiceInspectOptions{})
	if err != nil {
		return nil, fmt.Errorf("topology of swarm service %s: inspect: %w", service, err)
	}
	opts := swarm.ServiceListOptions{}
	ns := svc.Spec.Labels[LabelStackNamespace]
	if ns != "" {
		opts.Filters = filters.NewArgs(filters.Arg("label", LabelStackNamespace+"="+ns))
	}
	list, err := c.api.ServiceList(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("topology of swarm service %s: list services: %w", service, err)
	}
	port := targetPort(target)
	var services []swarm.Service
	for _, s := range list {
		switch {
		case ns != "" && s.Spec.Labels[LabelStackNamespace] == ns,
			ns == "" && (s.ID == svc.ID || publishes(s, port)):
			services = append(services, s)
		}
	}
	tasks, err := c.api.TaskList(ctx, swarm.TaskListOptions{
		Filters: filters.NewArgs(filters.Arg("desired-state", "running")),
	})
	if err != nil {
		return nil, fmt.Errorf("topology of swarm service %s: list tasks: %w", service, err)
	}
	nets, err := c.api.NetworkList(ctx, network.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("topology of swarm service %s: list networks: %w", service, err)
	}
	names := map[string]string{}
	for _, n := range nets {
		names[n.ID] = n.Name
	}
	return swarmTopology(services, tasks, names, port), nil
}

// Topology is the topology of the Swarm service's stack; see
// Client.SwarmTopology.
func (s *SwarmService) Topology(ctx context.Context, target *url.URL) (*results.Topology, error) {
	return s.c.SwarmTopology(ctx, s.id, target)
}

// swarmTopology builds the topology of services from the engine's tasks
// and network names (by ID); port is the target's port (0: no entry).
func swarmTopology(services []swarm.Service, tasks []swarm.Task, netNames map[string]string, port int) *results.Topology {
	running := map[string]int{}
	for _, t := range tasks {
		if t.Status.State == swarm.TaskStateRunning {
			running[t.ServiceID]++
		}
	}
	top := &results.Topology{}
	entry := map[string]bool{}
	for _, s := range services {
		ports, _ := swarmPorts(s)
		nets := map[string]bool{}
		attached := s.Spec.TaskTemplate.Networks
		if len(attached) == 0 {
			attached = s.Spec.Networks //nolint:staticcheck // services created by old clients
		}
		for _, n := range attached {
			if name, ok := netNames[n.Target]; ok {
				nets[name] = true
			} else {
				nets[n.Target] = true
			}
		}
		top.Services = append(top.Services, results.TopologyService{
			Name:      s.Spec.Name,
			Replicas:  running[s.ID],
			Published: ports,
			Networks:  sortedKeys(nets),
		})
		if publishes(s, port) {
			entry[s.Spec.Name] = true
		}
	}
	sort.Slice(top.Services, func(i, j int) bool { return top.Services[i].Name < top.Services[j].Name })
	for _, s := range top.Services {
		if entry[s.Name] {
			top.Entry = s.Name
			break
		}
	}
	return top
}

// swarmPorts are the host ports a Swarm service publishes, sorted: the
// endpoint's (as allocated), else its spec's. tcp are those a load can reach.
func swarmPorts(s swarm.Service) (all, tcp []int) {
	cfg := s.Endpoint.Ports
	if len(cfg) == 0 {
		cfg = s.Endpoint.Spec.Ports
		if len(cfg) == 0 && s.Spec.EndpointSpec != nil {
			cfg = s.Spec.EndpointSpec.Ports
		}
	}
	set, tcpSet := map[int]bool{}, map[int]bool{}
	for _, p := range cfg {
		if p.PublishedPort == 0 {
			continue
		}
		set[int(p.PublishedPort)] = true
		if p.Protocol == "" || p.Protocol == swarm.PortConfigProtocolTCP {
			tcpSet[int(p.PublishedPort)] = true
		}
	}
	return sortedInts(set), sortedInts(tcpSet)
}

// publishes reports whether the Swarm service publishes TCP port (0: no).
func publishes(s swarm.Service, port int) bool {
	_, tcp := swarmPorts(s)
	return port != 0 && slices.Contains(tcp, port)
}

func sortedKeys(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedInts(m map[int]bool) []int {
	if len(m) == 0 {
		return nil
	}
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}
