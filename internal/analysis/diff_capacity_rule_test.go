package analysis

import (
	"math"
	"testing"

	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/slo"
)

// level is a verdict at a level: p for pass, c for clear.
type level struct {
	at   int
	p, c bool
}

// capacityOfLevels is a scale's capacity read off its levels, as
// SLOCapacities does.
func capacityOfLevels(mode matrix.Mode, from, max int, levels ...level) *SLOCapacity {
	c := &SLOCapacity{Run: "run1", Scale: 3, Mode: mode}
	for _, l := range levels {
		c.Levels = append(c.Levels, slo.Tried{Level: l.at, Verdict: slo.Verdict{Pass: l.p, Clear: l.c, Repeats: 1}})
	}
	c.Result = slo.Summarize(matrix.Search{From: from, Max: max}, c.Levels)
	return c
}

// The bracket rule of CapacityChange, case by case.
func TestCapacityRule(t *testing.T) {
	closed := func(levels ...level) *SLOCapacity { return capacityOfLevels(matrix.Closed, 5, 80, levels...) }
	tests := []struct {
		name             string
		old, new         *SLOCapacity
		sig, worse, unsr bool
		delta            float64
		met, broke       int
		notCompared      string
	}{
		{name: "apart on clear verdicts",
			old: closed(level{10, true, true}, level{20, true, true}, level{40, false, true}),
			new: closed(level{10, true, true}, level{14, false, true}, level{20, false, true}),
			sig: true, worse: true, delta: -0.5, met: 20, broke: 14},
		{name: "better",
			old: closed(level{10, true, true}, level{14, false, true}),
			new: closed(level{10, true, true}, level{20, true, true}, level{40, false, true}),
			sig: true, delta: 1, met: 20, broke: 14},
		{name: "overlap",
			old:   closed(level{10, true, true}, level{20, false, true}),
			new:   closed(level{10, true, true}, level{14, true, true}, level{20, false, true}),
			delta: 0.4},
		{name: "apart but the deciding verdict is unsure",
			old:  closed(level{10, true, true}, level{20, true, false}, level{40, false, true}),
			new:  closed(level{10, true, true}, level{14, false, true}),
			unsr: true, delta: -0.5},
		{name: "an unsure level is passed over for a clear one",
			old: closed(level{10, true, true}, level{18, true, true}, level{20, true, false}, level{40, false, true}),
			new: closed(level{10, true, true}, level{14, false, false}, level{16, false, true}),
			sig: true, worse: true, delta: -0.5, met: 18, broke: 16},
		{name: "met nowhere before, met now",
			old: closed(level{5, false, true}),
			new: closed(level{5, true, true}, level{10, true, true}, level{20, false, true}),
			sig: true, delta: math.Inf(1), met: 10, broke: 5},
		{name: "opposite clear verdicts at one level only",
			old:  closed(level{4, true, true}, level{5, false, true}),
			new:  closed(level{4, true, true}, level{5, true, true}, level{6, false, true}),
			unsr: true, delta: 0.25},
		{name: "never broken before, broken now",
			old: closed(level{40, true, true}, level{80, true, true}),
			new: closed(level{40, false, true}),
			sig: true, worse: true, delta: -1, met: 80, broke: 40},
		{name: "met nowhere on both sides",
			old: closed(level{5, false, true}), new: closed(level{5, false, true}), delta: 0},
		{name: "users against requests/s",
			old: closed(level{10, true, true}), new: capacityOfLevels(matrix.Open, 5, 80, level{10, true, true}),
			delta: math.NaN(), notCompared: "levels are users in old and req/s in new"},
		{name: "no capacity in new",
			old: closed(level{10, true, true}), delta: math.NaN(), notCompared: "scale 3 has no capacity in new"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &CapacityChange{Run: "run1", Scale: 3, Old: tt.old, New: tt.new}
			c.judge()
			if c.NotCompared != tt.notCompared {
				t.Fatalf("not compared %q, want %q", c.NotCompared, tt.notCompared)
			}
			if c.Significant != tt.sig || c.Unsure != tt.unsr || (c.Compared() && c.Worse() != tt.worse) {
				t.Errorf("significant %v unsure %v, want %v %v; %+v", c.Significant, c.Unsure, tt.sig, tt.unsr, c)
			}
			if tt.sig && (c.Met != tt.met || c.Broke != tt.broke) {
				t.Errorf("decided by met %d, broke %d; want %d, %d", c.Met, c.Broke, tt.met, tt.broke)
			}
			if !(c.Delta == tt.delta || math.IsNaN(tt.delta) && math.IsNaN(c.Delta) || math.Abs(c.Delta-tt.delta) < 1e-9) {
				t.Errorf("delta %g, want %g", c.Delta, tt.delta)
			}
		})
	}
}
