package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// loadFlags are scalebench load's settings.
type loadFlags struct {
	url          string
	users        int
	spawnRate    float64
	duration     time.Duration
	rate         float64
	maxInFlight  int
	wait         string
	warmup       time.Duration
	timeout      time.Duration
	scenario     string
	jsonPath     string
	csvPrefix    string
	hlogPath     string
	failOnErrors bool
}

func runLoad(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "load", "", "Run one load test against a URL (no Docker) and print Locust-style statistics.\n"+
		"Closed loop with --users, open loop with --rate; --scenario FILE takes the requests from a matrix file.")
	var f loadFlags
	fs.StringVar(&f.url, "url", "", "target `URL`; without --scenario its path is the one request sent (required)")
	fs.IntVar(&f.users, "users", 1, "closed loop: number of virtual users")
	fs.Float64Var(&f.spawnRate, "spawn-rate", 0, "closed loop: users started per second (0: all at once)")
	fs.DurationVar(&f.duration, "duration", 10*time.Second, "load duration, spawning included")
	fs.Float64Var(&f.rate, "rate", 0, "open loop: requests per second (instead of --users)")
	fs.IntVar(&f.maxInFlight, "max-in-flight", matrix.DefaultMaxInFlight, "open loop: most requests in flight at once")
	fs.StringVar(&f.wait, "wait", "", `think time between a user's requests: "0s", "1s" or "1s..3s" (default 0s, or the scenario's)`)
	fs.DurationVar(&f.warmup, "warmup", 0, "time after spawning left out of the steady-state statistics")
	fs.DurationVar(&f.timeout, "timeout", matrix.DefaultTimeout, "request timeout, body read included (--url requests)")
	fs.StringVar(&f.scenario, "scenario", "", "matrix or scenario YAML `file` whose scenario: block gives the requests")
	fs.StringVar(&f.jsonPath, "json", "", "write the cell in the results schema to `file`")
	fs.StringVar(&f.csvPrefix, "csv", "", "write Locust-compatible `prefix`_stats.csv, _stats_history.csv and _failures.csv")
	fs.StringVar(&f.hlogPath, "hlog", "", "write per-second histograms as an HdrHistogram interval log to `file`")
	fs.BoolVar(&f.failOnErrors, "fail-on-errors", false, "exit 1 when any request failed")
	nAgents := fs.Int("agents", 0, "send the load from `N` load agents run as a Swarm service on the engine in DOCKER_HOST (not with --csv, --hlog)")
	debugAddr := fs.String("debug-addr", "", "serve Go profiles (/debug/pprof/) and the goroutine count (/debug/goroutines) on this loopback `host:port` while the load runs")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("load: unexpected argument %q: load takes no arguments, only flags (scalebench load --url URL)", fs.Arg(0))}
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	cfg, err := f.config(set)
	if err != nil {
		return err
	}
	for _, p := range []string{f.jsonPath, f.csvPrefix, f.hlogPath} {
		if err := checkDir(p); err != nil {
			return usageError{err}
		}
	}

	if *debugAddr != "" {
		dctx, stop := context.WithCancel(ctx)
		defer stop()
		a, err := serveDebug(dctx, *debugAddr)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "scalebench load: profiles on http://%s/debug/pprof/\n", a)
	}

	live := newLiveLine(e.stderr, cfg.Cell.Mode == matrix.Open)
	var history, hlog bytes.Buffer
	lh := load.NewLocustHistory(&history)
	var hw *load.HlogWriter
	var ivErr error
	cfg.Progress = live.show
	cfg.Interval = func(iv load.Interval) {
		if hw == nil {
			hw = load.NewHlogWriter(&hlog, iv.Start.Add(-time.Duration(iv.T)*time.Second))
		}
		if f.csvPrefix != "" && ivErr == nil {
			ivErr = lh.Add(iv)
		}
		if f.hlogPath != "" && ivErr == nil {
			ivErr = hw.Add(iv)
		}
	}

	fmt.Fprintf(e.stderr, "scalebench load: %s, %s for %s against %s\n", requestList(cfg.Scenario), cfg.Cell.Level(), cfg.Cell.Duration, cfg.Target)
	run := load.Run
	if *nAgents != 0 {
		if f.csvPrefix != "" || f.hlogPath != "" {
			return usageError{errors.New("load: --csv and --hlog are not available with --agents (the agents' seconds are merged, not logged); use --json")}
		}
		run = func(ctx context.Context, cfg load.Config) (*results.Load, bool, error) {
			return loadOnAgents(ctx, e, cfg, *nAgents)
		}
	}
	rec, aborted, err := run(ctx, cfg)
	live.done()
	if err != nil {
		return fmt.Errorf("load %s: %w", cfg.Target, err)
	}
	if aborted {
		fmt.Fprintf(e.stdout, "ABORTED after %.1f s: what follows is the partial record.\n", rec.Elapsed.Seconds())
	}
	if err := load.WriteTable(e.stdout, rec); err != nil {
		return err
	}
	printAgents(e.stdout, rec)
	if ivErr != nil {
		return ivErr
	}
	if err := writeLoadOutputs(f, cfg, rec, aborted, history.Bytes(), &hlog, hw); err != nil {
		return err
	}
	switch {
	case aborted:
		return abortedError{errors.New("load interrupted; the partial record was printed and written")}
	case f.failOnErrors && rec.Total.Failures > 0:
		return fmt.Errorf("%d of %d requests failed (--fail-on-errors)", rec.Total.Failures, rec.Total.Requests)
	}
	return nil
}

