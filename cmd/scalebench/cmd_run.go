package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/scalebench/scalebench/internal/dockerctl"
	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/runner"
)

func runRun(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "run", "MATRIX.yaml", "Run every cell of a matrix unattended: scale the service, wait until it is ready,\nsettle, run the load while sampling container stats, save the cell; at the end\nrestore the original scale and render the report.\n\nExit codes: 0 all cells ran, 1 a cell or the suite failed, 2 bad input, 130 interrupted.")
	var o suiteOptions
	fs.StringVar(&o.out, "out", "results", "results root: the run directory is created in it")
	fs.StringVar(&o.resume, "resume", "", "continue the interrupted run in `DIR` (finished cells are kept)")
	fs.BoolVar(&o.force, "force", false, "with --resume: accept a matrix that changed since the run started")
	only := fs.String("only", "", "run only the cells that match, e.g. `'scale=3,users=20'` (keys: run, scale, users, rate, repeat, id; values a|b)")
	fs.StringVar(&o.target, "target", "", "send the load to this base URL instead of the matrix's target")
	fs.DurationVar(&o.readyTimeout, "ready-timeout", dockerctl.DefaultReadyTimeout, "how long to wait for replicas to be running, healthy and ready after a rescale")
	fs.BoolVar(&o.noReport, "no-report", false, "do not render the report at the end")
	fs.IntVar(&o.agents, "agents", 0, "send the load from `N` load agents run as a Swarm service (overrides the matrix's agents:)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() == 1:
		m, err := loadMatrix(e, fs.Arg(0))
		if err != nil {
			return err
		}
		o.matrix = m
		src, _ := os.ReadFile(fs.Arg(0))
		o.source = string(src)
	case fs.NArg() == 0 && o.resume != "":
		prev, err := results.ReadRun(o.resume)
		if err != nil {
			return fmt.Errorf("resume: %w", err)
		}
		// A matrix that took values from the environment was saved with
		// their names only: take them from the environment again.
		m, err := prev.Matrix.Reload(prev.MatrixSource)
		if err != nil {
			return usageError{fmt.Errorf("resume %s: %w", o.resume, err)}
		}
		o.matrix, o.source = m, prev.MatrixSource
	default:
		fs.Usage()
		return usageError{fmt.Errorf("run takes one matrix file (or --resume DIR alone), got %d arguments", fs.NArg())}
	}
	if *only != "" {
		f, err := matrix.ParseFilter(*only)
		if err != nil {
			return usageError{fmt.Errorf("--only %w", err)}
		}
		o.only, o.selection = f, *only
	}
	_, err := runSuite(ctx, e, o)
	return redactError(err, o.matrix.Secrets())
}

// suiteOptions are what run and demo share.
type suiteOptions struct {
	matrix       *matrix.Matrix
	source       string
	out          string
	resume       string
	force        bool
	only         func(matrix.Cell) bool
	selection    string // the --only text, recorded in run.json
	target       string
	readyTimeout time.Duration
	noReport     bool
	agents       int // --agents: load agents replacing the matrix's count
}

