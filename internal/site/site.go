// Package site publishes the static site of every run under a results
// root: an index with trend charts, each run's report and each run's diff
// against the previous run of its matrix, cached so that publishing again
// renders only what changed. Pages come from package report and charts from
// package plots; site only decides what goes where. It must not analyse
// results itself or word conclusions.
package site

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/outdir"
	"github.com/scalebench/scalebench/internal/plots"
	"github.com/scalebench/scalebench/internal/report"
	"github.com/scalebench/scalebench/internal/results"
)

// Folders of a site, relative to its root.
const (
	// RunsDir holds one folder per run: its report, and in diff/ its
	// diff against the previous run of the same matrix.
	RunsDir = "runs"
	// DiffDir is the diff's folder inside a run's folder.
	DiffDir = "diff"
)

// Summary says what Publish did.
type Summary struct {
	// Index is the path of the site's index.html.
	Index string
	// Runs counts the runs listed; Reports the runs rendered (the others
	// could not be read); Diffs the diffs against a previous run.
	Runs, Reports, Diffs int
	// Written, Unchanged and Removed count files: written because new or
	// different, left alone because identical, removed as stale.
	Written, Unchanged, Removed int
	// Problems are the runs that could not be read or rendered; they are
	// listed in the index and left out of the rest.
	Problems []error
}

// siteRun is one run of the site with what was made of it.
type siteRun struct {
	ref   results.RunRef
	set   *results.Set
	study *analysis.Study
	err   error
	// inputs fingerprints the run directory ("" when it cannot be read).
	inputs string
	// prev is the previous readable run of the same matrix (nil: none);
	// diff its diff against this one.
	prev *siteRun
	diff *analysis.Diff
}

// Publish builds a static site in siteDir from every run directory under
// root: an index of the runs, newest first (start time, matrix, commit,
// peak throughput per scale, status), each run's report, each run's diff
// against the previous run of the same matrix, and per matrix trend charts
// of peak throughput and of p95 at the heaviest load, per scale, across runs. Links
// are relative, so the site works from file:// and any static host.
//
// Publishing is idempotent: pages and charts are deterministic functions of
// the results, a file is written only when its bytes change, and files of
// runs no longer under root are removed (only .html, .md, .png and stamp
// files in the site's own folders). A run's folder whose inputs (its
// results, the previous run's, the scalebench binary) are those recorded in
// its stamp file is not rendered again. A siteDir that exists, is not empty
// and is not a scalebench site is refused.
func Publish(root, siteDir string) (*Summary, error) {
	if err := checkSiteDir(siteDir); err != nil {
		return nil, err
	}
	refs, problems, err := results.FindRuns(root)
	if err != nil {
		return nil, err
	}
	sum := &Summary{Index: filepath.Join(siteDir, report.HTMLFile), Problems: problems}
	runs := make([]*siteRun, len(refs))
	for i, ref := range refs {
		r := &siteRun{ref: ref}
		r.set, r.err = results.ReadSet(ref.Dir)
		if r.err == nil {
			r.inputs, _ = runInputs(ref.Dir)
		}
		if r.err != nil {
			sum.Problems = append(sum.Problems, fmt.Errorf("run %s: %w", ref.Name, r.err))
		} else {
			r.study = analysis.Analyze(r.set)
		}
		runs[i] = r
	}
	// The previous run of a matrix is the next readable one in the list
	// (newest first) with the same matrix name.
	for i, r := range runs {
		if r.set == nil {
			continue
		}
		for _, older := range runs[i+1:] {
			if older.set != nil && older.ref.Run.Matrix.Name == r.ref.Run.Matrix.Name {
				r.prev = older
				r.diff = analysis.Compare(older.set, r.set)
				break
			}
		}
	}
	w := outdir.New(siteDir)
	fp := binaryFingerprint()
	// key is the cache key of a folder rendered from runs (none when a
	// fingerprint is missing: render it).
	key := func(kind string, parts ...string) string {
		if fp == "" || slices.Contains(parts, "") {
			return ""
		}
		return cacheKey(append([]string{siteFormat, fp, kind}, parts...)...)
	}
	var trends []trendCharts
	for _, m := range matrices(runs) {
		tc, err := buildTrends(m, runs)
		if err != nil {
			sum.Problems = append(sum.Problems, err)
			continue
		}
		if tc.rps != nil {
			trends = append(trends, tc)
			if err := w.Charts(report.ChartsDir, []*plots.Chart{tc.rps, tc.p95}); err != nil {
				return nil, err
			}
		}
	}
	for _, r := range runs {
		if r.set == nil {
			continue
		}
		dir := RunsDir + "/" + r.ref.Name
		prev, prevInputs := "none", "none"
		if r.prev != nil {
			prev, prevInputs = r.prev.ref.Name+" "+runLabel(r.prev.ref), r.prev.inputs
		}
		if k := key("run", r.inputs, prev); !cached(w, dir, k) {
			if err := writeRunPage(w, r); err != nil {
				r.err = err
				sum.Problems = append(sum.Problems, fmt.Errorf("run %s: %w", r.ref.Name, err))
				continue
			}
			if err := stamp(w, dir, k, DiffDir); err != nil {
				return nil, err
			}
		}
		sum.Reports++
		if r.diff != nil {
			dir := dir + "/" + DiffDir
			links := report.DiffLinks{Old: "../../" + pathEscape(r.prev.ref.Name) + "/" + report.HTMLFile, New: "../" + report.HTMLFile, Up: "../../../" + report.HTMLFile}
			if k := key("diff", prevInputs, r.inputs, prev, r.ref.Name); !cached(w, dir, k) {
				if err := writeDiffPage(w, dir, r.diff, links); err != nil {
					return nil, fmt.Errorf("diff of run %s: %w", r.ref.Name, err)
				}
				if err := stamp(w, dir, k); err != nil {
					return nil, err
				}
			}
			sum.Diffs++
		}
	}
	page, err := report.HTMLPage(siteTitle, siteIndex(runs, trends, sum.Problems))
	if err != nil {
		return nil, err
	}
	if err := w.Write(report.HTMLFile, page); err != nil {
		return nil, err
	}
	for _, dir := range []string{RunsDir, report.ChartsDir} {
		if err := w.Prune(dir, ".html", ".md", ".png", stampFile); err != nil {
			return nil, err
		}
	}
	sum.Runs = len(runs)
	sum.Written, sum.Unchanged, sum.Removed = w.Written, w.Unchanged, w.Removed
	return sum, nil
}

