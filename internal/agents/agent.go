package agents

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// helloEvery is how often an agent prints its clock while it waits.
const helloEvery = 100 * time.Millisecond

// AgentConfig is the agent side of one cell.
type AgentConfig struct {
	// Plan is the cell's plan; Index the agent's share in it.
	Plan  *Plan
	Index int
	// Host and Node name where the agent runs (for the breakdown).
	Host, Node string
	// Out receives the agent's lines (its standard output).
	Out io.Writer
	// FilesDir is where the scenario's files are written (default a
	// temporary directory).
	FilesDir string
	// Run is the load engine (default load.Run).
	Run func(ctx context.Context, cfg load.Config) (*results.Load, bool, error)
}

// RunAgent runs agent cfg.Index's share of the plan: it prints its clock
// until the agreed start, runs the load, and prints its record. A failure
// to run is printed for the coordinator too, and returned. It stops at the
// plan's deadline whatever happens.
func RunAgent(ctx context.Context, cfg AgentConfig) error {
	p, w := cfg.Plan, NewWriter(cfg.Out, cfg.Index)
	fail := func(err error) error {
		_ = w.Fail(matrix.Redact(err.Error(), p.Secrets))
		return err
	}
	if cfg.Index >= len(p.Shares) {
		return w.Idle()
	}
	ctx, cancel := context.WithDeadline(ctx, p.Deadline)
	defer cancel()
	if err := waitStart(ctx, p.Start, w); err != nil {
		return fail(fmt.Errorf("stopped before the start: %w", err))
	}
	if late := time.Since(p.Start); late > p.LateStart {
		return fail(fmt.Errorf("reached the start %s late (more than %s): give the agents more time to start", late.Round(time.Millisecond), p.LateStart))
	}
	sc, err := writeFiles(p, cfg.Index, cfg.FilesDir)
	if err != nil {
		return fail(err)
	}
	run := cfg.Run
	if run == nil {
		run = load.Run
	}
	rep := &Report{Index: cfg.Index, Host: cfg.Host, Node: cfg.Node}
	var ivErr error
	rec, aborted, err := run(ctx, load.Config{
		Target: p.Target, Scenario: sc, Cell: p.Shares[cfg.Index],
		Interval: func(iv load.Interval) {
			s := SecondHistograms{T: iv.T, OK: make([]string, len(iv.Endpoints))}
			for i, e := range iv.Endpoints {
				enc, encErr := results.EncodeHistogram(e.OK)
				if encErr != nil && ivErr == nil {
					ivErr = encErr
				}
				s.OK[i] = enc
			}
			rep.Seconds = append(rep.Seconds, s)
		},
	})
	if err == nil {
		err = ivErr
	}
	if err != nil {
		return fail(fmt.Errorf("load: %w", err))
	}
	rep.Load, rep.Aborted = rec, aborted
	redactErrors(rec, p.Secrets)
	return w.Report(rep)
}

// waitStart prints the agent's clock every helloEvery until start.
func waitStart(ctx context.Context, start time.Time, w *Writer) error {
	t := time.NewTicker(helloEvery)
	defer t.Stop()
	for {
		now := time.Now()
		if err := w.Hello(now); err != nil {
			return err
		}
		d := start.Sub(now)
		if d <= 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case <-time.After(d):
			return nil
		}
	}
}

// writeFiles writes the plan's files under dir (default a new temporary
// directory) and returns agent index's scenario with its paths pointing at
// them.
func writeFiles(p *Plan, index int, dir string) (matrix.Scenario, error) {
	if len(p.Files) == 0 {
		return p.Scenario, nil
	}
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "scalebench-agent-"); err != nil {
			// A FROM scratch image has no /tmp.
			if err = os.MkdirAll("/tmp", 0o1777); err != nil {
				return p.Scenario, fmt.Errorf("scenario files: %w", err)
			}
			if dir, err = os.MkdirTemp("/tmp", "scalebench-agent-"); err != nil {
				return p.Scenario, fmt.Errorf("scenario files: %w", err)
			}
		}
	}
	return localScenario(p, index, dir)
}

// redactErrors writes the secrets' values in l's error groups as ${NAME}:
// a server may echo a token in an error body.
func redactErrors(l *results.Load, secrets []matrix.Secret) {
	if l == nil {
		return
	}
	for i := range l.Errors {
		l.Errors[i].Message = matrix.Redact(l.Errors[i].Message, secrets)
		l.Errors[i].Sample = matrix.Redact(l.Errors[i].Sample, secrets)
	}
}