// config turns the flags into a load configuration.
func (f *loadFlags) config(set map[string]bool) (load.Config, error) {
	if f.url == "" {
		return load.Config{}, usageError{errors.New("load: --url is required, e.g. --url http://127.0.0.1:8000/")}
	}
	u, err := url.Parse(f.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return load.Config{}, usageError{fmt.Errorf("load: --url %q is not an http(s) URL with a host, e.g. http://127.0.0.1:8000/", f.url)}
	}
	if set["rate"] && set["users"] {
		return load.Config{}, usageError{errors.New("load: give --users (closed loop) or --rate (open loop), not both")}
	}
	if f.duration <= 0 {
		return load.Config{}, usageError{fmt.Errorf("load: --duration %s must be positive", f.duration)}
	}
	cfg := load.Config{Target: u.Scheme + "://" + u.Host}
	if f.scenario != "" {
		sc, err := matrix.LoadScenario(f.scenario)
		if err != nil {
			return load.Config{}, fmt.Errorf("load: --scenario: %w", err)
		}
		cfg.Target = strings.TrimSuffix(u.Scheme+"://"+u.Host+u.Path, "/")
		cfg.Scenario = sc
	} else {
		path := u.EscapedPath()
		if path == "" {
			path = "/"
		}
		if u.RawQuery != "" {
			path += "?" + u.RawQuery
		}
		path = matrix.EscapePath(path)
		cfg.Scenario.Requests = []matrix.Request{{Name: path, Method: "GET", Path: path, Weight: 1, Timeout: f.timeout}}
	}
	if set["wait"] || f.scenario == "" {
		w, err := matrix.ParseWait(f.wait)
		if err != nil {
			return load.Config{}, usageError{fmt.Errorf("load: --wait: %w", err)}
		}
		cfg.Scenario.Wait = w
	}
	cell := matrix.Cell{ID: "load", Run: "load", Title: "scalebench load", Repeat: 1, Duration: f.duration, Warmup: f.warmup}
	if set["rate"] {
		if f.rate <= 0 {
			return load.Config{}, usageError{fmt.Errorf("load: --rate %g must be positive", f.rate)}
		}
		if f.maxInFlight <= 0 {
			return load.Config{}, usageError{fmt.Errorf("load: --max-in-flight %d must be positive", f.maxInFlight)}
		}
		cell.Mode, cell.Rate, cell.MaxInFlight = matrix.Open, f.rate, f.maxInFlight
		cell.ID = fmt.Sprintf("load-q%g", f.rate)
	} else {
		if f.users <= 0 {
			return load.Config{}, usageError{fmt.Errorf("load: --users %d must be positive", f.users)}
		}
		if f.spawnRate < 0 {
			return load.Config{}, usageError{fmt.Errorf("load: --spawn-rate %g must not be negative", f.spawnRate)}
		}
		cell.Mode, cell.Users, cell.SpawnRate = matrix.Closed, f.users, f.spawnRate
		cell.ID = fmt.Sprintf("load-u%d", f.users)
	}
	cfg.Cell = cell
	return cfg, nil
}

