package slo

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
)

func p95SLO(d time.Duration) matrix.SLO {
	f := 0.01
	return matrix.SLO{P95: d, Failures: &f}
}

var defSearch = matrix.Search{Mode: matrix.Closed, From: 5, Max: 400, Resolution: 0.05, Growth: 2, Repeats: 3}

func TestSearchFindsCapacity(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sys   system
		limit time.Duration
	}{
		{"monotone", system{c: 4, s: 50 * time.Millisecond, sigma: 0.05, phi: 0}, 500 * time.Millisecond},
		{"noisy", system{c: 8, s: 40 * time.Millisecond, sigma: 0.3, phi: 0.5}, 400 * time.Millisecond},
		{"failures-first", system{c: 10, s: 20 * time.Millisecond, sigma: 0.1, failAt: 30}, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			truth := tc.sys.trueCapacity(tc.limit, defSearch.Max)
			if tc.sys.failAt > 0 {
				truth = min(truth, tc.sys.failAt)
			}
			good := 0
			const seeds = 20
			for seed := range seeds {
				res, hist := search(tc.sys, p95SLO(tc.limit), defSearch, defSearch.From, rand.New(rand.NewPCG(uint64(seed), 1)))
				if res.Probes > defSearch.ProbeBound() {
					t.Errorf("seed %d: %d probes, above the bound %d", seed, res.Probes, defSearch.ProbeBound())
				}
				if res.Capacity == 0 || res.Above == 0 {
					t.Fatalf("seed %d: no bracket: %+v (history %+v)", seed, res, hist)
				}
				width := float64(res.Above)/float64(res.Capacity) - 1
				if width > defSearch.Resolution && res.Above-res.Capacity > 1 {
					t.Errorf("seed %d: bracket [%d, %d) wider than the resolution", seed, res.Capacity, res.Above)
				}
				// Within one resolution step of the truth on either side.
				if float64(res.Capacity) >= float64(truth)*0.9-1 && float64(res.Capacity) <= float64(truth)*1.1+1 {
					good++
				}
			}
			if good < seeds*9/10 {
				t.Errorf("capacity near the true %d in %d of %d searches, want at least 90%%", truth, good, seeds)
			}
		})
	}
}

func TestSearchRepeatsUnsureBoundary(t *testing.T) {
	sys := system{c: 8, s: 40 * time.Millisecond, sigma: 0.5, phi: 0.6}
	repeated := 0
	for seed := range 10 {
		_, hist := search(sys, p95SLO(400*time.Millisecond), defSearch, defSearch.From, rand.New(rand.NewPCG(uint64(seed), 2)))
		for _, h := range hist {
			if h.Verdict.Repeats > 1 {
				repeated++
			}
			if h.Verdict.Repeats > defSearch.Repeats {
				t.Fatalf("level %d ran %d times, over the budget of %d", h.Level, h.Verdict.Repeats, defSearch.Repeats)
			}
		}
	}
	if repeated == 0 {
		t.Error("a noisy boundary was never repeated")
	}
}

func TestSearchNonMonotone(t *testing.T) {
	// The SLO breaks at 18–22 users, holds again above, then breaks at 60:
	// from below, the answer is the highest load under every level that
	// broke it.
	sys := system{c: 20, s: 20 * time.Millisecond, sigma: 0.05, bad: func(n int) bool { return n >= 18 && n <= 22 }}
	res, hist := search(sys, p95SLO(time.Duration(2.3*float64(60*20*time.Millisecond)/20)), defSearch, defSearch.From, rand.New(rand.NewPCG(1, 1)))
	if res.Above == 0 || res.Above > 22 {
		t.Fatalf("the lowest breaking level is %d, want one in the bad band 18–22 (history %+v)", res.Above, hist)
	}
	if res.Capacity >= 18 {
		t.Errorf("capacity %d is in or above the band that breaks the SLO", res.Capacity)
	}
}

func TestSearchMetNowhere(t *testing.T) {
	sys := system{c: 2, s: 100 * time.Millisecond, sigma: 0.1}
	res, hist := search(sys, p95SLO(50*time.Millisecond), defSearch, 40, rand.New(rand.NewPCG(3, 3)))
	if !res.MetNowhere || res.Capacity != 0 || res.Above != defSearch.From {
		t.Fatalf("want met nowhere down to from=%d, got %+v (history %+v)", defSearch.From, res, hist)
	}
}

func TestSearchNeverBroken(t *testing.T) {
	sys := system{c: 1000, s: 10 * time.Millisecond, sigma: 0.1}
	res, hist := search(sys, p95SLO(time.Second), defSearch, defSearch.From, rand.New(rand.NewPCG(4, 4)))
	if !res.NeverBroken || res.Capacity != defSearch.Max || res.Above != 0 {
		t.Fatalf("want never broken at max=%d, got %+v (history %+v)", defSearch.Max, res, hist)
	}
	if n := len(hist); n > 8 {
		t.Errorf("bracketing 5→400 by ×2 took %d levels, want at most 8", n)
	}
}

func TestSearchStartsFromPreviousAnswer(t *testing.T) {
	sys := system{c: 6, s: 50 * time.Millisecond, sigma: 0.05}
	limit := 500 * time.Millisecond
	cold, _ := search(sys, p95SLO(limit), defSearch, defSearch.From, rand.New(rand.NewPCG(5, 5)))
	warm, _ := search(sys, p95SLO(limit), defSearch, cold.Capacity-3, rand.New(rand.NewPCG(5, 5)))
	if warm.Probes >= cold.Probes {
		t.Errorf("starting near the answer took %d probes, from scratch %d", warm.Probes, cold.Probes)
	}
	if d := warm.Capacity - cold.Capacity; d < -2 || d > 2 {
		t.Errorf("capacity %d from a warm start, %d from scratch", warm.Capacity, cold.Capacity)
	}
	// Starting above the answer brackets downwards.
	high, hist := search(sys, p95SLO(limit), defSearch, 300, rand.New(rand.NewPCG(6, 6)))
	if d := high.Capacity - cold.Capacity; d < -2 || d > 2 || high.Probes > defSearch.ProbeBound() {
		t.Errorf("from 300: capacity %d in %d probes (history %+v), from scratch %d", high.Capacity, high.Probes, hist, cold.Capacity)
	}
}

func TestProbeBoundHoldsForAdversaries(t *testing.T) {
	s := matrix.Search{From: 3, Max: 1000, Resolution: 0.02, Growth: 2, Repeats: 2}
	rnd := rand.New(rand.NewPCG(7, 7))
	for range 500 {
		edge := 1 + rnd.IntN(1100)
		start := s.From + rnd.IntN(s.Max-s.From)
		var hist []Tried
		probes := 0
		for {
			st := Next(s, start, hist)
			if st.Done {
				break
			}
			probes++
			// An adversary: always unsure, so every level takes its budget.
			v := Verdict{Pass: st.Level < edge, Repeats: st.Repeat}
			if n := len(hist); n > 0 && hist[n-1].Level == st.Level {
				hist[n-1].Verdict = v
			} else {
				hist = append(hist, Tried{Level: st.Level, Verdict: v})
			}
		}
		if probes > s.ProbeBound() {
			t.Fatalf("edge %d, start %d: %d probes, bound %d", edge, start, probes, s.ProbeBound())
		}
	}
}
