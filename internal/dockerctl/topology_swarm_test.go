package dockerctl

import (
	"context"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"

	"github.com/scalebench/scalebench/internal/results"
)

// TestSwarmTopologyEngine reads the topology of a stack of two services
// (web on the default and a back overlay network, worker at two replicas on
// back) next to a service outside the stack. Nothing publishes a port: a
// Swarm port listens on every address of the host.
func TestSwarmTopologyEngine(t *testing.T) {
	c := engine(t)
	img := testImage(t, c)
	swarmManager(t, c)
	ctx := ctxTimeout(t, 3*time.Minute)
	ns := uniqueName(t, "sbtopo")
	back, err := c.api.NetworkCreate(ctx, ns+"_back", network.CreateOptions{
		Driver: "overlay", Labels: map[string]string{LabelStackNamespace: ns, "scalebench.test": "dockerctl"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var created []string
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, id := range created {
			if err := c.api.ServiceRemove(ctx, id); err != nil {
				t.Logf("cleanup: remove service %s: %v", id, err)
			}
		}
		// Wait for the task containers to go, so the network and the
		// image can be removed.
		for ctx.Err() == nil {
			ctrs, _ := c.api.ContainerList(ctx, container.ListOptions{All: true,
				Filters: filters.NewArgs(filters.Arg("label", LabelStackNamespace+"="+ns))})
			if len(ctrs) == 0 {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		for ctx.Err() == nil {
			if err := c.api.NetworkRemove(ctx, back.ID); err == nil || isNotFound(err) {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Logf("cleanup: network %s_back not removed", ns)
	})
	grace := time.Second
	create := func(name string, stack bool, replicas uint64, nets ...string) {
		t.Helper()
		labels := map[string]string{"scalebench.test": "dockerctl"}
		ctrLabels := map[string]string{}
		if stack {
			labels[LabelStackNamespace] = ns
			ctrLabels[LabelStackNamespace] = ns
		}
		spec := swarm.ServiceSpec{
			Annotations: swarm.Annotations{Name: name, Labels: labels},
			TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{
				Image: img, Args: []string{"serve"}, StopGracePeriod: &grace, Labels: ctrLabels,
			}},
			Mode: swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &replicas}},
		}
		for _, n := range nets {
			spec.TaskTemplate.Networks = append(spec.TaskTemplate.Networks, swarm.NetworkAttachmentConfig{Target: n})
		}
		resp, err := c.api.ServiceCreate(ctx, spec, swarm.ServiceCreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		created = append(created, resp.ID)
		s, err := c.Swarm(ctx, name, Options{ReadyTimeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Scale(ctx, int(replicas)); err != nil {
			t.Fatal(err)
		}
	}
	create(ns+"_web", true, 1, back.ID)
	create(ns+"_worker", true, 2, back.ID)
	create(ns+"-alone", false, 1)

	target, _ := url.Parse("http://127.0.0.1:80/")
	t.Run("stack", func(t *testing.T) {
		s, err := c.Swarm(ctx, ns+"_worker", Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Topology(ctx, target)
		if err != nil {
			t.Fatal(err)
		}
		want := &results.Topology{Services: []results.TopologyService{
			{Name: ns + "_web", Replicas: 1, Networks: []string{ns + "_back"}},
			{Name: ns + "_worker", Replicas: 2, Networks: []string{ns + "_back"}},
		}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("SwarmService.Topology:\n got %+v\nwant %+v", got, want)
		}
	})
	t.Run("no stack", func(t *testing.T) {
		got, err := c.SwarmTopology(ctx, ns+"-alone", target)
		if err != nil {
			t.Fatal(err)
		}
		want := &results.Topology{Services: []results.TopologyService{{Name: ns + "-alone", Replicas: 1}}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("SwarmTopology of a service outside a stack:\n got %+v\nwant %+v", got, want)
		}
	})
	t.Run("unknown service", func(t *testing.T) {
		if _, err := c.SwarmTopology(ctx, ns+"-nope", target); err == nil {
			t.Error("no error for a service that does not exist")
		}
	})
}
