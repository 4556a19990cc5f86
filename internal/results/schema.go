// Package results owns the on-disk schema of a run: run.json and one
// cells/<cell-id>.json per finished cell, written atomically, loaded with
// clear errors, with typed statuses and failure classes; the git, Docker
// and host metadata recorded with a run; the one latency histogram geometry
// and its helpers (encode, decode, quantile), which every package that
// records or reads latencies shares; and run discovery (by folder, by
// commit). It must not compute conclusions: that is package analysis.
package results

import (
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
)

// SchemaVersion is the version of the files this package writes. Loading a
// file with another version fails with an error that says so.
const SchemaVersion = 1

// Kinds tag each file so a foreign JSON file is recognised as such.
const (
	KindRun  = "scalebench.run"
	KindCell = "scalebench.cell"
)

// RunStatus is where a run stands.
type RunStatus string

// Run statuses.
const (
	StatusRunning  RunStatus = "running"
	StatusComplete RunStatus = "complete"
	StatusAborted  RunStatus = "aborted"
	StatusFailed   RunStatus = "failed"
)

// CellStatus is how a cell ended.
type CellStatus string

// Cell statuses.
const (
	CellOK     CellStatus = "ok"
	CellFailed CellStatus = "failed"
	// CellDegraded: the load ran, but the target or a replica went away
	// during it (Cell.Fault says when and why); its numbers are kept but
	// left out of the conclusions unless asked.
	CellDegraded CellStatus = "degraded"
	CellAborted  CellStatus = "aborted"
)

// Run is run.json: what was run, where, with what, and when.
type Run struct {
	// Schema is SchemaVersion at write time.
	Schema int `json:"schema"`
	// Kind is KindRun.
	Kind string `json:"kind"`
	// ID is the run directory's name: <matrix>-<UTC time>-<commit>.
	ID string `json:"id"`
	// Matrix is the experiment as resolved.
	Matrix matrix.Matrix `json:"matrix"`
	// MatrixSource is the matrix file's text as read.
	MatrixSource string `json:"matrix_source"`
	// MatrixHash is the SHA-256 of the resolved matrix, hex; resume refuses a
	// different hash unless forced.
	MatrixHash string `json:"matrix_hash"`
	// Cells lists the planned cells in execution order.
	Cells []matrix.Cell `json:"cells"`
	// Tool is the scalebench build that ran.
	Tool Tool `json:"tool"`
	// App is the application under test's source state.
	App App `json:"app"`
	// Engine is the Docker engine, when one was used.
	Engine *Engine `json:"engine,omitempty"`
	// Host is the machine the load generator ran on.
	Host Host `json:"host"`
	// OriginalScale is the replica count found before the suite started.
	OriginalScale int `json:"original_scale"`
	// Status is one of StatusRunning, StatusComplete, StatusAborted, StatusFailed.
	Status RunStatus `json:"status"`
	// Started and Ended bound the suite (Ended is zero while running).
	Started time.Time `json:"started"`
	Ended   time.Time `json:"ended,omitzero"`
	// Overhead is the suite's wall time not spent in settle, load or cooldown.
	Overhead time.Duration `json:"overhead_ns,omitempty"`
	// Warnings are non-fatal problems met while running.
	Warnings []string `json:"warnings,omitempty"`
	// Topology is what the engine told about the project's services when
	// the run started: which one receives the load and what links them;
	// nil when it was not read.
	Topology *Topology `json:"topology,omitempty"`
	// Only is the selection of cells the run was started with (run --only,
	// e.g. "scale=3,users=20"); "" runs every cell. --resume keeps it.
	Only string `json:"only,omitempty"`
}

// Topology is the project's services as the Docker engine shows them.
type Topology struct {
	// Entry is the service whose container publishes the target URL's port
	// (compose ports, Swarm ingress): the one that receives the load; "" when
	// no container of the project publishes it.
	Entry string `json:"entry,omitempty"`
	// Services are the project's services, by name.
	Services []TopologyService `json:"services,omitempty"`
}

// TopologyService is one service of the project.
type TopologyService struct {
	Name string `json:"name"`
	// Replicas is the number of its running containers when read.
	Replicas int `json:"replicas"`
	// Published are the host ports its containers publish.
	Published []int `json:"published,omitempty"`
	// DependsOn are the services it depends on (compose v2's depends_on
	// label; empty for compose v1, which does not record it).
	DependsOn []string `json:"depends_on,omitempty"`
	// Networks are the networks its containers are attached to.
	Networks []string `json:"networks,omitempty"`
}

