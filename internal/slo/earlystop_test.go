package slo

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
)

// stopsAt replays a simulated cell second by second through the rule and
// returns the second it stopped at (-1: it ran its duration).
func stopsAt(m system, n int, slo matrix.SLO, rnd *rand.Rand) int {
	c := matrix.Cell{Mode: matrix.Closed, Users: n, Duration: 30 * time.Second, Warmup: 5 * time.Second}
	st := NewStopper(slo, c)
	cell := m.cell(rnd, n)
	for _, s := range cell.Load.Series {
		if _, stop := st.Second(s.T, s.Requests, s.Failures, s.P50, s.P95, s.P99); stop {
			return s.T
		}
	}
	return -1
}

// TestEarlyStopFalseStopRate measures how often the rule stops a cell of
// a system that just meets its SLO: its p95 at 95% of the limit, 0.9%
// failures against 1%, noisy and correlated from second to second.
func TestEarlyStopFalseStopRate(t *testing.T) {
	const cells = 3000
	limit := 500 * time.Millisecond
	// 8 users on 4 servers of 103 ms: p95 = 2.3 × 206 ms ≈ 95% of 500 ms.
	sys := system{c: 4, s: 103 * time.Millisecond, sigma: 0.35, phi: 0.7}
	if p := sys.p95(8); p > limit || p < limit*9/10 {
		t.Fatalf("the simulated p95 %s does not just meet %s", p, limit)
	}
	f := 0.01
	slo := matrix.SLO{P95: limit, P99: 800 * time.Millisecond, Failures: &f}
	rnd := rand.New(rand.NewPCG(11, 11))
	stops := 0
	for range cells {
		if stopsAt(sys, 8, slo, rnd) >= 0 {
			stops++
		}
	}
	// Failures just under the limit, the latency well within it.
	sysF := system{c: 40, s: 20 * time.Millisecond, sigma: 0.35, phi: 0.7, failAt: 1}
	fl := 0.03 // the simulated failure rate at 2 users is 2%
	sloF := matrix.SLO{Failures: &fl}
	for range cells {
		if stopsAt(sysF, 2, sloF, rnd) >= 0 {
			stops++
		}
	}
	rate := float64(stops) / (2 * cells)
	t.Logf("false stops: %d of %d cells (%.2f%%), the rule's bound is %.0f%%", stops, 2*cells, rate*100, StopAlpha*100)
	if rate > StopAlpha {
		t.Errorf("false-stop rate %.2f%% above %.0f%%", rate*100, StopAlpha*100)
	}
}

func TestEarlyStopStopsHopelessCells(t *testing.T) {
	limit := 500 * time.Millisecond
	f := 0.01
	slo := matrix.SLO{P95: limit, Failures: &f}
	rnd := rand.New(rand.NewPCG(12, 12))
	for _, tc := range []struct {
		name  string
		sys   system
		users int
	}{
		{"p95 3x the limit", system{c: 4, s: 103 * time.Millisecond, sigma: 0.35, phi: 0.7}, 24},
		{"failures 20x the limit", system{c: 400, s: 10 * time.Millisecond, sigma: 0.1, failAt: 10}, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var at []int
			for range 200 {
				if s := stopsAt(tc.sys, tc.users, slo, rnd); s >= 0 {
					at = append(at, s)
				}
			}
			if len(at) < 190 {
				t.Fatalf("stopped %d of 200 hopeless cells, want at least 95%%", len(at))
			}
			sum := 0
			for _, s := range at {
				sum += s
			}
			if mean := float64(sum) / float64(len(at)); mean > 20 || math.IsNaN(mean) {
				t.Errorf("stopped at second %.1f on average of 30, want by 20", mean)
			}
		})
	}
}

func TestEarlyStopWaitsForSteadyState(t *testing.T) {
	f := 0.01
	c := matrix.Cell{Mode: matrix.Closed, Users: 10, SpawnRate: 1, Duration: 60 * time.Second, Warmup: 5 * time.Second}
	st := NewStopper(matrix.SLO{Failures: &f}, c)
	for s := range 14 + MinSeconds - 1 { // ramp 9 s + warm-up 5 s, then 9 seconds
		if _, stop := st.Second(s, 100, 90, 0, 0, 0); stop {
			t.Fatalf("stopped at second %d, before %d steady seconds", s, MinSeconds)
		}
	}
	if _, stop := st.Second(14+MinSeconds-1, 100, 90, 0, 0, 0); !stop {
		t.Error("90% failures for 10 steady seconds did not stop the cell")
	}
}
