package dockerctl

import (
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
)

// swarmManager makes the engine a single-node Swarm manager when it is not
// in a swarm yet, listening on 127.0.0.1 only. The swarm is left in place.
func swarmManager(t *testing.T, c *Client) {
	t.Helper()
	ctx := ctxTimeout(t, time.Minute)
	info, err := c.api.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	switch info.Swarm.LocalNodeState {
	case swarm.LocalNodeStateActive:
		if !info.Swarm.ControlAvailable {
			t.Skip("SKIPPED: this engine is a Swarm worker, not a manager")
		}
		return
	case swarm.LocalNodeStateInactive:
	default:
		t.Skipf("SKIPPED: engine's swarm state is %q", info.Swarm.LocalNodeState)
	}
	_, err = c.api.SwarmInit(ctx, swarm.InitRequest{ListenAddr: "127.0.0.1:2377", AdvertiseAddr: "127.0.0.1"})
	if err != nil && !strings.Contains(err.Error(), "already part of a swarm") {
		t.Fatalf("docker swarm init: %v", err)
	}
}

// TestSwarmScale scales a Swarm service 1→3→1 on a single-node swarm.
func TestSwarmScale(t *testing.T) {
	c := engine(t)
	img := testImage(t, c)
	swarmManager(t, c)
	ctx := ctxTimeout(t, 3*time.Minute)
	name := uniqueName(t, "sbtest-swarm-")
	createService(t, c, img, name, nil)

	s, err := c.Swarm(ctx, name, Options{ReadyTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if s.Original() != 1 || s.Project() != SwarmServiceSelector(name) || s.Service() != name {
		t.Fatalf("Original, Project, Service = %d, %q, %q", s.Original(), s.Project(), s.Service())
	}
	if err := s.Scale(ctx, 1); err != nil { // the first task may still be starting
		t.Fatal(err)
	}
	stop := c.Watch(ctx, s.Project(), time.Now())
	for _, n := range []int{3, 1} {
		if err := s.Scale(ctx, n); err != nil {
			t.Fatal(err)
		}
		reps, err := s.Replicas(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(reps) != n {
			t.Fatalf("after Scale(%d): %d replicas %+v", n, len(reps), reps)
		}
		for i, r := range reps {
			if r.Number != i+1 || r.State != "running" || r.ID == "" {
				t.Errorf("replica %d: %+v, want slot %d running with a container", i, r, i+1)
			}
		}
		running, err := c.api.ContainerList(ctx, container.ListOptions{
			Filters: filters.NewArgs(filters.Arg("label", LabelSwarmService+"="+name))})
		if err != nil {
			t.Fatal(err)
		}
		if len(running) != n {
			t.Errorf("after Scale(%d) returned, %d task containers run", n, len(running))
		}
		if n == 3 {
			time.Sleep(2 * time.Second) // let Watch sample the three tasks
		}
	}
	var sampled int
	for _, series := range stop() {
		if series.Service == name && len(series.Samples) > 0 {
			sampled++
		}
	}
	if sampled < 3 {
		t.Errorf("Watch sampled %d of the service's task containers, want 3", sampled)
	}

	_, err = c.Swarm(ctx, name+"-nope", Options{})
	if err == nil || !strings.Contains(err.Error(), "not found") || !strings.Contains(err.Error(), name) {
		t.Errorf("unknown service: error %v, want not found listing %s", err, name)
	}
}
