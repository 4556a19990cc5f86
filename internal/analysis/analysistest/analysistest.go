// Package analysistest builds synthetic, deterministic result sets shaped
// like real studies, for the tests of packages analysis, plots and report.
// A Model describes a closed-loop system whose throughput is the smaller of
// the scaled service's capacity (per replica × replicas) and a front
// service's capacity; Generate turns it into a results.Set with per-second
// series, encoded HdrHistograms, errors and container CPU samples.
//
// It must not be used outside tests: its numbers are made up.
package analysistest

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// Model is a synthetic system under test.
type Model struct {
	// Name is the matrix name; Project the compose project.
	Name, Project string
	// Scaled is the service whose replicas vary; Front the service every
	// request passes through; Store a third, lightly loaded service.
	Scaled, Front, Store string
	// Runs are the matrix runs (scales, users, duration, spawn rates).
	Runs []matrix.Run
	// PerReplica is the throughput one replica of Scaled can serve, req/s.
	PerReplica float64
	// FrontCapacity is the throughput Front can serve, req/s.
	FrontCapacity float64
	// Base is the mean response time without queueing.
	Base time.Duration
	// Think is each user's wait between requests.
	Think time.Duration
	// Tail is the ratio p95/p50 of response times (lognormal).
	Tail float64
	// Fail is the failure rate at a scale and users level (nil: none).
	Fail func(scale, users int) float64
	// Timeouts makes failures the api's upstream timeouts (HTTP 504 after a
	// normal wait) instead of quick HTTP 503 answers.
	Timeouts func(scale, users int) bool
	// Repeat is how many times each cell runs (default 1).
	Repeat int
	// Seed seeds the noise.
	Seed uint64

	// Cores is the engine host's CPU count (default 8).
	Cores int
	// FrontDemand and ScaledDemand are the CPU seconds one request costs
	// Front and Scaled (defaults: 0.95/FrontCapacity and 0.97/PerReplica,
	// so each runs near its ceiling at its capacity).
	FrontDemand, ScaledDemand float64
	// FrontLimit and ScaledLimit are the containers' CPU limits in cores
	// (default 1; negative: no limit, so the host's cores).
	FrontLimit, ScaledLimit float64
	// HostOther is the CPU other processes use on the machine, in cores;
	// with HostSamples the cells record the machine's CPU (containers,
	// generator and HostOther, at most Cores).
	HostOther   float64
	HostSamples bool
	// GeneratorCPU is the generator's CPU in cores (default 0.04);
	// GeneratorBound marks the cells the generator limited.
	GeneratorCPU   float64
	GeneratorBound func(scale, users int) bool
}

func (m Model) cores() int { return cmp.Or(m.Cores, 8) }

func (m Model) frontDemand() float64 {
	if m.FrontDemand > 0 {
		return m.FrontDemand
	}
	return 0.95 / m.FrontCapacity
}

func (m Model) scaledDemand() float64 {
	if m.ScaledDemand > 0 {
		return m.ScaledDemand
	}
	return 0.97 / m.PerReplica
}

// limitOf is a container's CPU limit in cores: l, 1 when 0, the host's
// cores when negative.
func (m Model) limitOf(l float64) float64 {
	switch {
	case l == 0:
		return 1
	case l < 0:
		return float64(m.cores())
	}
	return l
}

// Timeout is the request timeout of the synthetic scenario.
const Timeout = 30 * time.Second

// start is the synthetic run's start time.
func startTime() time.Time { return time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC) }

