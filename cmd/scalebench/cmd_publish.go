package main

import (
	"context"
	"errors"
)

// runPublish is being built; see the open issue for 'publish'.
func runPublish(ctx context.Context, e *env, args []string) error {
	return errors.New("'publish' is not available in this build yet")
}
