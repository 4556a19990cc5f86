package report_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/analysis/analysistest"
	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/outdir/outdirtest"
	"github.com/scalebench/scalebench/internal/plots"
	"github.com/scalebench/scalebench/internal/report"
	"github.com/scalebench/scalebench/internal/results"
)

// diffRoot holds the result sets the diff and publish tests (and the CLI's
// golden tests) read: made by diffFixtures, checked by TestDiffFixtures.
const diffRoot = "testdata/diff-root"

// fixture is one run directory of diffRoot.
type fixture struct {
	name    string
	model   analysistest.Model
	commit  string
	started time.Time
}

// smallModel is model scaled 1 and 3 under 2, 8 and 24 users for 20 s; one
// replica serves 6.6 req/s, the api 11.2.
func smallModel(seed uint64) analysistest.Model {
	m := analysistest.SeedModel()
	m.Name = "diff"
	m.Runs = []matrix.Run{{Name: "run1", Title: "Model scaling", Scale: []int{1, 3}, Users: []int{2, 8, 24},
		Duration: 20 * time.Second, SpawnRate: 4, Warmup: 3 * time.Second, Settle: 2 * time.Second,
		Cooldown: time.Second, Repeat: 1}}
	m.Fail = func(scale, users int) float64 {
		if scale == 1 && users >= 24 {
			return 0.02
		}
		return 0
	}
	m.Timeouts = nil
	m.Seed = seed
	return m
}

// slowModel is smallModel with a slower model service (4 req/s a replica,
// 330 ms base response time) that fails more at one replica.
func slowModel(seed uint64) analysistest.Model {
	m := smallModel(seed)
	m.PerReplica, m.Base = 4.0, 330*time.Millisecond
	m.Fail = func(scale, users int) float64 {
		if scale == 1 && users >= 24 {
			return 0.09
		}
		return 0
	}
	return m
}

// otherModel is a different matrix: scales 1 and 5, 30 s cells, half the
// think time.
func otherModel(seed uint64) analysistest.Model {
	m := smallModel(seed)
	m.Name = "other"
	m.Runs[0].Scale = []int{1, 5}
	m.Runs[0].Duration = 30 * time.Second
	m.Think = 500 * time.Millisecond
	return m
}

func day(d, h int) time.Time { return time.Date(2024, 6, d, h, 0, 0, 0, time.UTC) }

// diffFixtures are the runs of diffRoot: a baseline at commit 3f2c1ab and
// an older run of the same commit, a slower commit 9e8d7c6, a commit
// 5a4b3c2 that only adds noise, and a run of another matrix at commit
// 3f2d0e1 (so the prefix 3f2 is ambiguous).
func diffFixtures() []fixture {
	return []fixture{
		{"diff-20240601T090000Z-3f2c1ab", smallModel(7), "3f2c1ab4d5e6f708192a3b4c5d6e7f8091a2b3c4", day(1, 9)},
		{"diff-20240601T120000Z-3f2c1ab", smallModel(1), "3f2c1ab4d5e6f708192a3b4c5d6e7f8091a2b3c4", day(1, 12)},
		{"diff-20240602T120000Z-9e8d7c6", slowModel(2), "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a291807", day(2, 12)},
		{"diff-20240603T120000Z-5a4b3c2", smallModel(3), "5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b", day(3, 12)},
		{"other-20240604T120000Z-3f2d0e1", otherModel(4), "3f2d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f70819", day(4, 12)},
	}
}

// fixtureSet builds a fixture's result set (without container samples and
// per-second endpoint breakdowns, which neither diff nor publish read, to
// keep testdata small).
func fixtureSet(f fixture) *results.Set {
	set := analysistest.Generate(f.model)
	set.Run.ID = f.name
	set.Dir = filepath.Join(diffRoot, f.name)
	set.Run.App = results.App{Dir: "/src/app", Commit: f.commit, Short: f.commit[:7]}
	shift := f.started.Sub(set.Run.Started)
	set.Run.Started = set.Run.Started.Add(shift)
	set.Run.Ended = set.Run.Ended.Add(shift)
	for i := range set.Cells {
		c := &set.Cells[i]
		c.Containers = nil
		for j := range c.Load.Series {
			c.Load.Series[j].Endpoints = nil
		}
		c.Started, c.Ended = c.Started.Add(shift), c.Ended.Add(shift)
		c.Load.Started = c.Load.Started.Add(shift)
	}
	return set
}

