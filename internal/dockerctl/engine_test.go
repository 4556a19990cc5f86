package dockerctl

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/pkg/stdcopy"
)

// engine connects to the Docker engine or skips the test, loudly: in CI an
// engine is always running, so a skip there is a broken setup.
func engine(t *testing.T) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := Connect(ctx)
	if err != nil {
		t.Skipf("SKIPPED, NO DOCKER ENGINE: %v\n(these tests need a real engine: start dockerd, or set DOCKER_HOST)", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// uniqueName returns prefix followed by 8 random hex digits: a project name
// no other test or person uses.
func uniqueName(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

// testImage builds testdata/sbapp as a static binary and an image FROM
// scratch holding it at /sbapp; the image is removed when the test ends.
func testImage(t *testing.T, c *Client) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sbapp")
	cmd := exec.Command("go", "build", "-o", bin, "./testdata/sbapp")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/sbapp: %v\n%s", err, out)
	}
	tag := uniqueName(t, "sbtest-img-") + ":latest"
	ctx := context.Background()
	if err := c.BuildScratch(ctx, ScratchImage{
		Tag: tag, Files: map[string]string{"/sbapp": bin}, Entrypoint: []string{"/sbapp"},
		Labels: map[string]string{"scalebench.test": "dockerctl"},
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.RemoveImage(context.Background(), tag); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	return tag
}

// project is one compose project started by the real docker-compose.
type project struct {
	t    *testing.T
	c    *Client
	name string
	file string
	env  []string
}

// composeUp starts the compose file testdata/compose/<file> as a new
// project with `docker-compose up -d`, with env (KEY=value) for variable
// substitution. The project is taken down and purged when the test ends,
// even when it fails.
func composeUp(t *testing.T, c *Client, file string, env ...string) *project {
	t.Helper()
	if _, err := exec.LookPath("docker-compose"); err != nil {
		t.Skipf("SKIPPED, NO docker-compose: %v (install Debian's docker-compose)", err)
	}
	p := &project{t: t, c: c, name: uniqueName(t, "sbtest"), file: filepath.Join("testdata", "compose", file), env: env}
	t.Cleanup(p.purge)
	p.compose("up", "-d")
	return p
}

// compose runs docker-compose on the project and returns its stdout.
func (p *project) compose(args ...string) string {
	p.t.Helper()
	out, err := p.composeErr(args...)
	if err != nil {
		p.t.Fatalf("docker-compose %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// composeAll runs docker-compose on the project and returns its stdout and
// stderr (where compose v1 reports progress).
func (p *project) composeAll(args ...string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker-compose", append([]string{"-p", p.name, "-f", p.file}, args...)...)
	cmd.Env = append(os.Environ(), p.env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		p.t.Fatalf("docker-compose %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (p *project) composeErr(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker-compose", append([]string{"-p", p.name, "-f", p.file}, args...)...)
	cmd.Env = append(os.Environ(), p.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}

// purge takes the project down and removes whatever is left of it:
// containers, networks and volumes labelled with its name.
func (p *project) purge() {
	if out, err := p.composeErr("down", "-v", "--remove-orphans", "-t", "1"); err != nil {
		p.t.Logf("cleanup: docker-compose down: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	api := p.c.api
	label := filters.NewArgs(filters.Arg("label", LabelProject+"="+p.name))
	ctrs, _ := api.ContainerList(ctx, container.ListOptions{All: true, Filters: label})
	for _, ct := range ctrs {
		if err := api.ContainerRemove(ctx, ct.ID, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			p.t.Logf("cleanup: remove %s: %v", containerName(ct), err)
		}
	}
	nets, _ := api.NetworkList(ctx, network.ListOptions{Filters: label})
	for _, n := range nets {
		api.NetworkRemove(ctx, n.ID)
	}
	vols, _ := api.VolumeList(ctx, volume.ListOptions{Filters: label})
	for _, v := range vols.Volumes {
		api.VolumeRemove(ctx, v.Name, true)
	}
}

// containers lists the project's containers of service (any state,
// one-offs included) by name.
func (p *project) containers(service string) []container.InspectResponse {
	p.t.Helper()
	ctx := context.Background()
	f := filters.NewArgs(filters.Arg("label", LabelProject+"="+p.name))
	if service != "" {
		f.Add("label", LabelService+"="+service)
	}
	ctrs, err := p.c.api.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		p.t.Fatal(err)
	}
	var out []container.InspectResponse
	for _, ct := range ctrs {
		ins, err := p.c.api.ContainerInspect(ctx, ct.ID)
		if err != nil {
			p.t.Fatal(err)
		}
		out = append(out, ins)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// replicas is containers(service) without one-offs.
func (p *project) replicas(service string) []container.InspectResponse {
	p.t.Helper()
	var out []container.InspectResponse
	for _, ins := range p.containers(service) {
		if ins.Config.Labels[LabelOneoff] == "False" {
			out = append(out, ins)
		}
	}
	return out
}

func (p *project) service(service string, opts Options) *ComposeService {
	p.t.Helper()
	s, err := p.c.Compose(context.Background(), p.name, service, opts)
	if err != nil {
		p.t.Fatal(err)
	}
	return s
}

// ids returns the containers' IDs, sorted.
func ids(ctrs []container.InspectResponse) []string {
	var out []string
	for _, c := range ctrs {
		out = append(out, c.ID)
	}
	slices.Sort(out)
	return out
}

// exec runs cmd in a running container and returns its stdout and exit code.
func execIn(t *testing.T, c *Client, id string, cmd ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ex, err := c.api.ContainerExecCreate(ctx, id, container.ExecOptions{Cmd: cmd, AttachStdout: true, AttachStderr: true})
	if err != nil {
		t.Fatal(err)
	}
	att, err := c.api.ContainerExecAttach(ctx, ex.ID, container.ExecAttachOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer att.Close()
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, att.Reader); err != nil && err != io.EOF {
		t.Fatal(err)
	}
	insp, err := c.api.ContainerExecInspect(ctx, ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	if insp.ExitCode != 0 {
		t.Logf("exec %v in %s: exit %d: %s", cmd, shortID(id), insp.ExitCode, stderr.String())
	}
	return stdout.String(), insp.ExitCode
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
