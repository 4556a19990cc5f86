package report

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/outdir"
	"github.com/scalebench/scalebench/internal/plots"
)

// Diff report file names inside its folder (charts go to ChartsDir).
const (
	DiffMarkdownFile = "diff.md"
	DiffHTMLFile     = "index.html"
)

// DiffLinks are relative links a diff page may carry: the two runs'
// reports and the page above it (a site's index). Empty links are left out.
type DiffLinks struct {
	Old, New, Up string
}

// diffTitle is a diff page's title.
func diffTitle(d *analysis.Diff) string {
	return fmt.Sprintf("%s → %s · scalebench diff", cmp.Or(d.Old.ID, d.Old.Dir), cmp.Or(d.New.ID, d.New.Dir))
}

// DiffMarkdown is the diff report as GitHub-flavoured Markdown: the two
// sets, the verdict, warnings, per scale the peak throughput, knee and
// overlay charts, then a table per metric over the matched cells. charts
// are referenced as charts/<file>.
func DiffMarkdown(d *analysis.Diff, charts []*plots.Chart, links DiffLinks) []byte {
	var b bytes.Buffer
	line := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteByte('\n')
	}
	if links.Up != "" {
		line("[← all runs](%s)", links.Up)
		line("")
	}
	line("# Diff of %s", EscapeName(cmp.Or(d.New.Matrix, d.Old.Matrix, "two runs")))
	line("")
	side := func(label, link string, s analysis.Side) {
		name := EscapeName(cmp.Or(s.ID, s.Dir))
		if link != "" {
			name = fmt.Sprintf("[%s](%s)", name, link)
		}
		line("- **%s:** %s %s", label, name, EscapeName(sideFacts(s)))
	}
	side("old", links.Old, d.Old)
	side("new", links.New, d.New)
	line("")

	v := Verdict(d)
	line("## Verdict")
	line("")
	line("- **Worse:** %s", EscapeName(orNothing(v.Worse, "nothing significant")))
	line("- **Better:** %s", EscapeName(orNothing(v.Better, "nothing significant")))
	line("- **No change:** %s", EscapeName(orNothing(v.Same, "nothing")))
	if len(v.Unknown) > 0 {
		line("- **Not compared:** %s", EscapeName(strings.Join(v.Unknown, "; ")))
	}
	line("")
	adjusted := "p-values are adjusted for the number of comparisons in this diff (Benjamini–Hochberg), so two runs that differ only by noise show no significant change with probability 1−α"
	if d.Options.Unadjusted {
		adjusted = "p-values are not adjusted for the number of comparisons, so about α of the comparisons of two runs that differ only by noise come out significant"
	}
	line("*How to read this:* cells are matched by run, scale and load. Each metric is compared with a Mann–Whitney U test at α=%g, "+
		"over per-cell values when both sides have %d or more repeats of a cell and over the per-second values of the steady windows otherwise; "+
		"%s; ~ marks a change that is not significant. Throughput counts successful requests; latencies come from the merged steady-state histograms; "+
		"failures are the share of steady-state requests that failed, their change in percentage points (pp).",
		d.Options.Alpha, d.Options.MinRepeats, adjusted)
	line("")

	if warn := diffWarnings(d); len(warn) > 0 {
		line("## Warnings")
		line("")
		for _, w := range warn {
			line("- %s", Escape(clip(w, 600)))
		}
		line("")
	}

	u := loadUnit(d)
	byFile := map[string]*plots.Chart{}
	for _, c := range charts {
		byFile[c.File] = c
	}
	if len(d.Scales) > 0 {
		line("## Scales")
		line("")
		if rows := scaleRows(d); len(rows) > 0 {
			line("| scale | old peak (rps @ %s) | new peak (rps @ %s) | vs old | test | knee (%s) |", u, u, u)
			line("|---:|---:|---:|---:|:---|:---|")
			for _, r := range rows {
				line("| %s | %s | %s | %s | %s | %s |", r[0], r[1], r[2], r[3], r[4], r[5])
			}
			line("")
		}
		for i := range d.Scales {
			s := d.Scales[i].Scale
			n := 0
			for _, kind := range []string{"rps", "p95"} {
				if c := byFile[fmt.Sprintf("scale-%d-%s.png", s, kind)]; c != nil {
					if n == 0 {
						line("### Scale %d", s)
						line("")
					}
					line("![%s](%s/%s)", EscapeName(c.Title), ChartsDir, c.File)
					n++
				}
			}
			if n > 0 {
				line("")
			}
		}
	}
	diffCapacityMarkdown(d, line)
	if len(d.Cells) > 0 {
		line("## Cells")
		line("")
		for _, m := range analysis.CellMetrics() {
			line("### %s", capitalize(metricTitle(m)))
			line("")
			line("| cell | old | new | vs old | test |")
			line("|:---|---:|---:|---:|:---|")
			for i := range d.Cells {
				c := &d.Cells[i]
				ch := c.Change(m)
				line("| %s | %s | %s | %s | %s%s |", EscapeName(c.Key), valueText(m, ch.Old), valueText(m, ch.New), vsText(ch), testText(ch), mark(ch))
			}
			line("")
		}
	} else {
		line("No cell was measured on both sides: nothing to compare.")
		line("")
	}
	for _, f := range footnotes(d) {
		line("%s", f)
		line("")
	}
	return b.Bytes()
}

// RenderDiff writes the diff report of d into outDir: diff.md, index.html
// and charts/*.png, each written only when its bytes changed; charts of an
// earlier rendering that are no longer drawn are removed. Charts that
// cannot be drawn are left out and named in the report's warnings.
func RenderDiff(d *analysis.Diff, outDir string, links DiffLinks) error {
	if err := checkDiffDir(outDir); err != nil {
		return err
	}
	md, page, charts, err := DiffPage(d, links)
	if err != nil {
		return err
	}
	w := outdir.New(outDir)
	if err := w.Charts(ChartsDir, charts); err != nil {
		return fmt.Errorf("write diff charts into %s: %w", outDir, err)
	}
	if err := w.Write(DiffMarkdownFile, md); err != nil {
		return err
	}
	if err := w.Write(DiffHTMLFile, page); err != nil {
		return err
	}
	return w.Prune(ChartsDir, ".png")
}

// DiffPage is the diff report of d as Markdown and as an HTML page, with
// the charts both show (to be written into ChartsDir beside them). Charts
// that cannot be drawn are left out and named in d's warnings.
func DiffPage(d *analysis.Diff, links DiffLinks) (md, page []byte, charts []*plots.Chart, err error) {
	charts, errs := plots.DiffCharts(d)
	for _, err := range errs {
		d.Warnings = append(d.Warnings, "chart left out: "+err.Error())
	}
	md = DiffMarkdown(d, charts, links)
	page, err = HTMLPage(diffTitle(d), md)
	if err != nil {
		return nil, nil, nil, err
	}
	return md, page, charts, nil
}

// checkDiffDir refuses a folder with an index.html that is not a diff
// report's (a run's report, say), whose charts rendering would prune.
func checkDiffDir(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, HTMLFile)); err != nil {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, DiffMarkdownFile)); err == nil {
		return nil
	}
	return fmt.Errorf("%s holds an index.html that is not a diff report (no %s beside it): give a new folder for the diff report", dir, DiffMarkdownFile)
}
