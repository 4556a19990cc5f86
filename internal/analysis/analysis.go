// Package analysis turns saved results into numbers: per-level throughput and
// latency, the peak of each scale and where it is reached, the knee where
// throughput stops growing, the onset of failures, scaling gains with their
// uncertainty, scaling efficiency, a Universal Scalability Law fit, what
// limited each scale by the operational laws (requests in service, CPU
// demands and bounds, the host; see laws.go), memory per service, and the
// flags the cells carry (leak suspects and dead containers among them).
//
// It is a pure function of a results.Set. It must not produce text for
// people (apart from warnings) or images: that is packages report and plots.
package analysis

import (
	"math"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
)

// Thresholds decide what counts as a gain, a knee, a failure onset and a
// saturated service. DefaultThresholds returns the values used by Analyze.
type Thresholds struct {
	// Alpha is the significance level of the Mann–Whitney tests (0.05).
	Alpha float64
	// MinGain is the relative throughput gain that counts as growth (0.10).
	MinGain float64
	// LatencyGrowth is the p95 growth factor that marks a plateau as a knee
	// rather than noise (1.5).
	LatencyGrowth float64
	// FailRate is the failure rate above which a level counts as failing (0.01).
	FailRate float64
	// NearCeiling is the fraction of its CPU ceiling at which a service
	// counts as saturated (0.85).
	NearCeiling float64
	// Linear is the scaling efficiency at or above which scaling counts as
	// linear (0.9).
	Linear float64
	// LittleTolerance is how far Little's-law ratio may stray from 1 before
	// a cell is flagged (0.25).
	LittleTolerance float64
	// IncludeDegraded uses the numbers of degraded cells (the target or a
	// container went away during them) instead of leaving them out (false).
	IncludeDegraded bool
	// MinRepeats is the number of cells at one level from which their
	// per-cell throughput is the sample for tests; below it, the per-second
	// steady-state throughput is (3).
	MinRepeats int
	// Memory decide when a container's memory is a leak suspect
	// (DefaultMemoryThresholds; zero fields take the defaults).
	Memory MemoryThresholds
}

// DefaultThresholds returns the thresholds Analyze uses.
func DefaultThresholds() Thresholds {
	return Thresholds{
		Alpha:           0.05,
		MinGain:         0.10,
		LatencyGrowth:   1.5,
		FailRate:        0.01,
		NearCeiling:     0.85,
		Linear:          0.9,
		LittleTolerance: 0.25,
		MinRepeats:      3,
		Memory:          DefaultMemoryThresholds(),
	}
}

// Study is the analysis of one result set.
type Study struct {
	// Name is the matrix name; Scaled the service whose replicas vary
	// ("" when the matrix names none).
	Name   string
	Scaled string
	// Mode is the load mode of the cells (users or rate).
	Mode matrix.Mode
	// Thresholds are the ones applied.
	Thresholds Thresholds
	// Planned and Finished count planned cells and cells with results;
	// Analysed counts the cells whose numbers were used (status ok, load
	// recorded).
	Planned, Finished, Analysed int
	// Runs are per-run grids, in matrix order.
	Runs []Run
	// Scales are the scale curves, all runs pooled, by ascending scale.
	Scales []Scale
	// Steps compare the capacities of consecutive scales.
	Steps []Step
	// Linear is true when every step raised throughput significantly and
	// the efficiency of every scale is at least Thresholds.Linear.
	Linear bool
	// USL is the Universal Scalability Law fit of capacity against
	// replicas; nil with fewer than 3 scales.
	USL *USL
	// Flags are per-cell conditions the report must carry (failed or
	// aborted cells, generator-bound cells, Little's-law mismatches,
	// memory-leak suspects, containers that died or restarted).
	Flags []Flag
	// Warnings are non-fatal problems, as sentences.
	Warnings []string
	// Cores is the CPU count of the containers' host (the engine's), the
	// ceiling of containers without limits.
	Cores float64
	// Think is the users' mean wait between requests (the scenario's).
	Think time.Duration
	// Unloaded are the endpoints' unloaded response times, in scenario
	// order: the R_e,0 of the requests in service.
	Unloaded []Unloaded
}

// Run is one run of the matrix as a grid of levels.
type Run struct {
	// Name and Title as in the matrix.
	Name, Title string
	// Duration is the cells' planned load duration (the run's default).
	Duration time.Duration
	// Scales and Loads are the grid's axes, ascending: replica counts and
	// load levels (users, or req/s in open loop).
	Scales []int
	Loads  []float64
	// Levels are the grid's non-empty cells, by scale then load.
	Levels []Level
	// Heaviest is the id of the cell with the most load (highest level,
	// then most replicas, then most requests): the one whose container CPU
	// is charted; at the most replicas it shows where scaling stopped
	// helping.
	Heaviest string
}

