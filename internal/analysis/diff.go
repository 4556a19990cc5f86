package analysis

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/scalebench/scalebench/internal/results"
)

// DiffOptions configure Compare. DefaultDiffOptions returns the values the
// diff command uses.
type DiffOptions struct {
	// Alpha is the significance level of the Mann–Whitney tests (0.05): a
	// change with p ≥ Alpha is reported as no change ("~").
	Alpha float64
	// MinRepeats is the number of cells per side at one key from which the
	// cells' own values are the samples compared (2); below it on either
	// side, the per-second values of the steady windows are.
	MinRepeats int
	// Unadjusted compares each p-value with Alpha on its own, as benchstat
	// does. By default (false) the p-values of a diff are adjusted for the
	// number of comparisons it makes (Benjamini–Hochberg), so that a diff of
	// two sets that differ only by noise shows no significant change with
	// probability 1 − Alpha however many cells and metrics it compares.
	Unadjusted bool
	// IncludeDegraded compares degraded cells (the target or a container
	// went away during them) like the others. By default (false) they are
	// left out and listed in Diff.Degraded: neither a regression nor a
	// pass.
	IncludeDegraded bool
}

// DefaultDiffOptions returns α = 0.05, repeats from 2 cells per side and
// p-values adjusted for the number of comparisons.
func DefaultDiffOptions() DiffOptions { return DiffOptions{Alpha: 0.05, MinRepeats: 2} }

// Metric names a compared quantity.
type Metric string

// Metrics compared per cell, and per scale (MetricPeak).
const (
	// MetricRPS is the steady-state throughput of successful requests, req/s.
	MetricRPS Metric = "rps"
	// MetricP50, MetricP95 and MetricP99 are steady-state response time
	// percentiles, in seconds.
	MetricP50 Metric = "p50"
	MetricP95 Metric = "p95"
	MetricP99 Metric = "p99"
	// MetricFailures is the steady-state failure rate, a fraction 0..1; its
	// change is absolute (0.01 is one percentage point).
	MetricFailures Metric = "failures"
	// MetricPeak is a scale's best throughput (its peak level's), req/s.
	MetricPeak Metric = "peak"
)

// CellMetrics lists the per-cell metrics in display order.
func CellMetrics() []Metric {
	return []Metric{MetricRPS, MetricP50, MetricP95, MetricP99, MetricFailures}
}

// HigherIsBetter reports whether a rise of m is an improvement (throughput)
// rather than a regression (latency, failures).
func (m Metric) HigherIsBetter() bool {
	return m == MetricRPS || m == MetricPeak || m == MetricCapacity
}

// Absolute reports whether m's change is a difference (failure rates, in
// fractions) rather than a ratio.
func (m Metric) Absolute() bool { return m == MetricFailures }

// Side identifies one of the two result sets of a diff.
type Side struct {
	// Dir is the run directory; ID the run's id; Matrix the matrix name.
	Dir, ID, Matrix string
	// Commit and Short are the application's commit ("" when unknown);
	// Dirty is true when its work tree had uncommitted changes.
	Commit, Short string
	Dirty         bool
	// Started is when the run started.
	Started time.Time
}

// Diff compares two result sets, old and new.
type Diff struct {
	// Old and New identify the sets.
	Old, New Side
	// Options are the ones applied.
	Options DiffOptions
	// Cells are the cells present and usable on both sides, by run (in the
	// old matrix's order), scale and load.
	Cells []CellDiff
	// OnlyOld and OnlyNew are the keys of cells with usable results on one
	// side and none at all on the other (not planned, or not run yet).
	OnlyOld, OnlyNew []string
	// Lost are the cells measured in old whose every cell in new failed,
	// was aborted or recorded no load: a regression however the metrics
	// look. Recovered are the reverse.
	Lost, Recovered []LostCell
	// Degraded are the keys left out because a side's cells were degraded
	// (Reason starts with the side: "new: the target refused…").
	Degraded []LostCell
	// Scales compare each scale's peak throughput and knee (pooled over
	// runs, as the report does), by ascending scale.
	Scales []ScaleDiff
	// Capacity compares the capacities at the SLO per run and scale; nil
	// when neither set has an SLO.
	Capacity *CapacityDiff
	// Setup are differences in how the two sets were run (durations,
	// scenario, scaled service, engine): they may explain changes that are
	// not the application's.
	Setup []SetupChange
	// Warnings are other non-fatal problems (cells left out, generator-bound
	// cells), as sentences.
	Warnings []string
	// OldStudy and NewStudy are the two sets' analyses (default thresholds,
	// as in their reports).
	OldStudy, NewStudy *Study
}

