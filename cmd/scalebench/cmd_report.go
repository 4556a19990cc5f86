package main

import (
	"context"
	"errors"
)

// runReport is being built; see the open issue for 'report'.
func runReport(ctx context.Context, e *env, args []string) error {
	return errors.New("'report' is not available in this build yet")
}
