// Package matrix owns the experiment file: it parses a YAML matrix, validates
// it with file:line:column positions, and expands it into an ordered list of
// cells. It must not touch Docker or the network.
package matrix

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Matrix is an experiment file as resolved: defaults applied, paths made
// absolute. It is saved verbatim in a run's run.json.
type Matrix struct {
	// Name names the study; it prefixes result directory names.
	Name string `json:"name"`
	// Target is the base URL the load goes to (http or https).
	Target string `json:"target"`
	// Compose names the compose project and service to scale, when scaling a
	// compose service.
	Compose *Compose `json:"compose,omitempty"`
	// Swarm names the Swarm service to scale, when scaling a Swarm service.
	Swarm *Swarm `json:"swarm,omitempty"`
	// Agents, when set, sends the load from load agents run as a Swarm
	// service instead of from the scalebench process.
	Agents *Agents `json:"agents,omitempty"`
	// Ready is an optional URL polled after every rescale until it answers 2xx.
	Ready string `json:"ready,omitempty"`
	// AppDir is the directory of the application under test, whose git commit
	// is recorded. Empty means: the compose project's working_dir label, else
	// the matrix file's directory.
	AppDir string `json:"app_dir,omitempty"`
	// Scenario is what every virtual user does.
	Scenario Scenario `json:"scenario"`
	// Defaults are the per-cell settings runs inherit.
	Defaults Defaults `json:"defaults"`
	// Runs are the experiment blocks, in file order.
	Runs []Run `json:"runs"`
	// File is the absolute path of the matrix file ("" when parsed from bytes).
	File string `json:"file,omitempty"`
	// MaxScale is the highest replica count a run may list (max_scale: in
	// the file); 0 means DefaultMaxScale. See Ceiling.
	MaxScale int `json:"max_scale,omitempty"`
	// SLO is what every cell is judged against (slo: in the file); nil
	// without one. Search runs need it.
	SLO *SLO `json:"slo,omitempty"`

	// Env names the environment variables whose values the file took
	// (${NAME}); where such a value is text, the saved matrix holds
	// ${NAME}, never the value. See Reload.
	Env []string `json:"env,omitempty"`

	// at holds where some values were written, for errors found after
	// parsing (by plan and run, against the engine); nil when the matrix
	// was read back from run.json.
	at *places
	// saved is the matrix decoded with ${NAME} kept where the environment
	// gave a value: its texts are what MarshalJSON writes. Nil when the
	// file uses no environment variable.
	saved *Matrix
	// parsed is a copy of the matrix as parsed, with the environment's
	// values: a text that still equals its parsed value is saved as in
	// saved; one changed since (run --target) is saved as it is now.
	parsed *Matrix
}

// Ceiling is the highest replica count the matrix may ask for: MaxScale,
// or DefaultMaxScale when the file does not set max_scale.
func (m *Matrix) Ceiling() int {
	if m.MaxScale > 0 {
		return m.MaxScale
	}
	return DefaultMaxScale
}

// Compose names a compose project's service.
type Compose struct {
	Project string `json:"project"`
	Service string `json:"service"`
}

// Swarm names a Swarm service: Service alone, or a service of the stack
// Stack as its compose file names it (docker stack deploy names it
// Stack_Service).
type Swarm struct {
	Stack   string `json:"stack,omitempty"`
	Service string `json:"service"`
}

// Scenario is the behaviour of one virtual user: pick a request by weight,
// send it, wait, repeat.
type Scenario struct {
	// Wait is the think time between two requests of one user.
	Wait Wait `json:"wait"`
	// Requests are the weighted requests a user picks from.
	Requests []Request `json:"requests"`
	// TLS configures the connections to an https target; nil checks its
	// certificate against the system's CAs.
	TLS *TLS `json:"tls,omitempty"`
	// Redirects is the most redirects a request follows on the target's
	// host; 0 means DefaultRedirects, NoRedirects that none is followed.
	Redirects int `json:"redirects,omitempty"`
	// Data, when set, is the file whose rows fill {{field}} in requests.
	Data *Data `json:"data,omitempty"`
}

