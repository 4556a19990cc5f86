package dockerctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/scalebench/scalebench/internal/agents"
)

// Labels of what scalebench creates for load agents.
const (
	// LabelAgents marks an agent service or plan secret; its value is the
	// cell it was made for.
	LabelAgents = "io.scalebench.agents"
	// LabelAgentsDeadline is when the agents stop on their own (RFC 3339):
	// past it, a leftover service is only debris and is removed.
	LabelAgentsDeadline = "io.scalebench.agents.deadline"
)

// Agent environment: the task template values each agent reads.
const (
	EnvAgentSlot = "SCALEBENCH_AGENT_SLOT"
	EnvAgentNode = "SCALEBENCH_AGENT_NODE"
	EnvAgentHost = "SCALEBENCH_AGENT_HOST"
	// AgentPlanFile is where an agent finds its plan: a Swarm secret,
	// mounted under /run/secrets/.
	AgentPlanFile   = "/run/secrets/" + agentPlanSecret
	agentPlanSecret = "scalebench-plan"
)

// SwarmAgents runs load agents as a Swarm service: one service and one plan
// per cell, removed when the cell ends. It implements agents.Fleet.
//
// The plan holds the scenario as run, with the environment's values in it
// (a token in a header, credentials in the target) and the files it needs
// (a TLS key among them), so it is a Swarm secret: the engine keeps it
// encrypted, never shows its data (docker secret inspect does not), and
// mounts it in the agents' tasks only, on a tmpfs under /run/secrets/.
type SwarmAgents struct {
	c *Client
	// Image is the agent image, present on every node that may run an agent.
	Image string
}

// Agents returns the Swarm fleet of load agents that run image.
func (c *Client) Agents(image string) *SwarmAgents { return &SwarmAgents{c: c, Image: image} }

// BuildAgentImage builds tag FROM scratch with the static scalebench binary
// at binary, whose entrypoint is its hidden agent command.
func (c *Client) BuildAgentImage(ctx context.Context, tag, binary string) error {
	return c.BuildScratch(ctx, ScratchImage{
		Tag: tag, Files: map[string]string{"/scalebench": binary},
		Entrypoint: []string{"/scalebench", "agent"},
		Labels:     map[string]string{LabelAgents: "image"},
	})
}

// Nodes lists the ready, active nodes that constraints allow (node.id,
// node.hostname, node.role and node.labels.* with == or !=).
func (a *SwarmAgents) Nodes(ctx context.Context, constraints []string) ([]agents.Node, error) {
	list, err := a.c.api.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list swarm nodes: %w", err)
	}
	var out []agents.Node
	for _, n := range list {
		if n.Status.State != swarm.NodeStateReady || n.Spec.Availability != swarm.NodeAvailabilityActive {
			continue
		}
		ok, err := nodeMatches(n, constraints)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, agents.Node{ID: n.ID, Name: n.Description.Hostname})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func nodeMatches(n swarm.Node, constraints []string) (bool, error) {
	for _, c := range constraints {
		op := "=="
		k, v, ok := strings.Cut(c, "==")
		if !ok {
			op = "!="
			k, v, _ = strings.Cut(c, "!=")
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		var got string
		switch {
		case k == "node.id":
			got = n.ID
		case k == "node.hostname":
			got = n.Description.Hostname
		case k == "node.role":
			got = string(n.Spec.Role)
		case strings.HasPrefix(k, "node.labels."):
			got = n.Spec.Labels[strings.TrimPrefix(k, "node.labels.")]
		default:
			return false, fmt.Errorf("agents with global: true: constraint %q: only node.id, node.hostname, node.role and node.labels.* are understood; list replicas: N instead", c)
		}
		if (got == v) != (op == "==") {
			return false, nil
		}
	}
	return true, nil
}

// Start creates the plan secret and the agent service of spec.
func (a *SwarmAgents) Start(ctx context.Context, spec agents.Spec) (agents.Service, error) {
	if len(spec.Plan) > agents.MaxPlanSize {
		return nil, fmt.Errorf("the agents' plan is %d KiB, more than the %d KiB a Swarm secret holds", len(spec.Plan)>>10, agents.MaxPlanSize>>10)
	}
	if err := a.RemoveStale(ctx); err != nil {
		return nil, err
	}
	image := a.Image
	if spec.Agents.Image != "" {
		image = spec.Agents.Image
	}
	name := agentName(spec.Cell)
	labels := map[string]string{LabelAgents: spec.Cell, LabelAgentsDeadline: spec.Deadline.UTC().Format(time.RFC3339)}
	sec, err := a.c.api.SecretCreate(ctx, swarm.SecretSpec{Annotations: swarm.Annotations{Name: name, Labels: labels}, Data: spec.Plan})
	if err != nil {
		return nil, fmt.Errorf("create the agents' plan secret %s: %w", name, err)
	}
	s := &agentService{c: a.c, name: name, secretID: sec.ID}
	svcSpec, err := a.serviceSpec(ctx, spec, image, name, labels, sec.ID)
	if err == nil {
		var resp swarm.ServiceCreateResponse
		resp, err = a.c.api.ServiceCreate(ctx, svcSpec, swarm.ServiceCreateOptions{})
		s.id = resp.ID
	}
	if err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = s.Remove(rctx)
		return nil, fmt.Errorf("create the agent service %s (image %s): %w", name, image, err)
	}
	return s, nil
}

