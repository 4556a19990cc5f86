// Package report writes what a study found: report.md, whose conclusions
// are plain sentences with their numbers, index.html (the same Markdown
// through goldmark with embedded CSS), and the charts beside them, in one
// self-contained folder that works from file:// and any static host. It
// also writes diff reports of two result sets (DiffText, RenderDiff, and
// DiffPage for package site, which publishes every run).
//
// It is a pure function of saved results: it must not run load, touch
// Docker, decide numbers (that is package analysis) or draw charts (that is
// package plots). Text that came from the target is escaped and never
// passed through as HTML.
package report

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/plots"
	"github.com/scalebench/scalebench/internal/results"
)

// Output file names inside the report folder.
const (
	MarkdownFile = "report.md"
	HTMLFile     = "index.html"
)

// Render analyses set and writes outDir/report.md, outDir/index.html and
// outDir/charts/*.png. Charts left over from an earlier rendering are
// removed first, so the folder is a function of the set alone. A chart that
// cannot be drawn is left out and named in the report's warnings.
func Render(set *results.Set, outDir string) error {
	return RenderWith(set, outDir, analysis.DefaultThresholds())
}

// RenderWith is Render with the analysis thresholds and options th (for
// example IncludeDegraded).
func RenderWith(set *results.Set, outDir string, th analysis.Thresholds) error {
	st := analysis.AnalyzeWith(set, th)
	cs := plots.Build(st, set)
	for _, err := range cs.Problems {
		st.Warnings = append(st.Warnings, "chart left out: "+err.Error())
	}
	charts := filepath.Join(outDir, ChartsDir)
	if err := os.MkdirAll(charts, 0o755); err != nil {
		return fmt.Errorf("create report folder: %w", err)
	}
	if err := removeCharts(charts); err != nil {
		return err
	}
	if err := renderCharts(cs.All(set), charts); err != nil {
		return err
	}
	md := Markdown(set, st, cs)
	page, err := HTMLPage(Title(set), md)
	if err != nil {
		return err
	}
	if err := results.WriteFileAtomic(filepath.Join(outDir, MarkdownFile), md); err != nil {
		return fmt.Errorf("write %s: %w", MarkdownFile, err)
	}
	if err := results.WriteFileAtomic(filepath.Join(outDir, HTMLFile), page); err != nil {
		return fmt.Errorf("write %s: %w", HTMLFile, err)
	}
	return nil
}

// Title is the report's page title.
func Title(set *results.Set) string {
	name := cmp.Or(set.Run.Matrix.Name, set.Run.ID, "scalebench")
	return name + " · scalebench report"
}

// removeCharts deletes the PNG files of an earlier rendering.
func removeCharts(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".png") {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("remove old chart: %w", err)
			}
		}
	}
	return nil
}

// renderCharts writes the charts into dir.
func renderCharts(charts []*plots.Chart, dir string) error {
	return plots.RenderAll(charts, func(c *plots.Chart, png []byte) error {
		if err := os.WriteFile(filepath.Join(dir, c.File), png, 0o644); err != nil {
			return fmt.Errorf("write chart: %w", err)
		}
		return nil
	})
}
