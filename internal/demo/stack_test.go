package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"

	"github.com/scalebench/scalebench/internal/dockerctl"
)

// engine connects to the Docker engine or skips the test, loudly.
func engine(t *testing.T) *dockerctl.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := dockerctl.Connect(ctx)
	if err != nil {
		t.Skipf("SKIPPED, NO DOCKER ENGINE: this test needs a reachable Docker engine (start dockerd or set DOCKER_HOST): %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// testProject is a project name unique to this test and run.
func testProject(t *testing.T) string {
	t.Helper()
	b := make([]byte, 3)
	rand.Read(b)
	name := strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-"))
	return fmt.Sprintf("sbtest-%.24s-%s", strings.Trim(name, "-"), hex.EncodeToString(b))
}

// leftovers lists what a project left on the engine.
func leftovers(t *testing.T, c *dockerctl.Client, project string) []string {
	t.Helper()
	ctx := context.Background()
	var left []string
	ctrs, err := c.API().ContainerList(ctx, container.ListOptions{All: true, Filters: labelFilter(dockerctl.LabelProject + "=" + project)})
	if err != nil {
		t.Fatal(err)
	}
	for _, ct := range ctrs {
		left = append(left, "container "+firstName(ct.Names))
	}
	nets, err := c.API().NetworkList(ctx, network.ListOptions{Filters: labelFilter(dockerctl.LabelProject + "=" + project)})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nets {
		left = append(left, "network "+n.Name)
	}
	imgs, err := c.API().ImageList(ctx, image.ListOptions{Filters: labelFilter(LabelDemoProject + "=" + project)})
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range imgs {
		left = append(left, fmt.Sprintf("image %v", im.RepoTags))
	}
	return left
}

// up starts a stack for the test and makes sure it is gone at the end.
func up(t *testing.T, c *dockerctl.Client, bin string, mut func(*StackOptions)) (*Stack, StackOptions) {
	t.Helper()
	opts := StackOptions{Docker: c, Project: testProject(t), Binary: bin, Log: t.Logf,
		APIEnv: map[string]string{"API_COST": "5ms"}, ModelEnv: map[string]string{"MODEL_SERVICE_TIME": "50ms"}}
	if mut != nil {
		mut(&opts)
	}
	t.Cleanup(func() {
		if err := Purge(context.Background(), c, opts.Project); err != nil {
			t.Errorf("Purge(%s): %v", opts.Project, err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Up(ctx, opts)
	if err != nil {
		t.Fatalf("Up: %v", err)
	}
	return s, opts
}

func inspect(t *testing.T, c *dockerctl.Client, name string) container.InspectResponse {
	t.Helper()
	ins, err := c.API().ContainerInspect(context.Background(), name)
	if err != nil {
		t.Fatalf("inspect %s: %v", name, err)
	}
	return ins
}

func TestStackUpScaleDown(t *testing.T) {
	c := engine(t)
	bin := buildApp(t)
	s, opts := up(t, c, bin, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Errorf("URL %q: want the api published on 127.0.0.1", s.URL)
	}
	h := health(t, s.URL)
	if h.Models != 1 || h.Mode != "pool" || h.Workers != 2 || h.Capacity != 0 {
		t.Errorf("health %+v: want 1 model and the default pool of 2 workers, no fixed capacity", h)
	}

	t.Run("compose labels", func(t *testing.T) {
		for _, tt := range []struct{ name, service, number string }{
			{s.Project + "_api_1", "api", "1"},
			{s.Project + "_model_1", "model", "1"},
		} {
			ins := inspect(t, c, tt.name)
			want := map[string]string{
				dockerctl.LabelProject: s.Project, dockerctl.LabelService: tt.service,
				dockerctl.LabelNumber: tt.number, dockerctl.LabelOneoff: "False", LabelDemo: "1",
			}
			for k, v := range want {
				if got := ins.Config.Labels[k]; got != v {
					t.Errorf("%s: label %s=%q, want %q", tt.name, k, got, v)
				}
			}
			if ins.Config.Labels[dockerctl.LabelConfigHash] == "" {
				t.Errorf("%s: no %s label", tt.name, dockerctl.LabelConfigHash)
			}
			ep := ins.NetworkSettings.Networks[s.Network]
			if ep == nil || !slices.Contains(ep.Aliases, tt.service) {
				t.Errorf("%s: not on network %s with alias %s (%+v)", tt.name, s.Network, tt.service, ep)
			}
			if got := ins.HostConfig.NanoCPUs; got != 0 {
				t.Errorf("%s: CPU limit %d nano-CPUs, want none (a pool-mode api stops on its workers, not its CPU)", tt.name, got)
			}
			if tt.service == "model" && len(ins.HostConfig.PortBindings) > 0 {
				t.Errorf("%s publishes host ports %v: model replicas must publish none so they can be scaled", tt.name, ins.HostConfig.PortBindings)
			}
		}
	})

	t.Run("prediction served by the model container", func(t *testing.T) {
		p := predict(t, s.URL, testImage)
		if p.status != 200 {
			t.Fatalf("POST /predict: %d %s", p.status, p.body)
		}
		model := inspect(t, c, s.Project+"_model_1")
		if w := p.predict(t).Worker; w != model.Config.Hostname {
			t.Errorf("served by %q, want the model container %q", w, model.Config.Hostname)
		}
	})

	t.Run("scaled by dockerctl like a compose service", func(t *testing.T) {
		svc, err := c.Compose(ctx, s.Project, ServiceModel, dockerctl.Options{Log: t.Logf})
		if err != nil {
			t.Fatalf("Compose: %v", err)
		}
		if svc.Original() != 1 {
			t.Errorf("original scale %d, want 1", svc.Original())
		}
		if err := svc.Scale(ctx, 3); err != nil {
			t.Fatalf("Scale(3): %v", err)
		}
		waitFor(t, "3 models connected", func() bool { return health(t, s.URL).Models == 3 })
		workers := map[string]bool{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range 9 {
			wg.Go(func() {
				a := predict(t, s.URL, testImage)
				if a.status != 200 {
					t.Errorf("POST /predict at scale 3: %d %s", a.status, a.body)
					return
				}
				mu.Lock()
				workers[a.predict(t).Worker] = true
				mu.Unlock()
			})
		}
		wg.Wait()
		if len(workers) != 3 {
			t.Errorf("9 concurrent predictions served by %d workers (%v), want all 3 replicas", len(workers), workers)
		}
	})

	t.Run("up again replaces the leftovers", func(t *testing.T) {
		again, err := Up(ctx, opts)
		if err != nil {
			t.Fatalf("second Up of project %s: %v", s.Project, err)
		}
		if h := health(t, again.URL); h.Models != 1 {
			t.Errorf("after a second Up: %d models connected, want 1 (the scaled replicas are leftovers)", h.Models)
		}
		s = again
	})

	canceled, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	if err := s.Down(canceled); err != nil {
		t.Fatalf("Down with a canceled context (Ctrl-C): %v", err)
	}
	if left := leftovers(t, c, s.Project); len(left) > 0 {
		t.Errorf("Down left %v", left)
	}
	if err := s.Down(ctx); err != nil {
		t.Errorf("second Down: %v", err)
	}
}

// TestStackKeepImage also runs the cpu-mode api: one core per slot.
func TestStackKeepImage(t *testing.T) {
	c := engine(t)
	s, _ := up(t, c, buildApp(t), func(o *StackOptions) {
		o.KeepImage, o.APIMode = true, CPUMode
		o.APIEnv["API_SLOTS"] = "2"
	})
	if h := health(t, s.URL); h.Mode != "cpu" || h.Workers != 2 || h.Capacity != 400 {
		t.Errorf("health %+v: want the cpu mode with 2 slots of API_COST=5ms, a capacity of 400/s", h)
	}
	if got := inspect(t, c, s.Project+"_api_1").HostConfig.NanoCPUs; got != 2e9 {
		t.Errorf("cpu-mode api: CPU limit %d nano-CPUs, want 2e9 (one core per slot)", got)
	}
	if err := s.Down(context.Background()); err != nil {
		t.Fatal(err)
	}
	left := leftovers(t, c, s.Project)
	if len(left) != 1 || !strings.HasPrefix(left[0], "image") {
		t.Errorf("Down with KeepImage left %v, want only the image", left)
	}
}

func TestStackUpFailureCleansUp(t *testing.T) {
	c := engine(t)
	bin := buildApp(t)
	project := testProject(t)
	t.Cleanup(func() { Purge(context.Background(), c, project) })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The model dials its own loopback, where nothing listens: it never
	// connects, and no traffic leaves the container. The timeout leaves a
	// busy machine time to start the api, so the error is the models'.
	_, err := Up(ctx, StackOptions{Docker: c, Project: project, Binary: bin, ReadyTimeout: 15 * time.Second,
		ModelEnv: map[string]string{"API_URL": "http://127.0.0.1:1"}})
	if err == nil || !strings.Contains(err.Error(), "0 of 1 model replicas connected") {
		t.Fatalf("Up with models that cannot reach the api: %v, want a not-ready error counting the models", err)
	}
	if left := leftovers(t, c, project); len(left) > 0 {
		t.Errorf("a failed Up left %v", left)
	}
}

func TestStackRefusesForeignProject(t *testing.T) {
	c := engine(t)
	bin := buildApp(t)
	project := testProject(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tag := "sbtest-foreign:" + project
	if err := c.BuildScratchImage(ctx, tag, bin, nil, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.RemoveImage(context.Background(), tag) })
	foreign, err := c.API().ContainerCreate(ctx, &container.Config{Image: tag,
		Labels: map[string]string{dockerctl.LabelProject: project, dockerctl.LabelService: "db"}}, nil, nil, nil, project+"_db_1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.API().ContainerRemove(context.Background(), foreign.ID, container.RemoveOptions{Force: true})
	})

	_, err = Up(ctx, StackOptions{Docker: c, Project: project, Binary: bin})
	if err == nil || !strings.Contains(err.Error(), project+"_db_1") {
		t.Fatalf("Up into a project with a foreign container: %v, want a refusal naming it", err)
	}
	if _, err := c.API().ContainerInspect(ctx, foreign.ID); err != nil {
		t.Errorf("the foreign container is gone after a refused Up: %v", err)
	}
	if err := Purge(ctx, c, project); err != nil {
		t.Fatal(err)
	}
	if _, err := c.API().ContainerInspect(ctx, foreign.ID); err != nil {
		t.Errorf("Purge removed a container without the %s label: %v", LabelDemo, err)
	}
}

func TestUpRejectsBadOptions(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts StackOptions
		want string
	}{
		{"project with capitals", StackOptions{Project: "Demo"}, `demo project name "Demo"`},
		{"negative port", StackOptions{Port: -1}, "port -1"},
		{"negative models", StackOptions{Models: -2}, "models -2"},
		{"unknown api mode", StackOptions{APIMode: "threads"}, `api mode "threads"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Up(context.Background(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Up: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