// Tool identifies the scalebench build.
type Tool struct {
	// Version is the module version or "devel".
	Version string `json:"version"`
	// Module is the module path the binary was built from.
	Module string `json:"module,omitempty"`
	// Revision is the VCS revision the binary was built from, when known
	// (12 hex digits, "+dirty" appended when Dirty).
	Revision string `json:"revision,omitempty"`
	// Dirty is true when the source had uncommitted changes.
	Dirty bool `json:"dirty,omitempty"`
	// GoVersion is the Go toolchain that built the binary.
	GoVersion string `json:"go_version"`
}

// App is the source state of the application under test.
type App struct {
	// Dir is the directory whose git state was read.
	Dir string `json:"dir"`
	// Commit is the full commit hash, "" when Dir is not in a git work tree.
	Commit string `json:"commit,omitempty"`
	// Short is the abbreviated commit used in run directory names.
	Short string `json:"short,omitempty"`
	// Dirty is true when the work tree had uncommitted changes.
	Dirty bool `json:"dirty"`
}

// Engine describes the Docker engine.
type Engine struct {
	Version    string `json:"version"`
	APIVersion string `json:"api_version"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	// CPUs is the engine host's CPU count; 100% CPU per core in stats.
	CPUs int `json:"cpus"`
	// MemoryBytes is the engine host's memory.
	MemoryBytes int64 `json:"memory_bytes"`
	// Name is the engine host's name (docker info's Name); when it equals
	// Host.Hostname the containers share the load generator's machine.
	Name string `json:"name,omitempty"`
}

// Host describes the load generator's machine.
type Host struct {
	Hostname string `json:"hostname"`
	OS       string `json:"os"`
	Arch     string `json:"arch"`
	CPUs     int    `json:"cpus"`
}

// Cell is cells/<id>.json: one finished (or failed, or aborted) cell.
type Cell struct {
	// Schema is SchemaVersion at write time.
	Schema int `json:"schema"`
	// Kind is KindCell.
	Kind string `json:"kind"`
	// Cell is the cell's parameters as planned.
	Cell matrix.Cell `json:"cell"`
	// Status is CellOK, CellDegraded, CellFailed or CellAborted.
	Status CellStatus `json:"status"`
	// Error says why the cell failed, was aborted or is degraded.
	Error string `json:"error,omitempty"`
	// Fault is what went away during a degraded cell, and when.
	Fault *Fault `json:"fault,omitempty"`
	// Started and Ended bound the whole cell, rescale and cooldown included.
	Started time.Time `json:"started"`
	Ended   time.Time `json:"ended"`
	// Timings breaks the cell's wall time down.
	Timings Timings `json:"timings"`
	// Replicas are the replicas of the scaled service running during the load.
	Replicas []Replica `json:"replicas,omitempty"`
	// Load is what the load engine measured; nil when load never started.
	Load *Load `json:"load,omitempty"`
	// Containers are the per-second samples of every container of the project.
	Containers []ContainerSeries `json:"containers,omitempty"`
	// Host is the per-second CPU use of the load generator's machine during
	// the load (every process, not only the project's containers); nil where
	// it cannot be read (not Linux).
	Host *HostSeries `json:"host,omitempty"`
	// EarlyStop is set when the load stopped early because the cell's SLO
	// verdict was already decided; nil for a cell that ran its duration.
	EarlyStop *EarlyStop `json:"early_stop,omitempty"`
}

// HostSeries is the per-second CPU use of the machine that ran the load.
type HostSeries struct {
	// CPUs is the number of cores the machine has.
	CPUs int `json:"cpus"`
	// Samples are in time order.
	Samples []HostSample `json:"samples"`
}

// HostSample is one second of the machine's CPU use.
type HostSample struct {
	// T is the offset from the load's start.
	T time.Duration `json:"t_ns"`
	// Busy is the CPU in use, in cores (all processes; idle and iowait
	// excluded).
	Busy float64 `json:"busy_cores"`
}

// Fault is what went wrong during a cell's load.
type Fault struct {
	// Cause says what went away: "the target refused 1,234 connections",
	// "container api_1 died (exit 137)", "the engine did not answer".
	Cause string `json:"cause"`
	// From and To bound the window it covered, as offsets from the load's
	// start (both 0 when unknown).
	From time.Duration `json:"from_ns,omitempty"`
	To   time.Duration `json:"to_ns,omitempty"`
}

// Timings is where a cell's wall time went before it was saved (the
// cooldown that follows is not part of the cell).
type Timings struct {
	// Scale is the rescale, readiness wait included (near 0 when the
	// service was already at the cell's scale).
	Scale time.Duration `json:"scale_ns"`
	// Ready is the check that the replicas running are the cell's scale.
	Ready time.Duration `json:"ready_ns"`
	// Settle is the pause after a rescale.
	Settle time.Duration `json:"settle_ns"`
	// Load is the load, container sampling included.
	Load time.Duration `json:"load_ns"`
}

// Replica is one container of the scaled service.
type Replica struct {
	Name   string `json:"name"`
	ID     string `json:"id"`
	Number int    `json:"number"`
	State  string `json:"state"`
	Health string `json:"health,omitempty"`
}

// Load is the load engine's record of one cell.
type Load struct {
	// Mode is the cell's mode (users or rate).
	Mode matrix.Mode `json:"mode"`
	// Started is when the first user started or the first request was due.
	Started time.Time `json:"started"`
	// Elapsed is how long the load ran (shorter than planned when aborted).
	Elapsed time.Duration `json:"elapsed_ns"`
	// SteadyStart is the offset from Started where steady state begins.
	SteadyStart time.Duration `json:"steady_start_ns"`
	// Total is every request of the cell, all endpoints merged.
	Total Stats `json:"total"`
	// Steady is the steady-state window, all endpoints merged: the headline.
	Steady Stats `json:"steady"`
	// Endpoints are per-endpoint statistics, in scenario order.
	Endpoints []Endpoint `json:"endpoints"`
	// Series is one entry per second from Started, spawning included.
	Series []Second `json:"series"`
	// Errors are failures grouped by endpoint, class and message.
	Errors []ErrorGroup `json:"errors,omitempty"`
	// Late counts open-loop sends that left later than intended (by more than
	// 1 ms) because every in-flight slot was busy.
	Late int64 `json:"late,omitempty"`
	// Dropped counts open-loop sends never made before the cell ended.
	Dropped int64 `json:"dropped,omitempty"`
	// Check is the Little's-law / generator-limit check.
	Check Check `json:"check"`
	// Agents are the load agents' shares when distributed agents ran the
	// load (matrix agents:); the rest of Load is their exact merge.
	Agents []Agent `json:"agents,omitempty"`
}

// Endpoint is one request name's statistics.
type Endpoint struct {
	Name   string `json:"name"`
	Method string `json:"method"`
	// Total covers the whole cell; Steady the steady-state window.
	Total  Stats `json:"total"`
	Steady Stats `json:"steady"`
}

// Stats are counts and latency over a window.
type Stats struct {
	// Window is the length of time the counts cover.
	Window time.Duration `json:"window_ns"`
	// Requests counts completed requests, failures included.
	Requests int64 `json:"requests"`
	// Failures counts failed requests of every class.
	Failures int64 `json:"failures"`
	// FailuresByClass counts failures per class (see the Class constants).
	FailuresByClass map[Class]int64 `json:"failures_by_class,omitempty"`
	// Bytes counts response body bytes read.
	Bytes int64 `json:"bytes"`
	// RPS is Requests / Window in requests per second.
	RPS float64 `json:"rps"`
	// FailRate is Failures / Requests (0..1).
	FailRate float64 `json:"fail_rate"`
	// Latency summarises the histogram: successful requests only (Locust
	// mixes failures in; a fast refusal must not look like a fast answer).
	Latency Latency `json:"latency"`
	// Histogram is the latency HdrHistogram of the successful requests, in
	// microseconds (1 µs..60 s, 3 significant digits), V2 compressed and
	// base64 encoded.
	Histogram string `json:"histogram,omitempty"`
	// FailedLatency and FailedHistogram are the same for the failed
	// requests; nil and empty without failures.
	FailedLatency   *Latency `json:"failed_latency,omitempty"`
	FailedHistogram string   `json:"failed_histogram,omitempty"`
}

// Latency is a latency summary; every field is a duration.
type Latency struct {
	Min  time.Duration `json:"min_ns"`
	Mean time.Duration `json:"mean_ns"`
	P50  time.Duration `json:"p50_ns"`
	P90  time.Duration `json:"p90_ns"`
	P95  time.Duration `json:"p95_ns"`
	P99  time.Duration `json:"p99_ns"`
	P999 time.Duration `json:"p999_ns"`
	Max  time.Duration `json:"max_ns"`
}

// Class is what kind of failure a failed request met.
type Class string

// Failure classes.
const (
	ClassTimeout Class = "timeout"
	ClassRefused Class = "connect_refused"
	ClassReset   Class = "reset"
	ClassStatus  Class = "http_status"
	ClassExpect  Class = "expectation"
	ClassOther   Class = "other"
	// ClassTLS is a failed TLS handshake: an unknown CA, a certificate for
	// another name, a client certificate the target asked for and missed.
	ClassTLS Class = "tls"
)

// Second is one second of a cell's time series.
type Second struct {
	// T is the second's offset from Load.Started, in whole seconds.
	T int `json:"t"`
	// Users is the number of running users at the end of the second (closed
	// loop) or requests in flight (open loop).
	Users int `json:"users"`
	// Requests and Failures completed during the second.
	Requests int64 `json:"requests"`
	Failures int64 `json:"failures"`
	// P50, P95, P99 and Max of the requests completed during the second.
	P50 time.Duration `json:"p50_ns"`
	P95 time.Duration `json:"p95_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
	// Endpoints breaks the second down per request name.
	Endpoints map[string]SecondEndpoint `json:"endpoints,omitempty"`
}

