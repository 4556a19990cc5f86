package demo

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// APIMode is how the api bounds the public requests it serves at once.
type APIMode string

const (
	// PoolMode is the default: a fixed pool of API_WORKERS blocking
	// workers, as gunicorn's sync workers. A public request (GET / or
	// POST /predict) holds one for its whole life, a prediction while it
	// preprocesses, waits for a model and gets the answer; requests that
	// find every worker busy wait in a backlog. The api then stops on
	// concurrency, not on CPU: its throughput is API_WORKERS divided by how
	// long a request holds a worker, which includes the model's time.
	PoolMode APIMode = "pool"
	// CPUMode is the CPU-bound variant: a prediction holds one of API_SLOTS
	// slots only while it burns API_COST of CPU, then waits for a model
	// without one. The api's capacity is API_SLOTS/API_COST requests per
	// second whatever the models do, and the demo stack limits its
	// container to one core per slot, so it shows at its CPU ceiling.
	CPUMode APIMode = "cpu"
)

// ParseAPIMode returns the mode s names: "pool" or "cpu".
func ParseAPIMode(s string) (APIMode, error) {
	switch m := APIMode(s); m {
	case PoolMode, CPUMode:
		return m, nil
	}
	return "", fmt.Errorf("api mode %q: want %q (a pool of blocking workers) or %q (CPU-bound slots)", s, PoolMode, CPUMode)
}

// APIConfig configures the api. The zero value is not usable: start from
// DefaultAPIConfig, DefaultAPIConfigFor or APIConfigFromEnv.
type APIConfig struct {
	// Listen is the TCP address to listen on (LISTEN, default ":8000").
	Listen string
	// Mode is how the api bounds its concurrency (API_MODE, default
	// PoolMode).
	Mode APIMode
	// Workers is the size of the worker pool in PoolMode: how many public
	// requests are served at once (API_WORKERS, default 2). CPUMode
	// ignores it.
	Workers int
	// Slots is how many predictions are preprocessed at once in CPUMode
	// (API_SLOTS, default 1). PoolMode ignores it.
	Slots int
	// Cost is each prediction's preprocessing time (API_COST): slept in a
	// worker in PoolMode (default 5ms), busy CPU in a slot in CPUMode
	// (default 55ms).
	Cost time.Duration
	// IndexCost is a GET /'s time in a worker or slot (API_INDEX_COST,
	// default Cost), slept or burnt like Cost. In CPUMode with both equal,
	// Slots/Cost is the api's capacity in requests/s whatever the mix of
	// pages and predictions, as when one web server renders both.
	IndexCost time.Duration
	// JobTimeout bounds how long a request waits, from its arrival, for a
	// worker or slot and, for a prediction, then for a model to take it
	// (JOB_TIMEOUT, default 3s); past it the api answers 504. Once a model
	// has taken a prediction, the api waits up to another JobTimeout for
	// the model's answer.
	JobTimeout time.Duration
	// QueueMax bounds the predictions inside the api at once, waiting or
	// not (QUEUE_MAX, default 128); beyond it the api answers 503.
	QueueMax int
	// MaxUploadBytes bounds a request body (MAX_UPLOAD_BYTES, default 8 MiB).
	MaxUploadBytes int64
}

// DefaultAPIConfig returns the api's defaults: DefaultAPIConfigFor(PoolMode).
func DefaultAPIConfig() APIConfig { return DefaultAPIConfigFor(PoolMode) }

// DefaultAPIConfigFor returns the api's defaults in mode. Only Mode and
// the costs differ: 5ms slept per request in PoolMode, 55ms of CPU in
// CPUMode.
func DefaultAPIConfigFor(mode APIMode) APIConfig {
	cost := 5 * time.Millisecond
	if mode == CPUMode {
		cost = 55 * time.Millisecond
	}
	return APIConfig{
		Listen:         ":8000",
		Mode:           mode,
		Workers:        2,
		Slots:          1,
		Cost:           cost,
		IndexCost:      cost,
		JobTimeout:     3 * time.Second,
		QueueMax:       128,
		MaxUploadBytes: 8 << 20,
	}
}

