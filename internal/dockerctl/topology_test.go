package dockerctl

import (
	"fmt"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"

	"github.com/scalebench/scalebench/internal/results"
)

func TestParseDependsOn(t *testing.T) {
	for _, tc := range []struct {
		name, label string
		want        []string
	}{
		{"compose v1: no label", "", nil},
		{"one", "redis:service_started:false", []string{"redis"}},
		{"several, sorted", "model:service_healthy:true,redis:service_started:false", []string{"model", "redis"}},
		{"older v2 without restart", "redis:service_started", []string{"redis"}},
		{"name only", "redis", []string{"redis"}},
		{"spaces and empty parts", " redis:service_started:false , ,db:service_healthy:false,", []string{"db", "redis"}},
		{"repeated", "db:service_started:false,db:service_healthy:true", []string{"db"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseDependsOn(tc.label); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parseDependsOn(%q) = %q, want %q", tc.label, got, tc.want)
			}
		})
	}
}

func TestTargetPort(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want int
	}{
		{"http://127.0.0.1:8000", 8000},
		{"http://127.0.0.1", 80},
		{"https://localhost/api", 443},
		{"HTTP://localhost", 80},
		{"http://[::1]:9090/", 9090},
		{"ftp://127.0.0.1", 0},
	} {
		t.Run(tc.url, func(t *testing.T) {
			u, err := url.Parse(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			if got := targetPort(u); got != tc.want {
				t.Errorf("targetPort(%s) = %d, want %d", tc.url, got, tc.want)
			}
		})
	}
	if got := targetPort(nil); got != 0 {
		t.Errorf("targetPort(nil) = %d, want 0", got)
	}
}

func TestReachableHostIP(t *testing.T) {
	for ip, want := range map[string]bool{
		"": true, "0.0.0.0": true, "::": true, "127.0.0.1": true, "127.0.1.1": true, "::1": true,
		"192.168.1.10": false, "10.0.0.1": false, "fe80::1": false, "nonsense": false,
	} {
		if got := reachableHostIP(ip); got != want {
			t.Errorf("reachableHostIP(%q) = %v, want %v", ip, got, want)
		}
	}
}

// summary is a container as ContainerList shows it.
func summary(service string, state container.ContainerState, labels map[string]string, nets []string, ports ...container.Port) container.Summary {
	l := map[string]string{LabelProject: "p", LabelService: service, LabelOneoff: "False"}
	for k, v := range labels {
		l[k] = v
	}
	ns := &container.NetworkSettingsSummary{Networks: map[string]*network.EndpointSettings{}}
	for _, n := range nets {
		ns.Networks[n] = &network.EndpointSettings{}
	}
	return container.Summary{Labels: l, State: state, Ports: ports, NetworkSettings: ns}
}

func TestComposeTopology(t *testing.T) {
	v2 := func(deps string) map[string]string { return map[string]string{LabelDependsOn: deps} }
	ctrs := []container.Summary{
		summary("model", container.StateRunning, v2("redis:service_started:false"), []string{"p_back"}),
		summary("api", container.StateRunning, v2("model:service_started:false,redis:service_healthy:true"), []string{"p_default", "p_back"},
			container.Port{IP: "0.0.0.0", PrivatePort: 5000, PublicPort: 8000, Type: "tcp"},
			container.Port{IP: "::", PrivatePort: 5000, PublicPort: 8000, Type: "tcp"},
			container.Port{IP: "0.0.0.0", PrivatePort: 9125, PublicPort: 9125, Type: "udp"}),
		summary("model", container.StateRunning, v2("redis:service_started:false"), []string{"p_back"}),
		summary("model", container.StateExited, v2("redis:service_started:false"), nil),
		summary("redis", container.StateRunning, nil, []string{"p_back"},
			container.Port{PrivatePort: 6379, Type: "tcp"}),
		summary("admin", container.StateRunning, nil, []string{"p_default"},
			container.Port{IP: "192.168.1.10", PrivatePort: 80, PublicPort: 8000, Type: "tcp"}),
		summary("stats", container.StateRunning, nil, nil,
			container.Port{IP: "0.0.0.0", PrivatePort: 8000, PublicPort: 8000, Type: "udp"}),
	}
	want := &results.Topology{
		Entry: "api",
		Services: []results.TopologyService{
			{Name: "admin", Replicas: 1, Published: []int{8000}, Networks: []string{"p_default"}},
			{Name: "api", Replicas: 1, Published: []int{8000, 9125}, DependsOn: []string{"model", "redis"}, Networks: []string{"p_back", "p_default"}},
			{Name: "model", Replicas: 2, DependsOn: []string{"redis"}, Networks: []string{"p_back"}},
			{Name: "redis", Replicas: 1, Networks: []string{"p_back"}},
			{Name: "stats", Replicas: 1, Published: []int{8000}},
		},
	}
	for _, tc := range []struct {
		name  string
		port  int
		entry string
	}{
		{"entry on the target's port", 8000, "api"},
		{"no service publishes the port", 8001, ""},
		{"no target", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := *want
			w.Entry = tc.entry
			got := composeTopology(ctrs, tc.port)
			if !reflect.DeepEqual(got, &w) {
				t.Errorf("composeTopology:\n got %+v\nwant %+v", got, &w)
			}
		})
	}
	t.Run("order of containers does not matter", func(t *testing.T) {
		rev := make([]container.Summary, len(ctrs))
		for i, c := range ctrs {
			rev[len(ctrs)-1-i] = c
		}
		if got := composeTopology(rev, 8000); !reflect.DeepEqual(got, want) {
			t.Errorf("composeTopology of the reversed list:\n got %+v\nwant %+v", got, want)
		}
	})
}

