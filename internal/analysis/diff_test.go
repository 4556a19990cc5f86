package analysis_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/analysis/analysistest"
	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// diffModel is a small study: model scaled 1 and 3 under 2, 8 and 24 users
// for 30 s; one replica serves 6.6 req/s, the api 11.2.
func diffModel(seed uint64) analysistest.Model {
	m := analysistest.SeedModel()
	m.Name = "diff"
	m.Runs = []matrix.Run{{Name: "run1", Title: "Run", Scale: []int{1, 3}, Users: []int{2, 8, 24},
		Duration: 30 * time.Second, SpawnRate: 4, Warmup: 3 * time.Second, Settle: 2 * time.Second,
		Cooldown: time.Second, Repeat: 1}}
	m.Fail, m.Timeouts = nil, nil
	m.Seed = seed
	return m
}

// slower is m with a slower model service: 40% less throughput per
// replica and a longer base response time.
func slower(m analysistest.Model) analysistest.Model {
	m.PerReplica = 4.0
	m.Base = 330 * time.Millisecond
	return m
}

func cellOf(t *testing.T, d *analysis.Diff, key string) *analysis.CellDiff {
	t.Helper()
	for i := range d.Cells {
		if d.Cells[i].Key == key {
			return &d.Cells[i]
		}
	}
	t.Fatalf("no cell %s in the diff (cells: %d, only old %v, only new %v)", key, len(d.Cells), d.OnlyOld, d.OnlyNew)
	return nil
}

func scaleDiff(t *testing.T, d *analysis.Diff, n int) *analysis.ScaleDiff {
	t.Helper()
	for i := range d.Scales {
		if d.Scales[i].Scale == n {
			return &d.Scales[i]
		}
	}
	t.Fatalf("no scale %d in the diff", n)
	return nil
}

func mustLimits(t *testing.T, s string) []analysis.Limit {
	t.Helper()
	l, err := analysis.ParseLimits(s)
	if err != nil {
		t.Fatalf("ParseLimits(%q): %v", s, err)
	}
	return l
}

// A slower model service is found with the right signs over per-second
// samples: throughput down where the model limits it, latency up, peak
// throughput of one replica down, and the CI limits are exceeded.
func TestDiffRegressionPerSecond(t *testing.T) {
	old := analysistest.Generate(diffModel(1))
	new := analysistest.Generate(slower(diffModel(2)))
	d := analysis.Compare(old, new)
	if len(d.Cells) != 6 || len(d.OnlyOld)+len(d.OnlyNew) != 0 {
		t.Fatalf("matched %d cells (only old %v, only new %v), want 6 and none one-sided", len(d.Cells), d.OnlyOld, d.OnlyNew)
	}
	if len(d.Setup) != 0 {
		t.Errorf("setup differences %+v for sets of the same matrix", d.Setup)
	}
	c := cellOf(t, d, "run1-s1-u24")
	rps := c.Change(analysis.MetricRPS)
	if !rps.Worse() || rps.Delta > -0.25 || rps.Delta < -0.55 {
		t.Errorf("rps at one replica, 24 users: %+v; want a significant fall of about 40%%", *rps)
	}
	if rps.Samples != analysis.SamplesSeconds || rps.NOld < 20 || rps.NNew < 20 {
		t.Errorf("rps samples %s n=%d+%d, want per-second samples of the ~25 s steady window", rps.Samples, rps.NOld, rps.NNew)
	}
	// Where the model limits throughput, waits grow. (At 2 users a second
	// holds one or two requests, too few for per-second percentiles to
	// show a 30% rise; at 24 users the synthetic waits spread too widely
	// for 21 seconds to make a doubling certain.)
	for _, m := range []analysis.Metric{analysis.MetricP50, analysis.MetricP95, analysis.MetricP99} {
		if ch := cellOf(t, d, "run1-s1-u8").Change(m); !ch.Worse() || ch.Delta <= 0.5 {
			t.Errorf("run1-s1-u8 %s: %+v; want a significant rise", m, *ch)
		}
		if ch := cellOf(t, d, "run1-s1-u24").Change(m); ch.Delta <= 0.5 || ch.Better() {
			t.Errorf("run1-s1-u24 %s: %+v; want a rise", m, *ch)
		}
	}
	if f := c.Change(analysis.MetricFailures); f.Significant || f.Delta != 0 {
		t.Errorf("failures: %+v; want no change (no failures on either side)", *f)
	}
	s1 := scaleDiff(t, d, 1)
	if !s1.Peak.Worse() || s1.Peak.Delta > -0.25 {
		t.Errorf("peak at scale 1: %+v; want a significant fall", s1.Peak)
	}
	regs := d.Regressions(mustLimits(t, "p95=+10%,rps=-5%,failures=+1pp"))
	var rpsRegs, p95Regs int
	for _, r := range regs {
		switch r.Limit.Metric {
		case analysis.MetricRPS:
			rpsRegs++
			if r.Change.Delta >= -0.05 {
				t.Errorf("rps regression %s within the limit: %+v", r.Where, r.Change)
			}
		case analysis.MetricP95:
			p95Regs++
		case analysis.MetricFailures:
			t.Errorf("failure regression without failures: %+v", r)
		}
	}
	if rpsRegs == 0 || p95Regs == 0 {
		t.Errorf("regressions %+v; want both rps and p95 beyond their limits", regs)
	}
	// The other way round, the same changes are improvements.
	back := analysis.Compare(new, old)
	if ch := cellOf(t, back, "run1-s1-u24").Change(analysis.MetricRPS); !ch.Better() || ch.Delta < 0.25 {
		t.Errorf("reversed diff rps: %+v; want a significant rise", *ch)
	}
	if regs := back.Regressions(mustLimits(t, "p95=+10%,rps=-5%")); len(regs) != 0 {
		t.Errorf("reversed diff has regressions %+v; want none", regs)
	}
}

