package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/scalebench/scalebench/internal/site"
)

const publishSummary = `Build a static site in --site from every run directory under ROOT: an index of
the runs (newest first, with time, matrix, commit, peak throughput per scale and
status), each run's report, each run's diff against the previous run of the same
matrix, and trend charts of peak throughput and p95 per scale across commits.
Links are relative: open index.html from disk or serve the folder from any static
host. Re-running changes only the files whose content changed.`

func runPublish(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "publish", "ROOT", publishSummary)
	siteDir := fs.String("site", "site", "write the site into this `folder` (new, empty, or an earlier site)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	pos := fs.Args()
	if len(pos) != 1 {
		fs.Usage()
		return usageError{fmt.Errorf("publish takes one results root (the folder holding the run directories), got %d arguments", len(pos))}
	}
	if *siteDir == "" {
		return usageError{fmt.Errorf("--site is empty: name the folder to write the site into")}
	}
	sum, err := site.Publish(pos[0], *siteDir)
	if err != nil {
		return fmt.Errorf("publish %s into %s: %w", pos[0], *siteDir, err)
	}
	for _, p := range sum.Problems {
		fmt.Fprintf(e.stderr, "scalebench: publish: %v\n", p)
	}
	index, err := filepath.Abs(sum.Index)
	if err != nil {
		index = sum.Index
	}
	fmt.Fprintf(e.stdout, "site: %s\n", index)
	fmt.Fprintf(e.stdout, "%d runs, %d reports, %d diffs; %d files written, %d unchanged, %d removed\n",
		sum.Runs, sum.Reports, sum.Diffs, sum.Written, sum.Unchanged, sum.Removed)
	return nil
}