// Wait is a think time: constant when Min == Max, else uniform in [Min, Max].
type Wait struct {
	Min time.Duration `json:"min_ns"`
	Max time.Duration `json:"max_ns"`
}

// Pick returns one think time drawn from w using r.
func (w Wait) Pick(r *rand.Rand) time.Duration {
	if w.Max <= w.Min {
		return w.Min
	}
	return w.Min + time.Duration(r.Int64N(int64(w.Max-w.Min)+1))
}

// Mean is the expected think time.
func (w Wait) Mean() time.Duration { return (w.Min + w.Max) / 2 }

// String formats w as it is written in a matrix file ("0s", "1s", "1s..3s").
func (w Wait) String() string {
	if w.Max <= w.Min {
		return w.Min.String()
	}
	return w.Min.String() + ".." + w.Max.String()
}

// Request is one kind of request a virtual user sends.
type Request struct {
	// Name labels the endpoint in statistics; unique within a scenario.
	Name string `json:"name"`
	// Method is the HTTP method, upper case (default GET).
	Method string `json:"method"`
	// Path is appended to the target URL; it may carry a query. It is kept
	// as sent: what a URL cannot hold as written (a space, a quote, a
	// non-ASCII letter) is percent-encoded when the file is read, in the
	// path and in the query alike, so "/a b?q=1 2" is "/a%20b?q=1%202".
	Path string `json:"path"`
	// Weight is the relative frequency of this request (default 1).
	Weight int `json:"weight"`
	// Headers are sent with every request.
	Headers map[string]string `json:"headers,omitempty"`
	// Body is a raw request body.
	Body string `json:"body,omitempty"`
	// JSON is a JSON body (already encoded); it sets Content-Type.
	JSON string `json:"json,omitempty"`
	// Form is a multipart/form-data body; at most one of Body, JSON, Form.
	Form []FormField `json:"form,omitempty"`
	// Expect says what counts as success.
	Expect Expect `json:"expect"`
	// Timeout bounds the whole request, body read included (default 30s).
	Timeout time.Duration `json:"timeout_ns"`
}

// FormField is one multipart field: a value, or a file upload when File is set.
type FormField struct {
	Name string `json:"name"`
	// Value is the field's text when it is not a file.
	Value string `json:"value,omitempty"`
	// File is the absolute path of the file uploaded in this field.
	File string `json:"file,omitempty"`
}

// Expect is a request's success condition.
type Expect struct {
	// Status lists the accepted HTTP statuses; empty means any 2xx or 3xx.
	Status []int `json:"status,omitempty"`
	// BodyContains, when set, must occur in the response body (first 1 MiB).
	BodyContains string `json:"body_contains,omitempty"`
}

// Accepts reports whether status satisfies e's status condition.
func (e Expect) Accepts(status int) bool {
	if len(e.Status) == 0 {
		return status >= 200 && status < 400
	}
	for _, s := range e.Status {
		if s == status {
			return true
		}
	}
	return false
}

// Defaults are per-cell settings inherited by every run.
type Defaults struct {
	// SpawnRate is users started per second (default 1).
	SpawnRate float64 `json:"spawn_rate"`
	// Warmup is excluded from steady-state statistics, counted after the last
	// user has started (default 5s).
	Warmup time.Duration `json:"warmup_ns"`
	// Settle is the pause after a rescale before load starts (default 10s).
	Settle time.Duration `json:"settle_ns"`
	// Cooldown is the pause after a cell's load (default 5s).
	Cooldown time.Duration `json:"cooldown_ns"`
	// Repeat is how many times each cell is run (default 1).
	Repeat int `json:"repeat"`
	// MaxInFlight bounds concurrent requests in open-loop mode (default 1000).
	MaxInFlight int `json:"max_in_flight"`
}

