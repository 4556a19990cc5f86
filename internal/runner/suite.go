package runner

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// state is the run directory being written and what it already holds.
type state struct {
	dir  string
	run  results.Run
	todo []matrix.Cell
	kept map[string]bool
}

// open creates a new run directory, or reopens Resume after checking that
// the matrix did not change.
func (r *Runner) open(ctx context.Context) (*state, error) {
	cells := r.Matrix.Cells()
	if r.Resume != "" {
		return r.reopen(ctx, cells)
	}
	now := r.Now().UTC()
	run := results.Run{
		ID:            RunID(r.Matrix.Name, now, r.App),
		Matrix:        *r.Matrix,
		MatrixSource:  r.MatrixSource,
		MatrixHash:    r.Matrix.Hash(),
		Cells:         cells,
		Tool:          results.ToolInfo(),
		App:           r.App,
		Engine:        r.Engine,
		Host:          results.HostInfo(),
		OriginalScale: r.Scaler.Original(),
		Status:        results.StatusRunning,
		Started:       now,
		Warnings:      append([]string(nil), r.Warnings...),
		Only:          r.Selection,
	}
	if r.Target != "" {
		run.Matrix.Target = r.Target
	}
	r.topology(ctx, &run)
	dir, err := results.Create(r.Out, &run)
	if err != nil {
		return nil, err
	}
	return &state{dir: dir, run: run, todo: r.selected(cells), kept: map[string]bool{}}, nil
}

func (r *Runner) reopen(ctx context.Context, cells []matrix.Cell) (*state, error) {
	prev, err := results.ReadRun(r.Resume)
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	if h := r.Matrix.Hash(); h != prev.MatrixHash && !r.Force {
		return nil, fmt.Errorf("resume %s: the matrix changed since this run started (hash %.12s, now %.12s); run it as a new run, or pass --force to mix results of both matrices", r.Resume, prev.MatrixHash, h)
	}
	done, bad, err := results.Finished(r.Resume)
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	for _, b := range bad {
		r.Progress.Logf("resume: redoing a cell whose file does not load: %v", b)
	}
	switch {
	case r.Only == nil && prev.Only != "":
		only, err := matrix.ParseFilter(prev.Only)
		if err != nil {
			return nil, fmt.Errorf("resume %s: the selection recorded in %s, %q: %w; give --only again", r.Resume, results.RunFile, prev.Only, err)
		}
		r.Only, r.Selection = only, prev.Only
		r.Progress.Logf("resume: running the cells selected when the run started: --only %q", prev.Only)
	case r.Only == nil:
		r.Selection = ""
	}
	st := &state{dir: r.Resume, run: *prev, kept: map[string]bool{}}
	st.run.Only = r.Selection
	st.run.Warnings = appendNew(st.run.Warnings, r.Warnings...)
	for _, c := range r.selected(cells) {
		if prevCell, ok := done[c.ID]; ok && prevCell.Status == results.CellOK {
			st.kept[c.ID] = true
			continue
		}
		st.todo = append(st.todo, c)
	}
	st.run.Cells = cells
	st.run.Matrix = *r.Matrix
	if r.Target != "" {
		st.run.Matrix.Target = r.Target
	}
	st.run.MatrixHash = r.Matrix.Hash()
	st.run.Status = results.StatusRunning
	st.run.Ended = time.Time{}
	if st.run.Topology == nil {
		r.topology(ctx, &st.run)
	}
	if err := results.WriteRun(st.dir, &st.run); err != nil {
		return nil, err
	}
	return st, nil
}

// topology records the project's topology in run, when the Scaler can
// read it; a failure is a warning, never the run's failure.
func (r *Runner) topology(ctx context.Context, run *results.Run) {
	t, ok := r.Scaler.(Topologist)
	if !ok {
		return
	}
	target, err := url.Parse(run.Matrix.Target)
	if err != nil {
		run.Warnings = append(run.Warnings, fmt.Sprintf("topology not recorded: target %q: %v", run.Matrix.Target, err))
		return
	}
	ctx, cancel := context.WithTimeout(ctx, topologyTimeout)
	defer cancel()
	top, err := t.Topology(ctx, target)
	if err != nil {
		run.Warnings = append(run.Warnings, fmt.Sprintf("topology not recorded: %v", err))
		return
	}
	run.Topology = top
}

// topologyTimeout bounds the reading of the topology.
const topologyTimeout = 30 * time.Second

func (r *Runner) selected(cells []matrix.Cell) []matrix.Cell {
	if r.Only == nil {
		return cells
	}
	var out []matrix.Cell
	for _, c := range cells {
		if r.Only(c) {
			out = append(out, c)
		}
	}
	return out
}