// SecondEndpoint is one endpoint's share of a Second.
type SecondEndpoint struct {
	Requests int64         `json:"requests"`
	Failures int64         `json:"failures"`
	P50      time.Duration `json:"p50_ns"`
	P95      time.Duration `json:"p95_ns"`
}

// ErrorGroup is the failures of one endpoint with one class and message.
type ErrorGroup struct {
	Endpoint string `json:"endpoint"`
	Method   string `json:"method"`
	Class    Class  `json:"class"`
	// Message is the error text, or "HTTP 503" and similar for statuses.
	Message string `json:"message"`
	Count   int64  `json:"count"`
	// Sample is the start of one response body or error detail (≤ 512 bytes).
	Sample string `json:"sample,omitempty"`
	// First and Last are offsets from Load.Started.
	First time.Duration `json:"first_ns"`
	Last  time.Duration `json:"last_ns"`
}

// Check is the cell's Little's-law and generator check: in a closed loop
// users ≈ throughput × (mean response + mean wait).
type Check struct {
	// Users is the mean number of running users over the steady window.
	Users float64 `json:"users"`
	// Throughput is the steady-state rate in requests per second.
	Throughput float64 `json:"throughput"`
	// MeanResponse and MeanWait over the steady window.
	MeanResponse time.Duration `json:"mean_response_ns"`
	MeanWait     time.Duration `json:"mean_wait_ns"`
	// Ratio is Throughput·(MeanResponse+MeanWait) / Users; near 1 when the
	// users spent their time waiting on the target or thinking.
	Ratio float64 `json:"ratio"`
	// GeneratorCPU is the load generator process's CPU use, in cores.
	GeneratorCPU float64 `json:"generator_cpu"`
	// GeneratorBound is true when the generator, not the target, limited the
	// cell; Reason says why.
	GeneratorBound bool   `json:"generator_bound"`
	Reason         string `json:"reason,omitempty"`
	// GeneratorCPUPerRequest is the generator process's CPU time per request
	// completed over the same window as GeneratorCPU: the share of the host
	// the generator took for each request (wrk takes about 10–20 µs against
	// a local target; bench/cost.sh). 0 when no request completed.
	GeneratorCPUPerRequest time.Duration `json:"generator_cpu_per_request_ns,omitempty"`
}

