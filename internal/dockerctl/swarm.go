package dockerctl

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"

	"github.com/scalebench/scalebench/internal/results"
)

// Labels the engine puts on Swarm task containers.
const (
	LabelSwarmService  = "com.docker.swarm.service.name"
	LabelSwarmTaskName = "com.docker.swarm.task.name"
)

// updateRetries bounds the ServiceUpdate retries on "update out of sequence".
const updateRetries = 10

// SwarmService is a replicated Swarm service. It implements Scaler; Scale
// calls are serialised.
type SwarmService struct {
	c        *Client
	name     string
	id       string
	stack    string // its LabelStackNamespace; "" outside a stack
	opts     Options
	original int
	mu       sync.Mutex
}

// Swarm finds a replicated Swarm service by name or ID. The engine must be
// a Swarm manager; when the service is missing the error lists the services
// that exist.
func (c *Client) Swarm(ctx context.Context, service string, opts Options) (*SwarmService, error) {
	if service == "" {
		return nil, errors.New("swarm service must be named")
	}
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("swarm service %s: %w", service, err)
	}
	svc, _, err := c.api.ServiceInspectWithRaw(ctx, service, swarm.ServiceInspectOptions{})
	if err != nil {
		return nil, c.swarmNotFound(ctx, service, err)
	}
	if svc.Spec.Mode.Replicated == nil || svc.Spec.Mode.Replicated.Replicas == nil {
		return nil, fmt.Errorf("swarm service %s is not replicated (global or job mode): only replicated services can be scaled; deploy it with mode: replicated", service)
	}
	return &SwarmService{
		c: c, name: svc.Spec.Name, id: svc.ID, stack: svc.Spec.Labels[LabelStackNamespace], opts: opts,
		original: int(*svc.Spec.Mode.Replicated.Replicas),
	}, nil
}

func (c *Client) swarmNotFound(ctx context.Context, service string, err error) error {
	if !cerrdefs.IsNotFound(err) {
		if strings.Contains(err.Error(), "not a swarm manager") || strings.Contains(err.Error(), "swarm mode") {
			return fmt.Errorf("swarm service %s: the engine at %s is not a Swarm manager (run docker swarm init, or point DOCKER_HOST at a manager): %w", service, c.host, err)
		}
		return fmt.Errorf("swarm service %s: %w", service, err)
	}
	list, lerr := c.api.ServiceList(ctx, swarm.ServiceListOptions{})
	if lerr != nil || len(list) == 0 {
		return &NotFoundError{What: "swarm service", msg: fmt.Sprintf("swarm service %q not found on %s and no service exists there; create it (docker stack deploy or docker service create)", service, c.host)}
	}
	names := map[string]bool{}
	for _, s := range list {
		names[s.Spec.Name] = true
	}
	return &NotFoundError{What: "swarm service", msg: fmt.Sprintf("swarm service %q not found on %s; services: %s (fix the service name, or create it: docker stack deploy or docker service create)", service, c.host, joinKeys(names))}
}

// Project is the Watch selector of the service's stack
// (SwarmStackSelector) when docker stack deploy made it, else of the
// service alone (SwarmServiceSelector): Watch samples those task
// containers and no other.
func (s *SwarmService) Project() string {
	if s.stack != "" {
		return SwarmStackSelector(s.stack)
	}
	return SwarmServiceSelector(s.name)
}

// Service is the Swarm service's name.
func (s *SwarmService) Service() string { return s.name }

// Original is the replica count found by Swarm.
func (s *SwarmService) Original() int { return s.original }

// Restore scales the service back to Original. After an interrupt, call it
// with a fresh context, not the cancelled one.
func (s *SwarmService) Restore(ctx context.Context) error { return s.Scale(ctx, s.original) }