// LostCell is a cell key measured on one side only because its cells on
// the other side failed.
type LostCell struct {
	// Key is the cell key; Reason the failed side's first error (it may come
	// from the target: escape it when rendering).
	Key, Reason string
}

// CellDiff is one matched cell key.
type CellDiff struct {
	// Key is the cell key ("run1-s3-u20"); Run, Scale and Load locate it.
	Key   string
	Run   string
	Scale int
	Load  float64
	// Changes holds one Change per CellMetrics(), in that order.
	Changes []Change
}

// Change returns the cell's change of metric m, or nil.
func (c *CellDiff) Change(m Metric) *Change {
	for i := range c.Changes {
		if c.Changes[i].Metric == m {
			return &c.Changes[i]
		}
	}
	return nil
}

// Change is one metric compared.
type Change struct {
	// Metric is what was compared.
	Metric Metric
	// Old and New are the values: req/s for throughput, seconds for
	// latencies, a fraction 0..1 for failures.
	Old, New float64
	// Delta is the change: New/Old − 1 for ratios (+Inf when Old is 0 and
	// New is not), New − Old for absolute metrics (failures).
	Delta float64
	// RawP is the two-sided Mann–Whitney p-value of the samples (1 without
	// samples). P is RawP adjusted for the diff's number of comparisons
	// (Benjamini–Hochberg), or RawP itself with DiffOptions.Unadjusted;
	// Significant is P < Alpha.
	RawP, P     float64
	Significant bool
	// Samples is SamplesRepeats (one value per cell) or SamplesSeconds (one
	// value per steady second; autocorrelated, so P is optimistic); NOld
	// and NNew are the sample sizes.
	Samples    string
	NOld, NNew int
	// TooFew is true when the repeats are too few for any difference to
	// reach Alpha (the smallest possible p-value is at least Alpha).
	TooFew bool
}

// Worse reports a significant change in the bad direction.
func (c *Change) Worse() bool { return c.Significant && c.sign() < 0 }

// Better reports a significant change in the good direction.
func (c *Change) Better() bool { return c.Significant && c.sign() > 0 }

// sign is +1 for an improvement, −1 for a regression, 0 for none.
func (c *Change) sign() int {
	d := c.New - c.Old
	if d == 0 || math.IsNaN(d) {
		return 0
	}
	if (d > 0) == c.Metric.HigherIsBetter() {
		return 1
	}
	return -1
}

// ScaleDiff compares one scale's curve in the two sets.
type ScaleDiff struct {
	// Scale is the replica count; InOld and InNew say where it was measured.
	Scale        int
	InOld, InNew bool
	// Peak compares the peak levels' throughput (MetricPeak); PeakLoadOld
	// and PeakLoadNew are the loads (users or req/s) where they were reached.
	Peak                     Change
	PeakLoadOld, PeakLoadNew float64
	// KneeOld and KneeNew are the loads of the knees (-1: none).
	KneeOld, KneeNew float64
	// SaturatedOld and SaturatedNew are false when throughput was still
	// growing at the highest load tested.
	SaturatedOld, SaturatedNew bool
}

// KneeMoved reports whether the knee appeared, vanished or moved.
func (s *ScaleDiff) KneeMoved() bool { return s.InOld && s.InNew && s.KneeOld != s.KneeNew }

// Compare diffs old and new with DefaultDiffOptions.
func Compare(old, new *results.Set) *Diff { return CompareWith(old, new, DefaultDiffOptions()) }

