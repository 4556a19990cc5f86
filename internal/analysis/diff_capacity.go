package analysis

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// MetricCapacity is a scale's capacity at the matrix's SLO (users or
// requests/s); it is compared per run and scale by CapacityDiff, not by a
// Mann–Whitney test.
const MetricCapacity Metric = "capacity"

// CapacityDiff compares the capacities at the SLO of two result sets.
type CapacityDiff struct {
	// OldSLO and NewSLO are the sets' SLOs as a reader says them ("" for
	// none).
	OldSLO, NewSLO string
	// SLOChanged is true when the SLOs differ: the capacities answer
	// different questions and are not compared (Scales is empty).
	SLOChanged bool
	// Scales are the run and scale pairs with a capacity on either side, in
	// the old matrix's run order (then the new one's), by ascending scale.
	Scales []CapacityChange
}

// CapacityChange compares one run and scale's capacity at the SLO.
//
// Each side's capacity is a bracket [Capacity, Above): the highest level
// that met the SLO and the lowest level that broke it. The change counts
// (Significant) only when the brackets are apart and two clear verdicts
// keep them apart. For a drop: old clearly met the SLO at a level L (at or
// under its capacity), and new clearly broke it at a level below L; if new
// still met it at L, new would have to break it at a lower load and meet
// it at a higher one, which a system whose response time grows with load
// does not do. Each clear verdict is wrong with probability about 2.3%
// (its estimate two standard errors beyond its limit, one-sided), so a
// change is called by mistake with probability below 2 × 2.3% ≈ 4.6%,
// about the α=0.05 of the diff's other tests.
//
// Opposite clear verdicts at one and the same level are not enough: the
// verdicts' standard errors come from per-second values, which are
// autocorrelated and so optimistic, and a shared machine drifts between
// two runs (on the demo, a grid and a search of the same system minutes
// apart gave opposite clear verdicts at 5 users). Asking for a level in
// between means a change within one step of the search (its resolution)
// or of the grid is never called. Repeats enter through the verdicts, whose
// standard errors include the spread between repeats; the capacity itself
// is one number per side (the search is not repeated as a whole), so no
// rank test over capacities applies. Capacity changes are not among the
// p-values adjusted by Benjamini–Hochberg. Brackets that overlap, or a
// deciding verdict that stayed unsure after the repeat budget, give "~"
// whatever the point estimates say.
type CapacityChange struct {
	// Run names the run; Scale is the replica count; Mode says whether the
	// levels are users or requests/s.
	Run   string
	Scale int
	Mode  matrix.Mode
	// Old and New are the sides' capacities; nil on the side without one.
	Old, New *SLOCapacity
	// Delta is New/Old − 1 of the capacities (the highest levels that met
	// the SLO): 0 when both are 0, +Inf when only old's is, NaN when not
	// compared.
	Delta float64
	// Significant is true when the brackets are apart and both verdicts
	// that part them are clear.
	Significant bool
	// Met and Broke are the levels whose clear verdicts decide a
	// significant change, with the sides they were run on ("old" clearly
	// met 40, "new" clearly broke 36); 0 otherwise.
	Met, Broke         int
	MetSide, BrokeSide string
	// Unsure is true when the brackets are apart but no pair of clear
	// verdicts at different levels keeps them apart (a verdict near the
	// limit stayed unsure, or the brackets touch at one level).
	Unsure bool
	// NotCompared says why the pair was not compared ("scale 3 has no
	// capacity in new", "users in old, req/s in new"); "" when compared.
	NotCompared string
}

// Compared reports whether both sides have a capacity in the same units.
func (c *CapacityChange) Compared() bool { return c.NotCompared == "" }

// Worse reports a significant drop of the capacity.
func (c *CapacityChange) Worse() bool {
	return c.Significant && c.New.Result.Capacity < c.Old.Result.Capacity
}

// Better reports a significant rise of the capacity.
func (c *CapacityChange) Better() bool {
	return c.Significant && c.New.Result.Capacity > c.Old.Result.Capacity
}

// Worsening is the relative drop of the capacity, in the units of
// Limit.Max; ≤ 0 for none.
func (c *CapacityChange) Worsening() float64 { return -c.Delta }

