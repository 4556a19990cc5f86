package main

import (
	"context"
	"errors"
)

// runDiff is being built; see the open issue for 'diff'.
func runDiff(ctx context.Context, e *env, args []string) error {
	return errors.New("'diff' is not available in this build yet")
}
