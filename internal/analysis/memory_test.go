package analysis_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/analysis/analysistest"
	"github.com/scalebench/scalebench/internal/results"
)

const mib = analysis.MiB

// flagsOf returns the study's flags of kind.
func flagsOf(st *analysis.Study, kind analysis.FlagKind) []analysis.Flag {
	var out []analysis.Flag
	for _, f := range st.Flags {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

func levelOf(t *testing.T, st *analysis.Study, run string, scale int, load float64) *analysis.Level {
	t.Helper()
	for i := range st.Runs {
		if st.Runs[i].Name == run {
			if lv := st.Runs[i].Level(scale, load); lv != nil {
				return lv
			}
		}
	}
	t.Fatalf("no level %s scale %d load %g", run, scale, load)
	return nil
}

func TestLeakSuspects(t *testing.T) {
	const cell = "run1-s3-u20-r1"
	tests := []struct {
		name string
		mem  func(t time.Duration) int64 // the api container's memory
		leak bool
	}{
		{"steady rise", func(t time.Duration) int64 { return 38*mib + int64(max(t, 0).Seconds()*1.2*mib) }, true},
		{"flat", func(time.Duration) int64 { return 180 * mib }, false},
		{"noisy but flat", noisy(200*mib, 8*mib), false},
		{"saw-tooth of a garbage collector", func(t time.Duration) int64 {
			return 150*mib + int64(math.Mod(t.Seconds(), 6)*4*mib)
		}, false},
		{"fills during the ramp, then flat", func(t time.Duration) int64 {
			return 60*mib + int64(min(max(t, 0).Seconds(), 10)*4*mib)
		}, false},
		{"steady but small: 3 MiB", func(t time.Duration) int64 { return 12*mib + int64(max(t, 0).Seconds()*0.1*mib) }, false},
		{"steady but small against its size: 5%", func(t time.Duration) int64 {
			return 800*mib + int64(max(t, 0).Seconds()*1.4*mib)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := analysistest.Seed()
			analysistest.SetMemory(analysistest.Container(set.Cell(cell), "api", 1), tt.mem)
			st := analysis.Analyze(set)
			leaks := flagsOf(st, analysis.FlagLeak)
			if !tt.leak {
				if len(leaks) > 0 {
					t.Fatalf("flagged as a leak: %+v", leaks[0])
				}
				return
			}
			if len(leaks) != 1 {
				t.Fatalf("%d leak flags, want 1: %+v", len(leaks), leaks)
			}
			f := leaks[0]
			if f.Cell != cell || f.Service != "api" || f.Container != "assignment_api_1" || f.Trend == nil {
				t.Fatalf("flag %+v, want api of %s with a trend", f, cell)
			}
			within(t, "slope MiB/s", f.Slope/mib, 1.19, 1.21)
			within(t, "from MiB", float64(f.Trend.From)/mib, 37.9, 38.1)
			within(t, "to MiB", float64(f.Trend.To)/mib, 72.5, 73.1)
			if f.Trend.Window != 29*time.Second || f.Trend.Samples != 30 || f.Trend.Siblings != 1 || f.Trend.R2 < 0.99 {
				t.Errorf("trend %+v, want 29 s, 30 samples, alone, R² near 1", *f.Trend)
			}
			if f.Detail == "" {
				t.Error("no detail")
			}
			if len(flagsOf(st, analysis.FlagReplicaDied)) > 0 {
				t.Error("a leak is not a death")
			}
		})
	}
}

// noisy is memory around level with normal noise of sd, the same for every
// call with the same offset.
func noisy(level, sd int64) func(time.Duration) int64 {
	return func(t time.Duration) int64 {
		rng := rand.New(rand.NewPCG(7, uint64(t/time.Second+100)))
		return level + int64(rng.NormFloat64()*float64(sd))
	}
}

// The synthetic studies' memory creeps by 64 KiB/s: not a leak.
func TestNoLeakInSyntheticStudies(t *testing.T) {
	for name, set := range map[string]*results.Set{"seed": analysistest.Seed(), "linear": analysistest.Linear(), "flat": analysistest.Flat()} {
		st := analysis.Analyze(set)
		for _, f := range st.Flags {
			if f.Kind == analysis.FlagLeak || f.Kind == analysis.FlagReplicaDied {
				t.Errorf("%s: flag %s on %s", name, f.Kind, f.Cell)
			}
		}
	}
}

func TestReplicaDied(t *testing.T) {
	tests := []struct {
		name    string
		cell    string
		service string
		number  int
		do      func(cs *results.ContainerSeries)
		want    analysis.Death
	}{
		{"OOM-killed and restarted", "run1-s5-u20-r1", "model", 3,
			func(cs *results.ContainerSeries) { analysistest.Restart(cs, 12*time.Second, 137, true) },
			analysis.Death{Restarts: 1, OOMKilled: true, Dies: 1, ExitCode: 137, At: 12 * time.Second, Timed: true}},
		{"restart counted without events", "run1-s3-u10-r1", "api", 1,
			func(cs *results.ContainerSeries) { cs.Restarts = 2 },
			analysis.Death{Restarts: 2}},
		{"died and gone", "run2-s3-u50-r1", "redis", 1,
			func(cs *results.ContainerSeries) { analysistest.Die(cs, 20*time.Second, 1) },
			analysis.Death{Dies: 1, ExitCode: 1, At: 20 * time.Second, Timed: true, Gone: true}},
		{"OOM state only", "run1-s1-u5-r1", "model", 1,
			func(cs *results.ContainerSeries) { cs.OOMKilled = true },
			analysis.Death{OOMKilled: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := analysistest.Seed()
			c := set.Cell(tt.cell)
			tt.do(analysistest.Container(c, tt.service, tt.number))
			st := analysis.Analyze(set)
			died := flagsOf(st, analysis.FlagReplicaDied)
			if len(died) != 1 {
				t.Fatalf("%d replica-died flags, want 1: %+v", len(died), died)
			}
			f := died[0]
			if f.Cell != tt.cell || f.Service != tt.service || f.Death == nil || *f.Death != tt.want {
				t.Fatalf("flag %+v death %+v, want %s of %s with %+v", f, f.Death, tt.service, tt.cell, tt.want)
			}
			if st.Analysed != 21 {
				t.Errorf("analysed %d cells, want 21: the cell's numbers stay in", st.Analysed)
			}
			lv := levelOf(t, st, c.Cell.Run, c.Cell.Scale, float64(c.Cell.Users))
			if !slices.Equal(lv.Died, []string{tt.cell}) || !slices.Contains(lv.Cells, tt.cell) {
				t.Errorf("level died %v cells %v, want %s in both", lv.Died, lv.Cells, tt.cell)
			}
			// The pooled scale curve carries it too.
			found := false
			for _, s := range st.Scales {
				for _, l := range s.Levels {
					found = found || slices.Contains(l.Died, tt.cell)
				}
			}
			if !found {
				t.Error("the scale curves do not carry the death")
			}
			for _, r := range st.Runs {
				for _, l := range r.Levels {
					if len(l.Died) > 0 && l.Scale != c.Cell.Scale {
						t.Errorf("level scale %d load %g lists deaths %v", l.Scale, l.Load, l.Died)
					}
				}
			}
		})
	}
}

func TestPeakMemoryPerService(t *testing.T) {
	set := analysistest.Seed()
	c := set.Cell("run1-s3-u20-r1")
	for n, level := range map[int]int64{1: 100 * mib, 2: 200 * mib, 3: 300 * mib} {
		cs := analysistest.Container(c, "model", n)
		analysistest.SetMemory(cs, func(t time.Duration) int64 {
			switch {
			case t < 0:
				return 900 * mib // before the load: not counted
			case n == 2 && t == 10*time.Second:
				return 350 * mib
			}
			return level
		})
	}
	analysistest.Container(c, "model", 2).MemoryLimit = 512 * mib
	st := analysis.Analyze(set)
	lv := levelOf(t, st, "run1", 3, 20)
	var names []string
	for _, m := range lv.Memory {
		names = append(names, m.Service)
	}
	if !slices.Equal(names, []string{"api", "model", "redis"}) {
		t.Fatalf("services %v, want api, model, redis", names)
	}
	want := analysis.ServiceMemory{Service: "model", Containers: 3, Peak: 350 * mib, PeakContainer: "assignment_model_2",
		PeakTotal: 750 * mib, Mean: 600 * mib, Limit: 512 * mib}
	if got := lv.Memory[1]; got != want {
		t.Errorf("model memory\n got %+v\nwant %+v", got, want)
	}
	api := lv.Memory[0]
	if api.Containers != 1 || api.Peak != api.PeakTotal || api.Limit != 0 || api.Mean <= 180*mib || api.Mean >= api.Peak {
		t.Errorf("api memory %+v: one container, peak = total, no limit, mean between 180 MiB and the peak", api)
	}
}
