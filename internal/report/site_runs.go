package report

import (
	"fmt"
	"path/filepath"

	"github.com/scalebench/scalebench/internal/analysis"
)

// RegressionText describes a regression beyond a --fail-on limit in one
// line: "run1-s1-u8 p95 933 ms → 2.57 s (+175%, p<0.001), limit p95=+10%".
func RegressionText(r analysis.Regression) string {
	if r.Lost != "" {
		return fmt.Sprintf("%s was measured in old and failed in new (%s)", r.Where, clip(r.Lost, 300))
	}
	if c := r.Capacity; c != nil {
		return fmt.Sprintf("%s capacity at SLO %s → %s (%s, %s), limit %s", r.Where, capacityBracket(c.Old), capacityBracket(c.New),
			capacityDelta(c), capacityBasis(c), r.Limit.Text)
	}
	ch := &r.Change
	unit := ""
	if ch.Metric.HigherIsBetter() {
		unit = " rps"
	}
	return fmt.Sprintf("%s %s %s → %s%s (%s, %s), limit %s", r.Where, metricName(ch.Metric), valueText(ch.Metric, ch.Old),
		valueText(ch.Metric, ch.New), unit, deltaText(ch), testText(ch), r.Limit.Text)
}

// DiffIndexPath is the path of the HTML page RenderDiff writes into dir,
// absolute when it can be made so.
func DiffIndexPath(dir string) string {
	p := filepath.Join(dir, DiffHTMLFile)
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}
