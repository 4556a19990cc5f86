package runner

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/results"
)

// topoScaler is a fakeScaler that can tell its topology.
type topoScaler struct {
	*fakeScaler
	calls   int
	targets []string
	err     error
}

func (s *topoScaler) Topology(ctx context.Context, target *url.URL) (*results.Topology, error) {
	s.calls++
	s.targets = append(s.targets, target.String())
	if s.err != nil {
		return nil, s.err
	}
	return &results.Topology{Entry: "api", Services: []results.TopologyService{
		{Name: "api", Replicas: 1, Published: []int{9}},
		{Name: "svc", Replicas: s.n},
	}}, nil
}

func TestRunnerRecordsTopology(t *testing.T) {
	t.Run("recorded when the run starts", func(t *testing.T) {
		sc := &topoScaler{fakeScaler: newFakeScaler(2)}
		r := newTestRunner(t, sc.fakeScaler)
		r.Scaler = sc
		r.Target = "http://127.0.0.1:8123/"
		var started *results.Run
		r.Load = func(ctx context.Context, cfg load.Config) (*results.Load, bool, error) {
			if started == nil {
				run, err := results.ReadRun(onlyDir(t, r.Out))
				if err != nil {
					t.Fatal(err)
				}
				started = run
			}
			return fakeLoad(ctx, cfg)
		}
		s, err := r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if sc.calls != 1 || sc.targets[0] != "http://127.0.0.1:8123/" {
			t.Errorf("Topology called %d times with %v, want once with the target", sc.calls, sc.targets)
		}
		top := s.Run.Topology
		if top == nil || top.Entry != "api" || len(top.Services) != 2 || top.Services[1].Replicas != 2 {
			t.Errorf("run.json topology %+v, want the one read at the start (svc at its original 2 replicas)", top)
		}
		if started == nil || started.Topology == nil {
			t.Error("run.json written at the start has no topology")
		}
		if len(s.Run.Warnings) != 0 {
			t.Errorf("warnings %q", s.Run.Warnings)
		}
	})
	t.Run("failure is a warning", func(t *testing.T) {
		sc := &topoScaler{fakeScaler: newFakeScaler(1), err: errors.New("engine went away")}
		r := newTestRunner(t, sc.fakeScaler)
		r.Scaler = sc
		s, err := r.Run(context.Background())
		if err != nil {
			t.Fatalf("a topology failure failed the run: %v", err)
		}
		if s.Run.Topology != nil || s.Run.Status != results.StatusComplete || s.Done != 5 {
			t.Errorf("topology %+v, status %s, done %d", s.Run.Topology, s.Run.Status, s.Done)
		}
		if len(s.Run.Warnings) != 1 || !strings.Contains(s.Run.Warnings[0], "topology not recorded: engine went away") {
			t.Errorf("warnings %q, want one saying the topology was not recorded", s.Run.Warnings)
		}
	})
	t.Run("a scaler without topology", func(t *testing.T) {
		s, err := newTestRunner(t, newFakeScaler(1)).Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if s.Run.Topology != nil || len(s.Run.Warnings) != 0 {
			t.Errorf("topology %+v, warnings %q; want neither", s.Run.Topology, s.Run.Warnings)
		}
	})
	t.Run("resume reads it only when missing", func(t *testing.T) {
		interrupted := func(sc Scaler) string {
			r := newTestRunner(t, newFakeScaler(1))
			r.Scaler = sc
			ctx, cancel := context.WithCancel(context.Background())
			r.Load = func(lctx context.Context, cfg load.Config) (*results.Load, bool, error) {
				cancel()
				return nil, true, nil
			}
			s, _ := r.Run(ctx)
			return s.Dir
		}
		// Recorded by the first attempt: kept as it was.
		first := &topoScaler{fakeScaler: newFakeScaler(1)}
		dir := interrupted(first)
		again := &topoScaler{fakeScaler: newFakeScaler(3)}
		r := newTestRunner(t, again.fakeScaler)
		r.Scaler, r.Resume = again, dir
		s, err := r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if first.calls != 1 || again.calls != 0 || s.Run.Topology == nil || s.Run.Topology.Services[1].Replicas != 1 {
			t.Errorf("calls %d then %d, topology %+v; want it read once, by the first attempt", first.calls, again.calls, s.Run.Topology)
		}
		// Not recorded by the first attempt: read when resuming.
		dir = interrupted(newFakeScaler(1))
		again = &topoScaler{fakeScaler: newFakeScaler(1)}
		r = newTestRunner(t, again.fakeScaler)
		r.Scaler, r.Resume = again, dir
		s, err = r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if again.calls != 1 || s.Run.Topology == nil {
			t.Errorf("resume of a run without topology: calls %d, topology %+v; want it read", again.calls, s.Run.Topology)
		}
	})
}

// onlyDir is the only directory under root.
func onlyDir(t *testing.T, root string) string {
	t.Helper()
	entries, err := os.ReadDir(root)
	if err != nil || len(entries) != 1 {
		t.Fatalf("run directories under %s: %v, %v", root, entries, err)
	}
	return filepath.Join(root, entries[0].Name())
}