// Level returns the run's level at scale and load, or nil.
func (r *Run) Level(scale int, load float64) *Level {
	for i := range r.Levels {
		if r.Levels[i].Scale == scale && r.Levels[i].Load == load {
			return &r.Levels[i]
		}
	}
	return nil
}

// Level is one (scale, load) point: the cells run at it pooled.
type Level struct {
	// Scale is the replica count; Load the users (or req/s) level.
	Scale int
	Load  float64
	// Runs names the runs whose cells are pooled; Cells their ids.
	Runs  []string
	Cells []string
	// RPS is the mean steady-state throughput of successful requests of
	// the cells, requests/s: failed requests do not count as work done, so a
	// level where half the requests time out is not a best mark.
	RPS float64
	// AllRPS is the mean steady-state rate of every completed request,
	// failures included (Locust's "RPS"), requests/s.
	AllRPS float64
	// RPSHalfWidth is the half-width of the 95% confidence interval of RPS.
	RPSHalfWidth float64
	// SE is the standard error of RPS.
	SE float64
	// Samples are the throughput samples for tests, requests/s: per cell
	// when there are at least MinRepeats cells, else per steady second.
	Samples []float64
	// SampleKind is SamplesRepeats or SamplesSeconds.
	SampleKind string
	// P50, P95, P99, Max are steady-state latencies from the merged
	// histograms.
	P50, P95, P99, Max time.Duration
	// Requests and Failures count the whole cells, ramp included, as
	// Locust counts them: failures during the ramp are failures of the cell.
	Requests, Failures int64
	// FailRate is Failures / Requests, 0..1.
	FailRate float64
	// GeneratorBound is true when any pooled cell was limited by the load
	// generator.
	GeneratorBound bool
	// Services is the CPU use per service during the steady window,
	// busiest first.
	Services []ServiceLoad
	// InService is the requests in service at once (operational laws).
	InService InService
	// Host is the machine's CPU during the steady windows.
	Host HostLoad

	// seconds are the per-second steady throughputs of every cell, kept for
	// comparisons with a level that has no repeats.
	seconds []float64

	// Memory is each service's memory during the load, by service name.
	Memory []ServiceMemory
	// Died are the ids of the cells in which a container of any service
	// restarted, was OOM-killed or died (each has a FlagReplicaDied flag).
	// Their numbers stay in the level; a verdict on the level must say
	// that a replica died in it.
	Died []string
}

// Sample kinds.
const (
	SamplesRepeats = "repeats"
	SamplesSeconds = "seconds"
)

// Scale is one replica count with every run's levels pooled.
type Scale struct {
	// Scale is the replica count.
	Scale int
	// Levels by ascending load.
	Levels []Level
	// Peak is the index in Levels of the highest throughput ("best mark").
	Peak int
	// Capacity is the throughput the scale sustains, the number compared
	// across scales: the plateau levels (from the knee on) within MinGain of
	// the best mark, pooled; the peak level alone without a knee. Pooling
	// keeps one lucky short level from deciding a comparison.
	Capacity Capacity
	// Saturated is false when throughput was still growing at the highest
	// load tested (the peak may lie beyond it).
	Saturated bool
	// Knee is the index in Levels beyond which throughput stays flat (no
	// significant gain of MinGain or more) while p95 grows by more than
	// LatencyGrowth; -1 when there is none.
	Knee int
	// KneeP95Growth and KneeP50Growth are the latency growth factors from
	// the knee to the highest load (0 without a knee).
	KneeP50Growth, KneeP95Growth float64
	// FailureOnset is the index in Levels of the first level whose failure
	// rate exceeds FailRate; -1 when there is none.
	FailureOnset int
	// P50Growth and P95Growth are the latency growth factors from the lowest
	// to the highest load.
	P50Growth, P95Growth float64
	// Speedup is the capacity relative to the lowest scale's;
	// Efficiency is Speedup divided by the scale ratio (1 is linear).
	Speedup, Efficiency float64
	// Bottleneck is the service nearest its CPU ceiling at the peak, if at
	// least NearCeiling of it; "" when no service was.
	Bottleneck string
	// InService is the requests in service over the plateau (the capacity
	// levels); Bounds the demands and bounds there; Limit what limited it.
	InService InService
	Bounds    Bounds
	Limit     Constraint
}

