package analysis_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/analysis/analysistest"
	"github.com/scalebench/scalebench/internal/results"
)

func TestLimits(t *testing.T) {
	tests := []struct {
		name  string
		model analysistest.Model
		// want is the limit of each scale, lowest first.
		want    []analysis.LimitKind
		service string // the service the highest scale's limit names
	}{
		{"cpu", analysistest.SeedModel(), []analysis.LimitKind{analysis.LimitCPU, analysis.LimitCPU, analysis.LimitCPU}, "api"},
		{"cpu starved on a busy machine", analysistest.StarvedCPUModel(), []analysis.LimitKind{analysis.LimitScaled, analysis.LimitCPU, analysis.LimitCPU}, "api"},
		{"pool", analysistest.PoolModel(), []analysis.LimitKind{analysis.LimitScaled, analysis.LimitConcurrency, analysis.LimitConcurrency}, "api"},
		{"busy pool", analysistest.BusyPoolModel(), []analysis.LimitKind{analysis.LimitScaled, analysis.LimitConcurrency, analysis.LimitConcurrency}, "api"},
		{"scaled cap", analysistest.ScaledCapModel(), []analysis.LimitKind{analysis.LimitScaled, analysis.LimitScaled, analysis.LimitScaled}, "model"},
		{"host", analysistest.HostModel(), []analysis.LimitKind{analysis.LimitScaled, analysis.LimitHost, analysis.LimitHost}, "model"},
		{"single thread", analysistest.SingleThreadModel(), []analysis.LimitKind{analysis.LimitSingleThread, analysis.LimitSingleThread, analysis.LimitSingleThread}, "api"},
		{"generator", analysistest.GeneratorModel(), []analysis.LimitKind{analysis.LimitScaled, analysis.LimitConcurrency, analysis.LimitGenerator}, ""},
		{"unknown", analysistest.UnknownModel(), []analysis.LimitKind{analysis.LimitUnknown, analysis.LimitUnknown, analysis.LimitUnknown}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := analysis.Analyze(analysistest.Generate(tt.model))
			var got []analysis.LimitKind
			for _, s := range st.Scales {
				got = append(got, s.Limit.Kind)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("limits %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("scale %d limited by %q, want %q (all: %v)", st.Scales[i].Scale, got[i], tt.want[i], got)
				}
			}
			if last := st.Scales[len(st.Scales)-1].Limit; last.Service != tt.service {
				t.Errorf("highest scale's limit names %q, want %q", last.Service, tt.service)
			}
		})
	}
}

func TestRequestsInService(t *testing.T) {
	// A pool of 2 in front: about 2 requests in service at 3 and 5 replicas,
	// about 1 per replica where the replicas are the limit.
	st := analysis.Analyze(analysistest.Pool())
	for _, s := range st.Scales {
		want := math.Min(float64(s.Scale), 2)
		if n := s.InService.N; math.Abs(n-want) > 0.5 {
			t.Errorf("scale %d: %.2f requests in service, want %.0f ± 0.5", s.Scale, n, want)
		}
		if !(s.InService.Low <= s.InService.N && s.InService.N <= s.InService.High) {
			t.Errorf("scale %d: interval %.2f…%.2f does not hold %.2f", s.Scale, s.InService.Low, s.InService.High, s.InService.N)
		}
	}
	if len(st.Unloaded) != 2 {
		t.Fatalf("unloaded times %+v, want index and predict", st.Unloaded)
	}
	for _, u := range st.Unloaded {
		if u.Scale == 0 || u.Requests == 0 || u.Low > u.R0 || u.R0 > u.High {
			t.Errorf("unloaded %+v: want a level, requests and an interval around R0", u)
		}
	}
	// The steps agree the cap held from 3 to 5 and name the entry service.
	last := st.Steps[len(st.Steps)-1]
	if !last.CapHeld || !last.ToLimit.Likely || last.ToLimit.Service != "api" {
		t.Errorf("step %d→%d: CapHeld %v, limit %+v; want the cap held, likely in api", last.From, last.To, last.CapHeld, last.ToLimit)
	}
}