// agentName names one cell's agent service and plan secret.
func agentName(cell string) string {
	n := "scalebench-agents-" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, cell) + "-" + strconv.FormatInt(time.Now().UnixNano()%1e6, 36)
	if len(n) > 63 {
		n = n[len(n)-63:]
	}
	return strings.TrimLeft(n, "-")
}

func (a *SwarmAgents) serviceSpec(ctx context.Context, spec agents.Spec, image, name string, labels map[string]string, secretID string) (swarm.ServiceSpec, error) {
	netName := spec.Agents.Network
	if netName == "" {
		netName = "host"
	}
	nw, err := a.c.api.NetworkInspect(ctx, netName, network.InspectOptions{})
	if err != nil {
		return swarm.ServiceSpec{}, fmt.Errorf("agents' network %q: %w", netName, err)
	}
	grace := 5 * time.Second
	s := swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: name, Labels: labels},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: &swarm.ContainerSpec{
				Image:  image,
				Labels: labels,
				Env: []string{
					EnvAgentSlot + "={{.Task.Slot}}", EnvAgentNode + "={{.Node.ID}}", EnvAgentHost + "={{.Node.Hostname}}",
				},
				Secrets: []*swarm.SecretReference{{
					SecretID: secretID, SecretName: name,
					File: &swarm.SecretReferenceFileTarget{Name: agentPlanSecret, UID: "0", GID: "0", Mode: 0o400},
				}},
				StopGracePeriod: &grace,
			},
			RestartPolicy: &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionNone},
			Placement:     &swarm.Placement{Constraints: spec.Agents.Constraints},
			Networks:      []swarm.NetworkAttachmentConfig{{Target: nw.ID}},
		},
	}
	if spec.Agents.Global {
		s.Mode = swarm.ServiceMode{Global: &swarm.GlobalService{}}
	} else {
		n := uint64(spec.Replicas)
		s.Mode = swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &n}}
	}
	return s, nil
}