// APIConfigFromEnv returns DefaultAPIConfigFor(API_MODE) overridden by the
// environment variables getenv finds (os.Getenv when nil). Every bad value
// is reported. The other mode's knob (API_SLOTS in pool mode, API_WORKERS
// in cpu mode) is read and checked but has no effect, so one environment
// can serve both modes.
func APIConfigFromEnv(getenv func(string) string) (APIConfig, error) {
	e := envReader{getenv: orGetenv(getenv)}
	mode := PoolMode
	if v := e.getenv("API_MODE"); v != "" {
		m, err := ParseAPIMode(v)
		if err != nil {
			e.errs = append(e.errs, fmt.Errorf("API_MODE=%q: want %q (default) or %q", v, PoolMode, CPUMode))
		} else {
			mode = m
		}
	}
	c := DefaultAPIConfigFor(mode)
	e.str("LISTEN", &c.Listen)
	e.positiveInt("API_WORKERS", &c.Workers)
	e.positiveInt("API_SLOTS", &c.Slots)
	e.duration("API_COST", &c.Cost, 0)
	c.IndexCost = c.Cost
	e.duration("API_INDEX_COST", &c.IndexCost, 0)
	e.duration("JOB_TIMEOUT", &c.JobTimeout, time.Millisecond)
	e.positiveInt("QUEUE_MAX", &c.QueueMax)
	e.positiveInt64("MAX_UPLOAD_BYTES", &c.MaxUploadBytes)
	return c, errors.Join(e.errs...)
}

// ModelConfig configures a model worker. Start from DefaultModelConfig or
// ModelConfigFromEnv.
type ModelConfig struct {
	// APIURL is the api's base URL (API_URL, default "http://api:8000").
	APIURL string
	// ServiceTime is the simulated inference time per job
	// (MODEL_SERVICE_TIME, default 150ms).
	ServiceTime time.Duration
	// Jitter is added to ServiceTime, uniform in [-Jitter, +Jitter]
	// (MODEL_JITTER, default 0).
	Jitter time.Duration
	// PollWait is how long one long poll waits for a job (POLL_WAIT,
	// default 2s). A stopping worker waits at most this long for its poll.
	PollWait time.Duration
	// Listen is the address of the worker's /health endpoint (LISTEN,
	// default ":8001"); "" or "off" serves none.
	Listen string
	// Name is reported with every result (WORKER_NAME, default the host
	// name, which is the container id in Docker).
	Name string
}

// DefaultModelConfig returns the model worker's defaults.
func DefaultModelConfig() ModelConfig {
	name, _ := os.Hostname()
	return ModelConfig{
		APIURL:      "http://api:8000",
		ServiceTime: 150 * time.Millisecond,
		PollWait:    2 * time.Second,
		Listen:      ":8001",
		Name:        name,
	}
}

// ModelConfigFromEnv returns DefaultModelConfig overridden by the
// environment variables getenv finds (os.Getenv when nil).
func ModelConfigFromEnv(getenv func(string) string) (ModelConfig, error) {
	e := envReader{getenv: orGetenv(getenv)}
	c := DefaultModelConfig()
	e.str("API_URL", &c.APIURL)
	e.duration("MODEL_SERVICE_TIME", &c.ServiceTime, 0)
	e.duration("MODEL_JITTER", &c.Jitter, 0)
	e.duration("POLL_WAIT", &c.PollWait, time.Millisecond)
	e.str("LISTEN", &c.Listen)
	e.str("WORKER_NAME", &c.Name)
	if c.Listen == "off" {
		c.Listen = ""
	}
	if c.Jitter > c.ServiceTime {
		e.errs = append(e.errs, fmt.Errorf("MODEL_JITTER=%s is larger than MODEL_SERVICE_TIME=%s: lower it", c.Jitter, c.ServiceTime))
	}
	return c, errors.Join(e.errs...)
}

func orGetenv(getenv func(string) string) func(string) string {
	if getenv == nil {
		return os.Getenv
	}
	return getenv
}

// envReader reads typed settings and collects every problem.
type envReader struct {
	getenv func(string) string
	errs   []error
}

func (e *envReader) str(name string, dst *string) {
	if v := e.getenv(name); v != "" {
		*dst = v
	}
}

func (e *envReader) duration(name string, dst *time.Duration, min time.Duration) {
	v := e.getenv(name)
	if v == "" {
		return
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < min {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: want a duration of at least %s, such as \"150ms\" or \"3s\"", name, v, min))
		return
	}
	*dst = d
}

func (e *envReader) positiveInt(name string, dst *int) {
	var n int64
	if e.positive(name, &n) {
		*dst = int(n)
	}
}

func (e *envReader) positiveInt64(name string, dst *int64) { e.positive(name, dst) }

func (e *envReader) positive(name string, dst *int64) bool {
	v := e.getenv(name)
	if v == "" {
		return false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: want a whole number ≥ 1", name, v))
		return false
	}
	*dst = n
	return true
}