// SeedModel is the seed study: model scaled 1, 3, 5 under 1–20 users for
// 30 s (run1), then 3 and 5 under 20–100 users for 60 s (run2); one model
// replica serves about 6.5 req/s and the api about 11, so 1→3 helps and 3→5
// does not; failures start at 20 users with one replica.
func SeedModel() Model {
	return Model{
		Name: "model-scaling", Project: "assignment",
		Scaled: "model", Front: "api", Store: "redis",
		Runs: []matrix.Run{
			{Name: "run1", Title: "Run #1", Scale: []int{1, 3, 5}, Users: []int{1, 2, 5, 10, 20},
				Duration: 30 * time.Second, SpawnRate: 1, Warmup: 5 * time.Second, Settle: 10 * time.Second,
				Cooldown: 5 * time.Second, Repeat: 1},
			{Name: "run2", Title: "Run #2", Scale: []int{3, 5}, Users: []int{20, 50, 100},
				Duration: 60 * time.Second, SpawnRate: 1, SpawnRateFor: map[int]float64{100: 2},
				Warmup: 5 * time.Second, Settle: 10 * time.Second, Cooldown: 5 * time.Second, Repeat: 1},
		},
		PerReplica: 6.6, FrontCapacity: 11.2,
		Base: 200 * time.Millisecond, Think: time.Second, Tail: 2.2,
		Fail: func(scale, users int) float64 {
			switch {
			case scale == 1 && users >= 20:
				return 0.055
			case scale == 3 && users >= 100:
				return 0.025
			case users >= 100:
				return 0.004
			}
			return 0
		},
		Timeouts: func(scale, users int) bool { return users >= 100 },
		Seed:     1,
	}
}

// Seed is the seed study's result set (21 cells).
func Seed() *results.Set { return Generate(SeedModel()) }

// LinearModel scales linearly: 6 req/s per replica, a front that never
// saturates, scales 1, 2, 4 under up to 80 users.
func LinearModel() Model {
	m := SeedModel()
	m.Name = "linear"
	m.Runs = []matrix.Run{{Name: "run1", Title: "Linear", Scale: []int{1, 2, 4}, Users: []int{10, 20, 40, 80},
		Duration: 60 * time.Second, SpawnRate: 4, Warmup: 5 * time.Second, Settle: 5 * time.Second,
		Cooldown: 5 * time.Second, Repeat: 1}}
	m.PerReplica, m.FrontCapacity = 6, 1000
	m.Fail, m.Timeouts = nil, nil
	m.Seed = 2
	return m
}

// Linear is LinearModel's result set.
func Linear() *results.Set { return Generate(LinearModel()) }

// FlatModel never gains from scaling: the front service saturates at 6
// req/s whatever the replicas.
func FlatModel() Model {
	m := SeedModel()
	m.Name = "flat"
	m.Runs = []matrix.Run{{Name: "run1", Title: "Flat", Scale: []int{1, 3, 5}, Users: []int{5, 10, 20, 40},
		Duration: 40 * time.Second, SpawnRate: 2, Warmup: 5 * time.Second, Settle: 5 * time.Second,
		Cooldown: 5 * time.Second, Repeat: 1}}
	m.PerReplica, m.FrontCapacity = 30, 6
	m.Fail, m.Timeouts = nil, nil
	m.Seed = 3
	return m
}

// Flat is FlatModel's result set.
func Flat() *results.Set { return Generate(FlatModel()) }

