package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/report"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/runner"
)

func runReport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "report", "DIR", "Render charts/*.png, report.md and index.html from the saved results in DIR (a run\ndirectory: run.json and cells/). Nothing is re-run. Prints the path of index.html\nand the conclusions. A run made before scalebench wrote results.csv and the cells'\n_stats.csv and _failures.csv gets them now.")
	out := fs.String("out", "", "write the report into this folder (default DIR/report)")
	single := fs.String("single-file", "", "write the report as this one HTML `file`, charts embedded, instead of a folder")
	degraded := fs.Bool("include-degraded", false, "use the numbers of degraded cells (the target or a container went away during them) in the conclusions")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	pos := fs.Args()
	if len(pos) != 1 {
		fs.Usage()
		return usageError{fmt.Errorf("report takes one results directory, got %d arguments", len(pos))}
	}
	if *single != "" && *out != "" {
		return usageError{errors.New("report: give --out FOLDER or --single-file FILE, not both")}
	}
	if *single != "" {
		if st, err := os.Stat(filepath.Dir(*single)); err != nil || !st.IsDir() {
			return usageError{fmt.Errorf("--single-file %s: folder %s does not exist: create it or choose another path", *single, filepath.Dir(*single))}
		}
	}
	th := analysis.DefaultThresholds()
	th.IncludeDegraded = *degraded
	addRunFiles(e, pos[0])
	if *single != "" {
		return renderSingle(e, pos[0], *single, th)
	}
	return renderReport(e, pos[0], *out, th)
}

// addRunFiles writes the tidy CSV and the cells' Locust statistics of the
// run in dir when they are missing (the run was made before scalebench
// wrote them). A failure is a warning: the report does not need them.
func addRunFiles(e *env, dir string) {
	set, err := results.ReadSet(dir)
	if err != nil {
		return // renderReport says what is wrong with dir
	}
	var added []string
	if _, err := os.Stat(filepath.Join(dir, results.TidyFile)); errors.Is(err, fs.ErrNotExist) {
		if err := runner.WriteTidy(dir); err != nil {
			fmt.Fprintf(e.stderr, "scalebench: warning: %v\n", err)
		} else {
			added = append(added, results.TidyFile)
		}
	}
	n := 0
	for i := range set.Cells {
		c := &set.Cells[i]
		if _, err := os.Stat(runner.CellFile(dir, c.Cell.ID, runner.StatsSuffix)); c.Load == nil || !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := runner.WriteLocustFiles(dir, c); err != nil {
			fmt.Fprintf(e.stderr, "scalebench: warning: %v\n", err)
			break
		}
		n++
	}
	if n > 0 {
		added = append(added, fmt.Sprintf("the Locust _stats.csv and _failures.csv of %d cells", n))
	}
	if len(added) > 0 {
		fmt.Fprintf(e.stdout, "added to %s: %s\n", dir, strings.Join(added, ", "))
	}
}

// renderReport renders the report of the run directory dir into out
// (default dir/report) with the analysis options th and prints where it is
// and what it concludes.
func renderReport(e *env, dir, out string, th analysis.Thresholds) error {
	set, err := readReportSet(dir)
	if err != nil {
		return err
	}
	if out == "" {
		out = filepath.Join(dir, "report")
	}
	if err := report.RenderWith(set, out, th); err != nil {
		return fmt.Errorf("render report of %s into %s: %w", dir, out, err)
	}
	printReport(e, filepath.Join(out, report.HTMLFile), set, th)
	return nil
}

// renderSingle writes the report of the run directory dir as the one HTML
// file path and prints where it is and what it concludes.
func renderSingle(e *env, dir, path string, th analysis.Thresholds) error {
	set, err := readReportSet(dir)
	if err != nil {
		return err
	}
	if err := report.SingleFile(set, path, th); err != nil {
		return fmt.Errorf("render report of %s into %s: %w", dir, path, err)
	}
	printReport(e, path, set, th)
	return nil
}

func readReportSet(dir string) (*results.Set, error) {
	set, err := results.ReadSet(dir)
	if err != nil {
		return nil, fmt.Errorf("read results in %s: %w (give a run directory: the one holding run.json and cells/)", dir, err)
	}
	return set, nil
}

// printReport prints the report's path and the conclusions.
func printReport(e *env, path string, set *results.Set, th analysis.Thresholds) {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	fmt.Fprintf(e.stdout, "report: %s\n", path)
	fmt.Fprintln(e.stdout, "conclusions:")
	for _, c := range report.Conclusions(analysis.AnalyzeWith(set, th)) {
		fmt.Fprintf(e.stdout, "- %s\n", c)
	}
}
