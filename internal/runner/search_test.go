package runner

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

func searchMatrix(t *testing.T) *matrix.Matrix {
	t.Helper()
	src := `name: t
target: http://127.0.0.1:9
compose: {project: p, service: svc}
scenario: {requests: [{name: a, path: /}]}
slo: {p95: 100ms, failures: 1%}
defaults: {settle: 3s, cooldown: 1s, warmup: 2s, spawn_rate: 100}
runs:
  - name: capacity
    scale: [1, 3]
    search: {users: {from: 2, max: 200}, resolution: 10%}
    duration: 30s
`
	m, err := matrix.Parse("t.yaml", []byte(src), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// queueLoad simulates a service that holds 10 users per replica within
// 100 ms: p95 = 50 ms × users / (5 × scale), at least 50 ms. It reports
// every second to cfg.Second and stops when ctx is done, as load.Run does.
func queueLoad(ctx context.Context, cfg load.Config) (*results.Load, bool, error) {
	c := cfg.Cell
	p95 := max(50*time.Millisecond, 50*time.Millisecond*time.Duration(c.Users)/time.Duration(5*c.Scale))
	rec := &results.Load{Mode: c.Mode, SteadyStart: c.SteadyStart()}
	var req int64
	secs := int(c.Duration.Seconds())
	for s := range secs {
		if ctx.Err() != nil {
			break
		}
		// A little noise from one second to the next.
		p := p95 + time.Duration(s%3-1)*time.Millisecond
		sec := results.Second{T: s, Users: c.Users, Requests: 100, P50: p / 2, P95: p, P99: p * 2}
		rec.Series = append(rec.Series, sec)
		rec.Elapsed = time.Duration(s+1) * time.Second
		if s >= int(c.SteadyStart().Seconds()) {
			req += 100
		}
		if cfg.Second != nil {
			cfg.Second(sec)
		}
	}
	window := rec.Elapsed - c.SteadyStart()
	rec.Steady = results.Stats{Window: window, Requests: req, RPS: float64(req) / window.Seconds(), Latency: results.Latency{P50: p95 / 2, P95: p95, P99: 2 * p95}}
	rec.Total = rec.Steady
	return rec, ctx.Err() != nil, nil
}

func TestSearchRun(t *testing.T) {
	sc := newFakeScaler(1)
	r := &Runner{Matrix: searchMatrix(t), Scaler: sc, Load: queueLoad, Out: t.TempDir(), Sleep: noSleep, RetryBackoff: time.Millisecond}
	sum, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ids := cellIDs(t, sum.Dir)
	if len(ids) == 0 || len(ids) != len(sum.Run.Cells) {
		t.Fatalf("saved %d probes, run.json lists %d", len(ids), len(sum.Run.Cells))
	}
	// Scale 1 holds 10 users, scale 3 holds 30, within 10%.
	for scale, want := range map[int]int{1: 10, 3: 30} {
		lo, hi := 0, 0
		for _, c := range sum.Run.Cells {
			if c.Scale != scale {
				continue
			}
			if !strings.HasPrefix(c.ID, "capacity-s") {
				t.Errorf("probe id %q is not a cell id of run capacity", c.ID)
			}
			cell, err := results.ReadCell(results.CellPath(sum.Dir, c.ID))
			if err != nil {
				t.Fatal(err)
			}
			if cell.Load.Steady.Latency.P95 <= 100*time.Millisecond {
				lo = max(lo, c.Users)
			} else if hi == 0 || c.Users < hi {
				hi = c.Users
			}
		}
		if lo != want || hi == 0 || float64(hi)/float64(lo) > 1.1 && hi-lo > 1 {
			t.Errorf("scale %d: bracket [%d, %d), want capacity %d to 10%%", scale, lo, hi, want)
		}
	}
	// The second scale starts from the first one's answer.
	first3 := sum.Run.Cells[slices.IndexFunc(sum.Run.Cells, func(c matrix.Cell) bool { return c.Scale == 3 })]
	if first3.Users != 10 {
		t.Errorf("scale 3's search started at %d users, want scale 1's answer 10", first3.Users)
	}
	// Hopeless probes stopped early, and say so.
	stopped := 0
	for _, c := range sum.Run.Cells {
		cell, _ := results.ReadCell(results.CellPath(sum.Dir, c.ID))
		if cell.EarlyStop != nil {
			stopped++
			if cell.Status != results.CellOK || cell.Load.Elapsed >= c.Duration || cell.EarlyStop.Reason == "" {
				t.Errorf("early-stopped %s: status %s, ran %s of %s, reason %q", c.ID, cell.Status, cell.Load.Elapsed, c.Duration, cell.EarlyStop.Reason)
			}
		}
	}
	if stopped == 0 {
		t.Error("no probe far beyond the SLO stopped early")
	}
}

func TestSearchResume(t *testing.T) {
	whole := &Runner{Matrix: searchMatrix(t), Scaler: newFakeScaler(1), Load: queueLoad, Out: t.TempDir(), Sleep: noSleep, RetryBackoff: time.Millisecond}
	ref, err := whole.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Interrupt during the fourth probe, then resume.
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	cut := func(c context.Context, cfg load.Config) (*results.Load, bool, error) {
		if calls.Add(1) == 4 {
			cancel()
		}
		return queueLoad(c, cfg)
	}
	first := &Runner{Matrix: searchMatrix(t), Scaler: newFakeScaler(1), Load: cut, Out: t.TempDir(), Sleep: noSleep, RetryBackoff: time.Millisecond}
	part, err := first.Run(ctx)
	if err == nil {
		t.Fatal("the interrupted run returned no error")
	}
	calls.Store(0)
	var ran atomic.Int32
	count := func(c context.Context, cfg load.Config) (*results.Load, bool, error) {
		ran.Add(1)
		return queueLoad(c, cfg)
	}
	again := &Runner{Matrix: searchMatrix(t), Scaler: newFakeScaler(1), Load: count, Resume: part.Dir, Sleep: noSleep, RetryBackoff: time.Millisecond}
	sum, err := again.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for _, c := range ref.Run.Cells {
		want = append(want, c.ID)
	}
	for _, c := range sum.Run.Cells {
		got = append(got, c.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("resumed search ran %v, an uninterrupted one %v", got, want)
	}
	if int(ran.Load()) != len(want)-3 || sum.Kept != 3 {
		t.Errorf("resume ran %d probes and kept %d, want %d and 3", ran.Load(), sum.Kept, len(want)-3)
	}
}