// Generate builds the result set of m.
func Generate(m Model) *results.Set {
	rep := max(m.Repeat, 1)
	mx := matrix.Matrix{
		Name: m.Name, Target: "http://127.0.0.1:8000",
		Compose: &matrix.Compose{Project: m.Project, Service: m.Scaled},
		Scenario: matrix.Scenario{
			Wait: matrix.Wait{Min: m.Think, Max: m.Think},
			Requests: []matrix.Request{
				{Name: "index", Method: "GET", Path: "/", Weight: 1, Timeout: Timeout},
				{Name: "predict", Method: "POST", Path: "/predict", Weight: 3, Timeout: Timeout,
					Expect: matrix.Expect{Status: []int{200}}},
			},
		},
		Defaults: matrix.Defaults{SpawnRate: 1, Warmup: 5 * time.Second, Settle: 10 * time.Second,
			Cooldown: 5 * time.Second, Repeat: rep, MaxInFlight: 1000},
		Runs: m.Runs,
		File: "/src/" + m.Project + "/experiments/" + m.Name + ".yaml",
	}
	var planned []matrix.Cell
	for _, r := range m.Runs {
		for _, s := range r.Scale {
			for _, u := range r.Users {
				for k := 1; k <= rep; k++ {
					sr := r.SpawnRate
					if v, ok := r.SpawnRateFor[u]; ok {
						sr = v
					}
					planned = append(planned, matrix.Cell{
						ID:    fmt.Sprintf("%s-s%d-u%d-r%d", r.Name, s, u, k),
						Index: len(planned), Run: r.Name, Title: r.Title,
						Scale: s, Mode: matrix.Closed, Users: u, Repeat: k,
						Duration: r.Duration, SpawnRate: sr, Warmup: r.Warmup,
						Settle: r.Settle, Cooldown: r.Cooldown, MaxInFlight: 1000,
					})
				}
			}
		}
	}
	set := &results.Set{
		Dir: "results/" + m.Name + "-20240601T120000Z-3f2c1ab",
		Run: results.Run{
			Schema: results.SchemaVersion, Kind: results.KindRun,
			ID:     m.Name + "-20240601T120000Z-3f2c1ab",
			Matrix: mx, MatrixHash: "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
			Cells: planned,
			Tool:  results.Tool{Version: "devel", Revision: "9a8b7c6d5e4f", GoVersion: "go1.26.8"},
			App: results.App{Dir: "/src/" + m.Project, Commit: "3f2c1ab4d5e6f708192a3b4c5d6e7f8091a2b3c4",
				Short: "3f2c1ab", Dirty: false},
			Engine: &results.Engine{Version: "20.10.24", APIVersion: "1.41", OS: "linux", Arch: "amd64",
				CPUs: m.cores(), MemoryBytes: 24 << 30, Name: "bench-host"},
			Host: results.Host{Hostname: "bench-host", OS: "linux", Arch: "amd64", CPUs: m.cores()},
			Topology: &results.Topology{Entry: m.Front, Services: []results.TopologyService{
				{Name: m.Front, Replicas: 1, Published: []int{8000}, Networks: []string{m.Project + "_default"}},
				{Name: m.Scaled, Replicas: 1, Networks: []string{m.Project + "_default"}},
				{Name: m.Store, Replicas: 1, Networks: []string{m.Project + "_default"}},
			}},
			OriginalScale: 1,
			Status:        results.StatusComplete,
			Started:       startTime(),
		},
	}
	at := startTime()
	for _, pc := range planned {
		rng := rand.New(rand.NewPCG(m.Seed, uint64(pc.Index)+1))
		c := m.cell(pc, at, rng)
		set.Cells = append(set.Cells, c)
		at = c.Ended
	}
	set.Run.Ended = at
	return set
}

// throughput is the closed-loop throughput at n users and the given
// capacity: the smooth minimum of the users' demand and the capacity.
func (m Model) throughput(n float64, capacity float64) float64 {
	demand := n / (m.Base + m.Think).Seconds()
	return demand * capacity / math.Pow(math.Pow(demand, 4)+math.Pow(capacity, 4), 0.25)
}

func (m Model) capacity(scale int) float64 {
	return math.Min(m.PerReplica*float64(scale), m.FrontCapacity)
}

// recorder accumulates one window's requests per endpoint.
type recorder struct {
	hists map[string]*hdrhistogram.Histogram
	all   *hdrhistogram.Histogram
	req   map[string]int64
	fail  map[string]int64
	class map[string]map[results.Class]int64
	bytes map[string]int64
}

func newRecorder() *recorder {
	return &recorder{hists: map[string]*hdrhistogram.Histogram{}, all: results.NewHistogram(),
		req: map[string]int64{}, fail: map[string]int64{}, class: map[string]map[results.Class]int64{}, bytes: map[string]int64{}}
}

