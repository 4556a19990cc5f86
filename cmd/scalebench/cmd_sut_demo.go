package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"

	"github.com/scalebench/scalebench/internal/demo"
)

// runSUTAPI serves the demo api: environment variables first (as in its
// container), flags over them.
func runSUTAPI(ctx context.Context, e *env, args []string) error {
	cfg, err := demo.APIConfigFromEnv(nil)
	if err != nil {
		return fmt.Errorf("sut api: %w", err)
	}
	if cfg.Listen == demo.DefaultAPIConfig().Listen {
		cfg.Listen = "127.0.0.1:8000"
	}
	fs := newFlags(e, "sut api", "",
		"Serve the demo api: GET /, POST /predict (multipart field \"file\"), GET /health, and the jobs endpoints its model workers poll.\n"+
			"Flags default to the environment variables LISTEN, API_MODE, API_WORKERS, API_SLOTS, API_COST, API_INDEX_COST, JOB_TIMEOUT, QUEUE_MAX.")
	mode := fs.String("mode", string(cfg.Mode), "`pool`: a pool of blocking workers, each held by a request for its whole life; cpu: slots that burn CPU")
	fs.StringVar(&cfg.Listen, "addr", cfg.Listen, "`host:port` to listen on (port 0 picks a free one)")
	fs.IntVar(&cfg.Workers, "workers", cfg.Workers, "pool mode: blocking workers, each held by a public request until it is answered")
	fs.IntVar(&cfg.Slots, "slots", cfg.Slots, "cpu mode: predictions preprocessed at once")
	fs.DurationVar(&cfg.Cost, "cost", cfg.Cost, "`time` per prediction: slept in a worker in pool mode, busy CPU in a slot in cpu mode (default 55ms there)")
	fs.DurationVar(&cfg.IndexCost, "index-cost", cfg.IndexCost, "`time` per GET /, slept or burnt like -cost")
	fs.DurationVar(&cfg.JobTimeout, "job-timeout", cfg.JobTimeout, "a prediction's deadline from arrival; past it: 504")
	fs.IntVar(&cfg.QueueMax, "queue-max", cfg.QueueMax, "predictions admitted at once; beyond: 503")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("sut api: unexpected argument %q", fs.Arg(0))}
	}
	m, err := demo.ParseAPIMode(*mode)
	if err != nil {
		return usageError{fmt.Errorf("sut api: -mode: %w", err)}
	}
	if m != cfg.Mode {
		// The other mode's default costs, unless set by flag or environment.
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		def := demo.DefaultAPIConfigFor(m)
		if !set["cost"] && os.Getenv("API_COST") == "" {
			cfg.Cost = def.Cost
		}
		if !set["index-cost"] && os.Getenv("API_INDEX_COST") == "" {
			cfg.IndexCost = cfg.Cost
		}
		cfg.Mode = m
	}
	if cfg.Workers < 1 || cfg.Slots < 1 || cfg.QueueMax < 1 || cfg.Cost < 0 || cfg.IndexCost < 0 || cfg.JobTimeout <= 0 {
		return usageError{fmt.Errorf("sut api: -workers, -slots and -queue-max must be ≥ 1, -cost and -index-cost ≥ 0 and -job-timeout > 0")}
	}
	return demo.ServeAPI(ctx, cfg, e.stderr, func(a net.Addr) {
		fmt.Fprintf(e.stdout, "demo api listening on http://%s/\n", a)
	})
}

// runSUTModel runs one demo model worker against an api.
func runSUTModel(ctx context.Context, e *env, args []string) error {
	cfg, err := demo.ModelConfigFromEnv(nil)
	if err != nil {
		return fmt.Errorf("sut model: %w", err)
	}
	def := demo.DefaultModelConfig()
	if cfg.APIURL == def.APIURL {
		cfg.APIURL = "http://127.0.0.1:8000"
	}
	if cfg.Listen == def.Listen {
		cfg.Listen = ""
	}
	fs := newFlags(e, "sut model", "",
		"Run one demo model worker: take jobs from the api, infer for the service time, post results.\n"+
			"Flags default to the environment variables API_URL, MODEL_SERVICE_TIME, MODEL_JITTER, LISTEN, WORKER_NAME.")
	fs.StringVar(&cfg.APIURL, "api", cfg.APIURL, "the api's base `URL`")
	fs.DurationVar(&cfg.ServiceTime, "service-time", cfg.ServiceTime, "simulated inference `time` per job")
	fs.DurationVar(&cfg.Jitter, "jitter", cfg.Jitter, "uniform ± jitter added to the service time")
	fs.StringVar(&cfg.Listen, "addr", cfg.Listen, "`host:port` of the worker's /health endpoint (empty: none)")
	fs.StringVar(&cfg.Name, "name", cfg.Name, "worker name reported with results")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("sut model: unexpected argument %q", fs.Arg(0))}
	}
	if cfg.ServiceTime < 0 || cfg.Jitter < 0 || cfg.Jitter > cfg.ServiceTime {
		return usageError{fmt.Errorf("sut model: -service-time must be ≥ 0 and -jitter between 0 and the service time")}
	}
	return demo.ServeModel(ctx, cfg, e.stderr)
}