// RunID names a run directory: <matrix>-<UTC time>-<short commit>, with
// "-dirty" when the app's work tree had changes and "nogit" outside git.
func RunID(name string, t time.Time, app results.App) string {
	commit := app.Short
	if commit == "" {
		commit = "nogit"
	} else if app.Dirty {
		commit += "-dirty"
	}
	return fmt.Sprintf("%s-%s-%s", name, t.UTC().Format("20060102T150405Z"), commit)
}

// cells runs every cell still to do, in order.
func (r *Runner) cells(ctx context.Context, st *state, s *Summary) error {
	target := r.Matrix.Target
	if r.Target != "" {
		target = r.Target
	}
	total := len(st.todo)
	probes, searchWall := r.Matrix.SearchBound(0)
	r.Progress.Begin(st.dir, total+probes, len(st.kept), estimate(st.todo)+searchWall)
	scaled := -1 // the scale the service is known to be at
	for i, c := range st.todo {
		if ctx.Err() != nil {
			return ErrAborted
		}
		r.Progress.CellStart(i, c, estimate(st.todo[i:]))
		if _, err := r.runOne(ctx, st, s, i, c, target, &scaled); err != nil {
			return err
		}
		if c.Cooldown > 0 && i < total-1 {
			if err := r.cooldown(ctx, s, c); err != nil {
				return err
			}
		}
	}
	if err := r.searches(ctx, st, s, target, &scaled, total); err != nil {
		return err
	}
	if s.Failed > 0 {
		return fmt.Errorf("%d of %d cells failed (see the report's warnings)", s.Failed, s.Done+s.Failed+s.Degraded)
	}
	return nil
}

// runOne runs cell c, saves it and counts it in s. The error stops the
// run: a cell that could not be saved, or an abort.
func (r *Runner) runOne(ctx context.Context, st *state, s *Summary, i int, c matrix.Cell, target string, scaled *int) (*results.Cell, error) {
	cell, busy := r.cell(ctx, c, target, *scaled)
	s.Busy += busy
	s.Rescale += cell.Timings.Scale + cell.Timings.Ready
	if cell.Status != results.CellFailed || len(cell.Replicas) == c.Scale {
		*scaled = c.Scale
	} else {
		*scaled = -1
	}
	redactCell(cell, r.Matrix.Secrets())
	saveStart := r.Now()
	err := r.Save(st.dir, cell)
	s.Save += r.Now().Sub(saveStart)
	if err != nil {
		// Every later cell would be lost too (a full disk, most
		// often): stop, so the scale is restored now.
		r.Progress.Logf("cell %s not saved: %v", c.ID, err)
		st.run.Warnings = append(st.run.Warnings, fmt.Sprintf("cell %s was run but not saved: %v", c.ID, err))
		return cell, saveError(st.dir, c.ID, err)
	}
	// A failed cell's error is in its file, where the report finds it;
	// run.json does not repeat it.
	switch cell.Status {
	case results.CellOK:
		s.Done++
	case results.CellFailed:
		s.Failed++
	case results.CellDegraded:
		s.Degraded++
	case results.CellAborted:
		s.Aborted++
	}
	r.Progress.CellEnd(i, cell)
	if cell.Status == results.CellAborted || ctx.Err() != nil {
		return cell, ErrAborted
	}
	return cell, nil
}

// cooldown pauses after cell c, counted as busy time.
func (r *Runner) cooldown(ctx context.Context, s *Summary, c matrix.Cell) error {
	cs := r.Now()
	if err := r.Sleep(ctx, c.Cooldown); err != nil {
		return ErrAborted
	}
	s.Busy += r.Now().Sub(cs)
	return nil
}

