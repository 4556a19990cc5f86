package main

import (
	"context"
	"fmt"
)

// renderRun renders the report of the run in dir after a suite.
func renderRun(ctx context.Context, e *env, dir string) error {
	fmt.Fprintf(e.stdout, "report: run 'scalebench report %s' once the report renderer is in this build\n", dir)
	return nil
}
