package runner

import (
	"context"
	"fmt"
	"os"

	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/slo"
)

// searches runs the matrix's search runs after its grid cells: at each
// scale, in order, probes chosen by slo.Next until the capacity at the SLO
// is bracketed to the resolution; each scale starts from the previous
// scale's answer. Every probe is an ordinary cell, saved as it finishes; a
// resumed run replays the search from the saved probes and runs only the
// probes not saved yet. done counts the cells of this invocation before.
func (r *Runner) searches(ctx context.Context, st *state, s *Summary, target string, scaled *int, done int) error {
	n := done
	for _, run := range r.Matrix.SearchRuns() {
		start := run.Search.From
		for _, scale := range run.Scale {
			if r.Only != nil && !r.Only(run.Probe(scale, start, 1)) && !r.Only(run.Probe(scale, run.Search.Max, 1)) {
				continue
			}
			res, err := r.searchScale(ctx, st, s, run, scale, start, target, scaled, &n)
			if err != nil {
				return err
			}
			if res.Capacity > 0 {
				start = res.Capacity
			}
		}
	}
	return nil
}

// searchScale searches one scale's capacity.
func (r *Runner) searchScale(ctx context.Context, st *state, s *Summary, run matrix.Run, scale, start int, target string, scaled *int, n *int) (slo.Result, error) {
	var history []slo.Tried
	byLevel := map[int][]*results.Cell{}
	for {
		step := slo.Next(*run.Search, start, history)
		if step.Done {
			break
		}
		c := run.Probe(scale, step.Level, step.Repeat)
		c.Index = len(st.run.Cells)
		st.run.Cells = append(st.run.Cells, c)
		cell, err := r.probe(ctx, st, s, c, target, scaled, n)
		if err != nil {
			return slo.Result{}, err
		}
		if cell.Load == nil || cell.Status != results.CellOK {
			// A failed or degraded probe is left out of the report's
			// capacity (analysis.SLOCapacities): judging it here would
			// bracket on numbers the report does not show.
			what := "recorded no load"
			if cell.Load != nil {
				what = "is " + string(cell.Status)
			}
			r.Progress.Logf("search %s at scale %d stopped: probe %s %s: %s", run.Name, scale, c.ID, cell.Status, cell.Error)
			st.run.Warnings = appendNew(st.run.Warnings, fmt.Sprintf("the search of %s at scale %d stopped at %s, which %s: %s", run.Name, scale, c.ID, what, cell.Error))
			return slo.Summarize(*run.Search, history), nil
		}
		byLevel[step.Level] = append(byLevel[step.Level], cell)
		v := slo.Judge(*r.Matrix.SLO, byLevel[step.Level])
		if k := len(history); k > 0 && history[k-1].Level == step.Level {
			history[k-1].Verdict = v
		} else {
			history = append(history, slo.Tried{Level: step.Level, Verdict: v})
		}
	}
	res := slo.Summarize(*run.Search, history)
	r.Progress.Logf("search %s at scale %d: %s", run.Name, scale, describe(res, run.Search.Mode))
	return res, nil
}

// probe runs probe c, or takes it from the run directory when a resumed
// run saved it before.
func (r *Runner) probe(ctx context.Context, st *state, s *Summary, c matrix.Cell, target string, scaled *int, n *int) (*results.Cell, error) {
	if ctx.Err() != nil {
		return nil, ErrAborted
	}
	if st.kept[c.ID] || r.Resume != "" {
		if prev, err := results.ReadCell(results.CellPath(st.dir, c.ID)); err == nil && prev.Status == results.CellOK {
			s.Kept += boolInt(!st.kept[c.ID])
			st.kept[c.ID] = true
			return prev, nil
		} else if err != nil && !os.IsNotExist(err) {
			r.Progress.Logf("resume: redoing probe %s: %v", c.ID, err)
		}
	}
	if *n > 0 && c.Cooldown > 0 {
		if err := r.cooldown(ctx, s, c); err != nil {
			return nil, err
		}
	}
	r.Progress.CellStart(*n, c, 0)
	cell, err := r.runOne(ctx, st, s, *n, c, target, scaled)
	*n++
	return cell, err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// describe is a search's answer in a progress line.
func describe(res slo.Result, mode matrix.Mode) string {
	unit := "users"
	if mode == matrix.Open {
		unit = "req/s"
	}
	switch {
	case res.MetNowhere:
		return fmt.Sprintf("the SLO is met nowhere, not even at %d %s (%d probes)", res.Above, unit, res.Probes)
	case res.NeverBroken:
		return fmt.Sprintf("the SLO held up to the maximum, %d %s (%d probes)", res.Capacity, unit, res.Probes)
	case res.Above == 0:
		return fmt.Sprintf("met up to %d %s (%d probes)", res.Capacity, unit, res.Probes)
	}
	return fmt.Sprintf("capacity %d %s, broken at %d (%d probes)", res.Capacity, unit, res.Above, res.Probes)
}
