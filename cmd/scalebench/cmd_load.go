package main

import (
	"context"
	"errors"
)

// runLoad is being built; see the open issue for 'load'.
func runLoad(ctx context.Context, e *env, args []string) error {
	return errors.New("'load' is not available in this build yet")
}