// Run is one block of the matrix: scales × users (or rates) at one duration.
type Run struct {
	// Name is the run's short id, used in cell ids ("run1").
	Name string `json:"name"`
	// Title is the run's human title ("Run #1"); defaults to Name.
	Title string `json:"title"`
	// Scale lists the replica counts, in order.
	Scale []int `json:"scale"`
	// Users lists closed-loop user counts; exclusive with Rate.
	Users []int `json:"users,omitempty"`
	// Rate lists open-loop arrival rates in requests per second.
	Rate []float64 `json:"rate,omitempty"`
	// Duration is each cell's load duration, spawning included (Locust's -t).
	Duration time.Duration `json:"duration_ns"`
	// DurationFor overrides Duration for some users levels.
	DurationFor map[int]time.Duration `json:"duration_for_ns,omitempty"`
	// SpawnRate is users started per second.
	SpawnRate float64 `json:"spawn_rate"`
	// SpawnRateFor overrides SpawnRate for some users levels.
	SpawnRateFor map[int]float64 `json:"spawn_rate_for,omitempty"`
	// Warmup, Settle, Cooldown and Repeat override the defaults for this run.
	Warmup      time.Duration `json:"warmup_ns"`
	Settle      time.Duration `json:"settle_ns"`
	Cooldown    time.Duration `json:"cooldown_ns"`
	Repeat      int           `json:"repeat"`
	MaxInFlight int           `json:"max_in_flight"`
	// Search, when set, looks for each scale's capacity at the SLO instead
	// of running Users or Rate (see slo.go).
	Search *Search `json:"search,omitempty"`
	// EarlyStop overrides whether a cell stops once its SLO verdict is
	// decided (nil: on for search runs, off for grid runs).
	EarlyStop *bool `json:"early_stop,omitempty"`
}

// Mode tells closed-loop (users) from open-loop (rate) cells.
type Mode string

const (
	// Closed is a fixed number of users, each waiting for its response.
	Closed Mode = "users"
	// Open is a fixed arrival rate regardless of responses.
	Open Mode = "rate"
)

// Cell is one load test: a run at one scale, one load level, one repeat.
type Cell struct {
	// ID is stable across runs of the same matrix: "run1-s3-u20-r1" or
	// "run1-s3-q50-r1" for a rate of 50 req/s.
	ID string `json:"id"`
	// Index is the cell's position in execution order, from 0.
	Index int `json:"index"`
	// Run and Title name the run the cell belongs to.
	Run   string `json:"run"`
	Title string `json:"title"`
	// Scale is the replica count of the scaled service.
	Scale int `json:"scale"`
	// Mode says whether Users or Rate applies.
	Mode Mode `json:"mode"`
	// Users is the closed-loop user count.
	Users int `json:"users,omitempty"`
	// Rate is the open-loop arrival rate in requests per second.
	Rate float64 `json:"rate,omitempty"`
	// Repeat is the 1-based repetition number.
	Repeat int `json:"repeat"`
	// Duration is the load duration, spawning included.
	Duration time.Duration `json:"duration_ns"`
	// SpawnRate is users started per second.
	SpawnRate float64 `json:"spawn_rate"`
	// Warmup, Settle, Cooldown as in Defaults.
	Warmup      time.Duration `json:"warmup_ns"`
	Settle      time.Duration `json:"settle_ns"`
	Cooldown    time.Duration `json:"cooldown_ns"`
	MaxInFlight int           `json:"max_in_flight"`
}

// Level is the cell's load level as text: "20 users" or "50 req/s".
func (c Cell) Level() string {
	if c.Mode == Open {
		return fmt.Sprintf("%g req/s", c.Rate)
	}
	if c.Users == 1 {
		return "1 user"
	}
	return fmt.Sprintf("%d users", c.Users)
}

// RampTime is how long spawning takes: users/spawn_rate (0 in open loop).
func (c Cell) RampTime() time.Duration {
	if c.Mode == Open || c.SpawnRate <= 0 {
		return 0
	}
	return time.Duration(float64(c.Users-1) / c.SpawnRate * float64(time.Second))
}

// SteadyStart is the offset from the cell's start where steady-state
// statistics begin: after spawning and warm-up.
func (c Cell) SteadyStart() time.Duration { return c.RampTime() + c.Warmup }

// Steady is the length of the steady-state window (may be ≤ 0).
func (c Cell) Steady() time.Duration { return c.Duration - c.SteadyStart() }
