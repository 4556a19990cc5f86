package dockerctl

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"

	"github.com/scalebench/scalebench/internal/agents"
	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// agentImageForTest builds the agent image from a static build of
// cmd/scalebench; it is removed when the test ends.
func agentImageForTest(t *testing.T, c *Client) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "scalebench")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/scalebench")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/scalebench: %v\n%s", err, out)
	}
	tag := uniqueName(t, "sbtest-agent-") + ":latest"
	ctx := ctxTimeout(t, 2*time.Minute)
	if err := c.BuildAgentImage(ctx, tag, bin); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.RemoveImage(context.Background(), tag) })
	return tag
}

// loopbackTarget serves GET / on 127.0.0.1 after a 5 ms pause and counts
// the requests it answered.
func loopbackTarget(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Millisecond)
		n.Add(1)
		w.Write([]byte("ok"))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String(), &n
}

// TestAgentsOnSwarm runs a cell on three load agents of a single-node swarm,
// on the host's network so they reach a loopback target, and kills one of
// them mid-cell: the cell holds the two others' requests exactly, names
// the dead one, and no agent service is left behind.
func TestAgentsOnSwarm(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: builds scalebench and starts Swarm tasks")
	}
	c := engine(t)
	swarmManager(t, c)
	image := agentImageForTest(t, c)
	target, served := loopbackTarget(t)

	fleet := c.Agents(image)
	co := &agents.Coordinator{Fleet: fleet, Agents: matrix.Agents{Replicas: 3}, StartDelay: 5 * time.Second, ReportGrace: 10 * time.Second, Logf: t.Logf}
	cell := matrix.Cell{ID: uniqueName(t, "agents-e2e-"), Mode: matrix.Closed, Users: 6, Duration: 5 * time.Second, Warmup: time.Second}
	cfg := load.Config{Target: target, Scenario: matrix.Scenario{Requests: []matrix.Request{{Name: "index", Method: "GET", Path: "/", Weight: 1, Timeout: 5 * time.Second}}}, Cell: cell}

	// Kill agent 2 two seconds into the load.
	killed := make(chan string, 1)
	ctx := ctxTimeout(t, 2*time.Minute)
	go func() {
		time.Sleep(7 * time.Second)
		list, err := c.api.ContainerList(ctx, container.ListOptions{Filters: filters.NewArgs(filters.Arg("label", LabelAgents+"="+cell.ID))})
		if err != nil {
			killed <- "list: " + err.Error()
			return
		}
		for _, ct := range list {
			if strings.Contains(ct.Labels[LabelSwarmTaskName], ".2.") {
				if err := c.api.ContainerKill(ctx, ct.ID, "KILL"); err != nil {
					killed <- "kill: " + err.Error()
					return
				}
				killed <- ct.Labels[LabelSwarmTaskName]
				return
			}
		}
		killed <- "agent 2's container not found among " + strings.Repeat("x", len(list))
	}()
	before := served.Load()
	rec, aborted, err := co.Load(ctx, cfg)
	t.Logf("killed: %s", <-killed)
	if err != nil || aborted {
		t.Fatalf("Load: aborted %v, %v", aborted, err)
	}
	if len(rec.Agents) != 3 {
		t.Fatalf("%d agents in the breakdown, want 3: %+v", len(rec.Agents), rec.Agents)
	}
	for i, a := range rec.Agents {
		t.Logf("%s: %s %s, %d requests, %.0f rps, offset %s", a.Name, a.Status, a.Error, a.Requests, a.RPS, a.ClockOffset)
		want := results.AgentOK
		if i == 1 {
			want = results.AgentFailed
		}
		if a.Status != want || a.Users != 2 {
			t.Errorf("%s: status %s with %d users, want %s with 2", a.Name, a.Status, a.Users, want)
		}
	}
	ok := rec.Agents[0].Requests + rec.Agents[2].Requests
	if rec.Total.Requests != ok || ok == 0 {
		t.Errorf("merged %d requests, the two live agents sent %d", rec.Total.Requests, ok)
	}
	if total := served.Load() - before; rec.Total.Requests > total {
		t.Errorf("merged %d requests but the target answered %d", rec.Total.Requests, total)
	}
	var series int64
	for _, s := range rec.Series {
		series += s.Requests
	}
	if series != rec.Total.Requests || rec.Total.Latency.P50 < 5*time.Millisecond {
		t.Errorf("series sum %d, total %d, p50 %s", series, rec.Total.Requests, rec.Total.Latency.P50)
	}
	svcs, err := c.api.ServiceList(ctx, swarmListOpts(LabelAgents+"="+cell.ID))
	if err != nil || len(svcs) != 0 {
		t.Errorf("agent services left after the cell: %d (%v)", len(svcs), err)
	}
}

func swarmListOpts(label string) swarm.ServiceListOptions {
	return swarm.ServiceListOptions{Filters: filters.NewArgs(filters.Arg("label", label))}
}
