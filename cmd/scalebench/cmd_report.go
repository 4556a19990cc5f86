package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/scalebench/scalebench/analysis"
	"github.com/scalebench/scalebench/report"
	"github.com/scalebench/scalebench/results"
)

func runReport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "report", "DIR", "Render charts/*.png, report.md and index.html from the saved results in DIR (a run\ndirectory: run.json and cells/). Nothing is re-run. Prints the path of index.html\nand the conclusions.")
	out := fs.String("out", "", "write the report into this folder (default DIR/report)")
	degraded := fs.Bool("include-degraded", false, "use the numbers of degraded cells (the target or a container went away during them) in the conclusions")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return usageError{fmt.Errorf("report takes one results directory, got %d arguments", len(pos))}
	}
	th := analysis.DefaultThresholds()
	th.IncludeDegraded = *degraded
	return renderReport(e, pos[0], *out, th)
}

// renderReport renders the report of the run directory dir into out
// (default dir/report) with the analysis options th and prints where it is
// and what it concludes.
func renderReport(e *env, dir, out string, th analysis.Thresholds) error {
	set, err := results.ReadSet(dir)
	if err != nil {
		return fmt.Errorf("read results in %s: %w (give a run directory: the one holding run.json and cells/)", dir, err)
	}
	if out == "" {
		out = filepath.Join(dir, "report")
	}
	if err := report.RenderWith(set, out, th); err != nil {
		return fmt.Errorf("render report of %s into %s: %w", dir, out, err)
	}
	index, err := filepath.Abs(filepath.Join(out, report.HTMLFile))
	if err != nil {
		index = filepath.Join(out, report.HTMLFile)
	}
	fmt.Fprintf(e.stdout, "report: %s\n", index)
	fmt.Fprintln(e.stdout, "conclusions:")
	for _, c := range report.Conclusions(analysis.AnalyzeWith(set, th)) {
		fmt.Fprintf(e.stdout, "- %s\n", c)
	}
	return nil
}

// parseInterspersed parses args into fs and returns the positional
// arguments; parseFlags takes flags before and after them alike.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	return fs.Args(), nil
}
