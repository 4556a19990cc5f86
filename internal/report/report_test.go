package report_test

import (
	"bytes"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/analysis/analysistest"
	"github.com/scalebench/scalebench/internal/plots"
	"github.com/scalebench/scalebench/internal/report"
	"github.com/scalebench/scalebench/internal/results"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// hostile is text a target could send back: markup, a pipe that would
// break a table, backticks that would close a code span.
const hostile = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\"> a|b ``tick``"

// sets are the synthetic studies the golden files cover.
func sets() map[string]func() *results.Set {
	return map[string]func() *results.Set{
		"seed":   analysistest.Seed,
		"linear": analysistest.Linear,
		"flat":   analysistest.Flat,
		"broken": broken,
	}
}

// broken is the seed study with a failed cell, an aborted one, a
// generator-bound one, a missing one, and hostile text from the target.
func broken() *results.Set {
	set := analysistest.Seed()
	set.Cells[1].Status = results.CellFailed
	set.Cells[1].Error = "scale model to 1: " + hostile
	set.Cells[1].Load = nil
	set.Cells[2].Status = results.CellAborted
	set.Cells[2].Error = "interrupted"
	set.Cells[3].Load.Check.GeneratorBound = true
	set.Cells[3].Load.Check.Reason = "generator CPU at 1.9 of 2 cores"
	c := &set.Cells[4]
	c.Load.Errors = append(c.Load.Errors, results.ErrorGroup{Endpoint: "predict", Method: "POST", Class: results.ClassStatus,
		Message: hostile, Count: 3, Sample: hostile})
	set.Cells = set.Cells[:len(set.Cells)-1]
	set.Run.Status = results.StatusAborted
	return set
}

func markdown(set *results.Set) []byte {
	st := analysis.Analyze(set)
	return report.Markdown(set, st, plots.Build(st, set))
}

// golden compares got with testdata/name, rewriting it with -update and
// writing name.got on a mismatch.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		_ = os.WriteFile(path+".got", got, 0o644)
		t.Errorf("%s differs from the golden file; got written to %s.got (diff them, then -update if the change is right)", path, path)
	}
}

func TestGoldenMarkdown(t *testing.T) {
	for name, mk := range sets() {
		t.Run(name, func(t *testing.T) {
			golden(t, name+".md", markdown(mk()))
		})
	}
}

func TestConclusions(t *testing.T) {
	tests := []struct {
		name string
		set  func() *results.Set
		want []string
		not  []string
	}{
		{"seed", analysistest.Seed, []string{
			"Scaling model 1→3 raised peak throughput 6.",
			"3→5 gave no significant gain (",
			", ~); api was at 9",
			"% CPU: the bottleneck moved to api.",
			"Beyond 10 users throughput stays flat with scale 1 (",
			"while the median response time grows ×",
			"Failures (over 1% of requests) start at 20 users with scale 1 (4.",
			"indicative only: 3 scales",
		}, []string{"scales linearly", "Little's law"}},
		{"linear", analysistest.Linear, []string{"Model scales linearly: 1→2→4 replicas gave ", "No level failed"},
			[]string{"no significant gain", "bottleneck"}},
		{"flat", analysistest.Flat, []string{"Scaling model 1→3 gave no significant gain", "api was at ", "api is the bottleneck."},
			[]string{"moved", "scales linearly", "raised"}},
		{"broken", broken, []string{"The load generator, not the target, limited 1 cell (run1-s1-u10-r1)",
			"2 cells failed or were aborted and are left out (run1-s1-u2-r1 and run1-s1-u5-r1)"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkConclusions(t, tt.set(), tt.want, tt.not)
		})
	}
}

func TestHostileTextIsInert(t *testing.T) {
	md := markdown(broken())
	page, err := report.HTMLPage("t", md)
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	for _, bad := range []string{"<script", "<img src=x", "onerror=\"window"} {
		if strings.Contains(strings.ToLower(html), strings.ToLower(bad)) {
			t.Errorf("HTML contains %q: text from the target became markup", bad)
		}
	}
	if !strings.Contains(html, "&lt;script&gt;window.__pwned=1&lt;/script&gt;") {
		t.Error("the hostile message is not shown as text")
	}
	// The pipe in the message must not split the errors table: every row
	// of it has the header's 8 cells.
	rows := regexp.MustCompile(`(?m)^\| run1-s1-u20-r1 .*$`).FindAllString(string(md), -1)
	if len(rows) == 0 {
		t.Fatal("no error rows for run1-s1-u20-r1")
	}
	for _, r := range rows {
		// 8 cells: 9 borders, 8 of them after another character.
		if n := len(regexp.MustCompile(`[^\\]\|`).FindAllString(r, -1)); n != 8 {
			t.Errorf("error row has %d inner borders, want 8: %s", n, r)
		}
	}
}

