package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/demo"
	"github.com/scalebench/scalebench/internal/dockerctl"
	"github.com/scalebench/scalebench/internal/results"
)

// stackCompose is the demo as a stack file for docker stack deploy. The
// services use the host's network so the api listens on loopback only;
// the models reach it there and serve no health port (LISTEN=off).
const stackCompose = `version: "3.8"
services:
  api:
    image: ${SBSTACK_IMAGE}
    command: ["api"]
    environment: {LISTEN: "127.0.0.1:${SBSTACK_PORT}", API_MODE: pool, API_WORKERS: "4"}
    networks: [hostnet]
  model:
    image: ${SBSTACK_IMAGE}
    command: ["model"]
    environment: {API_URL: "http://127.0.0.1:${SBSTACK_PORT}", LISTEN: "off", MODEL_SERVICE_TIME: 40ms}
    networks: [hostnet]
    deploy: {replicas: 1}
networks:
  hostnet:
    external: true
    name: host
`

// TestStackWithAgents deploys the demo with docker stack deploy on the
// single-node swarm and runs a matrix that scales its model service as
// swarm: {stack, service}, the load coming from two load agents: every
// cell is whole, the stack's containers were watched, the scale restored.
func TestStackWithAgents(t *testing.T) {
	ctx := context.Background()
	dc := dockerEngine(t)
	name := fmt.Sprintf("sbstack%d", time.Now().UnixNano()%1e6)
	module, _ := filepath.Abs("../..")
	bin, err := demo.BuildApp(ctx, module, t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	img := name + ":latest"
	if err := dc.BuildScratchImage(ctx, img, bin, nil, nil); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	file := filepath.Join(t.TempDir(), "compose.yaml")
	if err := os.WriteFile(file, []byte(stackCompose), 0o644); err != nil {
		t.Fatal(err)
	}
	docker := func(args ...string) error {
		cmd := exec.Command("docker", args...)
		cmd.Env = append(os.Environ(), "SBSTACK_IMAGE="+img, fmt.Sprintf("SBSTACK_PORT=%d", port))
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	t.Cleanup(func() {
		if err := docker("stack", "rm", name); err != nil {
			t.Error(err)
		}
		for i := 0; i < 60 && dc.HasImage(ctx, img); i++ {
			if dc.RemoveImage(ctx, img) == nil && !dc.HasImage(ctx, img) {
				break
			}
			time.Sleep(time.Second)
		}
	})
	swarmManager(t)
	if err := docker("stack", "deploy", "--resolve-image", "never", "-c", file, name); err != nil {
		t.Fatal(err)
	}
	target := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHTTP(t, target+"/health", time.Minute)

	src := fmt.Sprintf(`name: e2e
target: %s
swarm: {stack: %s, service: model}
agents: {swarm: {replicas: 2}}
scenario:
  requests:
    - {name: index, path: /}
    - {name: predict, method: POST, path: /predict, weight: 3, json: "{}"}
defaults: {spawn_rate: 20, warmup: 0s, settle: 1s, cooldown: 0s}
runs:
  - {name: r, scale: [2, 1], users: [4], duration: 3s}
`, target, name)
	path := filepath.Join(t.TempDir(), "e2e.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"run", "--no-report", "--out", out, path}, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	set, err := results.ReadSet(onlyRunDir(t, out))
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Cells) != 2 {
		t.Fatalf("%d cells, want 2", len(set.Cells))
	}
	for _, c := range set.Cells {
		if c.Status != results.CellOK || c.Load == nil {
			t.Errorf("%s: %s %s", c.Cell.ID, c.Status, c.Error)
			continue
		}
		if len(c.Replicas) != c.Cell.Scale {
			t.Errorf("%s: %d replicas, want %d", c.Cell.ID, len(c.Replicas), c.Cell.Scale)
		}
		var sum int64
		for _, a := range c.Load.Agents {
			sum += a.Requests
			if a.Status != results.AgentOK || a.Users != 2 {
				t.Errorf("%s: agent %+v", c.Cell.ID, a)
			}
		}
		if len(c.Load.Agents) != 2 || sum != c.Load.Total.Requests || sum == 0 {
			t.Errorf("%s: %d agents, %d requests, merged %d", c.Cell.ID, len(c.Load.Agents), sum, c.Load.Total.Requests)
		}
		services := map[string]bool{}
		for _, cs := range c.Containers {
			if len(cs.Samples) > 0 {
				services[cs.Service] = true
			}
		}
		if !services[name+"_api"] || !services[name+"_model"] {
			t.Errorf("%s: container stats for %v, want the stack's api and model", c.Cell.ID, services)
		}
	}
	if set.Run.OriginalScale != 1 || set.Run.Status != results.StatusComplete {
		t.Errorf("run: status %s, original scale %d", set.Run.Status, set.Run.OriginalScale)
	}
	s, err := dc.SwarmIn(ctx, name, "model", dockerctl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if reps, err := s.Replicas(ctx); err != nil || len(reps) != 1 {
		t.Errorf("after the run the model has %d replicas (%v), want the original 1", len(reps), err)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func waitHTTP(t *testing.T, url string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer 200 within %s: %v", url, within, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// swarmManager makes the engine a single-node swarm manager on 127.0.0.1
// when it is not in a swarm yet, as dockerctl's tests do, and leaves it so.
func swarmManager(t *testing.T) {
	t.Helper()
	out, err := exec.Command("docker", "info", "--format", "{{.Swarm.LocalNodeState}}").Output()
	if err != nil {
		t.Fatalf("docker info: %v", err)
	}
	switch state := strings.TrimSpace(string(out)); state {
	case "active":
		return
	case "inactive":
	default:
		t.Skipf("SKIPPED: engine's swarm state is %q", state)
	}
	if out, err := exec.Command("docker", "swarm", "init", "--advertise-addr", "127.0.0.1", "--listen-addr", "127.0.0.1:2377").CombinedOutput(); err != nil && !strings.Contains(string(out), "already part of a swarm") {
		t.Fatalf("docker swarm init: %v\n%s", err, out)
	}
}