func (r *recorder) add(ep string, lat time.Duration, failed bool, class results.Class, size int64) {
	h := r.hists[ep]
	if h == nil {
		h = results.NewHistogram()
		r.hists[ep] = h
	}
	us := min(max(lat.Microseconds(), 1), int64(60*time.Second/time.Microsecond))
	_ = h.RecordValue(us)
	_ = r.all.RecordValue(us)
	r.req[ep]++
	r.bytes[ep] += size
	if failed {
		r.fail[ep]++
		if r.class[ep] == nil {
			r.class[ep] = map[results.Class]int64{}
		}
		r.class[ep][class]++
	}
}

func (r *recorder) stats(ep string, window time.Duration) results.Stats {
	h, req, fail, bytes := r.all, int64(0), int64(0), int64(0)
	classes := map[results.Class]int64{}
	if ep == "" {
		for k, v := range r.req {
			req += v
			fail += r.fail[k]
			bytes += r.bytes[k]
			for c, n := range r.class[k] {
				classes[c] += n
			}
		}
	} else {
		h = r.hists[ep]
		if h == nil {
			h = results.NewHistogram()
		}
		req, fail, bytes = r.req[ep], r.fail[ep], r.bytes[ep]
		for c, n := range r.class[ep] {
			classes[c] += n
		}
	}
	enc, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		panic(fmt.Sprintf("analysistest: encode histogram: %v", err)) // cannot happen with this geometry
	}
	us := func(v int64) time.Duration { return time.Duration(v) * time.Microsecond }
	st := results.Stats{
		Window: window, Requests: req, Failures: fail, Bytes: bytes, Histogram: string(enc),
		Latency: results.Latency{
			Min: us(h.Min()), Mean: time.Duration(h.Mean() * float64(time.Microsecond)),
			P50: us(h.ValueAtQuantile(50)), P90: us(h.ValueAtQuantile(90)), P95: us(h.ValueAtQuantile(95)),
			P99: us(h.ValueAtQuantile(99)), P999: us(h.ValueAtQuantile(99.9)), Max: us(h.Max()),
		},
	}
	if len(classes) > 0 {
		st.FailuresByClass = classes
	}
	if window > 0 {
		st.RPS = float64(req) / window.Seconds()
	}
	if req > 0 {
		st.FailRate = float64(fail) / float64(req)
	}
	return st
}

