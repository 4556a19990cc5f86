package main

import (
	"context"
	"errors"
)

// runDemo is being built; see the open issue for 'demo'.
func runDemo(ctx context.Context, e *env, args []string) error {
	return errors.New("'demo' is not available in this build yet")
}
