package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/scalebench/scalebench/internal/results"
)

// TestTargetKilledMidCell: the container that receives the load is killed
// a few seconds into a cell. The cell is saved degraded, with the cause and
// the window, never ok.
func TestTargetKilledMidCell(t *testing.T) {
	dc, stack, _ := e2eStack(t)
	path := e2eMatrix(t, stack, "{spawn_rate: 20, warmup: 0s, settle: 0s, cooldown: 0s}",
		"{name: r, scale: [1], users: [4], duration: 8s}", "2s")

	killed := make(chan error, 1)
	go func() {
		// Once the api has served some of the load, kill it.
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			var h struct{ Served int64 }
			if resp, err := http.Get(stack.URL + "/health"); err == nil {
				json.NewDecoder(resp.Body).Decode(&h)
				resp.Body.Close()
			}
			if h.Served >= 5 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		ctx := context.Background()
		cs, err := dc.API().ContainerList(ctx, container.ListOptions{Filters: filters.NewArgs(
			filters.Arg("label", "com.docker.compose.project="+stack.Project),
			filters.Arg("label", "com.docker.compose.service=api"))})
		if err != nil || len(cs) != 1 {
			killed <- fmt.Errorf("find the api container: %v (%d found)", err, len(cs))
			return
		}
		killed <- dc.API().ContainerKill(ctx, cs[0].ID, "KILL")
	}()

	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"run", "--out", out, "--no-report", path}, &stdout, &stderr)
	if kerr := <-killed; kerr != nil {
		t.Fatalf("kill the api: %v", kerr)
	}
	set, rerr := results.ReadSet(onlyRunDir(t, out))
	if rerr != nil {
		t.Fatalf("run: %v; read results: %v\n%s\n%s", err, rerr, stdout.String(), stderr.String())
	}
	c := set.Cell("r-s1-u4-r1")
	if c == nil {
		t.Fatalf("no cell saved (run: %v)\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if c.Status != results.CellDegraded || c.Fault == nil {
		t.Fatalf("cell %s %q; want degraded with a fault\n%s", c.Status, c.Error, stdout.String())
	}
	if !strings.Contains(c.Fault.Cause, "refused") && !strings.Contains(c.Fault.Cause, "died") {
		t.Errorf("cause %q names neither the refusals nor the dead container", c.Fault.Cause)
	}
	if c.Fault.To <= 0 || c.Fault.To > c.Load.Elapsed+time.Second {
		t.Errorf("fault window %v…%v outside the %v load", c.Fault.From, c.Fault.To, c.Load.Elapsed)
	}
	if !strings.Contains(stdout.String(), "1 degraded") {
		t.Errorf("the summary does not count the degraded cell:\n%s", stdout.String())
	}
}
