package report

import (
	"cmp"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/scalebench/scalebench/internal/analysis"
)

// DiffVerdict is a diff in three lists of phrases: what got significantly
// worse, what got significantly better, and what did not change.
type DiffVerdict struct {
	Worse, Better, Same []string
	// Unknown lists what could not be compared (degraded cells).
	Unknown []string
}

// Verdict summarises d per metric over the matched cells, then per scale
// (peak throughput, knees), then per run and scale the capacity at the
// SLO. Names in the phrases come from the data.
func Verdict(d *analysis.Diff) DiffVerdict {
	var v DiffVerdict
	n := len(d.Cells)
	for _, m := range analysis.CellMetrics() {
		var worse, better, same int
		var worst, best float64
		for i := range d.Cells {
			ch := d.Cells[i].Change(m)
			switch {
			case ch.Worse():
				worse++
				if worse == 1 || ch.Worsening() > worst {
					worst = ch.Worsening()
				}
			case ch.Better():
				better++
				if better == 1 || -ch.Worsening() > best {
					best = -ch.Worsening()
				}
			default:
				same++
			}
		}
		name := metricName(m)
		if worse > 0 {
			v.Worse = append(v.Worse, fmt.Sprintf("%s in %s (%s %s)", name, ofCells(worse, n), extremeWord(m, true), worseningText(m, worst)))
		}
		if better > 0 {
			v.Better = append(v.Better, fmt.Sprintf("%s in %s (%s %s)", name, ofCells(better, n), extremeWord(m, false), worseningText(m, -best)))
		}
		if same > 0 {
			v.Same = append(v.Same, fmt.Sprintf("%s in %s", name, ofCells(same, n)))
		}
	}
	if n := len(d.Lost); n > 0 {
		v.Worse = append(v.Worse, fmt.Sprintf("%d %s measured before failed (%s)", n, plural(n, "cell"), lostKeys(d.Lost)))
	}
	if n := len(d.Degraded); n > 0 {
		v.Unknown = append(v.Unknown, fmt.Sprintf("%d %s degraded on a side, so not compared: the target or a container went away (%s)",
			n, plural(n, "cell"), lostKeys(d.Degraded)))
	}
	if n := len(d.Recovered); n > 0 {
		v.Better = append(v.Better, fmt.Sprintf("%d %s that had failed %s measured (%s)", n, plural(n, "cell"),
			map[bool]string{true: "was", false: "were"}[n == 1], lostKeys(d.Recovered)))
	}
	var sameScales []string
	for i := range d.Scales {
		s := &d.Scales[i]
		if !s.InOld || !s.InNew {
			continue
		}
		p := &s.Peak
		phrase := fmt.Sprintf("peak throughput at scale %d (%s → %s rps, %s)", s.Scale, RPS(p.Old), RPS(p.New), deltaText(p))
		switch {
		case p.Worse():
			v.Worse = append(v.Worse, phrase)
		case p.Better():
			v.Better = append(v.Better, phrase)
		default:
			sameScales = append(sameScales, fmt.Sprint(s.Scale))
		}
		if s.KneeMoved() {
			k := fmt.Sprintf("knee at scale %d %s → %s", s.Scale, kneeText(s.KneeOld, s.SaturatedOld), kneeText(s.KneeNew, s.SaturatedNew))
			sc := d.NewStudy.Scale(s.Scale)
			switch {
			case kneeEarlier(s):
				v.Worse = append(v.Worse, k)
			case s.KneeNew < 0 && sc != nil && sc.FailureOnset >= 0:
				// Failed requests do not count as throughput: a curve that
				// fails more may lose its knee without getting better.
				top := sc.Levels[len(sc.Levels)-1]
				v.Unknown = append(v.Unknown, fmt.Sprintf("%s, but %s of the requests failed at the highest load, which can hide a knee", k, pct(top.FailRate)))
			default:
				v.Better = append(v.Better, k)
			}
		}
	}
	if len(sameScales) > 0 {
		v.Same = append(v.Same, fmt.Sprintf("peak throughput at %s %s", plural(len(sameScales), "scale"), list(sameScales)))
	}
	capacityVerdict(d, &v)
	return v
}