// Sets that differ only by noise. Each comparison alone comes out
// significant with probability α (as in benchstat), so unadjusted about 5%
// of them do; adjusted for the diff's many comparisons, a whole diff shows
// any significant change with probability at most α, and the CI gate
// stays quiet.
func TestDiffNoise(t *testing.T) {
	limits := mustLimits(t, "p95=+10%,rps=-5%,failures=+1pp,peak=-5%")
	const pairs = 12
	var tests, rawSignificant, noisyDiffs, gated int
	for seed := uint64(1); seed <= pairs; seed++ {
		old, new := analysistest.Generate(diffModel(seed)), analysistest.Generate(diffModel(seed+100))
		d := analysis.Compare(old, new)
		any := false
		for _, c := range d.Cells {
			for _, ch := range c.Changes {
				if ch.Metric == analysis.MetricFailures && (ch.Significant || ch.RawP != 1) {
					t.Errorf("seed %d %s failures: %+v; want p=1 without failures", seed, c.Key, ch)
				}
				if ch.P < ch.RawP-1e-12 {
					t.Errorf("seed %d %s %s: adjusted p %g below raw p %g", seed, c.Key, ch.Metric, ch.P, ch.RawP)
				}
				any = any || ch.Significant
			}
		}
		if any {
			noisyDiffs++
		}
		if len(d.Regressions(limits)) > 0 {
			gated++
		}
		raw := analysis.CompareWith(old, new, analysis.DiffOptions{Alpha: 0.05, MinRepeats: 2, Unadjusted: true})
		for _, c := range raw.Cells {
			for _, ch := range c.Changes {
				if ch.Metric == analysis.MetricFailures {
					continue
				}
				tests++
				if ch.Significant {
					rawSignificant++
				}
				if ch.P != ch.RawP {
					t.Errorf("unadjusted diff changed p %g to %g", ch.RawP, ch.P)
				}
			}
		}
	}
	if rate := float64(rawSignificant) / float64(tests); rate > 0.12 {
		t.Errorf("unadjusted: %d of %d noise comparisons significant (%.0f%%); want about α=5%%", rawSignificant, tests, 100*rate)
	}
	if noisyDiffs > 2 || gated > 1 {
		t.Errorf("%d of %d noise-only diffs show a significant change and %d fail the gate; want about α=5%% of them at most", noisyDiffs, pairs, gated)
	}
}