// checkDir fails early when an output's directory does not exist, so a typo
// does not cost a whole run.
func checkDir(path string) error {
	if path == "" {
		return nil
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return fmt.Errorf("load: output directory %s does not exist: create it or choose another path", dir)
	}
	return nil
}

func requestList(sc matrix.Scenario) string {
	names := make([]string, len(sc.Requests))
	for i, r := range sc.Requests {
		m := r.Method
		if m == "" {
			m = "GET"
		}
		names[i] = m + " " + r.Path
	}
	s := strings.Join(names, ", ")
	if w := sc.Wait; w.Max > 0 {
		s += ", wait " + w.String()
	}
	return s
}

// writeLoadOutputs writes the --json, --csv and --hlog files atomically.
func writeLoadOutputs(f loadFlags, cfg load.Config, rec *results.Load, aborted bool, history []byte, hlog *bytes.Buffer, hw *load.HlogWriter) error {
	if f.jsonPath != "" {
		if err := results.WriteCellFile(f.jsonPath, results.LoadCell(cfg.Cell, rec, aborted)); err != nil {
			return fmt.Errorf("write --json %s: %w", f.jsonPath, err)
		}
	}
	if f.csvPrefix != "" {
		files := []struct {
			suffix string
			write  func(io.Writer) error
		}{
			{"_stats.csv", func(w io.Writer) error { return load.WriteLocustStats(w, rec) }},
			{"_stats_history.csv", func(w io.Writer) error {
				if len(history) == 0 {
					return load.NewLocustHistory(w).Flush()
				}
				_, err := w.Write(history)
				return err
			}},
			{"_failures.csv", func(w io.Writer) error { return load.WriteLocustFailures(w, rec) }},
		}
		for _, file := range files {
			p := f.csvPrefix + file.suffix
			if err := results.WriteAtomic(p, file.write); err != nil {
				return fmt.Errorf("write --csv %s: %w", p, err)
			}
		}
	}
	if f.hlogPath != "" {
		if hw == nil {
			hw = load.NewHlogWriter(hlog, rec.Started)
		}
		if err := hw.Flush(); err != nil {
			return err
		}
		if err := results.WriteFileAtomic(f.hlogPath, hlog.Bytes()); err != nil {
			return fmt.Errorf("write --hlog %s: %w", f.hlogPath, err)
		}
	}
	return nil
}

// liveLine shows the load's progress once per second: one line rewritten in
// place on a terminal, a plain line every 5 s otherwise.
type liveLine struct {
	w     io.Writer
	tty   bool
	shown bool
	who   string // "users", or "in flight" in open loop
}

func newLiveLine(w io.Writer, open bool) *liveLine {
	l := &liveLine{w: w, who: "users"}
	if open {
		l.who = "in flight"
	}
	l.tty = isTerminal(w)
	return l
}

func (l *liveLine) show(p load.Progress) {
	line := fmt.Sprintf("%6.1fs  %5d %s  %10.1f req/s  p95 %8.2f ms  %d failures of %d",
		p.Elapsed.Seconds(), p.Users, l.who, p.RPS, float64(p.P95)/1e6, p.Failures, p.Requests)
	if l.tty {
		fmt.Fprintf(l.w, "\r\x1b[K%s", line)
		l.shown = true
		return
	}
	if s := p.Elapsed.Round(time.Second); s%(5*time.Second) == 0 && s > 0 {
		fmt.Fprintln(l.w, line)
	}
}

func (l *liveLine) done() {
	if l.tty && l.shown {
		fmt.Fprintln(l.w)
	}
}
