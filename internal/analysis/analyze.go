package analysis

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// Analyze computes the study of set with DefaultThresholds. It never fails:
// problems with individual cells become Flags and Warnings.
func Analyze(set *results.Set) *Study { return AnalyzeWith(set, DefaultThresholds()) }

// AnalyzeWith computes the study of set with th.
func AnalyzeWith(set *results.Set, th Thresholds) *Study {
	st := &Study{
		Name:       set.Run.Matrix.Name,
		Scaled:     ScaledService(&set.Run.Matrix),
		Mode:       matrix.Closed,
		Thresholds: th,
		Planned:    len(set.Run.Cells),
		Finished:   len(set.Cells),
	}
	a := analyzer{th: th, cores: defaultCores(&set.Run), study: st}
	st.Cores = a.cores
	usable := a.usableCells(set)
	st.Analysed = len(usable)
	for _, c := range usable {
		if c.Cell.Mode == matrix.Open {
			st.Mode = matrix.Open
			break
		}
	}
	st.Runs = a.runs(set, usable)
	st.Scales = a.scales(usable)
	a.steps()
	a.laws(set, usable)
	st.USL = fitScales(st.Scales)
	a.runWarnings(set)
	return st
}

// ScaledService is the name of the service the matrix scales ("" if none).
func ScaledService(m *matrix.Matrix) string {
	switch {
	case m.Compose != nil:
		return m.Compose.Service
	case m.Swarm != nil:
		return m.Swarm.Service
	}
	return ""
}

// LoadOf is a cell's load level: its users, or its rate in open loop.
func LoadOf(c *matrix.Cell) float64 {
	if c.Mode == matrix.Open {
		return c.Rate
	}
	return float64(c.Users)
}

// defaultCores is the CPU ceiling of a container without a limit, in cores.
func defaultCores(r *results.Run) float64 {
	if r.Engine != nil && r.Engine.CPUs > 0 {
		return float64(r.Engine.CPUs)
	}
	return float64(r.Host.CPUs)
}

type analyzer struct {
	th    Thresholds
	cores float64
	study *Study
}

func (a *analyzer) warnf(format string, args ...any) {
	a.study.Warnings = append(a.study.Warnings, fmt.Sprintf(format, args...))
}

func (a *analyzer) flag(c *results.Cell, kind FlagKind, detail string, ratio float64) {
	a.study.Flags = append(a.study.Flags, Flag{
		Cell: c.Cell.ID, Run: c.Cell.Run, Scale: c.Cell.Scale, Load: LoadOf(&c.Cell),
		Kind: kind, Detail: detail, Ratio: ratio,
	})
}

// usableCells returns the cells whose numbers count, flagging the others and
// the cells whose checks raise doubts.
func (a *analyzer) usableCells(set *results.Set) []*results.Cell {
	var out []*results.Cell
	for i := range set.Cells {
		c := &set.Cells[i]
		switch c.Status {
		case results.CellFailed:
			a.flag(c, FlagFailed, c.Error, 0)
			a.warnf("cell %s failed: %s; its numbers are left out", c.Cell.ID, orNone(c.Error))
			continue
		case results.CellAborted:
			a.flag(c, FlagAborted, c.Error, 0)
			a.warnf("cell %s was aborted: %s; its numbers are left out", c.Cell.ID, orNone(c.Error))
			continue
		case results.CellDegraded:
			a.flag(c, FlagDegraded, c.Error, 0)
			if !a.th.IncludeDegraded {
				a.warnf("cell %s is degraded: %s; its numbers are left out of the conclusions (report --include-degraded uses them)", c.Cell.ID, orNone(c.Error))
				continue
			}
			a.warnf("cell %s is degraded: %s; its numbers are used, as asked", c.Cell.ID, orNone(c.Error))
		}
		if c.Load == nil {
			a.warnf("cell %s has no load record; it is left out", c.Cell.ID)
			continue
		}
		chk := c.Load.Check
		if chk.GeneratorBound {
			a.flag(c, FlagGenerator, chk.Reason, chk.Ratio)
			a.warnf("cell %s was limited by the load generator (%s): its throughput is not the target's limit",
				c.Cell.ID, orNone(chk.Reason))
		} else if c.Cell.Mode != matrix.Open && chk.Ratio > 0 && math.Abs(chk.Ratio-1) > a.th.LittleTolerance {
			a.flag(c, FlagLittle, chk.Reason, chk.Ratio)
			why := "users spent time neither in requests nor thinking: the load generator may have held them back"
			if chk.Ratio > 1 {
				why = "more requests completed than the users could have sent: check the steady window and the recorded times"
			}
			a.warnf("cell %s: Little's law does not hold (throughput × (response + wait) / users = %.2f): %s", c.Cell.ID, chk.Ratio, why)
		}
		a.health(c)
		out = append(out, c)
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "no reason recorded"
	}
	return s
}