// kneeEarlier reports a knee that appeared or moved to a lower load: the
// curve flattens sooner.
func kneeEarlier(s *analysis.ScaleDiff) bool {
	switch {
	case s.KneeNew < 0:
		return false
	case s.KneeOld < 0:
		return true
	}
	return s.KneeNew < s.KneeOld
}

// kneeText is a knee's load, or why there is none.
func kneeText(load float64, saturated bool) string {
	switch {
	case load >= 0:
		return num(load)
	case !saturated:
		return "not reached"
	}
	return "none"
}

func ofCells(k, n int) string {
	if k == n && n > 1 {
		return fmt.Sprintf("all %d cells", n)
	}
	return fmt.Sprintf("%d of %d %s", k, n, plural(n, "cell"))
}

// extremeWord introduces the largest change: throughput goes down when it
// gets worse, latency and failures go up.
func extremeWord(m analysis.Metric, worse bool) string {
	if m.HigherIsBetter() == worse {
		return "down to"
	}
	return "up to"
}

// worseningText writes a worsening w of m back as a signed change.
func worseningText(m analysis.Metric, w float64) string {
	ch := analysis.Change{Metric: m, Delta: w}
	if m.HigherIsBetter() {
		ch.Delta = -w
	}
	return deltaText(&ch)
}

// metricName names a metric in sentences and table titles.
func metricName(m analysis.Metric) string {
	switch m {
	case analysis.MetricRPS:
		return "throughput"
	case analysis.MetricPeak:
		return "peak throughput"
	}
	return string(m)
}

// metricTitle is a metric's table title with its unit and window.
func metricTitle(m analysis.Metric) string {
	switch m {
	case analysis.MetricRPS:
		return "throughput (successful req/s, steady state)"
	case analysis.MetricFailures:
		return "failures (share of requests failed, steady state)"
	}
	return string(m) + " response time (steady state)"
}

// valueText formats a metric's value in its unit.
func valueText(m analysis.Metric, x float64) string {
	switch m {
	case analysis.MetricRPS, analysis.MetricPeak:
		return RPS(x)
	case analysis.MetricFailures:
		return pct(x)
	}
	return dur(time.Duration(x * float64(time.Second)))
}

// deltaText formats a change: "+67%", "-4.3%", "+5.2pp", "+inf%" (from 0).
func deltaText(ch *analysis.Change) string {
	d := ch.Delta
	switch {
	case math.IsInf(d, 1):
		return "+inf%"
	case math.IsNaN(d):
		return "?"
	case ch.Metric.Absolute():
		pp := d * 100
		if pp != 0 && math.Abs(pp) < 0.05 {
			return fmt.Sprintf("%+.2fpp", pp)
		}
		return fmt.Sprintf("%+.1fpp", pp)
	}
	p := d * 100
	if math.Abs(p) < 9.95 {
		return fmt.Sprintf("%+.1f%%", p)
	}
	return fmt.Sprintf("%+.0f%%", p)
}

// vsText is the "vs old" column: the change when significant, else "~".
func vsText(ch *analysis.Change) string {
	if !ch.Significant {
		return "~"
	}
	return deltaText(ch)
}

// testText is the test behind a change: "p=0.002 n=11+11".
func testText(ch *analysis.Change) string {
	p := "p=" + strings.TrimPrefix(pvalue(ch.P), "p=")
	if ch.P < 0.001 {
		p = "p<0.001"
	}
	return fmt.Sprintf("%s n=%d+%d", p, ch.NOld, ch.NNew)
}

// Footnote marks.
const (
	markSeconds = "¹"
	markTooFew  = "²"
)