// CompareWith diffs old and new: cells matched by key (run, scale, load),
// each metric tested with a Mann–Whitney U test over repeats when both
// sides have MinRepeats cells at the key, else over the steady seconds.
// It never fails: problems become Warnings.
func CompareWith(old, new *results.Set, opt DiffOptions) *Diff {
	if opt.Alpha <= 0 || opt.Alpha >= 1 {
		opt.Alpha = DefaultDiffOptions().Alpha
	}
	if opt.MinRepeats < 2 {
		opt.MinRepeats = 2
	}
	d := &Diff{
		Old: sideOf(old), New: sideOf(new), Options: opt,
	}
	th := DefaultThresholds()
	th.IncludeDegraded = opt.IncludeDegraded
	d.OldStudy, d.NewStudy = AnalyzeWith(old, th), AnalyzeWith(new, th)
	d.Setup = setupDiffs(&old.Run, &new.Run)
	ko, oldByKey, oldBroken := d.usable(old, "old")
	kn, newByKey, newBroken := d.usable(new, "new")
	for _, k := range ko {
		cn, ok := newByKey[k]
		switch {
		case ok:
			d.Cells = append(d.Cells, d.cell(k, oldByKey[k], cn))
		case newBroken[k] != "":
			d.Lost = append(d.Lost, LostCell{Key: k, Reason: newBroken[k]})
		case d.isDegraded(k):
		default:
			d.OnlyOld = append(d.OnlyOld, k)
		}
	}
	for _, k := range kn {
		if _, ok := oldByKey[k]; ok {
			continue
		}
		switch {
		case oldBroken[k] != "":
			d.Recovered = append(d.Recovered, LostCell{Key: k, Reason: oldBroken[k]})
		case d.isDegraded(k):
		default:
			d.OnlyNew = append(d.OnlyNew, k)
		}
	}
	runOrder := map[string]int{}
	for i, r := range old.Run.Matrix.Runs {
		runOrder[r.Name] = i
	}
	for i, r := range new.Run.Matrix.Runs {
		if _, ok := runOrder[r.Name]; !ok {
			runOrder[r.Name] = len(old.Run.Matrix.Runs) + i
		}
	}
	slices.SortStableFunc(d.Cells, func(a, b CellDiff) int {
		return cmp.Or(cmp.Compare(runOrder[a.Run], runOrder[b.Run]), cmp.Compare(a.Run, b.Run),
			cmp.Compare(a.Scale, b.Scale), cmp.Compare(a.Load, b.Load))
	})
	d.scales(old, new)
	d.decide()
	d.Capacity = compareCapacities(old, new, th)
	return d
}

func sideOf(s *results.Set) Side {
	r := &s.Run
	return Side{Dir: s.Dir, ID: r.ID, Matrix: r.Matrix.Name, Commit: r.App.Commit, Short: r.App.Short,
		Dirty: r.App.Dirty, Started: r.Started}
}

// isDegraded reports whether key was left out as degraded on a side.
func (d *Diff) isDegraded(key string) bool {
	return slices.ContainsFunc(d.Degraded, func(l LostCell) bool { return l.Key == key })
}

func (d *Diff) warnf(format string, args ...any) {
	d.Warnings = append(d.Warnings, fmt.Sprintf(format, args...))
}

// usable groups a set's usable cells by key, keys in the set's order;
// failed, aborted and unrecorded cells are left out with a warning, and
// broken gives the first reason per key.
func (d *Diff) usable(set *results.Set, side string) (keys []string, by map[string][]*results.Cell, broken map[string]string) {
	by, broken = map[string][]*results.Cell{}, map[string]string{}
	for i := range set.Cells {
		c := &set.Cells[i]
		var why string
		switch {
		case c.Status == results.CellDegraded && !d.Options.IncludeDegraded:
			d.warnf("%s cell %s left out (degraded: %s; diff --include-degraded compares it)", side, c.Cell.ID, orNone(c.Error))
			k := c.Cell.Key()
			if !d.isDegraded(k) {
				d.Degraded = append(d.Degraded, LostCell{Key: k, Reason: side + ": " + orNone(c.Error)})
			}
			continue
		case c.Status == results.CellDegraded:
		case c.Status != results.CellOK:
			why = fmt.Sprintf("%s: %s", cmp.Or(c.Status, "no status"), orNone(c.Error))
		case c.Load == nil:
			why = "no load record"
		}
		if why != "" {
			d.warnf("%s cell %s left out (%s)", side, c.Cell.ID, why)
			if k := c.Cell.Key(); broken[k] == "" {
				broken[k] = why
			}
			continue
		}
		if c.Load.Check.GeneratorBound {
			d.warnf("%s cell %s was limited by the load generator (%s): its numbers are not the target's", side, c.Cell.ID, orNone(c.Load.Check.Reason))
		}
		k := c.Cell.Key()
		if _, ok := by[k]; !ok {
			keys = append(keys, k)
		}
		by[k] = append(by[k], c)
	}
	return keys, by, broken
}

// cell compares the cells of one key.
func (d *Diff) cell(key string, old, new []*results.Cell) CellDiff {
	first := &old[0].Cell
	cd := CellDiff{Key: key, Run: first.Run, Scale: first.Scale, Load: LoadOf(first)}
	for _, m := range CellMetrics() {
		cd.Changes = append(cd.Changes, d.compare(m, old, new))
	}
	return cd
}