// compareCapacities compares the capacities of old and new per run and
// scale; nil when neither set has an SLO.
func compareCapacities(old, new *results.Set, th Thresholds) *CapacityDiff {
	so, sn := old.Run.Matrix.SLO, new.Run.Matrix.SLO
	if so == nil && sn == nil {
		return nil
	}
	cd := &CapacityDiff{}
	if so != nil {
		cd.OldSLO = so.String()
	}
	if sn != nil {
		cd.NewSLO = sn.String()
	}
	if cd.OldSLO != cd.NewSLO {
		cd.SLOChanged = true
		return cd
	}
	type key struct {
		run   string
		scale int
	}
	byKey := map[key]*CapacityChange{}
	var order []key
	get := func(c *SLOCapacity) *CapacityChange {
		k := key{c.Run, c.Scale}
		if ch, ok := byKey[k]; ok {
			return ch
		}
		ch := &CapacityChange{Run: c.Run, Scale: c.Scale, Mode: c.Mode}
		byKey[k] = ch
		order = append(order, k)
		return ch
	}
	oldCaps, newCaps := SLOCapacities(old, th), SLOCapacities(new, th)
	for i := range oldCaps {
		get(&oldCaps[i]).Old = &oldCaps[i]
	}
	for i := range newCaps {
		get(&newCaps[i]).New = &newCaps[i]
	}
	// Old's runs come first (SLOCapacities keeps matrix order); sort by
	// scale within a run.
	runOrder := map[string]int{}
	for _, k := range order {
		if _, ok := runOrder[k.run]; !ok {
			runOrder[k.run] = len(runOrder)
		}
	}
	slices.SortStableFunc(order, func(a, b key) int {
		return cmp.Or(cmp.Compare(runOrder[a.run], runOrder[b.run]), cmp.Compare(a.scale, b.scale))
	})
	for _, k := range order {
		ch := byKey[k]
		ch.judge()
		cd.Scales = append(cd.Scales, *ch)
	}
	return cd
}

// judge fills the change's delta and significance by the bracket rule of
// CapacityChange.
func (c *CapacityChange) judge() {
	c.Delta = math.NaN()
	switch {
	case c.Old == nil:
		c.NotCompared = fmt.Sprintf("scale %d has no capacity in old", c.Scale)
		return
	case c.New == nil:
		c.NotCompared = fmt.Sprintf("scale %d has no capacity in new", c.Scale)
		return
	case c.Old.Mode != c.New.Mode:
		c.NotCompared = fmt.Sprintf("levels are %s in old and %s in new", modeWord(c.Old.Mode), modeWord(c.New.Mode))
		return
	}
	o, n := c.Old.Result, c.New.Result
	switch {
	case o.Capacity == n.Capacity:
		c.Delta = 0
	case o.Capacity == 0:
		c.Delta = math.Inf(1)
	default:
		c.Delta = float64(n.Capacity)/float64(o.Capacity) - 1
	}
	var apart bool
	switch {
	case n.Above > 0 && o.Capacity >= n.Above: // new broke where old met
		apart = true
		c.Met, c.Broke = clearlyMet(c.Old), clearlyBroken(c.New)
		c.MetSide, c.BrokeSide = "old", "new"
	case o.Above > 0 && n.Capacity >= o.Above: // new met where old broke
		apart = true
		c.Met, c.Broke = clearlyMet(c.New), clearlyBroken(c.Old)
		c.MetSide, c.BrokeSide = "new", "old"
	}
	switch {
	case !apart:
	case c.Met > 0 && c.Broke > 0 && c.Broke < c.Met:
		c.Significant = true
	default:
		c.Met, c.Broke, c.MetSide, c.BrokeSide = 0, 0, "", ""
		c.Unsure = true
	}
}

// clearlyMet is the highest level at or under the capacity whose verdict
// clearly met the SLO (0: none).
func clearlyMet(c *SLOCapacity) int {
	best := 0
	for _, l := range c.Levels {
		if l.Verdict.Pass && l.Verdict.Clear && l.Level <= c.Result.Capacity {
			best = max(best, l.Level)
		}
	}
	return best
}

// clearlyBroken is the lowest level whose verdict clearly broke the SLO
// (0: none).
func clearlyBroken(c *SLOCapacity) int {
	for _, l := range c.Levels { // ascending
		if !l.Verdict.Pass && l.Verdict.Clear {
			return l.Level
		}
	}
	return 0
}

func modeWord(m matrix.Mode) string {
	if m == matrix.Open {
		return "req/s"
	}
	return "users"
}
