package main

import (
	"context"

	"github.com/scalebench/scalebench/internal/analysis"
)

// renderRun renders the report of the run in dir after a suite.
func renderRun(ctx context.Context, e *env, dir string) error {
	return renderReport(e, dir, "", analysis.DefaultThresholds())
}