// cell runs one cell: scale, ready, settle (after a rescale), load with
// container and host CPU sampling. It never returns a Go error: a failure
// is the cell's status. busy is the time spent settling and loading.
func (r *Runner) cell(ctx context.Context, c matrix.Cell, target string, scaled int) (cell *results.Cell, busy time.Duration) {
	cell = &results.Cell{Cell: c, Started: r.Now().UTC()}
	fail := func(format string, args ...any) (*results.Cell, time.Duration) {
		cell.Ended = r.Now().UTC()
		cell.Error = fmt.Sprintf(format, args...)
		cell.Status = results.CellFailed
		if ctx.Err() != nil {
			cell.Status = results.CellAborted
		}
		return cell, busy
	}

	t := r.Now()
	if err := r.scale(ctx, c.Scale); err != nil {
		return fail("scale to %d: %v", c.Scale, err)
	}
	cell.Timings.Scale = r.Now().Sub(t)

	if scaled != c.Scale && c.Settle > 0 {
		t = r.Now()
		r.Progress.Logf("settling %s after rescale to %d", c.Settle, c.Scale)
		if err := r.Sleep(ctx, c.Settle); err != nil {
			return fail("interrupted while settling")
		}
		cell.Timings.Settle = r.Now().Sub(t)
		busy += cell.Timings.Settle
	}

	t = r.Now()
	before, err := r.Scaler.Replicas(ctx)
	if err != nil {
		return fail("list replicas: %v", err)
	}
	cell.Timings.Ready += r.Now().Sub(t)
	cell.Replicas = before
	if len(before) != c.Scale {
		return fail("scale %d requested but %d replica(s) are running (%s): not reporting this cell as scale %d", c.Scale, len(before), names(before), c.Scale)
	}

	t0 := r.Now()
	var stop func() []results.ContainerSeries
	if r.Watcher != nil && r.Scaler.Project() != "" {
		stop = r.Watcher.Watch(ctx, r.Scaler.Project(), t0)
	}
	var stopHost func() *results.HostSeries
	if r.HostCPU != nil {
		stopHost = r.HostCPU.SampleHost(ctx, t0)
	}
	rec, aborted, early, err := r.loadCell(ctx, c, target)
	if stop != nil {
		cell.Containers = stop()
	}
	if stopHost != nil {
		cell.Host = stopHost()
	}
	cell.Timings.Load = r.Now().Sub(t0)
	busy += cell.Timings.Load
	cell.Load, cell.EarlyStop = rec, early
	if err != nil {
		return fail("load: %v", err)
	}
	if aborted {
		cell.Ended = r.Now().UTC()
		cell.Status = results.CellAborted
		cell.Error = "interrupted during the load; the partial record is kept"
		return cell, busy
	}

	if msg := unreachable(rec); msg != "" {
		return fail("%s", msg)
	}
	// The replicas that served the load must still be the ones running,
	// the target must not have gone away, nor any container died.
	after, afterErr := r.Scaler.Replicas(context.WithoutCancel(ctx))
	changed := ""
	if afterErr == nil && !sameReplicas(before, after) {
		changed = fmt.Sprintf("before %s, after %s", names(before), names(after))
	}
	cell.Ended = r.Now().UTC()
	cell.Status = results.CellOK
	if f := merged(faults(cell, afterErr, changed)); f != nil {
		cell.Status, cell.Fault, cell.Error = results.CellDegraded, f, f.Cause
	}
	return cell, busy
}

// saveError says that the run stopped because a cell could not be saved,
// where, and how to go on.
func saveError(dir, id string, err error) error {
	fix := "fix the cause"
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		fix = fmt.Sprintf("free space on the disk holding %s (df -h %s)", dir, dir)
	}
	return fmt.Errorf("save cell %s: %w; the run stopped there and the cells saved before it are intact: %s, then continue with scalebench run --resume %s",
		id, err, fix, dir)
}

// appendNew appends the items of add that list does not hold yet.
func appendNew(list []string, add ...string) []string {
	for _, a := range add {
		if !slices.Contains(list, a) {
			list = append(list, a)
		}
	}
	return list
}

// scale rescales with bounded retries and a doubling backoff.
func (r *Runner) scale(ctx context.Context, n int) error {
	backoff := r.RetryBackoff
	var err error
	for attempt := 0; attempt <= r.Retries; attempt++ {
		if attempt > 0 {
			r.Progress.Logf("scale to %d failed (%v); retrying in %s", n, err, backoff)
			if serr := r.Sleep(ctx, backoff); serr != nil {
				return err
			}
			backoff *= 2
		}
		if err = r.Scaler.Scale(ctx, n); err == nil || ctx.Err() != nil {
			return err
		}
	}
	return fmt.Errorf("after %d attempts: %w", r.Retries+1, err)
}

// unreachable says why a cell's record shows the target never answered:
// every request failed to connect or timed out.
func unreachable(rec *results.Load) string {
	if rec == nil || rec.Total.Requests == 0 {
		return "no request completed: is the target up?"
	}
	t := rec.Total
	if t.Failures < t.Requests {
		return ""
	}
	transport := t.FailuresByClass[results.ClassRefused] + t.FailuresByClass[results.ClassReset] + t.FailuresByClass[results.ClassTimeout]
	if transport == t.Failures {
		return fmt.Sprintf("the target never answered: all %d requests failed (%s)", t.Requests, classes(t.FailuresByClass))
	}
	return ""
}

func classes(m map[results.Class]int64) string {
	var parts []string
	for _, k := range []results.Class{results.ClassRefused, results.ClassReset, results.ClassTimeout} {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
		}
	}
	return strings.Join(parts, ", ")
}

func sameReplicas(a, b []results.Replica) bool {
	if len(a) != len(b) {
		return false
	}
	ids := map[string]bool{}
	for _, x := range a {
		ids[x.ID] = true
	}
	for _, x := range b {
		if !ids[x.ID] {
			return false
		}
	}
	return true
}

func names(rs []results.Replica) string {
	if len(rs) == 0 {
		return "none"
	}
	var n []string
	for _, r := range rs {
		n = append(n, r.Name)
	}
	return strings.Join(n, ", ")
}

// estimate is the wall time the cells still need (rescaling excluded).
func estimate(cells []matrix.Cell) time.Duration {
	_, d := matrix.Schedule(cells, 0)
	return d
}
