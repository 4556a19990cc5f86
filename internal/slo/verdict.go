// Package slo owns the judgement of load against a service level objective:
// whether a cell (or the repeats of one load level) met the matrix's SLO and
// whether that verdict is significant, the capacity search's next probe
// (bracket geometrically, then bisect), and the sequential rule that stops a
// cell whose verdict is already decided. It is pure numbers over saved
// results and per-second figures: it must not run load, touch Docker or
// files, or write text for people beyond a verdict's short reasons.
package slo

import (
	"fmt"
	"math"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// Z is how many standard errors separate an estimate from its limit for a
// verdict to count as significant (about 95%, two-sided).
const Z = 2.0

// MinSeconds is the fewest steady seconds a verdict, or an early stop,
// rests on.
const MinSeconds = 10

// Verdict is the SLO's judgement of one load level, over its repeats.
type Verdict struct {
	// Pass is true when every limit is met by the estimate.
	Pass bool `json:"pass"`
	// Clear is true when the decision is significant: every limit clearly
	// met (Pass), or one clearly broken (not Pass).
	Clear bool `json:"clear"`
	// Broken lists the limits the estimate breaks ("p95 612ms > 500ms").
	Broken []string `json:"broken,omitempty"`
	// Throughput is the steady-state rate of successful requests, in
	// requests per second, averaged over the repeats.
	Throughput float64 `json:"throughput"`
	// Repeats is the number of cells judged; EarlyStopped how many of them
	// stopped early.
	Repeats      int `json:"repeats"`
	EarlyStopped int `json:"early_stopped,omitempty"`
}

// limit is one checked limit's estimate, standard error and bound.
type limit struct {
	name       string
	est, se    float64
	bound      float64
	lowerWorse bool // throughput: below the bound breaks it
	format     func(float64) string
}

func (l limit) broken() bool {
	if l.lowerWorse {
		return l.est < l.bound
	}
	return l.est > l.bound
}

func (l limit) clear() bool { return math.Abs(l.est-l.bound) > Z*l.se }

// Judge judges cells, the repeats of one load level, against s. Every
// cell with a load record counts as a repeat; a cell stopped early by the
// rule of this package makes the level a clear failure; a level with no
// steady-state request is an unsure failure.
func Judge(s matrix.SLO, cells []*results.Cell) Verdict {
	var v Verdict
	var used []*results.Cell
	for _, c := range cells {
		if c == nil || c.Load == nil {
			continue
		}
		v.Repeats++
		v.Throughput += goodRPS(c.Load.Steady)
		switch {
		case c.EarlyStop != nil:
			v.EarlyStopped++
			v.Broken = append(v.Broken, c.EarlyStop.Reason)
		case c.Load.Steady.Requests > 0:
			used = append(used, c)
		}
	}
	if v.Repeats > 0 {
		v.Throughput /= float64(v.Repeats)
	}
	switch {
	case v.EarlyStopped > 0:
		v.Clear = true
		return v
	case len(used) == 0:
		// No steady state to judge (users not all started within the
		// duration, or no load at all): an unsure failure.
		v.Broken = append(v.Broken, "no steady-state request to judge")
		return v
	}
	v.Pass, v.Clear = true, true
	for _, l := range limits(s, used) {
		if l.broken() {
			if v.Pass {
				v.Pass, v.Clear = false, false
			}
			v.Broken = append(v.Broken, fmt.Sprintf("%s %s %s %s", l.name, l.format(l.est), map[bool]string{false: ">", true: "<"}[l.lowerWorse], l.format(l.bound)))
			v.Clear = v.Clear || l.clear()
			continue
		}
		if v.Pass && !l.clear() {
			v.Clear = false
		}
	}
	return v
}

func goodRPS(s results.Stats) float64 {
	if s.Window <= 0 {
		return 0
	}
	return float64(s.Requests-s.Failures) / s.Window.Seconds()
}

// limits estimates every limit s sets over cells, each with its standard
// error: the per-second values of the steady windows as batch means
// (optimistic when seconds are correlated), and the spread between repeats
// when there are several, whichever is larger.
func limits(s matrix.SLO, cells []*results.Cell) []limit {
	var out []limit
	dur := func(x float64) string { return time.Duration(x).Round(time.Millisecond).String() }
	for _, q := range []struct {
		name  string
		bound time.Duration
		cell  func(results.Latency) time.Duration
		sec   func(results.Second) time.Duration
	}{
		{"p50", s.P50, func(l results.Latency) time.Duration { return l.P50 }, func(x results.Second) time.Duration { return x.P50 }},
		{"p95", s.P95, func(l results.Latency) time.Duration { return l.P95 }, func(x results.Second) time.Duration { return x.P95 }},
		{"p99", s.P99, func(l results.Latency) time.Duration { return l.P99 }, func(x results.Second) time.Duration { return x.P99 }},
	} {
		if q.bound <= 0 {
			continue
		}
		out = append(out, pooled(cells, q.name, float64(q.bound), false, dur,
			func(c *results.Cell) float64 { return float64(q.cell(c.Load.Steady.Latency)) },
			func(x results.Second) (float64, bool) { return float64(q.sec(x)), x.Requests > x.Failures }))
	}
	if s.Failures != nil {
		out = append(out, failures(cells, *s.Failures))
	}
	if s.MinRPS > 0 {
		out = append(out, pooled(cells, "throughput", s.MinRPS, true, func(x float64) string { return fmt.Sprintf("%.1f rps", x) },
			func(c *results.Cell) float64 { return goodRPS(c.Load.Steady) },
			func(x results.Second) (float64, bool) { return float64(x.Requests - x.Failures), true }))
	}
	return out
}

// pooled is the mean over repeats of each cell's estimate, weighted by its
// steady requests, with a standard error from the per-second values.
func pooled(cells []*results.Cell, name string, bound float64, lowerWorse bool, format func(float64) string,
	est func(*results.Cell) float64, sec func(results.Second) (float64, bool)) limit {
	l := limit{name: name, bound: bound, lowerWorse: lowerWorse, format: format}
	var wsum, var2 float64
	var ests []float64
	for _, c := range cells {
		w := float64(max(c.Load.Steady.Requests, 1))
		e := est(c)
		ests = append(ests, e)
		l.est += w * e
		wsum += w
		xs := steadySeconds(c, sec)
		if n := len(xs); n >= 2 {
			sd := stddev(xs)
			var2 += w * w * sd * sd / float64(n)
		}
	}
	l.est /= wsum
	l.se = math.Sqrt(var2) / wsum
	if k := len(ests); k >= 2 {
		l.se = max(l.se, stddev(ests)/math.Sqrt(float64(k)))
	}
	return l
}

// failures is the pooled failure rate of the steady windows, with a
// standard error that treats seconds as clusters of requests.
func failures(cells []*results.Cell, bound float64) limit {
	l := limit{name: "failures", bound: bound, format: func(x float64) string { return fmt.Sprintf("%.2g%%", x*100) }}
	var n, f float64
	var secs []results.Second
	for _, c := range cells {
		n += float64(c.Load.Steady.Requests)
		f += float64(c.Load.Steady.Failures)
		steadySeconds(c, func(x results.Second) (float64, bool) { secs = append(secs, x); return 0, false })
	}
	if n == 0 {
		return l
	}
	l.est = f / n
	var ss float64
	for _, x := range secs {
		d := float64(x.Failures) - l.est*float64(x.Requests)
		ss += d * d
	}
	l.se = math.Sqrt(ss) / n
	return l
}

// steadySeconds returns sec's values over the whole seconds of c's steady
// window that sec accepts.
func steadySeconds(c *results.Cell, sec func(results.Second) (float64, bool)) []float64 {
	from := int(math.Ceil(c.Load.SteadyStart.Seconds()))
	var out []float64
	for _, x := range c.Load.Series {
		if x.T < from {
			continue
		}
		if v, ok := sec(x); ok {
			out = append(out, v)
		}
	}
	return out
}

func stddev(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	var m float64
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return math.Sqrt(ss / float64(len(xs)-1))
}
