package report

import (
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/analysis/analysistest"
	"github.com/scalebench/scalebench/internal/results"
)

// TestLimitConclusions: each way a scale can be limited gets its own
// sentence, with its evidence, and never a sentence of another branch.
func TestLimitConclusions(t *testing.T) {
	tests := []struct {
		name  string
		model analysistest.Model
		want  []string
		never []string
	}{
		{"cpu", analysistest.SeedModel(),
			[]string{"3→5 gave no significant gain", "api was at 98% CPU: the bottleneck moved to api."},
			[]string{"requests were in service at once at", "host is the limit"}},
		{"cpu on a busy machine", analysistest.StarvedCPUModel(),
			[]string{"3→5 gave no significant gain", "CPU while the machine's 2 cores were saturated (", "the bottleneck moved to api."},
			[]string{"concurrency cap", "the limit is not in what was recorded"}},
		{"pool", analysistest.PoolModel(),
			[]string{"requests were in service at once at 3 and at 5 replicas (", "predict/s × ", "unloaded, plus ",
				"5 model replicas could take 5: a concurrency cap of about 2 in front of model",
				"no container used more than ", "The load enters through api: the bottleneck moved to api.",
				"At scale 1 about 1.0 request per model replica was in service at once"},
			[]string{"CPU: the bottleneck", "host is the limit", "busy with other work"}},
		{"busy machine", analysistest.BusyPoolModel(),
			[]string{"a concurrency cap of about 2 in front of model", "the bottleneck moved to api.",
				"The machine was busy with other work at scale 3: other processes used 1.5 of its 2 cores"},
			[]string{"host is the limit"}},
		{"scaled cap", analysistest.ScaledCapModel(),
			[]string{"Model scales linearly", "At scales 1 and 2 about 1.1 requests per model replica were in service at once and no container used more than",
				"every replica was busy, so model itself was the limit there and more replicas added capacity."},
			[]string{"bottleneck"}},
		{"host", analysistest.HostModel(),
			[]string{"the machine's 2 cores were saturated (", "the project's containers ", "the load generator ",
				"busiest: model at ", "the host is the limit, not a service"},
			[]string{"concurrency cap", "the bottleneck moved to"}},
		{"single thread", analysistest.SingleThreadModel(),
			[]string{"but one api container held 1.0 of a core at every load on the plateau though allowed more: if it runs single-threaded, api is the bottleneck."},
			[]string{"concurrency cap"}},
		{"generator", analysistest.GeneratorModel(),
			[]string{"the load generator limited the plateau (run1-s5-u20-r1", "so the target's limit was not reached."},
			[]string{"bottleneck moved"}},
		{"nothing found", analysistest.UnknownModel(),
			[]string{"no service was near its CPU ceiling (busiest: api at ", "the limit is not in what was recorded"},
			[]string{"bottleneck", "concurrency cap"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := strings.Join(Conclusions(analysis.Analyze(analysistest.Generate(tt.model))), "\n")
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("conclusions lack %q:\n%s", w, text)
				}
			}
			for _, n := range tt.never {
				if strings.Contains(text, n) {
					t.Errorf("conclusions say %q:\n%s", n, text)
				}
			}
		})
	}
}

// TestLimitsSection: the report explains the figures and shows the bounds.
func TestLimitsSection(t *testing.T) {
	set := analysistest.Pool()
	st := analysis.Analyze(set)
	md := string(Markdown(set, st, nil))
	for _, w := range []string{"### What limits each scale", "*Requests in service* = Σ throughput × unloaded response time",
		"Unloaded response times (the mean at the least loaded level): index ", "| 5 | a cap of about 2, likely in api |",
		"| 1 | every replica busy |", "| 5 | CPU of api |", "| 5 | concurrency: ", "A bound is the most throughput"} {
		if !strings.Contains(md, w) {
			t.Errorf("report lacks %q", w)
		}
	}
}

// TestSublinearLastStep: a last step that gained, but far below linear,
// says what held the highest scale back.
func TestSublinearLastStep(t *testing.T) {
	m := analysistest.PoolModel()
	m.FrontCapacity = 4 / m.Base.Seconds() // a pool of 4: 3→5 still gains a little
	text := strings.Join(Conclusions(analysis.Analyze(analysistest.Generate(m))), "\n")
	for _, want := range []string{"3→5 raised it ", "of linear scaling: about ", "a concurrency cap of about ", "the bottleneck moved to api."} {
		if !strings.Contains(text, want) {
			t.Errorf("conclusions lack %q:\n%s", want, text)
		}
	}
}

func TestCapBetweenServices(t *testing.T) {
	set := analysistest.Pool()
	set.Run.Topology = &results.Topology{Entry: "nginx", Services: []results.TopologyService{
		{Name: "api", DependsOn: []string{"model"}}, {Name: "model"}, {Name: "nginx", DependsOn: []string{"api"}},
	}}
	text := strings.Join(Conclusions(analysis.Analyze(set)), "\n")
	want := "The load enters through nginx and reaches model through api: the cap is in one of them, so the bottleneck moved to nginx or api."
	if !strings.Contains(text, want) {
		t.Errorf("conclusions lack %q:\n%s", want, text)
	}
}