// RemoveStale removes agent services and plan secrets (and the plan configs
// of earlier versions) whose deadline has passed: left by a scalebench that
// was killed, their agents have stopped.
func (a *SwarmAgents) RemoveStale(ctx context.Context) error {
	f := filters.NewArgs(filters.Arg("label", LabelAgents))
	svcs, err := a.c.api.ServiceList(ctx, swarm.ServiceListOptions{Filters: f})
	if err != nil {
		return fmt.Errorf("list agent services: %w", err)
	}
	var errs []error
	for _, s := range svcs {
		if stale(s.Spec.Labels) {
			if err := a.c.api.ServiceRemove(ctx, s.ID); err != nil && !isNotFound(err) {
				errs = append(errs, fmt.Errorf("remove stale agent service %s: %w", s.Spec.Name, err))
			}
		}
	}
	// A secret or config still used by a service being removed refuses;
	// the next call removes it.
	secrets, err := a.c.api.SecretList(ctx, swarm.SecretListOptions{Filters: f})
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("list agent plan secrets: %w", err))...)
	}
	for _, s := range secrets {
		if stale(s.Spec.Labels) {
			_ = a.c.api.SecretRemove(ctx, s.ID)
		}
	}
	cfgs, err := a.c.api.ConfigList(ctx, swarm.ConfigListOptions{Filters: f})
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("list agent configs: %w", err))...)
	}
	for _, c := range cfgs {
		if stale(c.Spec.Labels) {
			_ = a.c.api.ConfigRemove(ctx, c.ID)
		}
	}
	return errors.Join(errs...)
}

func stale(labels map[string]string) bool {
	d, err := time.Parse(time.RFC3339, labels[LabelAgentsDeadline])
	return err == nil && time.Now().After(d.Add(time.Minute))
}

// agentService is one cell's agents.
type agentService struct {
	c        *Client
	name, id string
	secretID string
}

// Logs follows the service's logs, demultiplexed into lines.
func (s *agentService) Logs(ctx context.Context) (io.ReadCloser, error) {
	rc, err := s.c.api.ServiceLogs(ctx, s.id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: true})
	if err != nil {
		return nil, fmt.Errorf("follow the logs of %s: %w", s.name, err)
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := stdcopy.StdCopy(pw, pw, rc)
		rc.Close()
		pw.CloseWithError(err)
	}()
	return pr, nil
}

// Tasks lists the agents' tasks, the newest per slot (or node) first.
func (s *agentService) Tasks(ctx context.Context) ([]agents.Task, error) {
	tasks, err := s.c.api.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", s.id))})
	if err != nil {
		return nil, fmt.Errorf("list the tasks of %s: %w", s.name, err)
	}
	names := map[string]string{}
	var out []agents.Task
	for _, t := range tasks {
		at := agents.Task{Slot: t.Slot, NodeID: t.NodeID, State: string(t.Status.State), Err: t.Status.Err, Ended: ended(t.Status.State)}
		if t.Status.ContainerStatus != nil {
			at.ExitCode = t.Status.ContainerStatus.ExitCode
		}
		if t.NodeID != "" {
			if _, ok := names[t.NodeID]; !ok {
				if n, _, err := s.c.api.NodeInspectWithRaw(ctx, t.NodeID); err == nil {
					names[t.NodeID] = n.Description.Hostname
				}
			}
			at.NodeName = names[t.NodeID]
		}
		out = append(out, at)
	}
	return out, nil
}

func ended(st swarm.TaskState) bool {
	switch st {
	case swarm.TaskStateComplete, swarm.TaskStateShutdown, swarm.TaskStateFailed,
		swarm.TaskStateRejected, swarm.TaskStateRemove, swarm.TaskStateOrphaned:
		return true
	}
	return false
}

// Remove removes the service and its plan secret.
func (s *agentService) Remove(ctx context.Context) error {
	var errs []error
	if s.id != "" {
		if err := s.c.api.ServiceRemove(ctx, s.id); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("remove agent service %s: %w", s.name, err))
		}
	}
	// The secret is in use until the service's tasks are gone.
	for i := 0; s.secretID != ""; i++ {
		err := s.c.api.SecretRemove(ctx, s.secretID)
		if err == nil || isNotFound(err) {
			break
		}
		if i == 30 || ctx.Err() != nil {
			errs = append(errs, fmt.Errorf("remove agent plan secret %s: %w", s.name, err))
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	return errors.Join(errs...)
}

// HasImage reports whether the engine holds the image ref.
func (c *Client) HasImage(ctx context.Context, ref string) bool {
	_, err := c.api.ImageInspect(ctx, ref)
	return err == nil
}
