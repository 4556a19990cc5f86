package analysis_test

import (
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/analysis/analysistest"
	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// capacitySet is diffModel (slower when slow) run at levels fine enough to
// find each scale's capacity, judged against slo (nil: none).
func capacitySet(seed uint64, slow bool, s *matrix.SLO) *results.Set {
	m := diffModel(seed)
	m.Runs[0].Users = []int{2, 4, 6, 7, 8, 9, 10, 12, 16}
	if slow {
		m = slower(m)
	}
	set := analysistest.Generate(m)
	set.Run.Matrix.SLO = s
	return set
}

func p95SLO(d time.Duration) *matrix.SLO { return &matrix.SLO{P95: d} }

func capacityChange(t *testing.T, d *analysis.Diff, scale int) *analysis.CapacityChange {
	t.Helper()
	if d.Capacity == nil {
		t.Fatal("no capacity diff")
	}
	for i := range d.Capacity.Scales {
		if c := &d.Capacity.Scales[i]; c.Run == "run1" && c.Scale == scale {
			return c
		}
	}
	t.Fatalf("no capacity of run1 scale %d in the diff: %+v", scale, d.Capacity)
	return nil
}

// A slower model service takes fewer users at one replica under the SLO:
// the brackets are apart on clear verdicts, and the gate fails on a limit
// below the drop and passes on one above it.
func TestCapacityDiffRegression(t *testing.T) {
	slo := p95SLO(1500 * time.Millisecond)
	d := analysis.Compare(capacitySet(1, false, slo), capacitySet(101, true, slo))
	c := capacityChange(t, d, 1)
	if !c.Compared() || !c.Significant || !c.Worse() || c.Better() {
		t.Fatalf("scale 1: %+v; want a significant drop", c)
	}
	if c.New.Result.Above > c.Old.Result.Capacity || c.Delta >= -0.05 {
		t.Errorf("scale 1: old %+v, new %+v, delta %g: brackets not apart", c.Old.Result, c.New.Result, c.Delta)
	}
	if c.MetSide != "old" || c.BrokeSide != "new" || c.Broke > c.Met || c.Met > c.Old.Result.Capacity || c.Broke < c.New.Result.Above {
		t.Errorf("deciding verdicts: %s met %d, %s broke %d; want old met at or under its capacity, new broke at or above its first break, below",
			c.MetSide, c.Met, c.BrokeSide, c.Broke)
	}
	regs := d.Regressions(mustLimits(t, "capacity=-5%"))
	if len(regs) != 1 || regs[0].Where != "run1 scale 1" || regs[0].Capacity == nil || regs[0].Capacity.Scale != 1 {
		t.Fatalf("regressions %+v; want run1 scale 1's capacity", regs)
	}
	if regs := d.Regressions(mustLimits(t, "capacity=-70%")); len(regs) != 0 {
		t.Errorf("a drop of %.0f%% fails a 70%% limit: %+v", -100*c.Delta, regs)
	}
	if err := d.CheckLimits(mustLimits(t, "capacity=-5%")); err != nil {
		t.Error(err)
	}
}

// Noise alone never fails the gate, also where the point estimates drop by
// more than the limit but no pair of clear verdicts keeps the brackets
// apart.
func TestCapacityDiffNoise(t *testing.T) {
	slo := p95SLO(1500 * time.Millisecond)
	limits := mustLimits(t, "capacity=-5%")
	var unsureDrops int
	for seed := uint64(1); seed <= 6; seed++ {
		d := analysis.Compare(capacitySet(seed, false, slo), capacitySet(seed+100, false, slo))
		if d.Capacity == nil || len(d.Capacity.Scales) != 2 {
			t.Fatalf("seed %d: capacities %+v; want scales 1 and 3", seed, d.Capacity)
		}
		for _, c := range d.Capacity.Scales {
			if c.Significant {
				t.Errorf("seed %d scale %d: noise called significant: %+v → %+v", seed, c.Scale, c.Old.Result, c.New.Result)
			}
			if c.Unsure && c.Worsening() > 0.05 {
				unsureDrops++
			}
		}
		if regs := d.Regressions(limits); len(regs) > 0 {
			t.Errorf("seed %d: noise fails the gate: %+v", seed, regs)
		}
	}
	if unsureDrops == 0 {
		t.Error("no noise pair dropped by more than 5% on unsure verdicts; the test no longer covers the uncertain case")
	}
}

// Two SLOs are two questions: the capacities are not compared, and the
// gate has nothing to fail on. Without any SLO there is no capacity diff,
// and a capacity limit is refused.
func TestCapacityDiffSLO(t *testing.T) {
	d := analysis.Compare(capacitySet(1, false, p95SLO(1500*time.Millisecond)), capacitySet(101, true, p95SLO(time.Second)))
	if d.Capacity == nil || !d.Capacity.SLOChanged || len(d.Capacity.Scales) != 0 {
		t.Fatalf("capacity diff %+v; want the SLO change and no scales", d.Capacity)
	}
	if d.Capacity.OldSLO != "p95 ≤ 1.5s" || d.Capacity.NewSLO != "p95 ≤ 1s" {
		t.Errorf("SLOs %q, %q", d.Capacity.OldSLO, d.Capacity.NewSLO)
	}
	if regs := d.Regressions(mustLimits(t, "capacity=-5%")); len(regs) != 0 {
		t.Errorf("regressions %+v across different SLOs", regs)
	}
	d = analysis.Compare(capacitySet(1, false, p95SLO(time.Second)), capacitySet(101, true, nil))
	if d.Capacity == nil || !d.Capacity.SLOChanged || d.Capacity.NewSLO != "" {
		t.Errorf("an SLO dropped in new: %+v", d.Capacity)
	}

	d = analysis.Compare(capacitySet(1, false, nil), capacitySet(101, true, nil))
	if d.Capacity != nil {
		t.Fatalf("capacity diff %+v without SLOs", d.Capacity)
	}
	err := d.CheckLimits(mustLimits(t, "rps=-5%,capacity=-5%"))
	if err == nil || !strings.Contains(err.Error(), `"capacity=-5%": neither result set has an SLO`) {
		t.Errorf("CheckLimits: %v", err)
	}
	if err := d.CheckLimits(mustLimits(t, "rps=-5%")); err != nil {
		t.Errorf("CheckLimits(rps): %v", err)
	}
}
