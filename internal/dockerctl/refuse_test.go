package dockerctl

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/go-connections/nat"
)

// freePorts returns n consecutive free TCP ports on 127.0.0.1.
func freePorts(t *testing.T, n int) int {
	t.Helper()
	for try := 0; try < 50; try++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		base := l.Addr().(*net.TCPAddr).Port
		l.Close()
		ok := true
		for p := base; p < base+n && ok; p++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				ok = false
				break
			}
			l.Close()
		}
		if ok && base+n < 65535 {
			return base
		}
	}
	t.Fatal("no free port range")
	return 0
}

// TestScaleHealth waits for healthchecks: a service that turns healthy after
// a delay, and one that never does.
func TestScaleHealth(t *testing.T) {
	c := engine(t)
	img := testImage(t, c)
	tests := []struct {
		name    string
		env     []string
		n       int
		wantErr []string
	}{
		{name: "healthy after 2s", env: []string{"SB_MODE=", "SB_HEALTHY_AFTER=2s"}, n: 3},
		{name: "unhealthy", env: []string{"SB_MODE=unhealthy", "SB_HEALTHY_AFTER=0s"}, n: 2,
			wantErr: []string{"_web_", "unhealthy", "not ready: mode unhealthy", "replicas this scale created were removed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := ctxTimeout(t, 3*time.Minute)
			p := composeUp(t, c, "health.yml", append(tt.env, "SB_IMAGE="+img)...)
			before := ids(p.replicas("web"))
			s := p.service("web", Options{ReadyTimeout: time.Minute})
			err := s.Scale(ctx, tt.n)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatal("Scale succeeded with unhealthy replicas")
				}
				for _, w := range append(tt.wantErr, p.name) {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				if after := ids(p.replicas("web")); !slices.Equal(after, before) {
					t.Errorf("after the failed scale the replicas are %v, want the original %v", after, before)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			reps, err := s.Replicas(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(reps) != tt.n {
				t.Fatalf("%d replicas, want %d", len(reps), tt.n)
			}
			for _, r := range reps {
				if r.Health != "healthy" {
					t.Errorf("%s: health %q when Scale returned, want healthy", r.Name, r.Health)
				}
			}
			if err := s.Restore(ctx); err != nil {
				t.Fatal(err)
			}
			if got := len(p.replicas("web")); got != 1 {
				t.Errorf("Restore left %d replicas, want 1", got)
			}
		})
	}
}

// TestScaleExitsOnStart: a new replica that exits at once is an error with
// its last log lines, and is removed again.
func TestScaleExitsOnStart(t *testing.T) {
	c := engine(t)
	img := testImage(t, c)
	ctx := ctxTimeout(t, 2*time.Minute)
	p := composeUp(t, c, "exits.yml", "SB_IMAGE="+img)
	s := p.service("web", Options{})
	err := s.Scale(ctx, 2)
	if err == nil {
		t.Fatal("Scale succeeded though the new replica exits")
	}
	for _, w := range []string{p.name + "_web_2 exited with code 3", "another replica owns the data", "refusing to start a second replica", "were removed"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
	if got := len(p.replicas("web")); got != 1 {
		t.Errorf("%d replicas after the failed scale, want 1", got)
	}
}

// TestScaleRefuses: what compose refuses to scale is refused before
// anything is touched, with the fix in the message; a port range scales.
func TestScaleRefuses(t *testing.T) {
	c := engine(t)
	img := testImage(t, c)
	port := freePorts(t, 3)
	tests := []struct {
		name    string
		file    string
		env     []string
		wantErr []string
	}{
		{name: "container_name", file: "containername.yml", env: []string{"SB_NAME=" + uniqueName(t, "sbtest-fixed-")},
			wantErr: []string{"sbtest-fixed-", "container_name", "remove container_name from service web"}},
		{name: "fixed host port", file: "fixedport.yml", env: []string{fmt.Sprintf("SB_PORT=%d", port)},
			wantErr: []string{fmt.Sprintf("fixed host port 127.0.0.1:%d", port), "host port range", fmt.Sprintf(`"127.0.0.1:%d-%d:8080"`, port, port+2), `"127.0.0.1::8080"`}},
		{name: "host port range", file: "portrange.yml", env: []string{fmt.Sprintf("SB_PORT_LO=%d", port), fmt.Sprintf("SB_PORT_HI=%d", port+2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := ctxTimeout(t, 2*time.Minute)
			p := composeUp(t, c, tt.file, append(tt.env, "SB_IMAGE="+img)...)
			before := p.replicas("web")
			s := p.service("web", Options{})
			checkErr := s.CheckScalable(ctx, 3)
			err := s.Scale(ctx, 3)
			if len(tt.wantErr) == 0 {
				if err != nil || checkErr != nil {
					t.Fatalf("Scale: %v; CheckScalable: %v", err, checkErr)
				}
				hostPorts := map[string]bool{}
				for _, r := range p.replicas("web") {
					for _, b := range r.NetworkSettings.Ports[nat.Port("8080/tcp")] {
						hostPorts[b.HostPort] = true
					}
				}
				if len(hostPorts) != 3 {
					t.Errorf("replicas publish host ports %v, want 3 distinct ones", hostPorts)
				}
				return
			}
			for _, e := range []error{checkErr, err} {
				if e == nil {
					t.Fatal("not refused")
				}
				for _, w := range append(tt.wantErr, "scale "+p.name+"/web to 3") {
					if !strings.Contains(e.Error(), w) {
						t.Errorf("error %q does not contain %q", e, w)
					}
				}
			}
			after := p.replicas("web")
			if !slices.Equal(ids(after), ids(before)) || after[0].State.StartedAt != before[0].State.StartedAt {
				t.Errorf("refused scale touched the service: %v -> %v", ids(before), ids(after))
			}
		})
	}
}

// TestScaleImageMissing: scaling up from 0 after the image was removed says
// so and never pulls.
func TestScaleImageMissing(t *testing.T) {
	c := engine(t)
	img := testImage(t, c)
	ctx := ctxTimeout(t, 2*time.Minute)
	p := composeUp(t, c, "health.yml", "SB_IMAGE="+img, "SB_MODE=", "SB_HEALTHY_AFTER=0s")
	s := p.service("web", Options{})
	if err := s.Scale(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if got := len(p.replicas("web")); got != 0 {
		t.Fatalf("%d replicas after scaling to 0", got)
	}
	if err := c.RemoveImage(ctx, img); err != nil {
		t.Fatal(err)
	}
	err := s.Scale(ctx, 1)
	if err == nil {
		t.Fatal("scaled up without the image")
	}
	for _, w := range []string{img, "missing", "never pulls", "docker-compose build web"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
	if got := len(p.replicas("web")); got != 0 {
		t.Errorf("%d replicas after the failed scale, want 0", got)
	}
}

// TestScaleFromZero: a service scaled to 0 can be scaled up again from the
// configuration remembered while it ran.
func TestScaleFromZero(t *testing.T) {
	c := engine(t)
	img := testImage(t, c)
	ctx := ctxTimeout(t, 2*time.Minute)
	p := composeUp(t, c, "health.yml", "SB_IMAGE="+img, "SB_MODE=", "SB_HEALTHY_AFTER=0s")
	s := p.service("web", Options{})
	for _, n := range []int{0, 2} {
		if err := s.Scale(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	reps := p.replicas("web")
	var got []string
	for _, r := range reps {
		got = append(got, r.Name)
	}
	// With no container left, numbering starts again at 1, as compose's.
	if want := []string{"/" + p.name + "_web_1", "/" + p.name + "_web_2"}; !slices.Equal(got, want) {
		t.Errorf("after 1→0→2 the replicas are %v, want %v", got, want)
	}
}

// TestComposeNotFound: a wrong project or service name lists what exists.
func TestComposeNotFound(t *testing.T) {
	c := engine(t)
	img := testImage(t, c)
	ctx := ctxTimeout(t, time.Minute)
	p := composeUp(t, c, "scale.yml", "SB_IMAGE="+img)
	tests := []struct {
		name             string
		project, service string
		want             []string
		what             string
	}{
		{"unknown service", p.name, "nope", []string{`project "` + p.name + `" has no service "nope"`, "its services are: idle, web"}, "service"},
		{"unknown project", p.name + "x", "web", []string{`compose project "` + p.name + `x" not found`, "docker-compose -p " + p.name + "x up -d"}, "project"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Compose(ctx, tt.project, tt.service, Options{})
			if err == nil {
				t.Fatal("found")
			}
			if nf := (*NotFoundError)(nil); !errors.As(err, &nf) || nf.What != tt.what {
				t.Errorf("error %T %v is not a NotFoundError of a %s", err, err, tt.what)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if _, list, ok := strings.Cut(err.Error(), "projects with containers: "); ok {
				if !slices.Contains(strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' }), p.name) {
					t.Errorf("project list %q does not name %s", list, p.name)
				}
			} else if tt.service == "web" {
				t.Errorf("error %q lists no projects", err)
			}
		})
	}
}

// TestScaleRemovesNeverStarted: a replica created but never started (what a
// scale-up killed between create and start leaves) is removed and made
// again, not started with a configuration that may be incomplete.
func TestScaleRemovesNeverStarted(t *testing.T) {
	c := engine(t)
	img := testImage(t, c)
	ctx := ctxTimeout(t, 2*time.Minute)
	p := composeUp(t, c, "health.yml", "SB_IMAGE="+img, "SB_MODE=", "SB_HEALTHY_AFTER=0s")
	tmpl := p.replicas("web")[0]
	cl, err := buildClone(&tmpl, p.name, "web", 2, tmpl.Image)
	if err != nil {
		t.Fatal(err)
	}
	leftover, err := c.createClone(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	var logs []string
	s := p.service("web", Options{Log: func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }})
	if err := s.Scale(ctx, 2); err != nil {
		t.Fatal(err)
	}
	reps := p.replicas("web")
	if len(reps) != 2 {
		t.Fatalf("%d replicas, want 2", len(reps))
	}
	for _, r := range reps {
		if r.ID == leftover {
			t.Errorf("the never-started leftover %s was kept (state %s)", r.Name, r.State.Status)
		}
		if !r.State.Running {
			t.Errorf("%s is %s, want running", r.Name, r.State.Status)
		}
	}
	if !strings.Contains(strings.Join(logs, "\n"), "interrupted scale-up") {
		t.Errorf("log does not say why the leftover went:\n%s", strings.Join(logs, "\n"))
	}
}