// Repeats: with five cells a side, the cells' own values are compared with
// the exact test; with three, no difference can reach α=0.05 and the diff
// says so instead of flagging anything.
func TestDiffRepeats(t *testing.T) {
	tests := []struct {
		name       string
		repeats    int
		tooFew     bool
		wantWorse  bool
		wantSample string
	}{
		{"five repeats detect the slowdown", 5, false, true, analysis.SamplesRepeats},
		{"three repeats are too few at α=0.05", 3, true, false, analysis.SamplesRepeats},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mo, mn := diffModel(3), slower(diffModel(4))
			mo.Repeat, mn.Repeat = tt.repeats, tt.repeats
			d := analysis.Compare(analysistest.Generate(mo), analysistest.Generate(mn))
			ch := cellOf(t, d, "run1-s1-u24").Change(analysis.MetricRPS)
			if ch.Samples != tt.wantSample || ch.NOld != tt.repeats || ch.NNew != tt.repeats {
				t.Fatalf("samples %s n=%d+%d, want %s n=%d+%d", ch.Samples, ch.NOld, ch.NNew, tt.wantSample, tt.repeats, tt.repeats)
			}
			if ch.TooFew != tt.tooFew || ch.Worse() != tt.wantWorse {
				t.Errorf("change %+v: too few %v worse %v, want %v %v", *ch, ch.TooFew, ch.Worse(), tt.tooFew, tt.wantWorse)
			}
			if ch.Delta > -0.25 {
				t.Errorf("delta %.3f; the slowdown should show in the numbers either way", ch.Delta)
			}
			if !tt.tooFew && ch.RawP > 0.02 {
				t.Errorf("p=%g; every repeat of the slower set is slower, so p should be near the exact minimum %g", ch.RawP, analysis.MinPValue(tt.repeats, tt.repeats))
			}
		})
	}
	t.Run("one side without repeats falls back to seconds", func(t *testing.T) {
		mo := diffModel(5)
		mo.Repeat = 4
		d := analysis.Compare(analysistest.Generate(mo), analysistest.Generate(slower(diffModel(6))))
		ch := cellOf(t, d, "run1-s1-u24").Change(analysis.MetricRPS)
		if ch.Samples != analysis.SamplesSeconds || ch.NOld < 4*ch.NNew-4 || !ch.Worse() {
			t.Errorf("change %+v; want per-second samples (four cells' seconds against one) and a significant fall", *ch)
		}
	})
}

// Failure rates are compared as differences of fractions.
func TestDiffFailures(t *testing.T) {
	mo, mn := diffModel(7), diffModel(8)
	mn.Fail = func(scale, users int) float64 {
		if scale == 1 && users >= 24 {
			return 0.08
		}
		return 0
	}
	d := analysis.Compare(analysistest.Generate(mo), analysistest.Generate(mn))
	ch := cellOf(t, d, "run1-s1-u24").Change(analysis.MetricFailures)
	if !ch.Worse() || math.Abs(ch.Delta-0.08) > 0.01 {
		t.Errorf("failures %+v; want a significant rise of about 8 percentage points", *ch)
	}
	for _, tt := range []struct {
		limit string
		want  int
	}{{"failures=+1pp", 1}, {"failures=+10pp", 0}, {"failures=0pp", 1}} {
		if got := len(d.Regressions(mustLimits(t, tt.limit))); got != tt.want {
			t.Errorf("%s: %d regressions, want %d", tt.limit, got, tt.want)
		}
	}
}

// Different matrices are matched where they overlap; the rest is listed
// and the differences in setup are named.
func TestDiffMismatch(t *testing.T) {
	old := analysistest.Generate(diffModel(9))
	mn := diffModel(10)
	mn.Runs[0].Scale = []int{1, 5}
	mn.Runs[0].Duration = 40 * time.Second
	mn.Think = 500 * time.Millisecond
	new := analysistest.Generate(mn)
	new.Run.Matrix.Compose.Service = "worker"
	new.Run.Engine.CPUs = 16
	new.Run.App.Dirty = true
	new.Run.Matrix.Scenario.Requests[1].Path = "/v2/predict"
	d := analysis.Compare(old, new)
	if len(d.Cells) != 3 {
		t.Errorf("matched %d cells, want the 3 at scale 1", len(d.Cells))
	}
	if strings.Join(d.OnlyOld, " ") != "run1-s3-u2 run1-s3-u8 run1-s3-u24" || strings.Join(d.OnlyNew, " ") != "run1-s5-u2 run1-s5-u8 run1-s5-u24" {
		t.Errorf("only old %v, only new %v", d.OnlyOld, d.OnlyNew)
	}
	kinds := map[analysis.SetupKind]analysis.SetupChange{}
	for _, c := range d.Setup {
		kinds[c.Kind] = c
	}
	if c := kinds[analysis.SetupService]; c.Old != "compose assignment/model" || c.New != "compose assignment/worker" {
		t.Errorf("scaled service change %+v", c)
	}
	if c := kinds[analysis.SetupThink]; fmt.Sprint(c.Old, " ", c.New) != "1s 500ms" {
		t.Errorf("think time change %+v", c)
	}
	if c := kinds[analysis.SetupRequest]; c.Name != "predict" || len(c.Fields) != 1 || c.Fields[0] != (analysis.SetupField{Name: "path", Old: "/predict", New: "/v2/predict"}) {
		t.Errorf("request change %+v", c)
	}
	if c := kinds[analysis.SetupRun]; c.Name != "run1" || len(c.Fields) != 1 || c.Fields[0].Name != "duration" || c.Fields[0].New != 40*time.Second {
		t.Errorf("run change %+v", c)
	}
	if c := kinds[analysis.SetupEngine]; c.Old.(*results.Engine).CPUs != 8 || c.New.(*results.Engine).CPUs != 16 {
		t.Errorf("engine change %+v", c)
	}
	if c := kinds[analysis.SetupDirty]; c.Side != "new" {
		t.Errorf("uncommitted changes %+v", c)
	}
	s3, s5 := scaleDiff(t, d, 3), scaleDiff(t, d, 5)
	if !s3.InOld || s3.InNew || s5.InOld || !s5.InNew {
		t.Errorf("scale 3 in old %v new %v, scale 5 in old %v new %v", s3.InOld, s3.InNew, s5.InOld, s5.InNew)
	}
}

