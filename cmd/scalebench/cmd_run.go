package main

import (
	"context"
	"errors"
)

// runRun is being built; see the open issue for 'run'.
func runRun(ctx context.Context, e *env, args []string) error {
	return errors.New("'run' is not available in this build yet")
}
