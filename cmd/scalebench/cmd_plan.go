package main

import (
	"context"
	"errors"
)

func runPlan(ctx context.Context, e *env, args []string) error {
	return errors.New("'plan' is not available in this build yet")
}