// writeFixtures writes every fixture run under root.
func writeFixtures(t *testing.T, root string) {
	t.Helper()
	for _, f := range diffFixtures() {
		set := fixtureSet(f)
		dir, err := results.Create(root, &set.Run)
		if err != nil {
			t.Fatal(err)
		}
		for i := range set.Cells {
			if err := results.WriteCell(dir, &set.Cells[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestDiffFixtures checks that testdata/diff-root is what diffFixtures
// makes (-update rewrites it).
func TestDiffFixtures(t *testing.T) {
	tmp := t.TempDir()
	writeFixtures(t, tmp)
	if *update {
		if err := os.RemoveAll(diffRoot); err != nil {
			t.Fatal(err)
		}
		writeFixtures(t, diffRoot)
		return
	}
	err := filepath.WalkDir(tmp, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(tmp, path)
		want, err := os.ReadFile(filepath.Join(diffRoot, rel))
		if err != nil {
			t.Errorf("%v (run go test ./report -run TestDiffFixtures -update)", err)
			return nil
		}
		got, _ := os.ReadFile(path)
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what diffFixtures makes (run go test ./report -run TestDiffFixtures -update)", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func readFixture(t *testing.T, name string) *results.Set {
	t.Helper()
	set, err := results.ReadSet(filepath.Join(diffRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// The text and Markdown of three diffs: a real regression, noise only, and
// two different matrices.
func TestDiffGolden(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     []string
	}{
		{"regression", "diff-20240601T120000Z-3f2c1ab", "diff-20240602T120000Z-9e8d7c6", []string{
			"worse:      throughput in 2 of 6 cells (down to -", "peak throughput at scale 1 (", "better:     nothing significant",
			`re:run1-s1-u24 +\d+\.\d +\d+\.\d +-\d+% +\(p=`, // throughput falls at one replica
			`re:run1-s1-u8 +\d+ ms +\d\.\d+ s +\+\d+% +\(p`, // and waits grow
		}},
		{"noise", "diff-20240601T120000Z-3f2c1ab", "diff-20240603T120000Z-5a4b3c2", []string{
			"worse:      nothing significant", "better:     nothing significant", "no change:  throughput in all 6 cells",
		}},
		{"mismatch", "diff-20240601T120000Z-3f2c1ab", "other-20240604T120000Z-3f2d0e1", []string{
			`setup: matrix "diff" → "other": the sets come from different experiment files`,
			"setup: scenario: think time 1s → 500ms", "setup: run run1: duration 20s → 30s",
			"only in old (3): run1-s3-u2, run1-s3-u8, run1-s3-u24", "scale 5 was measured in new only",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := analysis.Compare(readFixture(t, tt.old), readFixture(t, tt.new))
			text := report.DiffText(d)
			for _, w := range tt.want {
				re, ok := strings.CutPrefix(w, "re:")
				if !ok {
					re = regexp.QuoteMeta(w)
				}
				if !regexp.MustCompile(re).Match(text) {
					t.Errorf("text lacks %q:\n%s", w, text)
				}
			}
			golden(t, "diff-golden/"+tt.name+".txt", text)
			charts, errs := plots.DiffCharts(d)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			golden(t, "diff-golden/"+tt.name+".md", report.DiffMarkdown(d, charts, report.DiffLinks{Old: "../old/index.html", New: "../new/index.html", Up: "../index.html"}))
		})
	}
}

// A regression's line names the place, the numbers, the test and the limit.
func TestRegressionText(t *testing.T) {
	d := analysis.Compare(readFixture(t, "diff-20240601T120000Z-3f2c1ab"), readFixture(t, "diff-20240602T120000Z-9e8d7c6"))
	limits, err := analysis.ParseLimits("rps=-5%,failures=+1pp")
	if err != nil {
		t.Fatal(err)
	}
	regs := d.Regressions(limits)
	if len(regs) == 0 {
		t.Fatal("no regression found")
	}
	got := report.RegressionText(regs[0])
	if !strings.HasPrefix(got, "run1-s1-u") || !strings.Contains(got, " rps (-") || !strings.HasSuffix(got, "limit rps=-5%") {
		t.Errorf("regression text %q", got)
	}
}

// Text from the target in warnings (a failed cell's error) stays text in
// the diff page.
func TestDiffHostileTextIsInert(t *testing.T) {
	old := readFixture(t, "diff-20240601T120000Z-3f2c1ab")
	new := readFixture(t, "diff-20240603T120000Z-5a4b3c2")
	new.Cells[0].Status, new.Cells[0].Error, new.Cells[0].Load = results.CellFailed, hostile, nil
	out := t.TempDir()
	if err := report.RenderDiff(analysis.Compare(old, new), out, report.DiffLinks{}); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(out, report.DiffHTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script", "<img src=x"} {
		if bytes.Contains(bytes.ToLower(page), []byte(bad)) {
			t.Errorf("diff page contains %q: text from the target became markup", bad)
		}
	}
	if !bytes.Contains(page, []byte("window.__pwned=1")) {
		t.Error("the failed cell's error is not shown")
	}
}

// Rendering a diff twice writes nothing the second time; charts of scales
// no longer drawn are removed.
func TestRenderDiffIdempotent(t *testing.T) {
	d := analysis.Compare(readFixture(t, "diff-20240601T120000Z-3f2c1ab"), readFixture(t, "diff-20240602T120000Z-9e8d7c6"))
	out := t.TempDir()
	stale := filepath.Join(out, report.ChartsDir, "scale-9-rps.png")
	if err := os.MkdirAll(filepath.Dir(stale), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := report.RenderDiff(d, out, report.DiffLinks{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale chart still there (%v)", err)
	}
	before := outdirtest.Snapshot(t, out)
	for _, want := range []string{report.DiffHTMLFile, report.DiffMarkdownFile, "charts/scale-1-rps.png", "charts/scale-1-p95.png", "charts/scale-3-rps.png", "charts/scale-3-p95.png"} {
		if _, ok := before[want]; !ok {
			t.Errorf("%s not written (files: %v)", want, keys(before))
		}
	}
	past := time.Now().Add(-time.Hour)
	for rel := range before {
		if err := os.Chtimes(filepath.Join(out, rel), past, past); err != nil {
			t.Fatal(err)
		}
	}
	if err := report.RenderDiff(analysis.Compare(readFixture(t, "diff-20240601T120000Z-3f2c1ab"), readFixture(t, "diff-20240602T120000Z-9e8d7c6")), out, report.DiffLinks{}); err != nil {
		t.Fatal(err)
	}
	for rel, f := range outdirtest.Snapshot(t, out) {
		if !f.Mod.Equal(past.Truncate(time.Second)) && !f.Mod.Equal(past) {
			t.Errorf("%s was rewritten by an identical rendering", rel)
		}
		if !bytes.Equal(f.Data, before[rel].Data) {
			t.Errorf("%s changed between two renderings of the same diff", rel)
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// A diff report never lands in a folder holding another page (a run's
// report), whose charts it would prune.
func TestOutputFoldersOfOthersAreRefused(t *testing.T) {
	dir := t.TempDir()
	if err := report.Render(readFixture(t, "diff-20240601T120000Z-3f2c1ab"), dir); err != nil {
		t.Fatal(err)
	}
	before := outdirtest.Snapshot(t, dir)
	d := analysis.Compare(readFixture(t, "diff-20240601T120000Z-3f2c1ab"), readFixture(t, "diff-20240602T120000Z-9e8d7c6"))
	if err := report.RenderDiff(d, dir, report.DiffLinks{}); err == nil || !strings.Contains(err.Error(), "not a diff report") {
		t.Errorf("RenderDiff into a report folder: error %v, want a refusal", err)
	}
	if after := outdirtest.Snapshot(t, dir); len(after) != len(before) {
		t.Errorf("the report folder changed: %d files, was %d", len(after), len(before))
	}
}

// A cell that ran before and failed now is in the verdict and, under any
// limit, a regression whose line says why it failed.
func TestLostCellText(t *testing.T) {
	old := readFixture(t, "diff-20240601T120000Z-3f2c1ab")
	new := readFixture(t, "diff-20240603T120000Z-5a4b3c2")
	new.Cells[1].Status, new.Cells[1].Error, new.Cells[1].Load = results.CellFailed, "the target never answered", nil
	d := analysis.Compare(old, new)
	v := report.Verdict(d)
	if len(v.Worse) != 1 || v.Worse[0] != "1 cell measured before failed (run1-s1-u8)" {
		t.Errorf("worse %q", v.Worse)
	}
	limits, err := analysis.ParseLimits("p95=+10%")
	if err != nil {
		t.Fatal(err)
	}
	regs := d.Regressions(limits)
	if len(regs) != 1 {
		t.Fatalf("regressions %+v; want the lost cell", regs)
	}
	if got, want := report.RegressionText(regs[0]), "run1-s1-u8 was measured in old and failed in new (failed: the target never answered)"; got != want {
		t.Errorf("regression text %q, want %q", got, want)
	}
}

// With repeats the cells' own values are compared, and with too few of
// them to ever reach α the text says so instead of printing a change.
func TestDiffTextRepeats(t *testing.T) {
	tests := []struct {
		name    string
		repeats int
		want    []string
		not     []string
	}{
		{"too few", 3, []string{"(p=1 n=3+3)²", "² too few repeats to detect a difference at α=0.05: 4 per side are needed (set repeat: 4)"},
			[]string{"¹ per-second", "re:\\s[-+]\\d+(\\.\\d)?%\\s+\\(p"}},
		{"enough", 5, []string{"n=5+5)\n", "run1-s1-u24   6.", "throughput in 2 of 6 cells (down to -"}, []string{"²", "¹ per-second"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mo, mn := smallModel(21), slowModel(22)
			mo.Repeat, mn.Repeat = tt.repeats, tt.repeats
			text := string(report.DiffText(analysis.Compare(analysistest.Generate(mo), analysistest.Generate(mn))))
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q:\n%s", w, text)
				}
			}
			for _, n := range tt.not {
				re, ok := strings.CutPrefix(n, "re:")
				if !ok {
					re = regexp.QuoteMeta(n)
				}
				if regexp.MustCompile(re).MatchString(text) {
					t.Errorf("text has %q:\n%s", n, text)
				}
			}
		})
	}
}