// cell simulates one cell.
func (m Model) cell(pc matrix.Cell, at time.Time, rng *rand.Rand) results.Cell {
	capacity := m.capacity(pc.Scale)
	sigma := math.Log(m.Tail) / 1.6449
	failRate, timeouts := 0.0, false
	if m.Fail != nil {
		failRate = m.Fail(pc.Scale, pc.Users)
	}
	if m.Timeouts != nil {
		timeouts = m.Timeouts(pc.Scale, pc.Users)
	}
	secs := int(pc.Duration / time.Second)
	steadyStart := pc.SteadyStart()
	total, steady := newRecorder(), newRecorder()
	var series []results.Second
	var errs []results.ErrorGroup
	var sumLat time.Duration
	failAcc := 0.5 // error diffusion: exactly failRate of the requests fail
	var steadyUsers float64
	var steadyN int
	for t := range secs {
		users := min(pc.Users, 1+int(float64(t)*pc.SpawnRate))
		x := m.throughput(float64(users), capacity)
		mean := time.Duration((float64(users)/x - m.Think.Seconds()) * float64(time.Second))
		mean = max(mean, m.Base)
		n := counts(rng, x)
		sec := results.Second{T: t, Users: users, Endpoints: map[string]results.SecondEndpoint{}}
		var lats []time.Duration
		perEP := map[string][]time.Duration{}
		inSteady := time.Duration(t)*time.Second >= steadyStart
		for range n {
			ep, scale := "predict", 1/0.8125
			if rng.IntN(4) == 0 {
				ep, scale = "index", 0.25/0.8125
			}
			median := float64(mean) * scale / math.Exp(sigma*sigma/2)
			lat := time.Duration(median * math.Exp(sigma*rng.NormFloat64()))
			if 2*users >= pc.Users { // overload starts half way up the ramp
				failAcc += failRate
			}
			failed := failAcc >= 1
			if failed {
				failAcc--
			}
			class, size := results.Class(""), int64(2048)
			if failed {
				class, size = results.ClassStatus, 96
				errs = addError(errs, ep, timeouts, time.Duration(t)*time.Second)
			}
			total.add(ep, lat, failed, class, size)
			if inSteady {
				steady.add(ep, lat, failed, class, size)
				sumLat += lat
			}
			lats = append(lats, lat)
			perEP[ep] = append(perEP[ep], lat)
			sec.Requests++
			if failed {
				sec.Failures++
				se := sec.Endpoints[ep]
				se.Failures++
				sec.Endpoints[ep] = se
			}
		}
		if inSteady {
			steadyUsers += float64(users)
			steadyN++
		}
		sec.P50, sec.P95, sec.P99, sec.Max = q(lats, 0.5), q(lats, 0.95), q(lats, 0.99), q(lats, 1)
		for ep, ls := range perEP {
			se := sec.Endpoints[ep]
			se.Requests, se.P50, se.P95 = int64(len(ls)), q(ls, 0.5), q(ls, 0.95)
			sec.Endpoints[ep] = se
		}
		series = append(series, sec)
	}
	steadyWindow := time.Duration(steadyN) * time.Second
	load := &results.Load{
		Mode: matrix.Closed, Started: at.Add(pc.Settle), Elapsed: pc.Duration,
		SteadyStart: pc.Duration - steadyWindow,
		Total:       total.stats("", pc.Duration),
		Steady:      steady.stats("", steadyWindow),
		Series:      series,
		Errors:      errs,
	}
	for _, r := range []struct{ name, method string }{{"index", "GET"}, {"predict", "POST"}} {
		load.Endpoints = append(load.Endpoints, results.Endpoint{Name: r.name, Method: r.method,
			Total: total.stats(r.name, pc.Duration), Steady: steady.stats(r.name, steadyWindow)})
	}
	if steadyN > 0 {
		mu := steadyUsers / float64(steadyN)
		mr := time.Duration(0)
		if load.Steady.Requests > 0 {
			mr = sumLat / time.Duration(load.Steady.Requests)
		}
		load.Check = results.Check{Users: mu, Throughput: load.Steady.RPS, MeanResponse: mr, MeanWait: m.Think,
			GeneratorCPU: cmp.Or(m.GeneratorCPU, 0.04)}
		load.Check.Ratio = load.Steady.RPS * (mr + m.Think).Seconds() / mu
		if m.GeneratorBound != nil && m.GeneratorBound(pc.Scale, pc.Users) {
			load.Check.GeneratorBound = true
			load.Check.Reason = "the generator used 1.9 of 2 cores"
		}
	}
	c := results.Cell{
		Schema: results.SchemaVersion, Kind: results.KindCell, Cell: pc, Status: results.CellOK,
		Started: at,
		Timings: results.Timings{Scale: 2 * time.Second, Ready: time.Second, Settle: pc.Settle,
			Load: pc.Duration},
		Load:       load,
		Containers: m.containers(pc, capacity, series, rng),
	}
	if m.HostSamples {
		c.Host = m.host(c.Containers, load.Check.GeneratorCPU)
	}
	for i := 1; i <= pc.Scale; i++ {
		c.Replicas = append(c.Replicas, results.Replica{Name: fmt.Sprintf("%s_%s_%d", m.Project, m.Scaled, i),
			ID: fmt.Sprintf("%012x", i*7919+pc.Scale), Number: i, State: "running"})
	}
	c.Ended = at.Add(c.Timings.Scale + c.Timings.Ready + pc.Settle + pc.Duration + pc.Cooldown)
	return c
}