func TestSwarmTopology(t *testing.T) {
	svc := func(id, name string, nets []string, ports ...swarm.PortConfig) swarm.Service {
		s := swarm.Service{ID: id}
		s.Spec.Name = name
		for _, n := range nets {
			s.Spec.TaskTemplate.Networks = append(s.Spec.TaskTemplate.Networks, swarm.NetworkAttachmentConfig{Target: n})
		}
		s.Endpoint.Ports = ports
		return s
	}
	task := func(service string, state swarm.TaskState) swarm.Task {
		return swarm.Task{ServiceID: service, Status: swarm.TaskStatus{State: state}}
	}
	services := []swarm.Service{
		svc("m", "shop_model", []string{"n1"}),
		svc("a", "shop_api", []string{"n1", "n2"},
			swarm.PortConfig{Protocol: swarm.PortConfigProtocolTCP, TargetPort: 5000, PublishedPort: 8000, PublishMode: swarm.PortConfigPublishModeIngress},
			swarm.PortConfig{Protocol: swarm.PortConfigProtocolUDP, TargetPort: 53, PublishedPort: 5353, PublishMode: swarm.PortConfigPublishModeIngress}),
		svc("d", "shop_dns", nil,
			swarm.PortConfig{Protocol: swarm.PortConfigProtocolUDP, TargetPort: 53, PublishedPort: 8000}),
	}
	tasks := []swarm.Task{
		task("m", swarm.TaskStateRunning), task("m", swarm.TaskStateRunning), task("m", swarm.TaskStateStarting),
		task("a", swarm.TaskStateRunning), task("other", swarm.TaskStateRunning),
	}
	names := map[string]string{"n1": "shop_back"} // n2 is not listed: kept as found
	got := swarmTopology(services, tasks, names, 8000)
	want := &results.Topology{
		Entry: "shop_api",
		Services: []results.TopologyService{
			{Name: "shop_api", Replicas: 1, Published: []int{5353, 8000}, Networks: []string{"n2", "shop_back"}},
			{Name: "shop_dns", Published: []int{8000}},
			{Name: "shop_model", Replicas: 2, Networks: []string{"shop_back"}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("swarmTopology:\n got %+v\nwant %+v", got, want)
	}
	if got := swarmTopology(services, tasks, names, 9000); got.Entry != "" {
		t.Errorf("entry for an unpublished port = %q, want none", got.Entry)
	}
}

// TestTopologyEngine reads the topology of a compose v1 project where web
// publishes 127.0.0.1:PORT and depends on worker (two replicas on a second
// network), which publishes nothing; a one-off container is not a service.
func TestTopologyEngine(t *testing.T) {
	c := engine(t)
	img := testImage(t, c)
	ctx := ctxTimeout(t, 3*time.Minute)
	port := freePorts(t, 1)
	p := composeUp(t, c, "topology.yml", "SB_IMAGE="+img, fmt.Sprintf("SB_PORT=%d", port))
	p.compose("run", "-d", "--no-deps", "worker")
	other := composeUp(t, c, "scale.yml", "SB_IMAGE="+img)

	target, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d/", port))
	got, err := c.Topology(ctx, p.name, target)
	if err != nil {
		t.Fatal(err)
	}
	want := &results.Topology{
		Entry: "web",
		Services: []results.TopologyService{
			{Name: "web", Replicas: 1, Published: []int{port}, Networks: []string{p.name + "_back", p.name + "_default"}},
			{Name: "worker", Replicas: 2, Networks: []string{p.name + "_back"}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Topology:\n got %+v\nwant %+v", got, want)
	}

	t.Run("through the scaler", func(t *testing.T) {
		s := p.service("worker", Options{})
		got, err := s.Topology(ctx, target)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ComposeService.Topology:\n got %+v\nwant %+v", got, want)
		}
	})
	t.Run("another port has no entry", func(t *testing.T) {
		u, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d/", port+1))
		got, err := c.Topology(ctx, p.name, u)
		if err != nil {
			t.Fatal(err)
		}
		if got.Entry != "" || len(got.Services) != 2 {
			t.Errorf("Topology for port %d: entry %q, %d services; want none and 2", port+1, got.Entry, len(got.Services))
		}
	})
	t.Run("another project", func(t *testing.T) {
		got, err := c.Topology(ctx, other.name, target)
		if err != nil {
			t.Fatal(err)
		}
		if got.Entry != "" || len(got.Services) != 2 || got.Services[0].Name != "idle" || got.Services[1].Name != "web" {
			t.Errorf("Topology of %s = %+v, want idle and web without an entry", other.name, got)
		}
	})
	t.Run("engine name", func(t *testing.T) {
		eng, err := c.Engine(ctx)
		if err != nil {
			t.Fatal(err)
		}
		info, err := c.api.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if eng.Name == "" || eng.Name != info.Name {
			t.Errorf("Engine().Name = %q, want docker info's Name %q", eng.Name, info.Name)
		}
	})
}
