// Package runner runs a whole experiment matrix unattended: for each cell it
// scales the service, waits until it is ready, settles, runs the load while
// sampling container stats, and saves the cell atomically; it resumes an
// interrupted run, survives failing cells, and restores the original scale.
// It must not render anything: the caller renders the report when Run
// returns.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// Scaler changes and reports the replica count of the service under test.
// dockerctl's compose and Swarm services implement it.
type Scaler interface {
	// Replicas lists the running replicas of the service.
	Replicas(ctx context.Context) ([]results.Replica, error)
	// Scale sets the replica count and waits until every replica is ready.
	Scale(ctx context.Context, n int) error
	// Original is the replica count found before the suite.
	Original() int
	// Project is the Watch selector of the containers to watch: a compose
	// project name, or a Swarm stack or service selector ("" for none).
	Project() string
}

// Topologist is what a Scaler may also be: able to tell the project's
// services and which of them receives the load sent to target. dockerctl's
// compose and Swarm services are.
type Topologist interface {
	Topology(ctx context.Context, target *url.URL) (*results.Topology, error)
}

// Watcher samples the project's containers while a cell's load runs.
type Watcher interface {
	// Watch samples from now until stop is called; offsets are from t0.
	Watch(ctx context.Context, project string, t0 time.Time) (stop func() []results.ContainerSeries)
}

// LoadFunc runs one cell's load; load.Run is the real one.
type LoadFunc func(ctx context.Context, cfg load.Config) (rec *results.Load, aborted bool, err error)

// Runner runs one suite. The zero value is not usable: set Matrix, Scaler,
// Load and Out (or Resume).
type Runner struct {
	// Matrix is the experiment; MatrixSource its file's text.
	Matrix       *matrix.Matrix
	MatrixSource string
	// Target overrides Matrix.Target when set (the demo's stack URL).
	Target string
	// Scaler rescales the service; Watcher (optional) samples containers.
	// When Scaler is also a Topologist, the project's topology is recorded
	// in run.json when the run starts.
	Scaler  Scaler
	Watcher Watcher
	// HostCPU samples the load generator machine's CPU during each cell's
	// load (default ProcStat{}: /proc/stat once per second).
	HostCPU HostSampler
	// Load runs the load of one cell (default load.Run).
	Load LoadFunc
	// Out is the results root where a new run directory is created.
	Out string
	// Resume is an existing run directory to continue; Force accepts a
	// matrix that changed since it was started.
	Resume string
	Force  bool
	// Only, when set, selects the cells to run.
	Only func(matrix.Cell) bool
	// Selection is the text Only was parsed from (matrix.ParseFilter),
	// recorded in run.json. A resumed run without Only takes the recorded
	// selection, so it runs the cells its first attempt was to run.
	Selection string
	// Warnings found before the run (by the caller: containers scalebench
	// leaves alone, say) are recorded in run.json.
	Warnings []string
	// App and Engine are recorded in run.json.
	App    results.App
	Engine *results.Engine
	// Retries is how many times a failed rescale is tried again (default 2),
	// with a backoff starting at RetryBackoff (default 2s) and doubling.
	Retries      int
	RetryBackoff time.Duration
	// Save writes a finished cell into the run directory (default
	// results.WriteCell). The first failed save stops the run.
	Save func(dir string, c *results.Cell) error
	// Progress receives the live view; nil discards it.
	Progress Progress
	// Now and Sleep are the clock, replaceable in tests.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	// files writes each cell's Locust CSV files and interval log beside
	// its JSON (Load and Save are wrapped once, by defaults).
	files cellFiles
}

// Summary is what Run reports when it returns.
type Summary struct {
	// Dir is the run directory.
	Dir string
	// Run is run.json as last written.
	Run results.Run
	// Done, Degraded, Failed and Aborted count this invocation's cells;
	// Kept counts cells found finished when resuming.
	Done, Degraded, Failed, Aborted, Kept int
	// Wall is the suite's wall time; Busy the part spent in settle, load
	// and cooldown; Overhead the rest. Rescale (rescaling, readiness waits
	// and replica checks before the cells), Save (writing cells) and
	// Restore (putting the original scale back) are parts of Overhead.
	Wall, Busy, Overhead   time.Duration
	Rescale, Save, Restore time.Duration
}

// ErrAborted is returned (wrapped) when the context was cancelled: the
// partial cell was saved and the scale restored.
var ErrAborted = errors.New("run aborted")

// Run runs the suite. It returns the summary even with an error when a run
// directory exists, so the caller can render what was recorded.
func (r *Runner) Run(ctx context.Context) (*Summary, error) {
	r.defaults()
	st, err := r.open(ctx)
	if err != nil {
		return nil, err
	}
	s := &Summary{Dir: st.dir, Kept: len(st.kept)}
	started := r.Now()
	runErr := r.cells(ctx, st, s)

	// Whatever happened, put the original scale back, on a context that a
	// first Ctrl-C has not cancelled.
	restoreCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	defer cancel()
	// A resumed run restores the scale found before its first attempt.
	restoreStart := r.Now()
	orig := st.run.OriginalScale
	if cur, rerr := r.Scaler.Replicas(restoreCtx); rerr != nil || len(cur) != orig {
		r.Progress.Logf("restoring %d replica(s)", orig)
		if err := r.Scaler.Scale(restoreCtx, orig); err != nil {
			st.run.Warnings = append(st.run.Warnings, fmt.Sprintf("restore original scale %d: %v", orig, err))
			runErr = errors.Join(runErr, fmt.Errorf("restore original scale %d: %w", orig, err))
		}
	}

	s.Restore = r.Now().Sub(restoreStart)
	s.Wall = r.Now().Sub(started)
	s.Overhead = max(s.Wall-s.Busy, 0)
	st.run.Ended = r.Now().UTC()
	st.run.Overhead += s.Overhead
	switch {
	case errors.Is(runErr, ErrAborted):
		st.run.Status = results.StatusAborted
	case runErr != nil:
		st.run.Status = results.StatusFailed
	default:
		st.run.Status = results.StatusComplete
	}
	if err := results.WriteRun(st.dir, &st.run); err != nil {
		runErr = errors.Join(runErr, err)
	}
	if err := WriteTidy(st.dir); err != nil {
		r.Progress.Logf("%v", err) // the cells are saved; report writes it again
	}
	s.Run = st.run
	return s, runErr
}

func (r *Runner) defaults() {
	if r.Load == nil {
		r.Load = load.Run
	}
	if r.HostCPU == nil {
		r.HostCPU = ProcStat{}
	}
	if r.Save == nil {
		r.Save = results.WriteCell
	}
	if r.files.streams == nil {
		r.Load, r.Save = r.files.wrap(r.Load, r.Save)
	}
	if r.Retries == 0 {
		r.Retries = 2
	}
	if r.RetryBackoff == 0 {
		r.RetryBackoff = 2 * time.Second
	}
	if r.Progress == nil {
		r.Progress = NewPlainProgress(io.Discard)
	}
	if _, ok := r.Progress.(*redactProgress); !ok {
		r.Progress = WithRedaction(r.Progress, r.Matrix.Secrets())
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.Sleep == nil {
		r.Sleep = sleep
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