// compare tests metric m between two groups of cells.
func (d *Diff) compare(m Metric, old, new []*results.Cell) Change {
	ch := Change{Metric: m, Old: value(m, old), New: value(m, new)}
	var so, sn []float64
	if len(old) >= d.Options.MinRepeats && len(new) >= d.Options.MinRepeats {
		ch.Samples = SamplesRepeats
		so, sn = perCell(m, old), perCell(m, new)
	} else {
		ch.Samples = SamplesSeconds
		so, sn = perSecond(m, old), perSecond(m, new)
	}
	d.test(&ch, so, sn)
	return ch
}

// test fills the change's delta, p-value and significance from the samples.
func (d *Diff) test(ch *Change, so, sn []float64) {
	ch.NOld, ch.NNew = len(so), len(sn)
	ch.Delta = delta(ch.Metric, ch.Old, ch.New)
	ch.RawP = MannWhitney(so, sn)
	ch.P = ch.RawP
	if ch.Samples == SamplesRepeats && MinPValue(ch.NOld, ch.NNew) >= d.Options.Alpha {
		ch.TooFew = true
	}
}

// decide adjusts the p-values of every comparison made (Benjamini–Hochberg
// over the comparisons that could be significant: samples on both sides,
// enough repeats) unless Unadjusted, and marks the significant changes.
func (d *Diff) decide() {
	var tests []*Change
	for i := range d.Cells {
		for j := range d.Cells[i].Changes {
			tests = append(tests, &d.Cells[i].Changes[j])
		}
	}
	for i := range d.Scales {
		if d.Scales[i].InOld && d.Scales[i].InNew {
			tests = append(tests, &d.Scales[i].Peak)
		}
	}
	var live []*Change
	for _, ch := range tests {
		if ch.NOld > 0 && ch.NNew > 0 && !ch.TooFew {
			live = append(live, ch)
		}
	}
	if !d.Options.Unadjusted {
		adjustBH(live)
	}
	for _, ch := range live {
		ch.Significant = ch.P < d.Options.Alpha && ch.New != ch.Old
	}
}

// adjustBH sets each change's P to its Benjamini–Hochberg adjusted p-value
// among tests: the smallest m/k·p₍ₖ₎ over the ranks k at or above its own,
// at most 1.
func adjustBH(tests []*Change) {
	m := len(tests)
	order := slices.Clone(tests)
	slices.SortStableFunc(order, func(a, b *Change) int { return cmp.Compare(a.RawP, b.RawP) })
	next := 1.0
	for k := m; k >= 1; k-- {
		ch := order[k-1]
		adj := math.Min(next, ch.RawP*float64(m)/float64(k))
		ch.P, next = adj, adj
	}
}

func delta(m Metric, old, new float64) float64 {
	switch {
	case m.Absolute():
		return new - old
	case old == new:
		return 0
	case old == 0:
		return math.Inf(1)
	}
	return new/old - 1
}

// MinPValue is the smallest two-sided p-value the exact Mann–Whitney test
// can give for samples of n1 and n2: 2 / C(n1+n2, n1), at most 1. A
// difference between fewer samples can never be significant at a level
// below it (3 against 3 gives 0.1; 4 against 4 gives 0.029).
func MinPValue(n1, n2 int) float64 {
	if n1 <= 0 || n2 <= 0 {
		return 1
	}
	c := 1.0 // C(n1+n2, n1), built up as a product
	for i := 1; i <= n1; i++ {
		c = c * float64(n2+i) / float64(i)
	}
	return math.Min(1, 2/c)
}

// MinRepeatsFor is the smallest n such that n repeats on each side can reach
// significance at alpha.
func MinRepeatsFor(alpha float64) int {
	for n := 1; n < 64; n++ {
		if MinPValue(n, n) < alpha {
			return n
		}
	}
	return 64
}

// value is a group of cells' headline value of m: mean throughput of
// successful requests (as the report's levels), percentiles of the merged
// steady histograms, failures over all steady requests.
func value(m Metric, cells []*results.Cell) float64 {
	switch m {
	case MetricRPS:
		return mean(perCell(m, cells))
	case MetricFailures:
		var req, fail int64
		for _, c := range cells {
			st := headline(c.Load)
			req += st.Requests
			fail += st.Failures
		}
		if req == 0 {
			return 0
		}
		return float64(fail) / float64(req)
	}
	q := quantileOf(m)
	if h, err := SteadyHistogram(cells); err == nil && h.TotalCount() > 0 {
		return results.Quantile(h, q).Seconds()
	}
	return mean(perCell(m, cells))
}

func quantileOf(m Metric) float64 {
	switch m {
	case MetricP50:
		return 0.50
	case MetricP95:
		return 0.95
	}
	return 0.99
}