func TestHTMLPage(t *testing.T) {
	page, err := report.HTMLPage(`a <b> & "c"`, []byte("# T\n\nhi <b>x</b>\n\n<script>alert(1)</script>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"))
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	for _, want := range []string{"<!DOCTYPE html>", "<title>a &lt;b&gt; &amp; &#34;c&#34;</title>", "<style>", "<table>", "<td>1</td>", `<h1 id="t">T</h1>`} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "<b>x</b>", "<link", "http://", "https://"} {
		if strings.Contains(html, bad) {
			t.Errorf("page contains %q (raw HTML passed through or an external resource)", bad)
		}
	}
}

func TestRenderWritesSelfContainedFolder(t *testing.T) {
	set := analysistest.Seed()
	out := filepath.Join(t.TempDir(), "report")
	if err := os.MkdirAll(filepath.Join(out, "charts"), 0o755); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(out, "charts", "stale.png")
	if err := os.WriteFile(stale, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := report.Render(set, out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale chart survived re-rendering: %v", err)
	}
	md, err := os.ReadFile(filepath.Join(out, report.MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(md, markdown(set)) {
		t.Error("report.md differs from Markdown() of the same set")
	}
	page, err := os.ReadFile(filepath.Join(out, report.HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	refs := regexp.MustCompile(`<img src="([^"]+)"`).FindAllStringSubmatch(string(page), -1)
	if want := len(set.Cells) + 1 + len(analysis.Analyze(set).Scales) + 2*6; len(refs) != want {
		t.Errorf("index.html shows %d images, want %d (21 cells, scaling, bounds per scale, 6 per run)", len(refs), want)
	}
	for _, r := range refs {
		if strings.Contains(r[1], "://") || strings.HasPrefix(r[1], "/") {
			t.Errorf("image %q is not a relative path inside the folder", r[1])
			continue
		}
		b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(r[1])))
		if err != nil {
			t.Errorf("image %s: %v", r[1], err)
			continue
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("image %s is not a PNG: %v", r[1], err)
		}
	}
}

func TestEscapedNamesStayReadable(t *testing.T) {
	set := analysistest.Flat()
	set.Run.Matrix.Compose.Service = "model_*v2*"
	for i := range set.Cells {
		for j := range set.Cells[i].Containers {
			if set.Cells[i].Containers[j].Service == "api" {
				set.Cells[i].Containers[j].Service = "api<gw>"
			}
		}
	}
	page, err := report.HTMLPage("t", markdown(set))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Scaling model_*v2* 1→3", "api&lt;gw&gt; is the bottleneck."} {
		if !strings.Contains(string(page), want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	set := analysistest.Seed()
	out := b.TempDir()
	for b.Loop() {
		if err := report.Render(set, out); err != nil {
			b.Fatal(err)
		}
	}
}

// Render copes with sets that have little in them: the runner renders after
// every run, even one where nothing worked.
func TestRenderDegenerateSets(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*results.Set)
		want   string
	}{
		{"no cells", func(s *results.Set) { s.Cells = nil }, "nothing to conclude"},
		{"one cell", func(s *results.Set) { s.Cells = s.Cells[:1] }, "Only scale 1 was measured"},
		{"bare cells", func(s *results.Set) {
			for i := range s.Cells {
				c := &s.Cells[i]
				c.Containers = nil
				c.Load.Series = nil
				c.Load.Steady.Histogram, c.Load.Total.Histogram = "", ""
				c.Load.Endpoints = nil
			}
		}, "no container CPU was recorded"},
		{"corrupt histogram", func(s *results.Set) { s.Cells[0].Load.Steady.Histogram = "!!not base64!!" }, "decode latency histogram"},
		{"all failed", func(s *results.Set) {
			for i := range s.Cells {
				s.Cells[i].Status, s.Cells[i].Error, s.Cells[i].Load = results.CellFailed, "target down", nil
			}
		}, "nothing to conclude"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := analysistest.Flat()
			tt.mutate(set)
			out := t.TempDir()
			if err := report.Render(set, out); err != nil {
				t.Fatal(err)
			}
			md, err := os.ReadFile(filepath.Join(out, report.MarkdownFile))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(md), tt.want) {
				t.Errorf("report.md lacks %q:\n%s", tt.want, md)
			}
		})
	}
}

// checkConclusions fails t unless the conclusions written for set contain
// every text of want and none of not.
func checkConclusions(t *testing.T, set *results.Set, want, not []string) {
	t.Helper()
	all := strings.Join(report.Conclusions(analysis.Analyze(set)), "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("conclusions lack %q:\n%s", w, all)
		}
	}
	for _, n := range not {
		if strings.Contains(all, n) {
			t.Errorf("conclusions should not say %q:\n%s", n, all)
		}
	}
}
