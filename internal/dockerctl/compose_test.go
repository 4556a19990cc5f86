package dockerctl

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
)

// decoy is a container Scale must leave alone, as it was.
type decoy struct {
	what   string
	id     string
	labels map[string]string
}

func snapshot(t *testing.T, c *Client, what, id string) decoy {
	t.Helper()
	ins, err := c.api.ContainerInspect(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !ins.State.Running {
		t.Fatalf("decoy %s (%s) is not running: %s", what, ins.Name, ins.State.Status)
	}
	return decoy{what: what, id: id, labels: ins.Config.Labels}
}

func (d decoy) check(t *testing.T, c *Client) {
	t.Helper()
	ins, err := c.api.ContainerInspect(context.Background(), d.id)
	if err != nil {
		t.Errorf("decoy %s: %v", d.what, err)
		return
	}
	if !ins.State.Running || ins.RestartCount != 0 || ins.State.FinishedAt != "0001-01-01T00:00:00Z" {
		t.Errorf("decoy %s (%s) was touched: state %s, restarts %d, finished %s", d.what, ins.Name, ins.State.Status, ins.RestartCount, ins.State.FinishedAt)
	}
	for k, v := range d.labels {
		if ins.Config.Labels[k] != v {
			t.Errorf("decoy %s: label %s changed %q -> %q", d.what, k, v, ins.Config.Labels[k])
		}
	}
}

// TestComposeScale scales a compose v1 service 1→3→5→2→1 next to decoys
// that must stay untouched: another project with a service of the same name,
// another service of the same project, an unlabelled container of the same
// image named like a replica, and a one-off container of the service.
func TestComposeScale(t *testing.T) {
	c := engine(t)
	img := testImage(t, c)
	ctx := ctxTimeout(t, 5*time.Minute)
	p := composeUp(t, c, "scale.yml", "SB_IMAGE="+img)
	other := composeUp(t, c, "scale.yml", "SB_IMAGE="+img)
	p.compose("run", "-d", "web")

	unlabelled, err := c.api.ContainerCreate(ctx, &container.Config{Image: img, Cmd: []string{"serve"}}, nil, nil, nil, p.name+"_web_7")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.api.ContainerRemove(context.Background(), unlabelled.ID, container.RemoveOptions{Force: true})
	})
	if err := c.api.ContainerStart(ctx, unlabelled.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	var oneoff string
	for _, ins := range p.containers("web") {
		if ins.Config.Labels[LabelOneoff] == "True" {
			oneoff = ins.ID
		}
	}
	if oneoff == "" {
		t.Fatal("docker-compose run -d web made no one-off container")
	}
	decoys := []decoy{
		snapshot(t, c, "other project's web", other.replicas("web")[0].ID),
		snapshot(t, c, "same project's idle", p.replicas("idle")[0].ID),
		snapshot(t, c, "unlabelled container of the image", unlabelled.ID),
		snapshot(t, c, "one-off web container", oneoff),
	}

	first := p.replicas("web")
	if len(first) != 1 {
		t.Fatalf("docker-compose up made %d web replicas, want 1", len(first))
	}
	tmpl := first[0]
	var logs []string
	s := p.service("web", Options{Log: func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }})
	if s.Original() != 1 || s.Project() != p.name || s.Service() != "web" {
		t.Fatalf("Original, Project, Service = %d, %q, %q", s.Original(), s.Project(), s.Service())
	}
	if got := c.ProjectWorkingDir(ctx, p.name); got == "" || got != tmpl.Config.Labels[LabelWorkingDir] {
		t.Errorf("ProjectWorkingDir = %q, want the working_dir label %q", got, tmpl.Config.Labels[LabelWorkingDir])
	}

	for _, step := range []int{3, 5, 2, -1} {
		n, name := step, fmt.Sprintf("scale to %d", step)
		if step < 0 {
			n, name = 1, "restore to 1"
		}
		t.Run(name, func(t *testing.T) {
			logs = nil
			if step < 0 {
				err = s.Restore(ctx)
			} else {
				err = s.Scale(ctx, n)
			}
			if err != nil {
				t.Fatal(err)
			}
			reps := p.replicas("web")
			checkReplicas(t, p, reps, n, tmpl)
			got, err := s.Replicas(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != n {
				t.Fatalf("Replicas() = %d replicas, want %d", len(got), n)
			}
			for i, r := range got {
				if want := fmt.Sprintf("%s_web_%d", p.name, i+1); r.Name != want || r.Number != i+1 || r.State != "running" || r.ID != reps[i].ID {
					t.Errorf("Replicas()[%d] = %+v, want %s number %d running", i, r, want, i+1)
				}
			}
			checkResolves(t, c, p, reps)
			psIDs := strings.Fields(p.compose("ps", "-q", "web"))
			psIDs = slices.DeleteFunc(psIDs, func(id string) bool { return id == oneoff })
			slices.Sort(psIDs)
			if want := ids(reps); !slices.Equal(psIDs, want) {
				t.Errorf("docker-compose ps -q web lists %v, want the replicas %v", psIDs, want)
			}
			if n == 5 {
				// compose sees the clones as its own, up to date: nothing
				// is recreated.
				out := p.composeAll("up", "-d", "--scale", "web=5", "web")
				for i := 1; i <= 5; i++ {
					if w := fmt.Sprintf("%s_web_%d is up-to-date", p.name, i); !strings.Contains(out, w) {
						t.Errorf("docker-compose up --scale web=5 does not say %q:\n%s", w, out)
					}
				}
				if after := ids(p.replicas("web")); !slices.Equal(after, ids(reps)) {
					t.Errorf("docker-compose up --scale web=5 replaced replicas: %v -> %v", ids(reps), after)
				}
			}
			if len(logs) == 0 {
				t.Error("Options.Log was never called")
			}
			for _, d := range decoys {
				d.check(t, c)
			}
		})
	}

	p.compose("down", "-t", "1")
	if left := p.replicas("web"); len(left) != 0 {
		t.Errorf("docker-compose down left %d web replicas", len(left))
	}
	decoys[0].check(t, c)
	decoys[2].check(t, c)
}

