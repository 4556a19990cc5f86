package report

import (
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/analysis/analysistest"
	"github.com/scalebench/scalebench/internal/results"
)

// TestDegradedCellsLeftOut: a cell whose target went away says so first,
// and its numbers do not count unless asked.
func TestDegradedCellsLeftOut(t *testing.T) {
	set := analysistest.Seed()
	c := set.Cell("run1-s5-u20-r1")
	c.Status = results.CellDegraded
	c.Fault = &results.Fault{Cause: "the target refused 120 connections from 5 s to 12 s of the load (40% of its requests): it went away",
		From: 5 * time.Second, To: 12 * time.Second}
	c.Error = c.Fault.Cause
	st := analysis.Analyze(set)
	if st.Analysed != len(set.Cells)-1 {
		t.Errorf("%d cells analysed, want all but the degraded one (%d)", st.Analysed, len(set.Cells)-1)
	}
	for _, lv := range st.Scale(5).Levels {
		for _, id := range lv.Cells {
			if id == c.Cell.ID {
				t.Errorf("level %g of scale 5 pools the degraded cell", lv.Load)
			}
		}
	}
	got := Conclusions(st)
	want := "1 cell is degraded: something went away during the load (in run1-s5-u20-r1 the target refused 120 connections from 5 s to 12 s of the load (40% of its requests): it went away), so its numbers are left out of what follows (report --include-degraded uses them)."
	if got[0] != want {
		t.Errorf("first conclusion:\n%s\nwant\n%s", got[0], want)
	}

	th := analysis.DefaultThresholds()
	th.IncludeDegraded = true
	st = analysis.AnalyzeWith(set, th)
	if st.Analysed != len(set.Cells) {
		t.Errorf("with IncludeDegraded %d cells analysed, want %d", st.Analysed, len(set.Cells))
	}
	if got := Conclusions(st); !strings.Contains(got[0], "its numbers are used below, as asked") {
		t.Errorf("first conclusion with IncludeDegraded: %s", got[0])
	}
}

func TestDiffTextNamesDegradedCells(t *testing.T) {
	old, new := analysistest.Seed(), analysistest.Seed()
	c := new.Cell("run1-s3-u10-r1")
	c.Status, c.Error = results.CellDegraded, "container p_api_1 of api died 4 s into the load (exit 137)"
	text := string(DiffText(analysis.Compare(old, new)))
	for _, want := range []string{"not compared:", "1 cell degraded on a side, so not compared: the target or a container went away (run1-s3-u10)",
		"new cell run1-s3-u10-r1 left out (degraded: container p_api_1 of api died 4 s into the load (exit 137)"} {
		if !strings.Contains(text, want) {
			t.Errorf("diff text lacks %q:\n%s", want, text)
		}
	}
}

// TestVanishedKneeWithFailuresIsNotBetter: a knee that disappears while
// the new run fails at its top load is not an improvement; without
// failures it is.
func TestVanishedKneeWithFailuresIsNotBetter(t *testing.T) {
	diff := func(failRate float64, onset int) *analysis.Diff {
		return &analysis.Diff{
			Scales: []analysis.ScaleDiff{{Scale: 1, InOld: true, InNew: true, KneeOld: 2, KneeNew: -1, SaturatedOld: true, SaturatedNew: true}},
			NewStudy: &analysis.Study{Scales: []analysis.Scale{{Scale: 1, FailureOnset: onset,
				Levels: []analysis.Level{{Load: 2}, {Load: 24, FailRate: failRate}}}}},
		}
	}
	v := Verdict(diff(0.32, 1))
	if len(v.Better) != 0 || len(v.Unknown) != 1 || !strings.Contains(v.Unknown[0], "knee at scale 1 2 → none") ||
		!strings.Contains(v.Unknown[0], "but 32% of the requests failed at the highest load, which can hide a knee") {
		t.Errorf("with failures: better %q, not compared %q", v.Better, v.Unknown)
	}
	v = Verdict(diff(0, -1))
	if len(v.Better) != 1 || !strings.Contains(v.Better[0], "knee at scale 1") || len(v.Unknown) != 0 {
		t.Errorf("without failures: better %q, not compared %q", v.Better, v.Unknown)
	}
}