// siteTitle is the index's title; siteHeading its heading as HTML, which
// marks a folder as a scalebench site.
const (
	siteTitle   = "scalebench runs"
	siteHeading = `<h1 id="scalebench-runs">scalebench runs</h1>`
)

// checkSiteDir refuses a folder that holds something other than a
// scalebench site, so publishing never prunes files it did not make.
func checkSiteDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || err == nil && len(entries) == 0 {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read site folder %s: %w", dir, err)
	}
	index, err := os.ReadFile(filepath.Join(dir, report.HTMLFile))
	if err != nil || !bytes.Contains(index, []byte(`<meta name="generator" content="scalebench">`)) || !bytes.Contains(index, []byte(siteHeading)) {
		return fmt.Errorf("site folder %s is not empty and holds no scalebench site (no index.html made by scalebench publish): give a new or empty folder", dir)
	}
	return nil
}

// writeRunPage writes a run's report into runs/<name>/: report.md,
// index.html and charts, with links back to the index and to its diff.
func writeRunPage(w *outdir.Writer, r *siteRun) error {
	st := r.study
	cs := plots.Build(st, r.set)
	for _, err := range cs.Problems {
		st.Warnings = append(st.Warnings, "chart left out: "+err.Error())
	}
	var nav bytes.Buffer
	fmt.Fprintf(&nav, "[← all runs](../../%s)", report.HTMLFile)
	if r.prev != nil {
		fmt.Fprintf(&nav, " · [diff against the previous run, %s](%s/%s)", report.EscapeName(runLabel(r.prev.ref)), DiffDir, report.HTMLFile)
	}
	nav.WriteString("\n\n")
	md := append(nav.Bytes(), report.Markdown(r.set, st, cs)...)
	page, err := report.HTMLPage(report.Title(r.set), md)
	if err != nil {
		return err
	}
	dir := RunsDir + "/" + r.ref.Name
	if err := w.Charts(dir+"/"+report.ChartsDir, cs.All(r.set)); err != nil {
		return err
	}
	if err := w.Write(dir+"/"+report.MarkdownFile, md); err != nil {
		return err
	}
	return w.Write(dir+"/"+report.HTMLFile, page)
}

// writeDiffPage writes a run's diff against the previous run into dir.
func writeDiffPage(w *outdir.Writer, dir string, d *analysis.Diff, links report.DiffLinks) error {
	md, page, charts, err := report.DiffPage(d, links)
	if err != nil {
		return err
	}
	if err := w.Charts(dir+"/"+report.ChartsDir, charts); err != nil {
		return fmt.Errorf("write diff charts into %s: %w", filepath.Join(w.Root(), filepath.FromSlash(dir)), err)
	}
	if err := w.Write(dir+"/"+report.DiffMarkdownFile, md); err != nil {
		return err
	}
	return w.Write(dir+"/"+report.DiffHTMLFile, page)
}

// runLabel names a run by its commit, else its start time.
func runLabel(r results.RunRef) string {
	if s := r.ShortCommit(); s != "" {
		if r.Run.App.Dirty {
			return "commit " + s + " (dirty)"
		}
		return "commit " + s
	}
	return "run of " + r.Run.Started.UTC().Format("2006-01-02 15:04 UTC")
}

// matrices lists the matrix names of the readable runs, in order of their
// newest run.
func matrices(runs []*siteRun) []string {
	var out []string
	for _, r := range runs {
		if r.set != nil && !slices.Contains(out, r.ref.Run.Matrix.Name) {
			out = append(out, r.ref.Run.Matrix.Name)
		}
	}
	return out
}

