package dockerctl

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"

	"github.com/scalebench/scalebench/internal/results"
)

// TestWatchSwarm watches two services of a stack and one outside it: the
// stack's selector samples the stack's tasks only, the lone service's
// selector that service's only.
func TestWatchSwarm(t *testing.T) {
	c := engine(t)
	img := testImage(t, c)
	swarmManager(t, c)
	ctx := ctxTimeout(t, 2*time.Minute)
	stack := uniqueName(t, "sbtest-stack-")
	inStack := map[string]string{LabelStackNamespace: stack}
	web, db := stack+"_web", stack+"_db"
	lone := uniqueName(t, "sbtest-lone-")
	createService(t, c, img, web, inStack)
	createService(t, c, img, db, inStack)
	createService(t, c, img, lone, nil)

	scaled := map[string]*SwarmService{}
	for _, name := range []string{web, lone} {
		s, err := c.Swarm(ctx, name, Options{ReadyTimeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Scale(ctx, 1); err != nil { // wait for its task to run
			t.Fatal(err)
		}
		scaled[name] = s
	}
	waitUntil(t, time.Minute, "db's task running", func() bool {
		ctrs, err := c.api.ContainerList(ctx, container.ListOptions{
			Filters: filters.NewArgs(filters.Arg("label", LabelSwarmService+"="+db))})
		return err == nil && len(ctrs) == 1
	})
	if got, want := scaled[web].Project(), SwarmStackSelector(stack); got != want {
		t.Errorf("Project() of a service in a stack = %q, want %q", got, want)
	}
	if got, want := scaled[lone].Project(), SwarmServiceSelector(lone); got != want {
		t.Errorf("Project() of a service outside any stack = %q, want %q", got, want)
	}

	t0 := time.Now()
	stopStack := c.Watch(ctx, scaled[web].Project(), t0)
	stopLone := c.Watch(ctx, scaled[lone].Project(), t0)
	time.Sleep(2500 * time.Millisecond)
	for _, tt := range []struct {
		name string
		stop func() []results.ContainerSeries
		want []string
	}{
		{name: "stack", stop: stopStack, want: []string{db, web}},
		{name: "lone service", stop: stopLone, want: []string{lone}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, s := range tt.stop() {
				if len(s.Samples) > 0 {
					got = append(got, s.Service)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("sampled the tasks of %v, want those of %v and no other", got, tt.want)
			}
		})
	}
}

// createService creates a replicated Swarm service of one task running img,
// with labels on the service and its task containers, as docker stack
// deploy does. It is removed when the test ends, and its task containers
// waited for.
func createService(t *testing.T, c *Client, img, name string, labels map[string]string) {
	t.Helper()
	ctx := ctxTimeout(t, time.Minute)
	one := uint64(1)
	grace := time.Second
	svcLabels := map[string]string{"scalebench.test": "dockerctl"}
	for k, v := range labels {
		svcLabels[k] = v
	}
	resp, err := c.api.ServiceCreate(ctx, swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: name, Labels: svcLabels},
		TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{
			Image: img, Args: []string{"serve"}, StopGracePeriod: &grace, Labels: labels,
		}},
		Mode: swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &one}},
	}, swarm.ServiceCreateOptions{})
	if err != nil {
		t.Fatalf("create swarm service %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.api.ServiceRemove(ctx, resp.ID); err != nil {
			t.Logf("cleanup: remove service %s: %v", name, err)
		}
		// Wait for the task containers to go, so the image can be removed.
		for ctx.Err() == nil {
			ctrs, _ := c.api.ContainerList(ctx, container.ListOptions{All: true,
				Filters: filters.NewArgs(filters.Arg("label", LabelSwarmService+"="+name))})
			if len(ctrs) == 0 {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}
