package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/report"
	"github.com/scalebench/scalebench/internal/results"
)

const diffSummary = `Compare two result sets, OLD and NEW, and say which changes are significant.
Cells are matched by run, scale and load; throughput, p50, p95, p99 and the
failure rate are compared with a Mann–Whitney U test over repeats (when each
side has 2 or more) or over the steady-state seconds, "~" when not
significant at --alpha once the p-values are adjusted for the number of
comparisons. OLD and NEW are run directories, or with --root commits of the
application (a prefix is enough; the newest run of a commit is taken).

--fail-on LIMITS lists metric=change items: p95=+10% fails on a significant
rise of p95 by more than 10% in any cell; rps=-5% on a fall of throughput by
more than 5%; failures=+1pp on a rise of the failure rate by more than one
percentage point; peak=-5% on a fall of a scale's peak throughput;
capacity=-5% on a fall of a scale's capacity at the matrix's SLO whose
brackets do not overlap (both sets need the same slo:).

Exit codes: 0 no regression beyond --fail-on (or no --fail-on), 3 a
significant regression beyond a --fail-on limit, 2 bad usage, 1 failure.`

func runDiff(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "diff", "OLD NEW", diffSummary)
	alpha := fs.Float64("alpha", analysis.DefaultDiffOptions().Alpha, "significance level of the tests")
	failOn := fs.String("fail-on", "", "exit 3 on a significant regression beyond these `LIMITS`, e.g. 'p95=+10%,rps=-5%,failures=+1pp'\n(metrics rps, p50, p95, p99, failures, peak, capacity; % of the old value, pp for failures)")
	out := fs.String("out", "", "also write a Markdown/HTML diff report with overlay charts into this `folder`")
	root := fs.String("root", "", "results `folder` in which OLD and NEW name commits of the application")
	includeDegraded := fs.Bool("include-degraded", false, "compare degraded cells (the target or a container went away during them) too,\ninstead of leaving them out as neither a regression nor a pass")
	unadjusted := fs.Bool("unadjusted", false, "compare each p-value with --alpha on its own (benchstat's way) instead of adjusting\nfor the number of comparisons (Benjamini–Hochberg)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	pos := fs.Args()
	if len(pos) != 2 {
		fs.Usage()
		return usageError{fmt.Errorf("diff takes two result sets, OLD and NEW, got %d arguments", len(pos))}
	}
	if !(*alpha > 0 && *alpha < 1) {
		return usageError{fmt.Errorf("--alpha %g: give a significance level between 0 and 1, e.g. 0.05", *alpha)}
	}
	limits, err := analysis.ParseLimits(*failOn)
	if err != nil {
		return usageError{fmt.Errorf("--fail-on %w", err)}
	}
	oldDir, newDir, err := diffDirs(e, *root, pos[0], pos[1])
	if err != nil {
		return err
	}
	if sameDir(oldDir, newDir) {
		return usageError{fmt.Errorf("OLD and NEW are the same run, %s: give two different runs", newDir)}
	}
	oldSet, err := readSet(oldDir)
	if err != nil {
		return err
	}
	newSet, err := readSet(newDir)
	if err != nil {
		return err
	}
	opt := analysis.DefaultDiffOptions()
	opt.Alpha, opt.Unadjusted, opt.IncludeDegraded = *alpha, *unadjusted, *includeDegraded
	d := analysis.CompareWith(oldSet, newSet, opt)
	if err := d.CheckLimits(limits); err != nil {
		return usageError{fmt.Errorf("--fail-on %w", err)}
	}
	if *out != "" {
		if err := report.RenderDiff(d, *out, report.DiffLinks{}); err != nil {
			return fmt.Errorf("write the diff report into %s: %w", *out, err)
		}
	}
	if _, err := e.stdout.Write(report.DiffText(d)); err != nil {
		return err
	}
	if *out != "" {
		fmt.Fprintf(e.stdout, "\ndiff report: %s\n", report.DiffIndexPath(*out))
	}
	regs := d.Regressions(limits)
	if len(regs) == 0 {
		if len(d.Cells) == 0 && (d.Capacity == nil || len(d.Capacity.Scales) == 0) {
			return fmt.Errorf("no cell was measured on both sides, so nothing was compared (see the warnings above)")
		}
		if len(limits) > 0 {
			fmt.Fprintf(e.stdout, "\n--fail-on %s: no significant regression beyond the limits\n", *failOn)
		}
		return nil
	}
	var lines []string
	for _, r := range regs {
		lines = append(lines, "  "+report.RegressionText(r))
	}
	return regressionError{fmt.Errorf("%d %s with --fail-on %s (significant changes beyond a limit, or cells that failed):\n%s",
		len(regs), map[bool]string{true: "regression", false: "regressions"}[len(regs) == 1], *failOn, strings.Join(lines, "\n"))}
}

// diffDirs resolves OLD and NEW: run directories as given, or with a
// results root, commits of the application.
func diffDirs(e *env, root, old, new string) (string, string, error) {
	if root == "" {
		for _, a := range []string{old, new} {
			if !results.IsRunDir(a) {
				return "", "", fmt.Errorf("%s is not a run directory (it has no %s): give two run directories, or commits with --root RESULTS", a, results.RunFile)
			}
		}
		return old, new, nil
	}
	runs, problems, err := results.FindRuns(root)
	if err != nil {
		return "", "", err
	}
	for _, p := range problems {
		fmt.Fprintf(e.stderr, "scalebench: diff: skipped %v\n", p)
	}
	pick := func(arg, matrix string) (results.RunRef, error) {
		if results.IsRunDir(arg) {
			ref, err := results.ReadRunRef(arg)
			return ref, err
		}
		ref, note, err := results.FindCommit(runs, root, arg, matrix)
		if err != nil {
			if errors.Is(err, results.ErrAmbiguousCommit) {
				return ref, usageError{err}
			}
			return ref, err
		}
		if note != "" {
			fmt.Fprintf(e.stderr, "scalebench: diff: %s\n", note)
		}
		return ref, nil
	}
	nr, err := pick(new, "")
	if err != nil {
		return "", "", err
	}
	or, err := pick(old, nr.Run.Matrix.Name)
	if err != nil {
		return "", "", err
	}
	return or.Dir, nr.Dir, nil
}

func readSet(dir string) (*results.Set, error) {
	set, err := results.ReadSet(dir)
	if err != nil {
		return nil, fmt.Errorf("read results in %s: %w (give a run directory: the one holding run.json and cells/)", dir, err)
	}
	return set, nil
}

// sameDir reports whether a and b name the same directory.
func sameDir(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	if errA != nil || errB != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	return os.SameFile(sa, sb)
}