// runs builds the per-run grids in matrix order (runs found only in cells
// come after, in order of appearance).
func (a *analyzer) runs(set *results.Set, usable []*results.Cell) []Run {
	var names []string
	titles := map[string]string{}
	durations := map[string]time.Duration{}
	for _, r := range set.Run.Matrix.Runs {
		names = append(names, r.Name)
		titles[r.Name] = cmp.Or(r.Title, r.Name)
		durations[r.Name] = r.Duration
	}
	byRun := map[string][]*results.Cell{}
	for _, c := range usable {
		if _, ok := titles[c.Cell.Run]; !ok {
			names = append(names, c.Cell.Run)
			titles[c.Cell.Run] = cmp.Or(c.Cell.Title, c.Cell.Run)
			durations[c.Cell.Run] = c.Cell.Duration
		}
		byRun[c.Cell.Run] = append(byRun[c.Cell.Run], c)
	}
	var out []Run
	for _, name := range names {
		cells := byRun[name]
		if len(cells) == 0 {
			continue
		}
		r := Run{Name: name, Title: titles[name], Duration: durations[name]}
		groups := groupLevels(cells)
		for _, g := range groups {
			r.Levels = append(r.Levels, a.level(g))
			r.Scales = appendUnique(r.Scales, g[0].Cell.Scale)
			r.Loads = appendUnique(r.Loads, LoadOf(&g[0].Cell))
		}
		slices.Sort(r.Scales)
		slices.Sort(r.Loads)
		heavy := cells[0]
		for _, c := range cells[1:] {
			l, h := LoadOf(&c.Cell), LoadOf(&heavy.Cell)
			if l > h || l == h && (c.Cell.Scale > heavy.Cell.Scale ||
				c.Cell.Scale == heavy.Cell.Scale && c.Load.Total.Requests > heavy.Load.Total.Requests) {
				heavy = c
			}
		}
		r.Heaviest = heavy.Cell.ID
		out = append(out, r)
	}
	return out
}

func appendUnique[T comparable](xs []T, x T) []T {
	if slices.Contains(xs, x) {
		return xs
	}
	return append(xs, x)
}

// groupLevels groups cells by (scale, load), ordered by scale then load.
func groupLevels(cells []*results.Cell) [][]*results.Cell {
	type key struct {
		scale int
		load  float64
	}
	idx := map[key]int{}
	var groups [][]*results.Cell
	for _, c := range cells {
		k := key{c.Cell.Scale, LoadOf(&c.Cell)}
		i, ok := idx[k]
		if !ok {
			i = len(groups)
			idx[k] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], c)
	}
	slices.SortStableFunc(groups, func(x, y []*results.Cell) int {
		return cmp.Or(cmp.Compare(x[0].Cell.Scale, y[0].Cell.Scale),
			cmp.Compare(LoadOf(&x[0].Cell), LoadOf(&y[0].Cell)))
	})
	return groups
}