// ContainerSeries is the per-second resource use of one container.
type ContainerSeries struct {
	// Service is the compose service (or Swarm service) the container belongs to.
	Service string `json:"service"`
	Name    string `json:"name"`
	ID      string `json:"id"`
	Number  int    `json:"number,omitempty"`
	// CPULimit is the CPU the container may use, in cores (its NanoCPUs
	// limit, else the engine's CPU count).
	CPULimit float64 `json:"cpu_limit"`
	// MemoryLimit is its memory limit in bytes (0: none).
	MemoryLimit int64 `json:"memory_limit_bytes,omitempty"`
	// Samples are in time order.
	Samples []ContainerSample `json:"samples"`
	// Restarts is how many times the engine restarted the container while
	// it was watched (its RestartCount rose by this much).
	Restarts int `json:"restarts,omitempty"`
	// OOMKilled is true when the kernel killed the container's process for
	// lack of memory while it was watched.
	OOMKilled bool `json:"oom_killed,omitempty"`
	// Events are the engine's die, oom, kill and restart events of the
	// container while it was watched.
	Events []ContainerEvent `json:"events,omitempty"`
}

// ContainerEvent is one engine event of a container during a cell.
type ContainerEvent struct {
	// T is the offset from the load's start.
	T time.Duration `json:"t_ns"`
	// Action is the engine's action: "die", "oom", "kill", "restart", ...
	Action string `json:"action"`
	// ExitCode is the exit code of a "die" event (137 after SIGKILL or an
	// OOM kill).
	ExitCode int `json:"exit_code,omitempty"`
}

// ContainerSample is one stats sample.
type ContainerSample struct {
	// T is the offset from the load's start (negative before it).
	T time.Duration `json:"t_ns"`
	// CPU is CPU use in percent of one core, as docker stats shows it.
	CPU float64 `json:"cpu_pct"`
	// Memory is memory use without page cache, in bytes.
	Memory int64 `json:"memory_bytes"`
}
