package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"

	"github.com/scalebench/scalebench/internal/demo"
	"github.com/scalebench/scalebench/internal/dockerctl"
	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/runner"
)

// e2eStack starts a demo stack under a unique project and returns it with
// a matrix file that scales its model service 2 scales × 2 users × 3 s.
// Everything is removed when the test ends, and the test checks that
// nothing of the project is left behind.
func e2eStack(t *testing.T) (dc *dockerctl.Client, stack *demo.Stack, matrixPath string) {
	t.Helper()
	ctx := context.Background()
	dc = dockerEngine(t)
	b := make([]byte, 4)
	rand.Read(b)
	project := "sbe2e" + hex.EncodeToString(b)
	module, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	stack, err = demo.Up(ctx, demo.StackOptions{Docker: dc, Project: project, ModuleDir: module, Models: 1})
	if err != nil {
		t.Fatalf("demo stack: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := stack.Down(ctx); err != nil {
			t.Errorf("stack down: %v", err)
		}
		if left := leftovers(ctx, dc, project, stack.Image); len(left) > 0 {
			t.Errorf("left behind after the test: %v", left)
		}
	})
	matrixPath = e2eMatrix(t, stack, "{spawn_rate: 20, warmup: 0s, settle: 0s, cooldown: 0s}",
		"{name: r, scale: [2, 3], users: [2, 4], duration: 3s}", "")
	return dc, stack, matrixPath
}

// e2eMatrix writes a matrix that loads stack's api with the demo's mix
// (predict with timeout, when given) and scales its model service, with
// the given defaults and one run.
func e2eMatrix(t *testing.T, stack *demo.Stack, defaults, run, timeout string) string {
	t.Helper()
	img, err := filepath.Abs("../../experiments/demo/image.jpeg")
	if err != nil {
		t.Fatal(err)
	}
	if timeout != "" {
		timeout = ", timeout: " + timeout
	}
	src := fmt.Sprintf(`name: e2e
target: %s
compose: {project: %s, service: model}
scenario:
  requests:
    - {name: index, path: /}
    - {name: predict, method: POST, path: /predict, weight: 3, form: {file: "@%s"}, expect: {status: [200]}%s}
defaults: %s
runs:
  - %s
`, stack.URL, stack.Project, img, timeout, defaults, run)
	path := filepath.Join(t.TempDir(), "e2e.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// leftovers lists the containers, networks and images of project that exist.
func leftovers(ctx context.Context, dc *dockerctl.Client, project, img string) []string {
	var left []string
	f := filters.NewArgs(filters.Arg("label", "com.docker.compose.project="+project))
	cs, _ := dc.API().ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	for _, c := range cs {
		left = append(left, "container "+strings.Join(c.Names, ","))
	}
	ns, _ := dc.API().NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("name", project))})
	for _, n := range ns {
		left = append(left, "network "+n.Name)
	}
	if img != "" {
		is, _ := dc.API().ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("reference", img))})
		for _, i := range is {
			left = append(left, "image "+strings.Join(i.RepoTags, ","))
		}
	}
	return left
}

func replicas(t *testing.T, dc *dockerctl.Client, project string) int {
	t.Helper()
	s, err := dc.Compose(context.Background(), project, "model", dockerctl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := s.Replicas(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(rs)
}

func onlyRunDir(t *testing.T, out string) string {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(out, "e2e-*"))
	if len(dirs) != 1 {
		t.Fatalf("want one run directory in %s, found %v", out, dirs)
	}
	return dirs[0]
}

// TestEndToEnd runs a matrix against the demo stack through the whole
// command: cells saved with the replicas that served them, the original
// scale restored.
func TestEndToEnd(t *testing.T) {
	dc, stack, path := e2eStack(t)
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	if err := run(ctx, []string{"run", path, "--out", out}, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	// main ends the signal context after run returns: nothing was
	// interrupted, so nothing may say so.
	cancel()
	time.Sleep(100 * time.Millisecond)
	if strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("a finished run says it was interrupted:\n%s", stderr.String())
	}
	set, err := results.ReadSet(onlyRunDir(t, out))
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Cells) != 4 {
		t.Fatalf("%d cells, want 4", len(set.Cells))
	}
	for _, c := range set.Cells {
		if c.Status != results.CellOK {
			t.Errorf("%s: %s %s", c.Cell.ID, c.Status, c.Error)
			continue
		}
		if len(c.Replicas) != c.Cell.Scale {
			t.Errorf("%s: %d replicas recorded, want %d", c.Cell.ID, len(c.Replicas), c.Cell.Scale)
		}
		for _, r := range c.Replicas {
			if !strings.Contains(r.Name, stack.Project) || r.State != "running" {
				t.Errorf("%s: replica %+v", c.Cell.ID, r)
			}
		}
		if c.Load.Steady.Requests == 0 || c.Load.Total.Failures != 0 {
			t.Errorf("%s: steady requests %d, failures %d", c.Cell.ID, c.Load.Steady.Requests, c.Load.Total.Failures)
		}
		services := map[string]bool{}
		for _, cs := range c.Containers {
			if len(cs.Samples) > 0 {
				services[cs.Service] = true
			}
		}
		if !services["api"] || !services["model"] {
			t.Errorf("%s: container stats for %v, want api and model", c.Cell.ID, services)
		}
		if h := c.Host; h == nil || h.CPUs < 1 || len(h.Samples) < 2 {
			t.Errorf("%s: host CPU %+v, want a sample a second of the 3 s load", c.Cell.ID, h)
		}
	}
	// Beside each cell's JSON, its Locust files and interval log; per run
	// the tidy CSV, with the CPU and memory of both services.
	for _, c := range set.Cells {
		for _, suffix := range []string{runner.StatsSuffix, runner.HistorySuffix, runner.FailuresSuffix, runner.HlogSuffix} {
			if st, err := os.Stat(runner.CellFile(set.Dir, c.Cell.ID, suffix)); err != nil || st.Size() == 0 {
				t.Errorf("cell %s: %s missing or empty (%v)", c.Cell.ID, suffix, err)
			}
		}
	}
	tidy, err := os.ReadFile(filepath.Join(set.Dir, results.TidyFile))
	if header, _, _ := strings.Cut(string(tidy), "\n"); err != nil || !strings.Contains(header, ",cpu_pct_api,mem_mib_api,cpu_pct_model,mem_mib_model") {
		t.Errorf("results.csv header %q (%v), want CPU and memory of api and model", header, err)
	}
	if top := set.Run.Topology; top == nil || top.Entry != "api" || len(top.Services) != 2 ||
		top.Services[0].Name != "api" || top.Services[1].Name != "model" || top.Services[1].Replicas != 1 {
		t.Errorf("run topology %+v, want api (the entry) and model at 1 replica", top)
	}
	if tool := set.Run.Tool; tool.Module != modulePath || tool.GoVersion == "" {
		t.Errorf("run.json tool %+v, want module %s and a Go version", tool, modulePath)
	}
	if set.Run.Engine != nil && set.Run.Engine.Name == "" {
		t.Error("run: engine without a name")
	}
	if set.Run.Status != results.StatusComplete || set.Run.OriginalScale != 1 || set.Run.Engine == nil {
		t.Errorf("run: status %s, original %d, engine %v", set.Run.Status, set.Run.OriginalScale, set.Run.Engine)
	}
	if n := replicas(t, dc, stack.Project); n != 1 {
		t.Errorf("after the run the model has %d replicas, want the original 1", n)
	}
	if !strings.Contains(stdout.String(), "suite overhead:") {
		t.Errorf("no overhead line in:\n%s", stdout.String())
	}
}

