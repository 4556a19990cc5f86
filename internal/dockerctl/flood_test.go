package dockerctl

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
)

// refusingEngine is an httptest server speaking just enough of the Engine
// API for a compose scale-up: one running replica p_web_1 (plus, when
// decoy is set, a running p_web_9 labelled like a replica without a
// config-hash), its image, the engine's memory, and container creates that
// it refuses, counting them.
type refusingEngine struct {
	creates atomic.Int64
	memory  int64 // the replica's memory limit in bytes
	decoy   bool
}

func (e *refusingEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if i := strings.Index(path[1:], "/"); strings.HasPrefix(path, "/v1.") && i > 0 {
		path = path[i+1:] // drop the /v1.xx version prefix
	}
	labels := func(n string) map[string]string {
		return map[string]string{LabelProject: "p", LabelService: "web", LabelOneoff: "False", LabelNumber: n, LabelConfigHash: "abc"}
	}
	reply := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	switch {
	case path == "/_ping":
		w.Header().Set("Api-Version", "1.41")
		w.Write([]byte("OK"))
	case path == "/containers/json":
		list := []container.Summary{{ID: "id1", Names: []string{"/p_web_1"}, Labels: labels("1"), State: container.StateRunning, Image: "img"}}
		if e.decoy {
			l := labels("9")
			delete(l, LabelConfigHash)
			list = append(list, container.Summary{ID: "id9", Names: []string{"/p_web_9"}, Labels: l, State: container.StateRunning, Image: "img"})
		}
		reply(list)
	case path == "/containers/id1/json":
		reply(container.InspectResponse{
			ContainerJSONBase: &container.ContainerJSONBase{ID: "id1", Name: "/p_web_1", Image: "sha256:img",
				State:      &container.State{Status: container.StateRunning, Running: true},
				HostConfig: &container.HostConfig{Resources: container.Resources{Memory: e.memory}}},
			Config: &container.Config{Image: "img", Labels: labels("1")},
		})
	case strings.HasPrefix(path, "/images/"):
		reply(map[string]any{"Id": "sha256:img"})
	case path == "/info":
		reply(map[string]any{"MemTotal": int64(1 << 30), "NCPU": 2})
	case path == "/containers/create":
		e.creates.Add(1)
		time.Sleep(5 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"message":"test engine: cannot create container: too many containers"}`))
	default:
		http.Error(w, `{"message":"not in the fake engine: `+r.Method+" "+path+`"}`, http.StatusNotFound)
	}
}

func fakeEngine(t *testing.T, e http.Handler) *Client {
	t.Helper()
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	api, err := client.NewClientWithOpts(client.WithHost("tcp://"+srv.Listener.Addr().String()), client.WithVersion("1.41"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	return &Client{api: api, host: api.DaemonHost()}
}

// TestScaleCreateFlood: against an engine that refuses every create, a
// scale-up sends at most a few creates, stops, and quotes the engine; a
// count above the ceiling, or above the engine's memory, sends none.
func TestScaleCreateFlood(t *testing.T) {
	tests := []struct {
		name       string
		n          int
		opts       Options
		memory     int64
		maxCreates int64
		want       []string
	}{
		{name: "refused creates", n: 100, maxCreates: createParallel,
			want: []string{"scale p/web to 100", "test engine: cannot create container: too many containers", "were not attempted"}},
		{name: "above the ceiling", n: 1000000,
			want: []string{"scale p/web to 1000000: 1000000 replicas is above the ceiling of 100", "max_scale"}},
		{name: "above a raised ceiling", n: 501, opts: Options{MaxScale: 500}, want: []string{"above the ceiling of 500"}},
		{name: "above the engine's memory", n: 20, memory: 256 << 20,
			want: []string{"20 replicas of web with a 256 MiB memory limit each need 5120 MiB, more than the engine's 1024 MiB", "at most 4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := &refusingEngine{memory: tt.memory}
			c := fakeEngine(t, eng)
			ctx := ctxTimeout(t, 20*time.Second)
			s, err := c.Compose(ctx, "p", "web", tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			err = s.Scale(ctx, tt.n)
			if err == nil {
				t.Fatal("Scale succeeded")
			}
			if n := eng.creates.Load(); n > tt.maxCreates {
				t.Errorf("%d creates sent, want at most %d", n, tt.maxCreates)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Scale took %v", d)
			}
			if len(err.Error()) > 2000 {
				t.Errorf("error is %d bytes long, want it bounded", len(err.Error()))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tt.maxCreates == 0 {
				if cerr := s.CheckScalable(ctx, tt.n); cerr == nil {
					t.Error("CheckScalable accepted what Scale refuses")
				}
			}
		})
	}
}

// TestForeignLeftAlone: a container labelled as replica 9 of the service
// without compose's config-hash is neither counted nor touched, and
// Foreign names it.
func TestForeignLeftAlone(t *testing.T) {
	eng := &refusingEngine{decoy: true}
	c := fakeEngine(t, eng)
	ctx := ctxTimeout(t, 10*time.Second)
	s, err := c.Compose(ctx, "p", "web", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Original() != 1 {
		t.Errorf("Original %d, want 1: the decoy was counted", s.Original())
	}
	reps, err := s.Replicas(ctx)
	if err != nil || len(reps) != 1 || reps[0].Name != "p_web_1" {
		t.Errorf("Replicas = %v, %v; want p_web_1 alone", reps, err)
	}
	foreign, err := s.Foreign(ctx)
	if err != nil || len(foreign) != 1 || !strings.Contains(foreign[0], "p_web_9") || !strings.Contains(foreign[0], "config-hash") {
		t.Errorf("Foreign = %q, %v; want p_web_9 without a config-hash", foreign, err)
	}
	// Nothing that would stop or remove the decoy gets past the check.
	if err := s.stopAndRemove(ctx, []container.Summary{{ID: "id9", Names: []string{"/p_web_9"}, Labels: map[string]string{
		LabelProject: "p", LabelService: "web", LabelOneoff: "False", LabelNumber: "9"}}}); err == nil || !strings.Contains(err.Error(), "refusing to remove p_web_9: compose did not create it") {
		t.Errorf("stopAndRemove of the decoy: %v", err)
	}
}

// TestNotMadeByCompose: what tells a replica compose made from a look-alike.
func TestNotMadeByCompose(t *testing.T) {
	s := &ComposeService{project: "shop", service: "api"}
	l := func(n string, hash bool) map[string]string {
		m := map[string]string{LabelProject: "shop", LabelService: "api", LabelOneoff: "False", LabelNumber: n}
		if hash {
			m[LabelConfigHash] = "abc"
		}
		return m
	}
	tests := []struct {
		name, cname string
		labels      map[string]string
		want        string // "" for a replica
	}{
		{"compose v1", "shop_api_2", l("2", true), ""},
		{"compose v2", "shop-api-3", l("3", true), ""},
		{"container_name", "my-api", l("1", true), ""},
		{"no config-hash", "shop_api_9", l("9", false), "no com.docker.compose.config-hash label"},
		{"number and name differ", "shop_api_2", l("9", true), "does not match its container number 9 (compose would name it shop_api_9)"},
		{"fixed name, not number 1", "my-api", l("4", true), "does not match its container number 4"},
		{"replica-like name as number 1", "shop_api_7", l("1", true), "does not match its container number 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.notMadeByCompose(container.Summary{Names: []string{"/" + tt.cname}, Labels: tt.labels})
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestForeignEngine: on a real engine, a running container with every
// compose label of replica 9 but no config-hash is reported, never
// counted, stopped or removed while the service scales 1→2→0→1.
func TestForeignEngine(t *testing.T) {
	c := engine(t)
	img := testImage(t, c)
	ctx := ctxTimeout(t, 2*time.Minute)
	p := composeUp(t, c, "health.yml", "SB_IMAGE="+img, "SB_MODE=", "SB_HEALTHY_AFTER=0s")
	labels := map[string]string{LabelProject: p.name, LabelService: "web", LabelOneoff: "False", LabelNumber: "9"}
	made, err := c.api.ContainerCreate(ctx, &container.Config{Image: img, Cmd: []string{"serve"}, Labels: labels}, nil, nil, nil, p.name+"_web_9")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.api.ContainerRemove(context.Background(), made.ID, container.RemoveOptions{Force: true})
	})
	if err := c.api.ContainerStart(ctx, made.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	d := snapshot(t, c, "fully labelled container compose did not create", made.ID)
	s := p.service("web", Options{})
	if s.Original() != 1 {
		t.Errorf("Original %d, want 1", s.Original())
	}
	foreign, err := s.Foreign(ctx)
	if err != nil || len(foreign) != 1 || !strings.Contains(foreign[0], p.name+"_web_9") {
		t.Errorf("Foreign = %q, %v", foreign, err)
	}
	for _, n := range []int{2, 0, 1} {
		if err := s.Scale(ctx, n); err != nil {
			t.Fatalf("scale to %d: %v", n, err)
		}
		reps, err := s.Replicas(ctx)
		if err != nil || len(reps) != n {
			t.Fatalf("scale to %d: Replicas = %v, %v", n, reps, err)
		}
	}
	d.check(t, c)
}