// scales builds the scale curves with every run's cells pooled.
func (a *analyzer) scales(usable []*results.Cell) []Scale {
	var out []Scale
	for _, g := range groupLevels(usable) {
		lv := a.level(g)
		if len(out) == 0 || out[len(out)-1].Scale != lv.Scale {
			out = append(out, Scale{Scale: lv.Scale})
		}
		s := &out[len(out)-1]
		s.Levels = append(s.Levels, lv)
	}
	for i := range out {
		a.curve(&out[i])
	}
	if len(out) > 0 {
		base := out[0]
		for i := range out {
			s := &out[i]
			if b := base.PeakLevel().RPS; b > 0 {
				s.Speedup = s.PeakLevel().RPS / b
				s.Efficiency = s.Speedup / (float64(s.Scale) / float64(base.Scale))
			}
		}
	}
	return out
}

// curve finds a scale's peak, knee, failure onset, growth and bottleneck.
func (a *analyzer) curve(s *Scale) {
	lv := s.Levels
	n := len(lv)
	s.Knee, s.FailureOnset = -1, -1
	for i := range lv {
		if lv[i].RPS > lv[s.Peak].RPS {
			s.Peak = i
		}
		if s.FailureOnset < 0 && lv[i].FailRate > a.th.FailRate {
			s.FailureOnset = i
		}
	}
	for i := 0; i < n-1 && s.Knee < 0; i++ {
		flat := true
		for j := i + 1; j < n; j++ {
			gain, p := compareLevels(&lv[i], &lv[j])
			if gain >= a.th.MinGain && p < a.th.Alpha {
				flat = false
				break
			}
		}
		if flat && ratio(lv[n-1].P95, lv[i].P95) > a.th.LatencyGrowth {
			s.Knee = i
		}
	}
	if s.Knee >= 0 {
		s.KneeP50Growth = ratio(lv[n-1].P50, lv[s.Knee].P50)
		s.KneeP95Growth = ratio(lv[n-1].P95, lv[s.Knee].P95)
	}
	a.capacity(s)
	s.Saturated = s.Knee >= 0 || s.Peak < n-1
	if n > 1 && s.Peak == n-1 && s.Knee < 0 {
		// Still growing at the top, unless the last step was flat.
		gain, p := compareLevels(&lv[n-2], &lv[n-1])
		s.Saturated = !(gain >= a.th.MinGain && p < a.th.Alpha)
	}
	s.P50Growth = ratio(lv[n-1].P50, lv[0].P50)
	s.P95Growth = ratio(lv[n-1].P95, lv[0].P95)
	if top, ok := topService(s.PeakLevel().Services); ok && top.Utilization >= a.th.NearCeiling {
		s.Bottleneck = top.Service
	}
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// topService is the service with the highest utilization (CPU when no
// ceiling is known).
func topService(ss []ServiceLoad) (ServiceLoad, bool) {
	if len(ss) == 0 {
		return ServiceLoad{}, false
	}
	return ss[0], true
}

// capacity pools the plateau levels within MinGain of the best mark.
func (a *analyzer) capacity(s *Scale) {
	c := &s.Capacity
	best := s.PeakLevel().RPS
	if s.Knee >= 0 {
		for i := s.Knee; i < len(s.Levels); i++ {
			if s.Levels[i].RPS >= (1-a.th.MinGain)*best {
				c.Levels = append(c.Levels, i)
			}
		}
	} else {
		c.Levels = []int{s.Peak}
	}
	repeats := true
	for _, i := range c.Levels {
		repeats = repeats && s.Levels[i].SampleKind == SamplesRepeats
	}
	var sum, weight float64
	for _, i := range c.Levels {
		lv := &s.Levels[i]
		c.seconds = append(c.seconds, lv.seconds...)
		w := float64(len(lv.seconds))
		if repeats {
			c.Samples = append(c.Samples, lv.Samples...)
			w = float64(len(lv.Samples))
		}
		sum += w * lv.RPS
		weight += w
	}
	c.SampleKind = SamplesRepeats
	if !repeats {
		c.Samples, c.SampleKind = c.seconds, SamplesSeconds
	}
	if len(c.Levels) == 1 || weight == 0 {
		c.RPS = s.Levels[c.Levels[0]].RPS
	} else {
		c.RPS = sum / weight
	}
	if n := len(c.Samples); n >= 2 {
		c.SE = stddev(c.Samples) / math.Sqrt(float64(n))
		c.HalfWidth = tQuantile975(n-1) * c.SE
	}
}

// compareLevels returns b's throughput gain over a and the Mann–Whitney
// p-value of their samples (per second unless both have repeats).
func compareLevels(a, b *Level) (gain, p float64) {
	gain, p, _ = compareSamples(a.RPS, b.RPS, a.Samples, b.Samples, a.SampleKind, b.SampleKind, a.seconds, b.seconds)
	return gain, p
}

// compareSamples returns the relative gain from rate a to rate b and the
// Mann–Whitney p-value of their samples: per cell when both sides have
// repeats, else per second.
func compareSamples(a, b float64, sa, sb []float64, ka, kb string, seca, secb []float64) (gain, p float64, kind string) {
	if a <= 0 {
		return 0, 1, ka
	}
	gain, kind = b/a-1, ka
	if ka != kb {
		sa, sb, kind = seca, secb, SamplesSeconds
	}
	return gain, MannWhitney(sa, sb), kind
}

// steps compares the peaks of consecutive scales.
func (a *analyzer) steps() {
	st := a.study
	st.Linear = len(st.Scales) > 1
	for i := 1; i < len(st.Scales); i++ {
		from, to := &st.Scales[i-1], &st.Scales[i]
		pf, pt := &from.Capacity, &to.Capacity
		gain, p, kind := compareSamples(pf.RPS, pt.RPS, pf.Samples, pt.Samples, pf.SampleKind, pt.SampleKind, pf.seconds, pt.seconds)
		nf, nt := len(pf.Samples), len(pt.Samples)
		if kind == SamplesSeconds {
			nf, nt = len(pf.seconds), len(pt.seconds)
		}
		step := Step{
			From: from.Scale, To: to.Scale, FromRPS: pf.RPS, ToRPS: pt.RPS,
			Gain: finite(gain), P: p, Significant: p < a.th.Alpha,
			Samples: kind, NFrom: nf, NTo: nt,
			FromBottleneck: from.Bottleneck, ToBottleneck: to.Bottleneck,
		}
		if pf.RPS > 0 && pt.RPS > 0 {
			r := pt.RPS / pf.RPS
			rel := math.Hypot(pf.SE/pf.RPS, pt.SE/pt.RPS)
			step.GainLow, step.GainHigh = r*(1-1.96*rel)-1, r*(1+1.96*rel)-1
			step.Efficiency = r / (float64(to.Scale) / float64(from.Scale))
		}
		switch {
		case !step.Significant:
			step.Verdict = NoGain
		case gain >= a.th.MinGain:
			step.Verdict = Raised
		case gain <= -a.th.MinGain:
			step.Verdict = Lowered
		default:
			step.Verdict = Small
		}
		if top, ok := topService(to.PeakLevel().Services); ok {
			step.Top = top
		}
		if step.Verdict != Raised {
			st.Linear = false
		}
		st.Steps = append(st.Steps, step)
	}
	for _, s := range st.Scales {
		if s.Efficiency < a.th.Linear {
			st.Linear = false
		}
	}
}

// runWarnings adds the run-level warnings: missing cells, run status.
func (a *analyzer) runWarnings(set *results.Set) {
	st := a.study
	if missing := st.Planned - st.Finished; missing > 0 {
		a.warnf("%d of %d planned cells have no results (run status: %s)", missing, st.Planned, cmp.Or(set.Run.Status, "unknown"))
	}
	switch set.Run.Status {
	case results.StatusAborted:
		a.warnf("the run was aborted before it finished")
	case results.StatusFailed:
		if st.Planned > 0 && st.Finished >= st.Planned {
			a.warnf("the run ended as failed: every planned cell ran, but some failed")
		} else {
			a.warnf("the run failed before it finished")
		}
	}
	for _, w := range set.Run.Warnings {
		a.warnf("run: %s", w)
	}
	if st.Analysed == 0 {
		a.warnf("no cell has usable results: nothing to analyse")
	}
}