// trendCharts are one matrix's trend charts (nil with fewer than 2 runs).
type trendCharts struct {
	matrix   string
	runs     int
	rps, p95 *plots.Chart
}

// buildTrends charts, for the runs of matrix oldest first, each scale's
// peak throughput and the p95 at its heaviest load, labelled by commit.
func buildTrends(matrix string, runs []*siteRun) (trendCharts, error) {
	tc := trendCharts{matrix: matrix}
	var series []plots.TrendRun
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		if r.set == nil || r.ref.Run.Matrix.Name != matrix {
			continue
		}
		label := r.ref.ShortCommit()
		if label == "" {
			label = r.ref.Run.Started.UTC().Format("01-02 15:04")
		} else if r.ref.Run.App.Dirty {
			label += "*"
		}
		series = append(series, plots.TrendRun{Label: label, Study: r.study})
	}
	tc.runs = len(series)
	if len(series) < 2 {
		return tc, nil
	}
	var err error
	tc.rps, tc.p95, err = plots.TrendCharts(matrix, safeFile(matrix), series)
	return tc, err
}

// safeFile keeps the characters of a matrix name that are safe in a file
// name and a URL (a matrix name allows only these anyway).
func safeFile(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}

func pathEscape(s string) string { return url.PathEscape(s) }

// siteIndex is the index page's Markdown: trends per matrix, then every
// run newest first, then the runs that could not be read.
func siteIndex(runs []*siteRun, trends []trendCharts, problems []error) []byte {
	var b bytes.Buffer
	line := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteByte('\n')
	}
	line("# %s", siteTitle)
	line("")
	ms := matrices(runs)
	line("%d %s of %d %s, newest first. Each run links to its report and to its diff against the previous run of the same matrix.",
		len(runs), plural(len(runs), "run"), len(ms), map[bool]string{true: "matrix", false: "matrices"}[len(ms) == 1])
	line("")
	if len(trends) > 0 {
		line("## Trends")
		line("")
		for _, t := range trends {
			line("### %s", report.EscapeName(t.matrix))
			line("")
			line("Peak throughput per scale over %d runs, oldest left, and the p95 response time at each scale's heaviest load.", t.runs)
			line("")
			for _, c := range []*plots.Chart{t.rps, t.p95} {
				line("![%s](%s/%s)", report.EscapeName(c.Title), report.ChartsDir, pathEscape(c.File))
			}
			line("")
		}
	}
	line("## Runs")
	line("")
	line("| started (UTC) | matrix | commit | peak throughput per scale (rps) | status | report | diff against the previous run |")
	line("|:---|:---|:---|:---|:---|:---|:---|")
	for _, r := range runs {
		run := &r.ref.Run
		started := "–"
		if !run.Started.IsZero() {
			started = run.Started.UTC().Format("2006-01-02 15:04")
		}
		commit := report.EscapeName(r.ref.ShortCommit())
		if commit == "" {
			commit = "–"
		} else if run.App.Dirty {
			commit += " (dirty)"
		}
		peaks, status, reportLink, diffLink := "–", report.EscapeName(string(run.Status)), "–", "–"
		if r.study != nil {
			var ps []string
			for _, s := range r.study.Scales {
				ps = append(ps, fmt.Sprintf("%d: %s", s.Scale, report.RPS(s.PeakLevel().RPS)))
			}
			if len(ps) > 0 {
				peaks = strings.Join(ps, " · ")
			}
		}
		if r.err != nil {
			status = "unreadable"
		} else {
			base := RunsDir + "/" + pathEscape(r.ref.Name) + "/"
			reportLink = fmt.Sprintf("[report](%s%s)", base, report.HTMLFile)
			if r.diff != nil {
				diffLink = fmt.Sprintf("[vs %s](%s%s/%s): %s", report.EscapeName(runLabel(r.prev.ref)), base, DiffDir, report.HTMLFile, verdictCounts(r.diff))
			}
		}
		line("| %s | %s | %s | %s | %s | %s | %s |", started, report.EscapeName(run.Matrix.Name), commit, peaks, status, reportLink, diffLink)
	}
	line("")
	if len(problems) > 0 {
		line("## Problems")
		line("")
		for _, p := range problems {
			line("- %s", report.Escape(clip(p.Error(), 600)))
		}
		line("")
	}
	return b.Bytes()
}

// verdictCounts counts a diff's significant changes: "3 worse, 1 better"
// or "no significant change".
func verdictCounts(d *analysis.Diff) string {
	var worse, better int
	count := func(ch *analysis.Change) {
		switch {
		case ch.Worse():
			worse++
		case ch.Better():
			better++
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
	worse += len(d.Lost)
	better += len(d.Recovered)
	if worse+better == 0 {
		return "no significant change"
	}
	return fmt.Sprintf("%d worse, %d better", worse, better)
}

// clip shortens s to at most n runes, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// plural returns word, with an s unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
