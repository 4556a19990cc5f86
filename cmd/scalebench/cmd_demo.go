package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/scalebench/scalebench/experiments"
	"github.com/scalebench/scalebench/internal/demo"
	"github.com/scalebench/scalebench/internal/dockerctl"
	"github.com/scalebench/scalebench/internal/matrix"
)

func runDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "demo", "", "Run the whole loop on the built-in demo application: build its image FROM scratch\n(no registry), start its api and model containers as a compose project, run\nexperiments/demo.yaml against it, write the results and the report, and remove\neverything it created (also on Ctrl-C).")
	var o suiteOptions
	fs.StringVar(&o.out, "out", "results", "results root: the run directory is created in it")
	file := fs.String("matrix", "", "the matrix to run against the demo stack (default experiments/demo.yaml of this source tree)")
	only := fs.String("only", "", "run only the cells that match, e.g. `'scale=3,users=8'`")
	keep := fs.Bool("keep", false, "leave the stack (and its image) running afterwards")
	port := fs.Int("port", 0, "publish the api on 127.0.0.1:`PORT` (default: a free port)")
	apiMode := fs.String("api", string(demo.PoolMode), "the api's `mode`: pool (a pool of blocking workers, like gunicorn sync workers) or cpu (CPU-bound slots, one core each: API_MODE)")
	apiWorkers := fs.Int("api-workers", 0, "the pool mode api's `number` of workers (default 2: API_WORKERS)")
	modelTime := fs.Duration("model-time", 0, "the model's simulated inference time (default 150ms: MODEL_SERVICE_TIME)")
	apiCost := fs.Duration("api-cost", 0, "the api's cost per prediction: slept in a worker in pool mode (default 5ms), burnt CPU in cpu mode (default 55ms: API_COST)")
	fs.BoolVar(&o.noReport, "no-report", false, "do not render the report at the end")
	imageFrom := fs.String("image-from", "auto", "how to make the demo image: `self` (from this scalebench binary, which must be static: CGO_ENABLED=0), build (go build from a scalebench source tree), or auto (self when it can, else build)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return usageError{fmt.Errorf("demo takes no arguments, got %q", fs.Args())}
	}
	if *modelTime < 0 || *apiCost < 0 || *apiWorkers < 0 {
		return usageError{errors.New("--model-time, --api-cost and --api-workers must not be negative")}
	}
	mode, err := demo.ParseAPIMode(*apiMode)
	if err != nil {
		return usageError{fmt.Errorf("--api: %w", err)}
	}
	if *apiWorkers > 0 && mode != demo.PoolMode {
		return usageError{errors.New("--api-workers sizes the pool mode's worker pool; the cpu mode has one slot (API_SLOTS): drop --api-workers or use --api pool")}
	}
	if *imageFrom != "auto" && *imageFrom != "self" && *imageFrom != "build" {
		return usageError{fmt.Errorf("--image-from %q: use self, build or auto", *imageFrom)}
	}
	moduleDir, modErr := demo.FindModule()
	path := *file
	if path == "" && modErr == nil {
		path = filepath.Join(moduleDir, "experiments", "demo.yaml")
		if rel, err := filepath.Rel(mustGetwd(), path); err == nil {
			path = rel
		}
	} else if path == "" {
		// No source tree: the study this binary carries.
		dir, err := os.MkdirTemp("", "scalebench-demo-study-")
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		defer os.RemoveAll(dir)
		if path, err = experiments.WriteDemo(dir); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	m, err := loadMatrix(e, path)
	if err != nil {
		return err
	}
	if m.Compose == nil {
		return usageError{fmt.Errorf("%s: the demo scales a compose service; add compose: {project: %s, service: %s}", path, demo.DefaultProject, demo.ServiceModel)}
	}
	src, _ := os.ReadFile(path)
	o.matrix, o.source = m, string(src)
	if *only != "" {
		if o.only, err = matrix.ParseFilter(*only); err != nil {
			return usageError{fmt.Errorf("--only %w", err)}
		}
		o.selection = *only
	}

	dc, err := dockerctl.Connect(ctx)
	if err != nil {
		return err
	}
	defer dc.Close()
	self, err := demoImageFrom(ctx, dc, *imageFrom, modErr)
	if err != nil {
		return err
	}
	opts := demo.StackOptions{Self: self,
		Docker: dc, Project: m.Compose.Project, Port: *port, ModuleDir: moduleDir, KeepImage: *keep,
		APIMode: mode, APIEnv: map[string]string{},
		Log: func(format string, args ...any) {
			fmt.Fprintf(e.stdout, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
		},
	}
	if *modelTime > 0 {
		opts.ModelEnv = map[string]string{"MODEL_SERVICE_TIME": modelTime.String()}
	}
	if *apiCost > 0 {
		opts.APIEnv["API_COST"] = apiCost.String()
	}
	if *apiWorkers > 0 {
		opts.APIEnv["API_WORKERS"] = strconv.Itoa(*apiWorkers)
	}
	fmt.Fprintf(e.stdout, "starting the demo stack (project %s, api mode %s)\n", opts.Project, mode)
	stack, err := demo.Up(ctx, opts)
	if err != nil {
		return fmt.Errorf("demo: start the stack: %w", err)
	}
	if !*keep {
		// Removed whatever happens, also after a Ctrl-C cancelled ctx.
		defer func() {
			downCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
			defer cancel()
			if err := stack.Down(downCtx); err != nil {
				fmt.Fprintf(e.stderr, "scalebench: demo: remove the stack: %v\n", err)
			} else {
				fmt.Fprintln(e.stdout, "demo stack removed")
			}
		}()
	}
	fmt.Fprintf(e.stdout, "demo stack up: api at %s\n", stack.URL)
	o.target = stack.URL
	o.readyTimeout = dockerctl.DefaultReadyTimeout
	_, err = runSuite(ctx, e, o)
	if *keep {
		fmt.Fprintf(e.stdout, "the stack is still up (--keep): api at %s, project %s\n", stack.URL, stack.Project)
	}
	return err
}

// demoImageFrom decides how the demo image is made: from the running
// binary (its path is returned) or built from the source tree ("").
func demoImageFrom(ctx context.Context, dc *dockerctl.Client, from string, modErr error) (string, error) {
	arch := ""
	if eng, err := dc.Engine(ctx); err == nil {
		arch = eng.Arch
	}
	self, selfErr := demo.SelfBinary(arch)
	switch {
	case from == "self" && selfErr != nil:
		return "", usageError{fmt.Errorf("--image-from self: %w", selfErr)}
	case from == "build" && modErr != nil:
		return "", usageError{fmt.Errorf("--image-from build: %w", modErr)}
	case from == "build":
		return "", nil
	case selfErr == nil:
		return self, nil
	case modErr != nil:
		return "", fmt.Errorf("demo: %w; this binary cannot be used (%v), and %v", demo.ErrNoDemoImage, selfErr, modErr)
	}
	return "", nil
}

func mustGetwd() string {
	d, _ := os.Getwd()
	return d
}