// A cell measured in old whose cells failed in new is lost: a regression
// under any limit; the other way round it is recovered. Cells missing
// altogether are only one-sided.
func TestDiffLostCells(t *testing.T) {
	old := analysistest.Generate(diffModel(11))
	new := analysistest.Generate(diffModel(12))
	new.Cells[0].Status, new.Cells[0].Error, new.Cells[0].Load = results.CellFailed, "scale model to 1: refused", nil
	new.Cells = new.Cells[:len(new.Cells)-1]
	key, last := old.Cells[0].Cell.Key(), old.Cells[len(old.Cells)-1].Cell.Key()
	d := analysis.Compare(old, new)
	if len(d.Lost) != 1 || d.Lost[0].Key != key || d.Lost[0].Reason != "failed: scale model to 1: refused" {
		t.Errorf("lost %+v, want %s with its reason", d.Lost, key)
	}
	if len(d.OnlyOld) != 1 || d.OnlyOld[0] != last || len(d.Cells) != 4 {
		t.Errorf("only old %v (want %s), %d cells compared (want 4)", d.OnlyOld, last, len(d.Cells))
	}
	if len(d.Warnings) == 0 || !strings.Contains(d.Warnings[0], "refused") {
		t.Errorf("warnings %q should name the failed cell and why", d.Warnings)
	}
	if regs := d.Regressions(nil); len(regs) != 0 {
		t.Errorf("regressions without limits: %+v", regs)
	}
	regs := d.Regressions(mustLimits(t, "p99=+1000%"))
	if len(regs) != 1 || regs[0].Where != key || regs[0].Lost == "" {
		t.Errorf("regressions %+v; want the lost cell", regs)
	}
	back := analysis.Compare(new, old)
	if len(back.Recovered) != 1 || back.Recovered[0].Key != key || len(back.Lost) != 0 {
		t.Errorf("reversed: recovered %+v lost %+v", back.Recovered, back.Lost)
	}
	if regs := back.Regressions(mustLimits(t, "p99=+1000%")); len(regs) != 0 {
		t.Errorf("reversed diff has regressions %+v", regs)
	}
}

func TestMinPValue(t *testing.T) {
	for _, tt := range []struct {
		n1, n2 int
		want   float64
	}{{1, 1, 1}, {2, 2, 1.0 / 3}, {3, 3, 0.1}, {4, 4, 2.0 / 70}, {3, 4, 2.0 / 35}, {0, 5, 1}} {
		if got := analysis.MinPValue(tt.n1, tt.n2); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("MinPValue(%d, %d) = %g, want %g", tt.n1, tt.n2, got, tt.want)
		}
	}
	if got := analysis.MinRepeatsFor(0.05); got != 4 {
		t.Errorf("MinRepeatsFor(0.05) = %d, want 4", got)
	}
	// The exact test reaches that minimum when the samples do not overlap.
	if p := analysis.MannWhitney([]float64{1, 2, 3, 4}, []float64{5, 6, 7, 8}); math.Abs(p-2.0/70) > 1e-12 {
		t.Errorf("MannWhitney of separated samples = %g, want %g", p, 2.0/70)
	}
}