// Replicas lists the running tasks by slot. Name is "service.slot" and ID
// the task's container ID.
func (s *SwarmService) Replicas(ctx context.Context) ([]results.Replica, error) {
	tasks, err := s.tasks(ctx)
	if err != nil {
		return nil, err
	}
	var out []results.Replica
	for _, t := range tasks {
		if t.Status.State != swarm.TaskStateRunning {
			continue
		}
		r := results.Replica{
			Name:   fmt.Sprintf("%s.%d", s.name, t.Slot),
			Number: t.Slot,
			State:  string(t.Status.State),
		}
		if t.Status.ContainerStatus != nil {
			r.ID = t.Status.ContainerStatus.ContainerID
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out, nil
}

func (s *SwarmService) tasks(ctx context.Context) ([]swarm.Task, error) {
	tasks, err := s.c.api.TaskList(ctx, swarm.TaskListOptions{
		Filters: filters.NewArgs(filters.Arg("service", s.id)),
	})
	if err != nil {
		return nil, fmt.Errorf("swarm service %s: list tasks: %w", s.name, err)
	}
	// The service filter also matches by name prefix: keep exact matches.
	out := tasks[:0]
	for _, t := range tasks {
		if t.ServiceID == s.id {
			out = append(out, t)
		}
	}
	return out, nil
}

// Scale sets the service's replica count to n (retrying when the update is
// out of sequence) and waits, within Options.ReadyTimeout, until exactly n
// tasks are running, also on the way down, then for Options.ReadyURL.
func (s *SwarmService) Scale(ctx context.Context, n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.scale(ctx, n); err != nil {
		return fmt.Errorf("scale swarm service %s to %d: %w", s.name, n, err)
	}
	return nil
}

func (s *SwarmService) scale(ctx context.Context, n int) error {
	if err := s.opts.checkScale(n); err != nil {
		return err
	}
	since := time.Now()
	var err error
	for i := 0; i < updateRetries; i++ {
		err = s.update(ctx, n)
		if err == nil || !strings.Contains(err.Error(), "update out of sequence") {
			break
		}
		s.opts.logf("swarm service %s: update out of sequence, retrying", s.name)
	}
	if err != nil {
		return err
	}
	s.opts.logf("swarm service %s: replicas set to %d", s.name, n)
	timeout := s.opts.readyTimeout()
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var running int
	for {
		tasks, err := s.tasks(wctx)
		if err != nil && wctx.Err() == nil {
			return err
		}
		running = 0
		for _, t := range tasks {
			if t.Status.State == swarm.TaskStateRunning {
				running++
			}
			if err := taskFailure(t, since); err != nil {
				return err
			}
		}
		if running == n && err == nil {
			break
		}
		select {
		case <-wctx.Done():
			return fmt.Errorf("%d of %d tasks running after %v; see docker service ps %s", running, n, timeout, s.name)
		case <-time.After(2 * pollInterval):
		}
	}
	if s.opts.ReadyURL != "" {
		return s.opts.waitReadyURL(wctx, timeout)
	}
	return nil
}

// taskFailure reports a task created by this scale that failed or was
// rejected: it will not become ready by waiting.
func taskFailure(t swarm.Task, since time.Time) error {
	if t.CreatedAt.Before(since.Add(-time.Second)) {
		return nil
	}
	switch t.Status.State {
	case swarm.TaskStateFailed, swarm.TaskStateRejected:
		return fmt.Errorf("task %s (slot %d) %s: %s", shortID(t.ID), t.Slot, t.Status.State, cmp.Or(t.Status.Err, t.Status.Message))
	}
	return nil
}

// update sets the replica count once, on the service's current version.
func (s *SwarmService) update(ctx context.Context, n int) error {
	svc, _, err := s.c.api.ServiceInspectWithRaw(ctx, s.id, swarm.ServiceInspectOptions{})
	if err != nil {
		return fmt.Errorf("inspect: %w", err)
	}
	if svc.Spec.Mode.Replicated == nil {
		return errors.New("the service is no longer replicated")
	}
	r := uint64(n)
	svc.Spec.Mode.Replicated.Replicas = &r
	resp, err := s.c.api.ServiceUpdate(ctx, s.id, svc.Version, svc.Spec, swarm.ServiceUpdateOptions{})
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	for _, w := range resp.Warnings {
		s.opts.logf("swarm service %s: %s", s.name, w)
	}
	return nil
}