// checkReplicas checks that reps are replicas 1..n, running, configured as
// compose would have made them from tmpl.
func checkReplicas(t *testing.T, p *project, reps []container.InspectResponse, n int, tmpl container.InspectResponse) {
	t.Helper()
	if len(reps) != n {
		t.Fatalf("%d replicas, want %d", len(reps), n)
	}
	net := p.name + "_default"
	for i, r := range reps {
		num := i + 1
		if want := fmt.Sprintf("/%s_web_%d", p.name, num); r.Name != want {
			t.Errorf("replica %d is named %s, want %s", num, r.Name, want)
		}
		if !r.State.Running {
			t.Errorf("%s is %s", r.Name, r.State.Status)
		}
		for _, k := range []string{LabelProject, LabelService, LabelOneoff, LabelConfigHash, LabelWorkingDir, "com.docker.compose.version"} {
			if r.Config.Labels[k] != tmpl.Config.Labels[k] {
				t.Errorf("%s: label %s = %q, want %q", r.Name, k, r.Config.Labels[k], tmpl.Config.Labels[k])
			}
		}
		if got := r.Config.Labels[LabelNumber]; got != fmt.Sprint(num) {
			t.Errorf("%s: container-number %s, want %d", r.Name, got, num)
		}
		if r.ID == tmpl.ID {
			continue
		}
		if r.Config.Hostname == tmpl.Config.Hostname || r.Config.Hostname != shortID(r.ID) {
			t.Errorf("%s: hostname %s, want its own short id %s", r.Name, r.Config.Hostname, shortID(r.ID))
		}
		ep := r.NetworkSettings.Networks[net]
		if ep == nil {
			t.Errorf("%s is not on %s: %v", r.Name, net, r.NetworkSettings.Networks)
			continue
		}
		if !slices.Contains(ep.Aliases, "web") || slices.Contains(ep.Aliases, shortID(tmpl.ID)) || slices.Contains(ep.Aliases, strings.TrimPrefix(tmpl.Name, "/")) {
			t.Errorf("%s: aliases %v, want web and not the template's name or id", r.Name, ep.Aliases)
		}
		if ep.MacAddress == tmpl.NetworkSettings.Networks[net].MacAddress || ep.IPAddress == tmpl.NetworkSettings.Networks[net].IPAddress {
			t.Errorf("%s: MAC/IP %s/%s copied from the template", r.Name, ep.MacAddress, ep.IPAddress)
		}
		if got, want := volumeAt(r, "/data"), volumeAt(tmpl, "/data"); got == "" || got == want {
			t.Errorf("%s: /data volume %q, want a fresh anonymous volume (template's is %q)", r.Name, got, want)
		}
		if got, want := volumeAt(r, "/shared"), volumeAt(tmpl, "/shared"); got != want {
			t.Errorf("%s: /shared volume %q, want the named volume %q", r.Name, got, want)
		}
		if r.Config.StopTimeout != nil || tmpl.Config.StopTimeout != nil {
			if r.Config.StopTimeout == nil || tmpl.Config.StopTimeout == nil || *r.Config.StopTimeout != *tmpl.Config.StopTimeout {
				t.Errorf("%s: stop timeout %v, want the template's %v", r.Name, r.Config.StopTimeout, tmpl.Config.StopTimeout)
			}
		}
	}
}

func volumeAt(ins container.InspectResponse, dst string) string {
	for _, m := range ins.Mounts {
		if m.Destination == dst && m.Type == mount.TypeVolume {
			return m.Name
		}
	}
	return ""
}

// checkResolves checks that, from another container of the project, the
// service name resolves to the address of every replica and nothing else.
func checkResolves(t *testing.T, c *Client, p *project, reps []container.InspectResponse) {
	t.Helper()
	net := p.name + "_default"
	var want []string
	for _, r := range reps {
		want = append(want, r.NetworkSettings.Networks[net].IPAddress)
	}
	slices.Sort(want)
	from := p.replicas("idle")[0].ID
	var got []string
	// The engine's DNS follows endpoint changes at once; allow it a moment.
	for try := 0; try < 20; try++ {
		out, code := execIn(t, c, from, "/sbapp", "resolve", "web")
		got = strings.Fields(out)
		if code == 0 && slices.Equal(got, want) {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Errorf("web resolves to %v from idle, want every replica: %v", got, want)
}