func TestParseLimits(t *testing.T) {
	tests := []struct {
		in      string
		want    []analysis.Limit
		wantErr string
	}{
		{in: "", want: nil},
		{in: "p95=+10%,rps=-5%,failures=+1pp", want: []analysis.Limit{
			{Metric: analysis.MetricP95, Max: 0.10, Text: "p95=+10%"},
			{Metric: analysis.MetricRPS, Max: 0.05, Text: "rps=-5%"},
			{Metric: analysis.MetricFailures, Max: 0.01, Text: "failures=+1pp"}}},
		{in: " P99 = 25% , peak=−2.5%", want: []analysis.Limit{
			{Metric: analysis.MetricP99, Max: 0.25, Text: "P99 = 25%"},
			{Metric: analysis.MetricPeak, Max: 0.025, Text: "peak=−2.5%"}}},
		{in: "p50=0%", want: []analysis.Limit{{Metric: analysis.MetricP50, Max: 0, Text: "p50=0%"}}},
		{in: "capacity=-5%", want: []analysis.Limit{{Metric: analysis.MetricCapacity, Max: 0.05, Text: "capacity=-5%"}}},
		{in: "capacity=+5%", wantErr: `a rise of capacity is an improvement; write capacity=-5% to fail when it gets worse`},
		{in: "capacity=-5pp", wantErr: "give capacity as a percentage, e.g. capacity=-10%"},
		{in: "p96=+10%", wantErr: `"p96=+10%": unknown metric "p96" (use rps, p50, p95, p99, failures, peak or capacity)`},
		{in: "p95", wantErr: `"p95": want metric=change`},
		{in: "p95=10", wantErr: `"p95=10": the change "10" has no unit`},
		{in: "rps=+5%", wantErr: `"rps=+5%": a rise of rps is an improvement; write rps=-5% to fail when it gets worse`},
		{in: "p95=-10%", wantErr: `a fall of p95 is an improvement; write p95=+10%`},
		{in: "failures=+5%", wantErr: "give failure-rate limits in percentage points, e.g. failures=+1pp"},
		{in: "p95=+1pp", wantErr: "percentage points are for failures; give p95 as a percentage, e.g. p95=+10%"},
		{in: "p95=+ten%", wantErr: `"ten" is not a number of percent`},
		{in: "p95=+10%,p95=+20%", wantErr: "p95 is limited twice"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := analysis.ParseLimits(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i].Metric != tt.want[i].Metric || math.Abs(got[i].Max-tt.want[i].Max) > 1e-12 || got[i].Text != tt.want[i].Text {
					t.Errorf("limit %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestDiffDegraded: a new cell whose target went away is neither a
// regression nor a pass: it is listed apart, and compared only when asked.
func TestDiffDegraded(t *testing.T) {
	old, new := analysistest.Seed(), analysistest.Seed()
	c := new.Cell("run1-s3-u10-r1")
	c.Status, c.Error = results.CellDegraded, "the target refused 300 connections from 4 s to 9 s of the load (30% of its requests): it went away"
	d := analysis.CompareWith(old, new, analysis.DefaultDiffOptions())
	if len(d.Degraded) != 1 || d.Degraded[0].Key != "run1-s3-u10" || !strings.HasPrefix(d.Degraded[0].Reason, "new: the target refused") {
		t.Errorf("degraded %+v, want run1-s3-u10 from new", d.Degraded)
	}
	for _, cd := range d.Cells {
		if cd.Key == "run1-s3-u10" {
			t.Error("the degraded cell was compared")
		}
	}
	if len(d.Lost) != 0 || len(d.OnlyOld) != 0 {
		t.Errorf("lost %v, only old %v: a degraded cell is neither", d.Lost, d.OnlyOld)
	}
	if regs := d.Regressions([]analysis.Limit{{Metric: analysis.MetricRPS, Max: 0.05, Text: "rps=-5%"}}); len(regs) != 0 {
		t.Errorf("regressions %+v from a degraded cell", regs)
	}
	opt := analysis.DefaultDiffOptions()
	opt.IncludeDegraded = true
	d = analysis.CompareWith(old, new, opt)
	found := false
	for _, cd := range d.Cells {
		found = found || cd.Key == "run1-s3-u10"
	}
	if !found || len(d.Degraded) != 0 {
		t.Errorf("with IncludeDegraded the cell is not compared (degraded %v)", d.Degraded)
	}
}