// buildBinary builds scalebench for the signal tests.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "scalebench")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startRun starts `scalebench run` and waits until n cells are saved.
func startRun(t *testing.T, bin, out, path string, n int) (*exec.Cmd, *bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	cmd := exec.Command(bin, "run", "--out", out, "--no-report", path)
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if files, _ := filepath.Glob(filepath.Join(out, "e2e-*", "cells", "*.json")); len(files) >= n {
			return cmd, &buf, onlyRunDir(t, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Fatalf("no %d cells saved within 2 minutes:\n%s", n, buf.String())
	return nil, nil, ""
}

// TestInterruptAndKill: SIGINT mid-suite exits 130 with the original scale
// restored; SIGKILL mid-suite, then --resume, completes the same cell set.
func TestInterruptAndKill(t *testing.T) {
	dc, stack, path := e2eStack(t)
	bin := buildBinary(t)

	t.Run("SIGINT restores the scale", func(t *testing.T) {
		out := t.TempDir()
		cmd, buf, dir := startRun(t, bin, out, path, 1)
		time.Sleep(500 * time.Millisecond) // into the next cell's load
		cmd.Process.Signal(syscall.SIGINT)
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitAborted {
			t.Fatalf("exit: %v, want code %d\n%s", err, exitAborted, buf.String())
		}
		if n := replicas(t, dc, stack.Project); n != 1 {
			t.Errorf("after SIGINT the model has %d replicas, want the original 1\n%s", n, buf.String())
		}
		set, err := results.ReadSet(dir)
		if err != nil {
			t.Fatal(err)
		}
		if set.Run.Status != results.StatusAborted || !strings.Contains(buf.String(), "--resume") {
			t.Errorf("run status %s; output:\n%s", set.Run.Status, buf.String())
		}
	})

	t.Run("SIGKILL then resume", func(t *testing.T) {
		out := t.TempDir()
		cmd, buf, dir := startRun(t, bin, out, path, 2)
		cmd.Process.Kill()
		cmd.Wait()
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), []string{"run", "--resume", dir, "--no-report", path}, &stdout, &stderr); err != nil {
			t.Fatalf("resume: %v\n%s\n%s\nfirst attempt:\n%s", err, stdout.String(), stderr.String(), buf.String())
		}
		set, err := results.ReadSet(dir)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := matrix.Load(path)
		var got, want []string
		for _, c := range set.Cells {
			got = append(got, c.Cell.ID+":"+string(c.Status))
		}
		for _, c := range m.Cells() {
			want = append(want, c.ID+":ok")
		}
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("after resume: %v, want %v", got, want)
		}
		if n := replicas(t, dc, stack.Project); n != 1 {
			t.Errorf("after resume the model has %d replicas, want the original 1", n)
		}
	})
}

// dockerEngine connects to the Docker engine for an end-to-end test, closed
// when the test ends. The test is skipped under -short and where no engine
// answers.
func dockerEngine(t *testing.T) *dockerctl.Client {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test with a Docker engine; skipped in -short")
	}
	dc, err := dockerctl.Connect(context.Background())
	if err != nil {
		t.Skipf("SKIPPING end-to-end test: NO DOCKER ENGINE: %v", err)
	}
	t.Cleanup(func() { dc.Close() })
	return dc
}