func TestBounds(t *testing.T) {
	st := analysis.Analyze(analysistest.Seed())
	for _, s := range st.Scales {
		b := s.Bounds
		if len(b.Services) == 0 || b.Throughput <= 0 {
			t.Fatalf("scale %d: bounds %+v", s.Scale, b)
		}
		// The tightest CPU bound is api's (it runs at its 1-core limit),
		// and the measured throughput does not exceed it by much.
		if sb := b.Services[0]; sb.Service != "api" || b.Throughput > 1.1*sb.Bound {
			if s.Scale > 1 {
				t.Errorf("scale %d: tightest bound %+v, throughput %.1f", s.Scale, sb, b.Throughput)
			}
		}
		for _, sb := range b.Services {
			if sb.Cores > st.Cores {
				t.Errorf("scale %d: %s may use %.1f cores on a %.0f-core host", s.Scale, sb.Service, sb.Cores, st.Cores)
			}
		}
		if b.R0 <= 0 || b.Think <= 0 {
			t.Errorf("scale %d: R0 %v, think %v", s.Scale, b.R0, b.Think)
		}
	}
}

// TestNeverCPUBoundBelowHalf: whatever the demands, limits and host, a
// service below half its CPU ceiling is never the CPU limit, and a
// single-threaded verdict needs a container near one core.
func TestNeverCPUBoundBelowHalf(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	n := 30
	if testing.Short() {
		n = 4 // CI runs -short again under the race detector, 15× slower
	}
	for i := range n {
		m := analysistest.PoolModel()
		m.Seed = uint64(100 + i)
		m.Cores = []int{2, 4, 8}[rng.IntN(3)]
		m.FrontDemand = rng.Float64() * 1.2 / m.FrontCapacity
		m.ScaledDemand = rng.Float64() * 1.2 / m.PerReplica
		m.FrontLimit = []float64{-1, 0.5, 1, 2}[rng.IntN(4)]
		m.ScaledLimit = []float64{-1, 0.5, 1}[rng.IntN(3)]
		m.HostSamples = rng.IntN(2) == 0
		m.HostOther = rng.Float64() * float64(m.Cores) / 2
		st := analysis.Analyze(analysistest.Generate(m))
		for _, s := range st.Scales {
			l := s.Limit
			switch l.Kind {
			case analysis.LimitCPU:
				if l.Top.Service != l.Service || l.Top.Utilization < 0.5 {
					t.Errorf("model %d scale %d: %s called CPU-bound at %.0f%% of its ceiling", i, s.Scale, l.Service, 100*l.Top.Utilization)
				}
			case analysis.LimitSingleThread:
				if l.Hottest < 0.85 {
					t.Errorf("model %d scale %d: %s called single-threaded with its hottest container at %.2f cores", i, s.Scale, l.Service, l.Hottest)
				}
			case analysis.LimitHost:
				if !l.Host.Saturated(0.85) {
					t.Errorf("model %d scale %d: host called the limit at %.2f of %.0f cores", i, s.Scale, l.Host.Busy, l.Host.Cores)
				}
			}
		}
	}
}

func TestRemoteEngineHost(t *testing.T) {
	set := analysistest.Generate(analysistest.HostModel())
	set.Run.Engine.Name = "another-machine"
	st := analysis.Analyze(set)
	// The engine's own cores are still full (model has no CPU limit), but
	// the generator's machine and its counters are not the engine's.
	last := st.Scales[len(st.Scales)-1].Limit
	if last.Kind != analysis.LimitHost || last.Host.Shared || last.Host.Measured || last.Host.Generator != 0 {
		t.Errorf("remote engine: limit %s, host %+v; want the engine host's CPU, without the generator's machine", last.Kind, last.Host)
	}
	var _ results.Run
}

func TestBetween(t *testing.T) {
	// nginx → api → model, with redis beside: the cap may be in nginx or
	// api, and the study says so instead of naming nginx alone.
	set := analysistest.Pool()
	set.Run.Topology = &results.Topology{Entry: "nginx", Services: []results.TopologyService{
		{Name: "api", DependsOn: []string{"model", "redis"}},
		{Name: "model", DependsOn: []string{"redis"}},
		{Name: "nginx", DependsOn: []string{"api"}},
		{Name: "redis"},
	}}
	st := analysis.Analyze(set)
	last := st.Steps[len(st.Steps)-1].ToLimit
	if last.Kind != analysis.LimitConcurrency || last.Service != "nginx" || len(last.Between) != 1 || last.Between[0] != "api" || last.Likely {
		t.Errorf("limit %s in %q between %v (likely %v), want a cap in nginx or api, not sure which", last.Kind, last.Service, last.Between, last.Likely)
	}
}