// runSuite connects to Docker, runs the matrix, restores the scale and
// renders the report. It returns the run directory when one was made.
func runSuite(ctx context.Context, e *env, o suiteOptions) (string, error) {
	m := o.matrix
	dc, err := dockerctl.Connect(ctx)
	if err != nil {
		return "", err
	}
	defer dc.Close()

	progress := runner.NewPlainProgress(e.stdout)
	if isTerminal(e.stdout) {
		progress = runner.NewTTYProgress(e.stdout)
	}
	progress = runner.WithRedaction(progress, m.Secrets())
	opts := dockerctl.Options{ReadyURL: m.Ready, ReadyTLS: m.Scenario.TLS, ReadyTimeout: o.readyTimeout, MaxScale: m.Ceiling(), Log: progress.Logf}
	check, err := checkService(ctx, dc, m, opts)
	if err != nil {
		return "", err
	}
	for _, w := range check.warnings {
		fmt.Fprintf(e.stderr, "scalebench: warning: %s\n", w)
	}
	engine, err := dc.Engine(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "scalebench: warning: engine version unknown: %v\n", err)
	}

	// The compose and Swarm scalers are Topologists: the runner records
	// the project's topology in run.json when the run starts.
	r := &runner.Runner{
		Matrix: m, MatrixSource: o.source, Target: o.target,
		Scaler: check.scaler, Watcher: dc, HostCPU: runner.ProcStat{},
		Out: o.out, Resume: o.resume, Force: o.force, Only: o.only, Selection: o.selection, Warnings: check.warnings,
		App: results.AppInfo(ctx, appDir(ctx, dc, m)), Engine: engine, Progress: progress,
	}
	if r.Load, err = agentsLoad(ctx, dc, m, o.agents, progress.Logf); err != nil {
		return "", err
	}

	// While the suite runs, a first Ctrl-C saves the cell and restores the
	// scale, a second exits at once; files are written atomically, so even
	// then none is left half-written. Once the suite has returned there is
	// nothing to save or restore: the context ending then (as it does when
	// the program ends) prints nothing.
	suiteDone := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-suiteDone:
			return
		}
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(ch)
		fmt.Fprintln(e.stderr, "\nscalebench: interrupted: saving the cell, restoring the scale (Ctrl-C again to exit at once)")
		select {
		case <-ch:
			fmt.Fprintln(e.stderr, "scalebench: exiting at once; the original scale may not be restored")
			os.Exit(exitAborted)
		case <-suiteDone:
		}
	}()

	sum, runErr := r.Run(ctx)
	close(suiteDone)
	if sum == nil {
		return "", runErr
	}
	printSummary(e.stdout, sum)
	if !o.noReport {
		if err := renderRun(context.WithoutCancel(ctx), e, sum.Dir); err != nil {
			runErr = errors.Join(runErr, fmt.Errorf("render report: %w", err))
		}
	}
	if errors.Is(runErr, runner.ErrAborted) {
		return sum.Dir, abortedError{fmt.Errorf("interrupted; %d cells saved in %s (continue with: scalebench run --resume %s)", sum.Done+sum.Kept, sum.Dir, sum.Dir)}
	}
	return sum.Dir, runErr
}

// The scalers run and demo use tell the runner their project's topology.
var (
	_ runner.Topologist = (*dockerctl.ComposeService)(nil)
	_ runner.Topologist = (*dockerctl.SwarmService)(nil)
)

// appDir is where the app's git state is read: the matrix's app_dir, else
// the compose project's working directory label, else the matrix's folder.
func appDir(ctx context.Context, dc *dockerctl.Client, m *matrix.Matrix) string {
	if m.AppDir != "" {
		return m.AppDir
	}
	if m.Compose != nil {
		if d := dc.ProjectWorkingDir(ctx, m.Compose.Project); d != "" {
			if st, err := os.Stat(d); err == nil && st.IsDir() {
				return d
			}
		}
	}
	if m.File != "" {
		return filepath.Dir(m.File)
	}
	d, _ := os.Getwd()
	return d
}

func printSummary(w io.Writer, s *runner.Summary) {
	fmt.Fprintf(w, "\n%s: %d cells ran (%d failed, %d aborted", s.Run.Status, s.Done+s.Degraded+s.Failed+s.Aborted, s.Failed, s.Aborted)
	if s.Degraded > 0 {
		fmt.Fprintf(w, ", %d degraded: the target or a container went away, see the report", s.Degraded)
	}
	fmt.Fprint(w, ")")
	if s.Kept > 0 {
		fmt.Fprintf(w, ", %d kept from before", s.Kept)
	}
	fmt.Fprintf(w, " in %s\n", s.Wall.Round(time.Second))
	if s.Wall > 0 {
		other := s.Overhead - s.Rescale - s.Save - s.Restore
		fmt.Fprintf(w, "suite overhead: %s of %s wall time (%.1f%%): rescaling and readiness %s, restoring the scale %s, saving %s, other %s\n",
			s.Overhead.Round(100*time.Millisecond), s.Wall.Round(time.Second), 100*s.Overhead.Seconds()/s.Wall.Seconds(),
			s.Rescale.Round(100*time.Millisecond), s.Restore.Round(100*time.Millisecond), s.Save.Round(time.Millisecond), max(other, 0).Round(100*time.Millisecond))
	}
	fmt.Fprintf(w, "results: %s\n", s.Dir)
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
