package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/scalebench/scalebench/internal/dockerctl"
	"github.com/scalebench/scalebench/internal/matrix"
)

// rescaleEstimate is the time plan assumes for one rescale and readiness wait.
const rescaleEstimate = 5 * time.Second

// planCell is one line of `plan --json`.
type planCell struct {
	ID        string   `json:"id"`
	Index     int      `json:"index"`
	Run       string   `json:"run"`
	Title     string   `json:"title"`
	Scale     int      `json:"scale"`
	Mode      string   `json:"mode"`
	Users     int      `json:"users,omitempty"`
	Rate      float64  `json:"rate,omitempty"`
	Repeat    int      `json:"repeat"`
	Duration  string   `json:"duration"`
	SpawnRate float64  `json:"spawn_rate"`
	Warmup    string   `json:"warmup"`
	Settle    string   `json:"settle"`
	Cooldown  string   `json:"cooldown"`
	Steady    string   `json:"steady"`
	StartsAt  string   `json:"starts_at"`
	Warnings  []string `json:"warnings,omitempty"`
}

func runPlan(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "plan", "MATRIX.yaml", "List the cells of a matrix in run order, with the estimated wall time and\nwarnings where a cell cannot do what it says. When a Docker engine answers, also\ncheck that the service exists and can be scaled as the matrix asks, as run will.\n\nExit codes: 0 the plan holds, 1 a failure, 2 bad input (the matrix, or a service or\nscale the engine does not have).")
	asJSON := fs.Bool("json", false, "print the cells as a JSON array, for scripts")
	offline := fs.Bool("offline", false, "check the matrix file alone, without asking the Docker engine")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageError{fmt.Errorf("plan takes one matrix file, got %d arguments", fs.NArg())}
	}
	m, err := loadMatrix(e, fs.Arg(0))
	if err != nil {
		return err
	}
	// Texts from the environment print as the file writes them, ${NAME}.
	var out bytes.Buffer
	defer func(w io.Writer) { io.WriteString(w, matrix.Redact(out.String(), m.Secrets())) }(e.stdout)
	e = &env{stdout: &out, stderr: e.stderr, probe: e.probe}
	engine, engineWarnings, err := planEngine(ctx, m, *offline)
	if err != nil {
		return err
	}
	cells := m.Cells()
	starts, total := matrix.Schedule(cells, rescaleEstimate)
	rescales := 0
	for i, c := range cells {
		if i == 0 || c.Scale != cells[i-1].Scale {
			rescales++
		}
	}
	if *asJSON {
		out := make([]planCell, len(cells))
		for i, c := range cells {
			out[i] = planCell{
				ID: c.ID, Index: c.Index, Run: c.Run, Title: c.Title, Scale: c.Scale, Mode: string(c.Mode),
				Users: c.Users, Rate: c.Rate, Repeat: c.Repeat, Duration: c.Duration.String(), SpawnRate: c.SpawnRate,
				Warmup: c.Warmup.String(), Settle: c.Settle.String(), Cooldown: c.Cooldown.String(),
				Steady: max(c.Steady(), 0).Round(100 * time.Millisecond).String(), StartsAt: starts[i].String(), Warnings: c.Warnings(),
			}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	target := "nothing to scale"
	switch {
	case m.Compose != nil:
		target = fmt.Sprintf("compose service %s/%s", m.Compose.Project, m.Compose.Service)
	case m.Swarm != nil:
		target = fmt.Sprintf("swarm service %s", m.Swarm.Service)
	}
	fmt.Fprintf(e.stdout, "%s: %d cells, scaling %s, load to %s\n", m.Name, len(cells), target, m.Masked().Target)
	if engine != "" {
		fmt.Fprintf(e.stdout, "engine: %s\n", engine)
	}
	fmt.Fprintln(e.stdout)
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tcell\trun\tscale\tload\tspawn/s\tduration\tsteady\tstarts at")
	warnings := engineWarnings
	for i, c := range cells {
		spawn := "-"
		if c.Mode == matrix.Closed {
			spawn = fmt.Sprintf("%g", c.SpawnRate)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", i+1, c.ID, c.Title, c.Scale, c.Level(), spawn, c.Duration,
			max(c.Steady(), 0).Round(100*time.Millisecond), fmtClock(starts[i]))
		warnings = append(warnings, c.Warnings()...)
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "\nestimated wall time: %s (%d rescales at ~%s each plus settle, then load and cooldown per cell)\n", fmtClock(total), rescales, rescaleEstimate)
	warnings = append(warnings, planSearch(e.stdout, m, rescaleEstimate)...)
	if len(warnings) > 0 {
		fmt.Fprintf(e.stdout, "\n%d warnings:\n", len(warnings))
		for _, w := range warnings {
			fmt.Fprintf(e.stdout, "  %s\n", w)
		}
	}
	return nil
}

// planEngine checks the matrix's service against the Docker engine, when
// one answers and offline is false. It returns what plan prints about the
// engine and the engine's warnings; a service or scale the engine does not
// have is an error (exit 2), an engine that does not answer only a note.
func planEngine(ctx context.Context, m *matrix.Matrix, offline bool) (note string, warnings []string, err error) {
	if offline {
		return "", nil, nil
	}
	dc, err := dockerctl.Connect(ctx)
	if err != nil {
		return fmt.Sprintf("not checked, the file alone was (%v)", err), nil, nil
	}
	defer dc.Close()
	check, err := checkService(ctx, dc, m, dockerctl.Options{MaxScale: m.Ceiling()})
	if err != nil {
		return "", nil, err
	}
	return check.found, check.warnings, nil
}

// fmtClock prints a duration as h:mm:ss.
func fmtClock(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%d:%02d:%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
}

// loadMatrix loads a matrix file; when it is invalid it prints every problem
// on its own line and returns an error that exits 2.
func loadMatrix(e *env, path string) (*matrix.Matrix, error) {
	m, err := matrix.Load(path)
	var list matrix.ErrorList
	if errors.As(err, &list) {
		fmt.Fprintf(e.stderr, "%s has %d problem%s:\n%s\n", path, len(list), plural(len(list)), list.Error())
		return nil, usageError{silentError{err}}
	}
	return m, err
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