// mark is a change's footnote marker.
func mark(ch *analysis.Change) string {
	switch {
	case ch.TooFew:
		return markTooFew
	case ch.Samples == analysis.SamplesSeconds:
		return markSeconds
	}
	return ""
}

// footnotes are the notes the marks used in d refer to.
func footnotes(d *analysis.Diff) []string {
	var secs, few bool
	each := func(ch *analysis.Change) {
		secs = secs || (ch.Samples == analysis.SamplesSeconds && !ch.TooFew)
		few = few || ch.TooFew
	}
	for i := range d.Cells {
		for j := range d.Cells[i].Changes {
			each(&d.Cells[i].Changes[j])
		}
	}
	for i := range d.Scales {
		if d.Scales[i].InOld && d.Scales[i].InNew {
			each(&d.Scales[i].Peak)
		}
	}
	var out []string
	if n := liveTests(d); n > 0 {
		how := fmt.Sprintf("adjusted for the %d comparisons of this diff (Benjamini–Hochberg)", n)
		if d.Options.Unadjusted {
			how = "not adjusted for the number of comparisons"
		}
		out = append(out, fmt.Sprintf("p: two-sided Mann–Whitney U test, %s; ~: not significant at α=%g", how, d.Options.Alpha))
	}
	if secs {
		out = append(out, markSeconds+" per-second samples of the steady windows (a side has fewer than "+
			fmt.Sprint(d.Options.MinRepeats)+" repeats); p-values optimistic: seconds are autocorrelated")
	}
	if few {
		out = append(out, fmt.Sprintf("%s too few repeats to detect a difference at α=%g: %d per side are needed (set repeat: %d)",
			markTooFew, d.Options.Alpha, analysis.MinRepeatsFor(d.Options.Alpha), analysis.MinRepeatsFor(d.Options.Alpha)))
	}
	return out
}

// sideText describes one side of a diff: "demo-… (commit 3f2c1ab, 2024-06-01 12:00 UTC)".
func sideText(s analysis.Side) string {
	return cmp.Or(s.ID, s.Dir) + " " + sideFacts(s)
}

// sideFacts are a side's commit and start time: "(commit 3f2c1ab, dirty, 2024-06-01 12:00 UTC)".
func sideFacts(s analysis.Side) string {
	var facts []string
	if c := cmp.Or(s.Short, s.Commit); c != "" {
		facts = append(facts, "commit "+c)
		if s.Dirty {
			facts = append(facts, "dirty")
		}
	} else {
		facts = append(facts, "no commit recorded")
	}
	if !s.Started.IsZero() {
		facts = append(facts, s.Started.UTC().Format("2006-01-02 15:04 UTC"))
	}
	return "(" + strings.Join(facts, ", ") + ")"
}

// loadUnit is the load unit of the diff's cells.
func loadUnit(d *analysis.Diff) string {
	for _, st := range []*analysis.Study{d.NewStudy, d.OldStudy} {
		if st != nil && st.Analysed > 0 {
			return unit(st)
		}
	}
	return "users"
}

// liveTests counts the comparisons that could be significant: samples on
// both sides and enough repeats.
func liveTests(d *analysis.Diff) int {
	n := 0
	count := func(ch *analysis.Change) {
		if ch.NOld > 0 && ch.NNew > 0 && !ch.TooFew {
			n++
		}
	}
	for i := range d.Cells {
		for j := range d.Cells[i].Changes {
			count(&d.Cells[i].Changes[j])
		}
	}
	for i := range d.Scales {
		if d.Scales[i].InOld && d.Scales[i].InNew {
			count(&d.Scales[i].Peak)
		}
	}
	return n
}

func lostKeys(ls []analysis.LostCell) string {
	var keys []string
	for _, l := range ls {
		keys = append(keys, l.Key)
	}
	return strings.Join(keys, ", ")
}