// perCell is one value of m per cell, from its steady-state statistics.
func perCell(m Metric, cells []*results.Cell) []float64 {
	out := make([]float64, 0, len(cells))
	for _, c := range cells {
		st := headline(c.Load)
		switch m {
		case MetricRPS, MetricPeak:
			out = append(out, st.RPS*(1-st.FailRate))
		case MetricP50:
			out = append(out, st.Latency.P50.Seconds())
		case MetricP95:
			out = append(out, st.Latency.P95.Seconds())
		case MetricP99:
			out = append(out, st.Latency.P99.Seconds())
		case MetricFailures:
			out = append(out, st.FailRate)
		}
	}
	return out
}

// perSecond is one value of m per whole second of the cells' steady
// windows: successful requests for throughput; the second's percentile
// and failure rate for seconds that completed requests.
func perSecond(m Metric, cells []*results.Cell) []float64 {
	var out []float64
	for _, c := range cells {
		if m == MetricRPS || m == MetricPeak {
			out = append(out, steadySeconds(c)...)
			continue
		}
		for _, s := range steadyWindow(c) {
			if s.Requests == 0 {
				continue
			}
			switch m {
			case MetricP50:
				out = append(out, s.P50.Seconds())
			case MetricP95:
				out = append(out, s.P95.Seconds())
			case MetricP99:
				out = append(out, s.P99.Seconds())
			case MetricFailures:
				out = append(out, float64(s.Failures)/float64(s.Requests))
			}
		}
	}
	return out
}

// steadyWindow is the whole seconds of the cell's steady window (the
// seconds steadySeconds counts).
func steadyWindow(c *results.Cell) []results.Second {
	var out []results.Second
	for _, s := range c.Load.Series {
		start := time.Duration(s.T) * time.Second
		if start >= c.Load.SteadyStart && start+time.Second <= c.Load.Elapsed {
			out = append(out, s)
		}
	}
	return out
}

// scales compares the scale curves of the two studies.
func (d *Diff) scales(old, new *results.Set) {
	byScale := map[int]*ScaleDiff{}
	var order []int
	get := func(n int) *ScaleDiff {
		if s, ok := byScale[n]; ok {
			return s
		}
		s := &ScaleDiff{Scale: n, KneeOld: -1, KneeNew: -1}
		byScale[n] = s
		order = append(order, n)
		return s
	}
	for i := range d.OldStudy.Scales {
		sc := &d.OldStudy.Scales[i]
		s := get(sc.Scale)
		s.InOld, s.PeakLoadOld, s.KneeOld, s.SaturatedOld = true, sc.PeakLevel().Load, kneeLoad(sc), sc.Saturated
	}
	for i := range d.NewStudy.Scales {
		sc := &d.NewStudy.Scales[i]
		s := get(sc.Scale)
		s.InNew, s.PeakLoadNew, s.KneeNew, s.SaturatedNew = true, sc.PeakLevel().Load, kneeLoad(sc), sc.Saturated
	}
	slices.Sort(order)
	for _, n := range order {
		s := byScale[n]
		if s.InOld && s.InNew {
			po := scaleOf(d.OldStudy, n).PeakLevel()
			pn := scaleOf(d.NewStudy, n).PeakLevel()
			co, cn := cellsByID(old, po.Cells), cellsByID(new, pn.Cells)
			s.Peak = Change{Metric: MetricPeak, Old: po.RPS, New: pn.RPS}
			var so, sn []float64
			if len(co) >= d.Options.MinRepeats && len(cn) >= d.Options.MinRepeats {
				s.Peak.Samples = SamplesRepeats
				so, sn = perCell(MetricPeak, co), perCell(MetricPeak, cn)
			} else {
				s.Peak.Samples = SamplesSeconds
				so, sn = perSecond(MetricPeak, co), perSecond(MetricPeak, cn)
			}
			d.test(&s.Peak, so, sn)
		}
		d.Scales = append(d.Scales, *s)
	}
}

func kneeLoad(s *Scale) float64 {
	if s.Knee < 0 {
		return -1
	}
	return s.Levels[s.Knee].Load
}

func scaleOf(st *Study, n int) *Scale {
	for i := range st.Scales {
		if st.Scales[i].Scale == n {
			return &st.Scales[i]
		}
	}
	return nil
}

func cellsByID(set *results.Set, ids []string) []*results.Cell {
	var out []*results.Cell
	for _, id := range ids {
		if c := set.Cell(id); c != nil && c.Load != nil {
			out = append(out, c)
		}
	}
	return out
}