func addError(errs []results.ErrorGroup, ep string, timeout bool, at time.Duration) []results.ErrorGroup {
	msg := "HTTP 503"
	if timeout {
		msg = "HTTP 504"
	}
	for i := range errs {
		if errs[i].Endpoint == ep && errs[i].Message == msg {
			errs[i].Count++
			errs[i].Last = at
			return errs
		}
	}
	method := "POST"
	if ep == "index" {
		method = "GET"
	}
	g := results.ErrorGroup{Endpoint: ep, Method: method, Class: results.ClassStatus, Message: msg, Count: 1, First: at, Last: at,
		Sample: `{"error": "queue full"}`}
	if timeout {
		g.Sample = "<html><body><h1>504 Gateway Time-out</h1>upstream timed out</body></html>"
	}
	return append(errs, g)
}

// containers samples every container once a second from 5 s before the load
// to its end: Front and each Scaled replica use CPU in proportion to the
// throughput they serve (their demands), Store lightly.
func (m Model) containers(pc matrix.Cell, capacity float64, series []results.Second, rng *rand.Rand) []results.ContainerSeries {
	type ctr struct {
		service string
		n       int
		limit   float64
		cpu     func(x float64) float64
		mem     int64
	}
	fd, sd := m.frontDemand(), m.scaledDemand()
	ctrs := []ctr{{m.Front, 1, m.limitOf(m.FrontLimit), func(x float64) float64 { return 3 + 100*fd*x }, 180 << 20}}
	for i := 1; i <= pc.Scale; i++ {
		ctrs = append(ctrs, ctr{m.Scaled, i, m.limitOf(m.ScaledLimit), func(x float64) float64 {
			return 2 + 100*sd*x/float64(pc.Scale)
		}, 420 << 20})
	}
	ctrs = append(ctrs, ctr{m.Store, 1, float64(m.cores()), func(x float64) float64 { return 1 + 0.4*x }, 12 << 20})
	var out []results.ContainerSeries
	for k, c := range ctrs {
		cs := results.ContainerSeries{Service: c.service, Name: fmt.Sprintf("%s_%s_%d", m.Project, c.service, c.n),
			ID: fmt.Sprintf("%012x", 1000+k), Number: c.n, CPULimit: c.limit}
		for t := -5; t < len(series); t++ {
			x := 0.0
			if t >= 0 {
				x = float64(series[t].Requests)
				x = 0.5*x + 0.5*m.throughput(float64(series[t].Users), capacity)
			}
			cpu := c.cpu(x) + rng.NormFloat64()*1.5
			cpu = math.Max(0.1, math.Min(cpu, cs.CPULimit*100))
			cs.Samples = append(cs.Samples, results.ContainerSample{T: time.Duration(t) * time.Second,
				CPU: math.Round(cpu*10) / 10, Memory: c.mem + int64(t+5)<<16})
		}
		out = append(out, cs)
	}
	return out
}

// host is the machine's CPU each second: the containers', the
// generator's and HostOther, at most the machine's cores.
func (m Model) host(ctrs []results.ContainerSeries, gen float64) *results.HostSeries {
	h := &results.HostSeries{CPUs: m.cores()}
	for i, s := range ctrs[0].Samples {
		if s.T < 0 {
			continue
		}
		busy := gen + m.HostOther
		for _, c := range ctrs {
			if i < len(c.Samples) {
				busy += c.Samples[i].CPU / 100
			}
		}
		h.Samples = append(h.Samples, results.HostSample{T: s.T, Busy: math.Min(busy, float64(m.cores()))})
	}
	return h
}

// counts draws the requests completed in one second at mean rate lambda:
// sub-Poisson (sd 0.5·√λ), as a busy server completes work at a steadier
// pace than random arrivals.
func counts(rng *rand.Rand, lambda float64) int {
	return max(0, int(math.Round(lambda+0.5*math.Sqrt(lambda)*rng.NormFloat64())))
}

// q is the nearest-rank quantile of ds (0 for none).
func q(ds []time.Duration, f float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(f*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}
