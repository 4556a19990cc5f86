package report_test

import (
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/analysis/analysistest"
	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/plots"
	"github.com/scalebench/scalebench/internal/report"
	"github.com/scalebench/scalebench/internal/results"
)

// capacitySet is smallModel (slowModel when slow) at levels fine enough to
// find each scale's capacity, judged against slo.
func capacitySet(seed uint64, slow bool, slo *matrix.SLO) *results.Set {
	m := smallModel(seed)
	if slow {
		m = slowModel(seed)
	}
	m.Runs[0].Users = []int{4, 6, 8, 10, 12, 16}
	set := analysistest.Generate(m)
	set.Run.ID = "diff-" + map[bool]string{false: "fast", true: "slow"}[slow]
	set.Run.Matrix.SLO = slo
	return set
}

// The text and Markdown of a diff of capacities at an SLO: a significant
// drop at one replica, no change at three.
func TestCapacityDiffGolden(t *testing.T) {
	slo := &matrix.SLO{P95: 1500 * time.Millisecond}
	d := analysis.Compare(capacitySet(1, false, slo), capacitySet(2, true, slo))
	text := report.DiffText(d)
	for _, w := range []string{
		"capacity at SLO (p95 ≤ 1.5s), per run and scale",
		"capacity at SLO of run1 scale 1 (10 → 6 users, -40%)",
		"no change:  ", "capacity at SLO of run1 scale 3",
	} {
		if !strings.Contains(string(text), w) {
			t.Errorf("text lacks %q:\n%s", w, text)
		}
	}
	golden(t, "diff-golden/capacity.txt", text)
	charts, errs := plots.DiffCharts(d)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	golden(t, "diff-golden/capacity.md", report.DiffMarkdown(d, charts, report.DiffLinks{}))

	regs := d.Regressions(mustParseLimits(t, "capacity=-5%"))
	if len(regs) != 1 {
		t.Fatalf("regressions %+v; want scale 1's capacity", regs)
	}
	got := report.RegressionText(regs[0])
	if !strings.HasPrefix(got, "run1 scale 1 capacity at SLO [10, 12) users") || !strings.Contains(got, "→ [6, 8) users") ||
		!strings.Contains(got, "(-40%, 10 met in old, 8 broke in new), limit capacity=-5%") {
		t.Errorf("regression text %q", got)
	}
}

// Two SLOs: the diff says the capacities are not compared, in the verdict
// and in place of the table.
func TestCapacityDiffSLOChanged(t *testing.T) {
	d := analysis.Compare(capacitySet(1, false, &matrix.SLO{P95: 1500 * time.Millisecond}), capacitySet(2, true, &matrix.SLO{P95: time.Second}))
	want := "the SLO differs (p95 ≤ 1.5s → p95 ≤ 1s), so the capacities are not compared"
	text := string(report.DiffText(d))
	if !strings.Contains(text, "not compared:  capacity at SLO: "+want) || !strings.Contains(text, "capacity at SLO: "+want+"\n") {
		t.Errorf("text:\n%s", text)
	}
	if strings.Contains(text, "per run and scale") {
		t.Errorf("capacities compared across SLOs:\n%s", text)
	}
	md := string(report.DiffMarkdown(d, nil, report.DiffLinks{}))
	if !strings.Contains(md, "## Capacity at SLO\n\nThe SLO differs (p95 ≤ 1.5s → p95 ≤ 1s), so the capacities are not compared.") {
		t.Errorf("markdown:\n%s", md)
	}
}

func mustParseLimits(t *testing.T, s string) []analysis.Limit {
	t.Helper()
	l, err := analysis.ParseLimits(s)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
