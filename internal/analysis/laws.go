package analysis

import (
	"cmp"
	"math"
	"slices"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// This file applies the operational laws (Denning & Buzen 1978; Menascé,
// Performance by Design, ch. 3) to what a run recorded, to say what limits
// each scale:
//
//   - Little's law on the servers: the requests in service at once are
//     N_s = Σ_e X_e·R_e,0, each endpoint's throughput times its unloaded
//     response time. Queued requests do not count, so N_s stays flat at the
//     size of a concurrency cap (a worker pool, a connection pool) however
//     many users wait in front of it.
//   - The utilization law per service: its CPU demand D = U/X, CPU seconds
//     per request, bounds its throughput at K/D with K the cores it may use.
//   - The host: every process on the machine shares its cores, so N
//     containers without limits on a 2-core host share 2 cores, not 2N.

// Unloaded is one endpoint's response time without queueing, the R_e,0 of
// the requests in service.
type Unloaded struct {
	// Endpoint is the request name.
	Endpoint string
	// R0 is the mean steady-state response time at the least loaded level
	// (the lowest load of some scale with the smallest mean), and Low, High
	// bound its 95% confidence interval.
	R0, Low, High time.Duration
	// Scale and Load are the level it was measured at; Requests the number
	// of requests behind it.
	Scale    int
	Load     float64
	Requests int64
}

// InService is the number of requests in service at once at a level (or
// over a scale's plateau): Σ over endpoints of successful throughput ×
// unloaded response time.
type InService struct {
	// N is the estimate; Low and High its 95% interval from the unloaded
	// times' intervals (0 when nothing was measured).
	N, Low, High float64
	// Parts are the endpoints' shares, in scenario order.
	Parts []InServicePart
}

// InServicePart is one endpoint's share of InService.
type InServicePart struct {
	Endpoint string
	// X is the endpoint's successful throughput, requests/s.
	X float64
	// R0 is its unloaded response time.
	R0 time.Duration
}

// HostLoad is the CPU use of the machine during a level's steady windows.
type HostLoad struct {
	// Cores is the number of cores the containers' host has (0 unknown).
	Cores float64
	// Busy is the machine's CPU in use, in cores, every process counted;
	// Measured is true when it was read from the machine's own counters,
	// false when it is the project's containers plus the generator.
	Busy     float64
	Measured bool
	// Stack is the CPU of the project's containers, Generator the load
	// generator's, Other the rest of the machine's (Busy − Stack −
	// Generator, never negative; 0 when not measured); all in cores.
	Stack, Generator, Other float64
	// Shared is true when the containers and the load generator ran on one
	// machine, so they competed for its cores.
	Shared bool
}

// Saturated reports whether the host's CPU was at least frac busy.
func (h HostLoad) Saturated(frac float64) bool {
	return h.Cores > 0 && h.Busy >= frac*h.Cores
}

// ServiceBound is one service's CPU demand and the throughput it bounds.
type ServiceBound struct {
	Service string
	// CPU is the cores the service used at the plateau.
	CPU float64
	// Demand is CPU time per request: core-seconds as a duration.
	Demand time.Duration
	// Cores is K, the cores the service may use: its containers' limits
	// added up, at most the host's cores.
	Cores float64
	// Bound is K/D, the most requests/s its CPU allows (+Inf when it used
	// no measurable CPU).
	Bound float64
}

// Bounds are a scale's asymptotic bounds at its plateau.
type Bounds struct {
	// Throughput is the measured rate of completed requests, requests/s,
	// the one the demands are computed from.
	Throughput float64
	// Services are the per-service bounds, tightest first.
	Services []ServiceBound
	// Host is the bound the host's cores set on the project and the
	// generator together, requests/s (0 when unknown).
	Host float64
	// R0 is the unloaded response time of the scenario's mix; Think the
	// users' mean wait. N/(R0+Think) bounds a closed loop of N users.
	R0, Think time.Duration
	// Concurrency is the bound a concurrency cap sets, Cap/R0 requests/s
	// (0 when no cap was found).
	Concurrency float64
}

// LimitKind names what limited a scale.
type LimitKind string

const (
	// LimitNone: throughput was still growing with load.
	LimitNone LimitKind = ""
	// LimitCPU: a service with its own CPU limit ran at it.
	LimitCPU LimitKind = "cpu"
	// LimitHost: the machine's cores were saturated, mostly by the
	// project and the generator.
	LimitHost LimitKind = "host"
	// LimitConcurrency: a fixed number of requests was in service, fewer
	// than the scaled service's replicas could take: a cap in front of it.
	LimitConcurrency LimitKind = "concurrency"
	// LimitScaled: every replica of the scaled service was busy: its own
	// concurrency is the limit, and more replicas add capacity.
	LimitScaled LimitKind = "scaled"
	// LimitSingleThread: a container held one core flat while load grew.
	LimitSingleThread LimitKind = "single-thread"
	// LimitGenerator: the load generator limited the plateau.
	LimitGenerator LimitKind = "generator"
	// LimitReplicaDied: a container died or restarted at the plateau.
	LimitReplicaDied LimitKind = "replica-died"
	// LimitUnknown: nothing recorded explains the plateau.
	LimitUnknown LimitKind = "unknown"
)

// Constraint is what limited a scale at its plateau, with its evidence.
type Constraint struct {
	Kind LimitKind
	// Service is the service named: the CPU-bound or single-threaded one,
	// or for a concurrency cap the likely holder ("" when the engine did
	// not tell which service receives the load).
	Service string
	// Likely is true when the evidence names Service with some confidence
	// (for a cap: the entry service is known and the cap held at two
	// scales).
	Likely bool
	// Cap is the requests in service at the plateau (for a cap, its size);
	// PerReplica is the fewest requests one replica of the scaled service
	// was seen to serve at once (at least 1): the scaled service could take
	// Replicas × PerReplica.
	Cap, PerReplica float64
	Replicas        int
	// CapRPS is the throughput at the plateau, requests/s.
	CapRPS float64
	// Top is the busiest service by utilization; Hottest the highest CPU
	// of any one container, in cores, and HottestService its service.
	Top            ServiceLoad
	Hottest        float64
	HottestService string
	// Host is the machine's CPU at the plateau.
	Host HostLoad
	// Cells are the cells behind a generator or replica-died verdict.
	Cells []string
	// Between are the services on the compose depends_on paths from the
	// entry service to the scaled one: for a cap, the other places it may
	// be (empty when the engine recorded no such path).
	Between []string
}

// notCPUBound is the share of a service's ceiling below which it is never
// called CPU-bound. starvedNearCeiling is the share at which a service with
// its own limit counts as CPU-bound while the machine is saturated: the
// kernel then shares the cores among every runnable thread, so a service
// that wants its whole core gets what the other processes leave (half of
// it, or less, on a 2-core machine with two busy neighbours), and it is
// still the one that limits.
const (
	notCPUBound        = 0.5
	starvedNearCeiling = notCPUBound
)

// laws computes the requests in service, host load, bounds and limits of
// every level and scale. It runs after scales and steps are known.
func (a *analyzer) laws(set *results.Set, usable []*results.Cell) {
	st := a.study
	byID := map[string]*results.Cell{}
	for _, c := range usable {
		byID[c.Cell.ID] = c
	}
	cellsOf := func(lv *Level) []*results.Cell {
		var out []*results.Cell
		for _, id := range lv.Cells {
			if c := byID[id]; c != nil {
				out = append(out, c)
			}
		}
		return out
	}
	w := set.Run.Matrix.Scenario.Wait
	st.Think = (w.Min + w.Max) / 2
	st.Unloaded = a.unloaded(cellsOf)
	if low := lowestLoad(st); st.Mode == matrix.Closed && low > 2 {
		a.warnf("the least loaded level has %g users: requests may already queue there, which makes the unloaded response times, and the requests in service, too high; add a level of 1 or 2 users", low)
	}
	shared := sharedHost(&set.Run)
	fill := func(lv *Level) {
		cells := cellsOf(lv)
		lv.InService = inService(cells, st.Unloaded)
		lv.Host = a.host(lv, cells, shared)
	}
	for i := range st.Runs {
		for j := range st.Runs[i].Levels {
			fill(&st.Runs[i].Levels[j])
		}
	}
	for i := range st.Scales {
		for j := range st.Scales[i].Levels {
			fill(&st.Scales[i].Levels[j])
		}
	}
	perReplica := 1.0
	for _, s := range st.Scales {
		if s.Saturated && s.Scale > 0 {
			perReplica = max(perReplica, plateauInService(&s).N/float64(s.Scale))
		}
	}
	// Replicas serve whole requests: 1.04 requests per replica is one at a
	// time plus the moments a request spends outside the replicas.
	if r := math.Round(perReplica); math.Abs(perReplica-r) <= 0.1*r {
		perReplica = r
	}
	for i := range st.Scales {
		s := &st.Scales[i]
		s.InService = plateauInService(s)
		s.Bounds = a.bounds(s)
		s.Limit = a.limit(set, s, perReplica)
		if k := s.Limit.Kind; (k == LimitConcurrency || k == LimitScaled) && s.Bounds.R0 > 0 {
			s.Bounds.Concurrency = s.InService.N / s.Bounds.R0.Seconds()
		}
	}
	for i := range st.Steps {
		step := &st.Steps[i]
		from, to := st.Scale(step.From), st.Scale(step.To)
		if from == nil || to == nil {
			continue
		}
		step.FromLimit, step.ToLimit = from.Limit, to.Limit
		if nf, nt := from.InService.N, to.InService.N; nf > 0 && nt > 0 {
			step.CapHeld = math.Abs(nt/nf-1) <= 0.15
		}
		// The holder is likely the entry when the cap held across the step,
		// or when the lower scale's replicas were the limit (it moved).
		if step.ToLimit.Kind == LimitConcurrency && (step.CapHeld || step.FromLimit.Kind == LimitScaled) &&
			step.ToLimit.Service != "" && len(step.ToLimit.Between) == 0 {
			step.ToLimit.Likely = true
			to.Limit.Likely = true
		}
	}
}

// lowestLoad is the smallest load level of any scale (0 without levels).
func lowestLoad(st *Study) float64 {
	low := 0.0
	for _, s := range st.Scales {
		if len(s.Levels) > 0 && (low == 0 || s.Levels[0].Load < low) {
			low = s.Levels[0].Load
		}
	}
	return low
}

// Scale returns the study's scale with n replicas, or nil.
func (st *Study) Scale(n int) *Scale {
	for i := range st.Scales {
		if st.Scales[i].Scale == n {
			return &st.Scales[i]
		}
	}
	return nil
}

// sharedHost reports whether the containers ran on the load generator's
// machine: the engine is local (its host name is the generator's) or no
// engine was recorded.
func sharedHost(r *results.Run) bool {
	return r.Engine == nil || r.Engine.Name == "" || r.Engine.Name == r.Host.Hostname
}

// unloaded finds each endpoint's unloaded response time from the
// lowest-load level of every scale: the level with the smallest mean, pooled
// with the others whose 95% intervals overlap it (the same unloaded time
// measured again), so that the least of several noisy means does not bias
// it low. The mean, not a low percentile, is what Little's law needs (the
// p10 of a service time that varies by 30% is 40% below its mean); taking
// the least loaded of several scales keeps queueing out when one scale
// queues even at its lowest load.
func (a *analyzer) unloaded(cellsOf func(*Level) []*results.Cell) []Unloaded {
	type cand struct {
		u Unloaded
		h *hdrhistogram.Histogram
	}
	cands := map[string][]cand{}
	var order []string
	for i := range a.study.Scales {
		s := &a.study.Scales[i]
		if len(s.Levels) == 0 {
			continue
		}
		lv := &s.Levels[0]
		for name, h := range endpointHistograms(cellsOf(lv)) {
			if h.TotalCount() == 0 {
				continue
			}
			if _, ok := cands[name]; !ok {
				order = append(order, name)
			}
			u := meanOf(h)
			u.Endpoint, u.Scale, u.Load = name, lv.Scale, lv.Load
			cands[name] = append(cands[name], cand{u, h})
		}
	}
	slices.Sort(order)
	out := make([]Unloaded, 0, len(order))
	for _, name := range order {
		cs := cands[name]
		slices.SortStableFunc(cs, func(x, y cand) int { return cmp.Compare(x.u.R0, y.u.R0) })
		best := cs[0].u
		pooled := results.NewHistogram()
		pooled.Merge(cs[0].h)
		for _, c := range cs[1:] {
			if c.u.Low <= best.High {
				pooled.Merge(c.h)
			}
		}
		u := meanOf(pooled)
		u.Endpoint, u.Scale, u.Load = name, best.Scale, best.Load
		out = append(out, u)
	}
	return out
}

// meanOf is the mean of h with its 95% interval.
func meanOf(h *hdrhistogram.Histogram) Unloaded {
	n := h.TotalCount()
	m := h.Mean()
	half := 1.96 * h.StdDev() / math.Sqrt(float64(n))
	return Unloaded{R0: us(m), Low: us(max(m-half, 1)), High: us(m + half), Requests: n}
}

func us(v float64) time.Duration { return time.Duration(v * float64(time.Microsecond)) }

// endpointHistograms merges each endpoint's steady histograms over cells;
// cells whose histograms do not decode are skipped (latency warns already).
func endpointHistograms(cells []*results.Cell) map[string]*hdrhistogram.Histogram {
	out := map[string]*hdrhistogram.Histogram{}
	for _, c := range cells {
		for _, e := range c.Load.Endpoints {
			h, err := results.DecodeHistogram(e.Steady.Histogram)
			if err != nil {
				continue
			}
			if out[e.Name] == nil {
				out[e.Name] = results.NewHistogram()
			}
			out[e.Name].Merge(h)
		}
	}
	return out
}

// inService is Σ_e X_e·R_e,0 over the cells (their mean).
func inService(cells []*results.Cell, r0 []Unloaded) InService {
	var out InService
	if len(cells) == 0 || len(r0) == 0 {
		return out
	}
	for _, u := range r0 {
		var x float64
		for _, c := range cells {
			for _, e := range c.Load.Endpoints {
				if e.Name == u.Endpoint && e.Steady.Window > 0 {
					x += float64(e.Steady.Requests-e.Steady.Failures) / e.Steady.Window.Seconds()
				}
			}
		}
		x /= float64(len(cells))
		out.Parts = append(out.Parts, InServicePart{Endpoint: u.Endpoint, X: x, R0: u.R0})
		out.N += x * u.R0.Seconds()
		out.Low += x * u.Low.Seconds()
		out.High += x * u.High.Seconds()
	}
	return out
}

// plateauInService is the mean requests in service over a scale's capacity
// levels.
func plateauInService(s *Scale) InService {
	var out InService
	if len(s.Capacity.Levels) == 0 {
		return out
	}
	k := float64(len(s.Capacity.Levels))
	for _, i := range s.Capacity.Levels {
		lv := &s.Levels[i]
		out.N += lv.InService.N / k
		out.Low += lv.InService.Low / k
		out.High += lv.InService.High / k
		for j, p := range lv.InService.Parts {
			if j >= len(out.Parts) {
				out.Parts = append(out.Parts, InServicePart{Endpoint: p.Endpoint, R0: p.R0})
			}
			out.Parts[j].X += p.X / k
		}
	}
	return out
}

// host is the machine's CPU over a level's steady windows.
func (a *analyzer) host(lv *Level, cells []*results.Cell, shared bool) HostLoad {
	h := HostLoad{Cores: a.cores, Shared: shared}
	for _, s := range lv.Services {
		h.Stack += s.CPU / 100
	}
	if !shared {
		// The engine's machine runs only the containers (as far as we
		// know); the generator's machine is another one.
		h.Busy = h.Stack
		return h
	}
	var busy []float64
	for _, c := range cells {
		h.Generator += c.Load.Check.GeneratorCPU / float64(len(cells))
		if c.Host == nil {
			continue
		}
		var xs []float64
		for _, s := range c.Host.Samples {
			if s.T >= c.Load.SteadyStart && s.T <= c.Load.Elapsed {
				xs = append(xs, s.Busy)
			}
		}
		if len(xs) > 0 {
			busy = append(busy, mean(xs))
		}
	}
	if len(busy) > 0 && len(busy) == len(cells) {
		h.Busy, h.Measured = mean(busy), true
		h.Other = max(h.Busy-h.Stack-h.Generator, 0)
		// Samples of the stack and the machine are taken at different
		// instants: never report the machine less busy than its parts.
		h.Busy = max(h.Busy, h.Stack+h.Generator)
	} else {
		h.Busy = h.Stack + h.Generator
	}
	return h
}

// bounds computes a scale's demands and bounds over its capacity levels.
func (a *analyzer) bounds(s *Scale) Bounds {
	b := Bounds{Think: a.study.Think}
	if len(s.Capacity.Levels) == 0 {
		return b
	}
	k := float64(len(s.Capacity.Levels))
	cpu := map[string]float64{}
	ceiling := map[string]float64{}
	var order []string
	var host HostLoad
	for _, i := range s.Capacity.Levels {
		lv := &s.Levels[i]
		b.Throughput += lv.AllRPS / k
		host.Busy += lv.Host.Busy / k
		host.Generator += lv.Host.Generator / k
		host.Cores = lv.Host.Cores
		for _, sl := range lv.Services {
			if _, ok := cpu[sl.Service]; !ok {
				order = append(order, sl.Service)
			}
			cpu[sl.Service] += sl.CPU / 100 / k
			ceiling[sl.Service] = max(ceiling[sl.Service], sl.Ceiling/100)
		}
	}
	var stackDemand float64
	for _, name := range order {
		sb := ServiceBound{Service: name, CPU: cpu[name], Cores: ceiling[name], Bound: math.Inf(1)}
		if b.Throughput > 0 {
			d := cpu[name] / b.Throughput
			sb.Demand = time.Duration(d * float64(time.Second))
			stackDemand += d
			if d > 0 && sb.Cores > 0 {
				sb.Bound = sb.Cores / d
			}
		}
		b.Services = append(b.Services, sb)
	}
	slices.SortStableFunc(b.Services, func(x, y ServiceBound) int {
		return cmp.Or(cmp.Compare(x.Bound, y.Bound), cmp.Compare(x.Service, y.Service))
	})
	if b.Throughput > 0 && host.Cores > 0 {
		if d := stackDemand + host.Generator/b.Throughput; d > 0 {
			b.Host = host.Cores / d
		}
	}
	b.R0 = mixR0(s.InService)
	return b
}

// mixR0 is the unloaded response time of the mix served: the
// throughput-weighted mean of the endpoints' unloaded times.
func mixR0(n InService) time.Duration {
	var x, xr float64
	for _, p := range n.Parts {
		x += p.X
		xr += p.X * p.R0.Seconds()
	}
	if x == 0 {
		return 0
	}
	return time.Duration(xr / x * float64(time.Second))
}

// limit decides what limited a scale at its plateau, from the strongest
// evidence down: the generator, a dead replica, a service at its own CPU
// limit, the host, a concurrency cap, the scaled service's own
// concurrency, a single-threaded container, or nothing known.
func (a *analyzer) limit(set *results.Set, s *Scale, perReplica float64) Constraint {
	th := a.th
	peak := s.PeakLevel()
	l := Constraint{Replicas: s.Scale, PerReplica: perReplica, Cap: s.InService.N, CapRPS: s.Capacity.RPS,
		Host: plateauHost(s)}
	if top, ok := topService(peak.Services); ok {
		l.Top = top
	}
	for _, sl := range peak.Services {
		if sl.HottestCores > l.Hottest {
			l.Hottest, l.HottestService = sl.HottestCores, sl.Service
		}
	}
	if !s.Saturated {
		return l
	}
	var gen []string
	for _, i := range s.Capacity.Levels {
		if lv := &s.Levels[i]; lv.GeneratorBound {
			gen = append(gen, lv.Cells...)
		}
	}
	if peak.GeneratorBound {
		l.Kind, l.Cells = LimitGenerator, gen
		return l
	}
	for _, i := range s.Capacity.Levels {
		l.Cells = append(l.Cells, s.Levels[i].Died...)
	}
	if len(l.Cells) > 0 {
		l.Kind = LimitReplicaDied
		return l
	}
	hostBusy := l.Host.Saturated(th.NearCeiling)
	hostByStack := hostBusy && l.Host.Stack+l.Host.Generator >= notCPUBound*l.Host.Cores
	// A service with its own limit, at it (or near it while the host was
	// too busy to let it reach it).
	if top := l.Top; top.Limited && (top.Utilization >= th.NearCeiling || hostBusy && top.Utilization >= starvedNearCeiling) {
		l.Kind, l.Service = LimitCPU, top.Service
		return l
	}
	if hostByStack || l.Top.Ceiling > 0 && !l.Top.Limited && l.Top.Utilization >= th.NearCeiling {
		l.Kind, l.Service = LimitHost, l.Top.Service
		return l
	}
	if svc, ok := singleThreaded(s, th.NearCeiling); ok && !hostBusy {
		l.Kind, l.Service = LimitSingleThread, svc
		return l
	}
	capacity := float64(s.Scale) * perReplica
	if l.Top.Utilization < notCPUBound && s.InService.N > 0 && !hostByStack {
		if s.InService.High <= 0.9*capacity && l.Hottest < th.NearCeiling {
			l.Kind = LimitConcurrency
			if t := set.Run.Topology; t != nil && t.Entry != "" && t.Entry != a.study.Scaled {
				l.Service = t.Entry
				l.Between = between(t, t.Entry, a.study.Scaled)
			}
			return l
		}
		if s.InService.High > 0.9*capacity {
			l.Kind, l.Service = LimitScaled, a.study.Scaled
			return l
		}
	}
	l.Kind = LimitUnknown
	return l
}

// plateauHost is the mean host load over a scale's capacity levels.
func plateauHost(s *Scale) HostLoad {
	var h HostLoad
	k := float64(len(s.Capacity.Levels))
	for _, i := range s.Capacity.Levels {
		x := s.Levels[i].Host
		h.Cores, h.Measured, h.Shared = x.Cores, x.Measured, x.Shared
		h.Busy += x.Busy / k
		h.Stack += x.Stack / k
		h.Generator += x.Generator / k
		h.Other += x.Other / k
	}
	return h
}

// singleThreaded finds a service one of whose containers held about one
// core (NearCeiling..1.15 cores) at every plateau level, though allowed
// more, after using less at the lowest load: CPU flat at one core while
// the load grew.
func singleThreaded(s *Scale, near float64) (string, bool) {
	if len(s.Capacity.Levels) == 0 || len(s.Levels) < 2 {
		return "", false
	}
	first := &s.Levels[0]
	for _, cand := range s.PeakLevel().Services {
		if cand.Ceiling/float64(max(cand.Containers, 1)) < 150 {
			continue // a container allowed about one core is the CPU case
		}
		ok := true
		for _, i := range s.Capacity.Levels {
			sl, found := serviceIn(s.Levels[i].Services, cand.Service)
			if !found || sl.HottestCores < near || sl.HottestCores > 1.15 {
				ok = false
				break
			}
		}
		if !ok || s.Capacity.Levels[0] == 0 {
			continue
		}
		if low, found := serviceIn(first.Services, cand.Service); found && low.HottestCores < near {
			return cand.Service, true
		}
	}
	return "", false
}

func serviceIn(ss []ServiceLoad, name string) (ServiceLoad, bool) {
	for _, s := range ss {
		if s.Service == name {
			return s, true
		}
	}
	return ServiceLoad{}, false
}

// between lists the services on depends_on paths from entry to scaled,
// neither included, sorted: where a request can wait on its way.
func between(t *results.Topology, entry, scaled string) []string {
	deps := map[string][]string{}
	for _, s := range t.Services {
		deps[s.Name] = s.DependsOn
	}
	on := map[string]bool{}
	// reaches memoizes whether a service leads to scaled.
	memo := map[string]bool{}
	visiting := map[string]bool{}
	var reaches func(s string) bool
	reaches = func(s string) bool {
		if s == scaled {
			return true
		}
		if v, ok := memo[s]; ok {
			return v
		}
		if visiting[s] {
			return false // a cycle: compose refuses them, but stay safe
		}
		visiting[s] = true
		r := false
		for _, d := range deps[s] {
			if reaches(d) {
				r = true
				if d != scaled {
					on[d] = true
				}
			}
		}
		visiting[s] = false
		memo[s] = r
		return r
	}
	reaches(entry)
	var out []string
	for s := range on {
		if s != entry {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}
