package runner

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

func TestFaults(t *testing.T) {
	load := func(requests int64, groups ...results.ErrorGroup) *results.Load {
		return &results.Load{Elapsed: 10 * time.Second, Total: results.Stats{Requests: requests}, Errors: groups}
	}
	refused := func(n int64, from, to time.Duration) results.ErrorGroup {
		return results.ErrorGroup{Class: results.ClassRefused, Message: "connection refused", Count: n, First: from, Last: to}
	}
	tests := []struct {
		name     string
		cell     results.Cell
		afterErr error
		changed  string
		want     []string // substrings of the merged cause; none: no fault
		from, to time.Duration
	}{
		{"clean", results.Cell{Load: load(1000)}, nil, "", nil, 0, 0},
		{"a stray reset is no outage", results.Cell{Load: load(1000,
			results.ErrorGroup{Class: results.ClassReset, Count: 2, First: time.Second, Last: time.Second})}, nil, "", nil, 0, 0},
		{"timeouts are overload, not an outage", results.Cell{Load: load(1000,
			results.ErrorGroup{Class: results.ClassTimeout, Count: 400, First: time.Second, Last: 9 * time.Second})}, nil, "", nil, 0, 0},
		{"refusals in a burst", results.Cell{Load: load(1000, refused(300, 4*time.Second, 9*time.Second))}, nil, "",
			[]string{"the target refused 300 connections from 4 s to 9 s of the load (30% of its requests)"}, 4 * time.Second, 9 * time.Second},
		{"engine gone", results.Cell{Load: load(1000)}, errors.New("Cannot connect to the Docker daemon"), "",
			[]string{"the replicas could not be listed after the load", "Cannot connect"}, 0, 0},
		{"replicas changed", results.Cell{Load: load(1000)}, nil, "before a, after b",
			[]string{"the replicas changed during the load: before a, after b"}, 0, 0},
		{"a container died", results.Cell{Load: load(1000, refused(50, 3*time.Second, 8*time.Second)),
			Containers: []results.ContainerSeries{{Service: "api", Name: "p_api_1",
				Events: []results.ContainerEvent{{T: 3 * time.Second, Action: "die", ExitCode: 137}}}}}, nil, "",
			[]string{"the target refused 50 connections", "container p_api_1 of api died 3 s into the load (exit 137)"}, 3 * time.Second, 8 * time.Second},
		{"restarted and OOM-killed", results.Cell{Load: load(1000),
			Containers: []results.ContainerSeries{{Service: "model", Name: "p_model_2", Restarts: 1, OOMKilled: true}}}, nil, "",
			[]string{"container p_model_2 of model died during the load (OOM-killed, restarted 1×)"}, 0, 0},
		{"a die before the load is not this cell's", results.Cell{Load: load(1000),
			Containers: []results.ContainerSeries{{Service: "api", Name: "p_api_1",
				Events: []results.ContainerEvent{{T: -5 * time.Second, Action: "die"}}}}}, nil, "", nil, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := merged(faults(&tt.cell, tt.afterErr, tt.changed))
			if len(tt.want) == 0 {
				if f != nil {
					t.Fatalf("fault %+v, want none", f)
				}
				return
			}
			if f == nil {
				t.Fatalf("no fault, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(f.Cause, w) {
					t.Errorf("cause %q lacks %q", f.Cause, w)
				}
			}
			if f.From != tt.from || f.To != tt.to {
				t.Errorf("window %v…%v, want %v…%v", f.From, f.To, tt.from, tt.to)
			}
		})
	}
}

// goneScaler stops answering once the load has run: the engine went away.
type goneScaler struct {
	*fakeScaler
	gone *bool
}

func (g goneScaler) Replicas(ctx context.Context) ([]results.Replica, error) {
	if *g.gone {
		return nil, errors.New("Cannot connect to the Docker daemon at unix:///var/run/docker.sock")
	}
	return g.fakeScaler.Replicas(ctx)
}

func TestEngineGoneDegradesCell(t *testing.T) {
	sc := newFakeScaler(1)
	r := newTestRunner(t, sc)
	gone := false
	r.Scaler = goneScaler{sc, &gone}
	r.Only = func(c matrix.Cell) bool { return c.ID == "r1-s1-u1-r1" }
	r.Load = func(ctx context.Context, cfg load.Config) (*results.Load, bool, error) {
		rec, aborted, err := fakeLoad(ctx, cfg)
		gone = true
		return rec, aborted, err
	}
	s, err := r.Run(context.Background())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if s.Degraded != 1 || s.Done != 0 {
		t.Errorf("summary: %d degraded, %d done; want 1 degraded", s.Degraded, s.Done)
	}
	set, _ := results.ReadSet(s.Dir)
	c := set.Cell("r1-s1-u1-r1")
	if c.Status != results.CellDegraded || c.Fault == nil || !strings.Contains(c.Error, "could not be listed after the load") || c.Load == nil {
		t.Errorf("cell %s %q fault %+v (load kept: %v); want degraded, its record kept", c.Status, c.Error, c.Fault, c.Load != nil)
	}
}

func TestChangedReplicasDegradeCell(t *testing.T) {
	sc := newFakeScaler(1)
	r := newTestRunner(t, sc)
	r.Only = func(c matrix.Cell) bool { return c.ID == "r1-s1-u1-r1" }
	r.Load = func(ctx context.Context, cfg load.Config) (*results.Load, bool, error) {
		sc.mu.Lock()
		sc.replicas[0].ID = "replaced" // the replica was recreated mid-load
		sc.mu.Unlock()
		return fakeLoad(ctx, cfg)
	}
	s, _ := r.Run(context.Background())
	set, _ := results.ReadSet(s.Dir)
	if c := set.Cell("r1-s1-u1-r1"); c.Status != results.CellDegraded || !strings.Contains(c.Error, "the replicas changed during the load") {
		t.Errorf("cell %s %q; want degraded: replicas changed", c.Status, c.Error)
	}
}
