package analysis

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Limit is how far one metric may get worse before a diff fails a CI gate.
// Only a significant change counts.
type Limit struct {
	// Metric is the metric limited.
	Metric Metric
	// Max is the largest worsening that passes, ≥ 0: a fraction of the old
	// value (0.10 for 10%), or for failures a difference of failure rates
	// (0.01 for one percentage point). 0 fails on any significant worsening.
	Max float64
	// Text is the limit as written ("p95=+10%").
	Text string
}

// Regression is a significant change beyond a Limit.
type Regression struct {
	// Limit is the limit exceeded.
	Limit Limit
	// Where is the cell key ("run1-s3-u20") or, for peak throughput, the
	// scale ("scale 3"), for capacity the run and scale ("run1 scale 3").
	Where string
	// Change is the change found.
	Change Change
	// Lost is set, instead of Change, for a cell measured in old whose
	// cells failed in new: why they failed.
	Lost string
	// Capacity is set, instead of Change, for a capacity limit: the
	// capacity change found.
	Capacity *CapacityChange
}

// Worsening is how much the change made things worse, in the units of
// Limit.Max: the relative fall of throughput, the relative rise of a
// latency, the rise of the failure rate; ≤ 0 for no worsening.
func (c *Change) Worsening() float64 {
	if c.Metric.HigherIsBetter() {
		return -c.Delta
	}
	return c.Delta
}

// limitNames are the metrics a limit may name.
const limitNames = "rps, p50, p95, p99, failures, peak or capacity"

// ParseLimits parses a --fail-on list: comma-separated metric=change items,
// where the change is a percentage of the old value ("p95=+10%",
// "rps=-5%", "peak=-5%", "capacity=-5%") or, for failures, percentage points
// ("failures=+1pp"). The sign may be left out; when written it must point
// the way the metric gets worse (+ for latencies and failures, − for
// throughput). An empty string is no limit.
func ParseLimits(s string) ([]Limit, error) {
	var out []Limit
	seen := map[Metric]bool{}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		l, err := parseLimit(item)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", item, err)
		}
		if seen[l.Metric] {
			return nil, fmt.Errorf("%q: %s is limited twice; keep one limit per metric", item, l.Metric)
		}
		seen[l.Metric] = true
		out = append(out, l)
	}
	return out, nil
}

func parseLimit(item string) (Limit, error) {
	name, val, ok := strings.Cut(item, "=")
	if !ok {
		return Limit{}, fmt.Errorf("want metric=change, e.g. p95=+10%% or failures=+1pp")
	}
	m := Metric(strings.ToLower(strings.TrimSpace(name)))
	switch m {
	case MetricRPS, MetricP50, MetricP95, MetricP99, MetricFailures, MetricPeak, MetricCapacity:
	default:
		return Limit{}, fmt.Errorf("unknown metric %q (use %s)", strings.TrimSpace(name), limitNames)
	}
	val = strings.TrimSpace(val)
	unit := "%"
	switch {
	case strings.HasSuffix(val, "pp"):
		unit = "pp"
	case strings.HasSuffix(val, "%"):
	default:
		return Limit{}, fmt.Errorf("the change %q has no unit: write it in %% (p95=+10%%) or, for failures, in percentage points (failures=+1pp)", val)
	}
	if m.Absolute() && unit != "pp" {
		return Limit{}, fmt.Errorf("give failure-rate limits in percentage points, e.g. failures=+1pp (a relative change of a rate near 0 means little)")
	}
	if !m.Absolute() && unit != "%" {
		return Limit{}, fmt.Errorf("percentage points are for failures; give %s as a percentage, e.g. %s=%s10%%", m, m, badSign(m))
	}
	num := strings.TrimSuffix(val, unit)
	sign := ""
	if strings.HasPrefix(num, "+") || strings.HasPrefix(num, "-") {
		sign, num = num[:1], num[1:]
	} else if strings.HasPrefix(num, "−") {
		sign, num = "-", strings.TrimPrefix(num, "−")
	}
	x, err := strconv.ParseFloat(num, 64)
	if err != nil || x < 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return Limit{}, fmt.Errorf("%q is not a number of %s", num, map[string]string{"%": "percent", "pp": "percentage points"}[unit])
	}
	if sign != "" && sign != badSign(m) && x != 0 {
		what := "a rise"
		if sign == "-" {
			what = "a fall"
		}
		return Limit{}, fmt.Errorf("%s of %s is an improvement; write %s=%s%s%s to fail when it gets worse", what, m, m, badSign(m), num, unit)
	}
	return Limit{Metric: m, Max: x / 100, Text: item}, nil
}

// badSign is the sign of a worsening of m.
func badSign(m Metric) string {
	if m.HigherIsBetter() {
		return "-"
	}
	return "+"
}

// Regressions lists the significant changes of d beyond limits: per cell
// for the cell metrics, per scale for peak throughput, per run and scale
// for the capacity at the SLO (a drop beyond the limit whose brackets are
// apart, see CapacityChange), in d's order.
//
// Any limit also makes every lost cell (measured in old, failed in new) a
// regression: a target that stopped answering has regressed whatever the
// limits say.
func (d *Diff) Regressions(limits []Limit) []Regression {
	var out []Regression
	if len(limits) > 0 {
		for _, l := range d.Lost {
			out = append(out, Regression{Where: l.Key, Lost: l.Reason})
		}
	}
	for _, l := range limits {
		if l.Metric == MetricPeak {
			for i := range d.Scales {
				s := &d.Scales[i]
				if s.InOld && s.InNew && beyond(&s.Peak, l) {
					out = append(out, Regression{Limit: l, Where: fmt.Sprintf("scale %d", s.Scale), Change: s.Peak})
				}
			}
			continue
		}
		if l.Metric == MetricCapacity {
			out = append(out, d.capacityRegressions(l)...)
			continue
		}
		for i := range d.Cells {
			c := &d.Cells[i]
			if ch := c.Change(l.Metric); ch != nil && beyond(ch, l) {
				out = append(out, Regression{Limit: l, Where: c.Key, Change: *ch})
			}
		}
	}
	return out
}

// beyond reports a significant worsening of more than the limit (a small
// tolerance absorbs float rounding at the boundary).
func beyond(c *Change, l Limit) bool {
	return c.Worse() && c.Worsening() > l.Max+1e-12
}

// capacityRegressions are the significant capacity drops beyond l.
func (d *Diff) capacityRegressions(l Limit) []Regression {
	if d.Capacity == nil {
		return nil
	}
	var out []Regression
	for i := range d.Capacity.Scales {
		c := &d.Capacity.Scales[i]
		if c.Worse() && c.Worsening() > l.Max+1e-12 {
			out = append(out, Regression{Limit: l, Where: fmt.Sprintf("%s scale %d", c.Run, c.Scale), Capacity: c})
		}
	}
	return out
}

// CheckLimits reports a limit d cannot check at all: a capacity limit when
// neither set has an SLO. (When the SLOs differ, the diff says so and the
// capacity limit passes: the sets answer different questions.)
func (d *Diff) CheckLimits(limits []Limit) error {
	for _, l := range limits {
		if l.Metric == MetricCapacity && d.Capacity == nil {
			return fmt.Errorf("%q: neither result set has an SLO, so there is no capacity to compare: add slo: to the matrix (see the README's Capacity at an SLO) or drop the capacity limit", l.Text)
		}
	}
	return nil
}