// Capacity is a scale's sustained throughput.
type Capacity struct {
	// RPS is the mean throughput of the pooled levels (weighted by their
	// samples), requests/s; SE its standard error and HalfWidth the
	// half-width of its 95% confidence interval.
	RPS, SE, HalfWidth float64
	// Levels are the indices of the pooled levels in Scale.Levels.
	Levels []int
	// Samples and SampleKind as in Level.
	Samples    []float64
	SampleKind string

	seconds []float64
}

// PeakLevel returns the scale's peak level.
func (s *Scale) PeakLevel() *Level { return &s.Levels[s.Peak] }

// ServiceLoad is one service's CPU use over a level's steady windows.
type ServiceLoad struct {
	// Service is the compose (or Swarm) service name.
	Service string
	// Containers is the number of its containers seen.
	Containers int
	// CPU is the mean CPU use of all its containers together, in percent
	// of one core (docker stats style).
	CPU float64
	// Ceiling is the CPU all its containers may use together, in percent of
	// one core (cores × 100): their limits added up, at most the host's
	// cores (N containers without limits share the host); 0 when unknown.
	Ceiling float64
	// Limited is true when the ceiling comes from the containers' own CPU
	// limits, below the host's cores.
	Limited bool
	// Utilization is CPU / Ceiling (0 when the ceiling is unknown).
	Utilization float64
	// Hottest is the highest per-container utilization (fraction of its own
	// ceiling).
	Hottest float64
	// HottestCores is the highest per-container CPU use, in cores: near 1
	// in a container allowed more, a single-threaded process is saturated.
	HottestCores float64
}

// Step compares the capacities of two consecutive scales.
type Step struct {
	// From and To are the replica counts.
	From, To int
	// FromRPS and ToRPS are the capacities compared (see Scale.Capacity),
	// requests/s.
	FromRPS, ToRPS float64
	// Gain is ToRPS/FromRPS − 1; GainLow and GainHigh bound its 95%
	// confidence interval (delta method on the capacities' standard errors).
	Gain, GainLow, GainHigh float64
	// P is the Mann–Whitney p-value of the two capacities' samples; Significant
	// is P < Alpha.
	P           float64
	Significant bool
	// Samples says what was compared (SamplesRepeats or SamplesSeconds);
	// NFrom and NTo are the sample sizes.
	Samples    string
	NFrom, NTo int
	// Efficiency is (ToRPS/FromRPS) / (To/From).
	Efficiency float64
	// Verdict classifies the step.
	Verdict Verdict
	// FromBottleneck and ToBottleneck are the saturated services at the
	// two peaks ("" when none was near its ceiling).
	FromBottleneck, ToBottleneck string
	// Top is the busiest service at the To peak (by utilization), whether or
	// not it reached the ceiling.
	Top ServiceLoad
	// FromLimit and ToLimit are what limited the two scales.
	FromLimit, ToLimit Constraint
	// CapHeld is true when the requests in service stayed within 15% from
	// From to To: the same cap at both scales.
	CapHeld bool
}

// Verdict classifies a step between scales.
type Verdict string

const (
	// Raised: a significant gain of at least MinGain.
	Raised Verdict = "raised"
	// Small: significant but below MinGain.
	Small Verdict = "small"
	// NoGain: not significant.
	NoGain Verdict = "no-gain"
	// Lowered: a significant loss.
	Lowered Verdict = "lowered"
)

// Flag is a condition of one cell the report must carry.
type Flag struct {
	// Cell is the cell id; Run, Scale and Load locate it.
	Cell  string
	Run   string
	Scale int
	Load  float64
	// Kind is one of the Flag kinds.
	Kind FlagKind
	// Detail is the cell's error or the check's reason, verbatim (it may
	// come from the target: escape it when rendering).
	Detail string
	// Ratio is Little's-law ratio for FlagLittle.
	Ratio float64
	// Service and Container name the container of a FlagLeak or
	// FlagReplicaDied flag (from the engine: escape them when rendering).
	Service, Container string
	// Slope is the memory's rise for FlagLeak, bytes/s (Trend.Slope).
	Slope float64
	// Trend is the fitted line of a FlagLeak; nil for other kinds.
	Trend *MemoryTrend
	// Death is what happened for FlagReplicaDied; nil for other kinds.
	Death *Death
}

// FlagKind is what a Flag says of its cell.
type FlagKind string

// Flag kinds.
const (
	FlagFailed    FlagKind = "failed"
	FlagAborted   FlagKind = "aborted"
	FlagDegraded  FlagKind = "degraded"
	FlagGenerator FlagKind = "generator-bound"
	FlagLittle    FlagKind = "littles-law"
)

// finite replaces NaN and infinities by 0 so the study stays printable.
func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}
