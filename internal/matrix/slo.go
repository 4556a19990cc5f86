package matrix

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// SLO is a service level objective every cell is judged against: the
// steady-state percentiles of successful requests at or under their limits,
// the failure rate at or under its limit, and, when set, a least throughput.
// A zero limit is not checked.
type SLO struct {
	// P50, P95 and P99 bound the steady-state percentiles (0: not checked).
	P50 time.Duration `json:"p50_ns,omitempty"`
	P95 time.Duration `json:"p95_ns,omitempty"`
	P99 time.Duration `json:"p99_ns,omitempty"`
	// Failures bounds the steady-state failure rate (0..1); nil: not checked.
	Failures *float64 `json:"failures,omitempty"`
	// MinRPS is the least steady-state throughput of successful requests,
	// in requests per second (0: not checked).
	MinRPS float64 `json:"min_rps,omitempty"`
}

// String writes the SLO as a reader says it: "p95 ≤ 500ms, failures ≤ 1%".
func (s SLO) String() string {
	var parts []string
	for _, l := range []struct {
		name string
		d    time.Duration
	}{{"p50", s.P50}, {"p95", s.P95}, {"p99", s.P99}} {
		if l.d > 0 {
			parts = append(parts, fmt.Sprintf("%s ≤ %s", l.name, l.d))
		}
	}
	if s.Failures != nil {
		parts = append(parts, fmt.Sprintf("failures ≤ %g%%", *s.Failures*100))
	}
	if s.MinRPS > 0 {
		parts = append(parts, fmt.Sprintf("throughput ≥ %g rps", s.MinRPS))
	}
	return strings.Join(parts, ", ")
}

// Search asks, at each scale of a run, for the highest load level that
// still meets the matrix's SLO, instead of a fixed list of levels.
type Search struct {
	// Mode is Closed (users) or Open (rate, in requests per second).
	Mode Mode `json:"mode"`
	// From is the lowest level tried; Max the highest.
	From int `json:"from"`
	Max  int `json:"max"`
	// Resolution is the relative width at which bisection stops (0.05: the
	// answer is within 5%); it also stops when the bracket is one level wide.
	Resolution float64 `json:"resolution"`
	// Growth is the factor the load grows by while bracketing (default 2).
	Growth float64 `json:"growth"`
	// Repeats is the most times one level is run to make its pass/fail
	// decision significant (default 3).
	Repeats int `json:"repeats"`
}

// Search defaults.
const (
	DefaultResolution    = 0.05
	DefaultGrowth        = 2.0
	DefaultSearchRepeats = 3
)

// ProbeBound is the most probes (cells) one scale's search can run: the
// geometric bracket (up from From to Max, or down from a previous scale's
// answer to From), the bisection down to the resolution, each level run up
// to Repeats times.
func (s Search) ProbeBound() int {
	if s.From <= 0 || s.Max < s.From {
		return 0
	}
	g := max(s.Growth, 1.01)
	bracket := 1 + int(math.Ceil(math.Log(float64(s.Max)/float64(s.From))/math.Log(g)))
	// Bisection halves the bracket's log-width until it is within the
	// resolution or one level wide; +1 for integer rounding.
	width := math.Log(g) / math.Log1p(max(s.Resolution, 1e-3))
	bisect := 1 + int(math.Ceil(math.Log2(max(width, 1))))
	return (bracket + bisect) * max(s.Repeats, 1)
}

// Probe is the cell that runs level at scale, repeat rep, of search run r:
// an ordinary cell, with the id a grid cell would have ("capacity-s3-u37-r1").
func (r Run) Probe(scale, level, rep int) Cell {
	if r.Search != nil && r.Search.Mode == Open {
		return r.cell(scale, Open, 0, float64(level), rep)
	}
	return r.cell(scale, Closed, level, 0, rep)
}

// EarlyStopOn says whether cells of r stop once their SLO verdict is
// decided: the run's early_stop, else on for search runs and off for grid
// runs. It is off without an SLO, and with load agents, which send their
// records when the cell ends: nothing can be judged second by second.
func (r Run) EarlyStopOn(m *Matrix) bool {
	if m.SLO == nil || m.Agents != nil {
		return false
	}
	if r.EarlyStop != nil {
		return *r.EarlyStop
	}
	return r.Search != nil
}

// SearchRuns lists the runs that search for a capacity, in file order.
func (m *Matrix) SearchRuns() []Run {
	var out []Run
	for _, r := range m.Runs {
		if r.Search != nil {
			out = append(out, r)
		}
	}
	return out
}

// SearchBound is the most probes every search run can take together, and
// their worst-case wall time: each probe's duration and cooldown, and one
// rescale (rescale, an estimate) and settle per scale.
func (m *Matrix) SearchBound(rescale time.Duration) (probes int, wall time.Duration) {
	for _, r := range m.SearchRuns() {
		n := r.Search.ProbeBound()
		for range r.Scale {
			probes += n
			c := r.Probe(r.Scale[0], r.Search.Max, 1)
			wall += rescale + c.Settle + time.Duration(n)*(c.Duration+c.Cooldown)
		}
	}
	return probes, wall
}
