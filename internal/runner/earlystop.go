package runner

import (
	"context"
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/slo"
)

// loadCell runs cell c's load. When early stop is on for c's run, the
// load's seconds go through slo's rule, and a cell whose SLO verdict is
// decided stops there: its record covers the load until then, it is not
// aborted, and early says why it stopped.
func (r *Runner) loadCell(ctx context.Context, c matrix.Cell, target string) (rec *results.Load, aborted bool, early *results.EarlyStop, err error) {
	cfg := load.Config{
		Target:   target,
		Scenario: r.Matrix.Scenario,
		Cell:     c,
		Progress: func(p load.Progress) { r.Progress.Live(p) },
	}
	if !r.earlyStopOn(c) {
		rec, aborted, err = r.Load(ctx, cfg)
		return rec, aborted, nil, err
	}
	rule := slo.NewStopper(*r.Matrix.SLO, c)
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	var decided *results.EarlyStop // written and read on the load's goroutine until Load returns
	cfg.Second = func(s results.Second) {
		if decided != nil {
			return
		}
		if reason, ok := rule.Second(s.T, s.Requests, s.Failures, s.P50, s.P95, s.P99); ok {
			decided = &results.EarlyStop{At: time.Duration(s.T+1) * time.Second, Reason: reason}
			stop()
		}
	}
	rec, aborted, err = r.Load(lctx, cfg)
	if decided == nil || ctx.Err() != nil {
		return rec, aborted, nil, err
	}
	if rec != nil {
		decided.At = rec.Elapsed
	}
	r.Progress.Logf("%s stopped early at %s: %s", c.ID, decided.At.Round(time.Second), decided.Reason)
	return rec, false, decided, err
}

// earlyStopOn says whether cell c's run stops cells early.
func (r *Runner) earlyStopOn(c matrix.Cell) bool {
	for _, run := range r.Matrix.Runs {
		if run.Name == c.Run {
			return run.EarlyStopOn(r.Matrix)
		}
	}
	return false
}
