package agents

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// synth is a synthetic agent record: per second, the latencies of the
// successful requests and a number of failures, all on endpoint "index".
type synth struct {
	started time.Time
	seconds [][]time.Duration
	fails   []int
	cpu     float64
}

func hist(t *testing.T, ds []time.Duration) *hdrhistogram.Histogram {
	t.Helper()
	h := results.NewHistogram()
	for _, d := range ds {
		if err := h.RecordValue(int64(d / time.Microsecond)); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func enc(t *testing.T, h *hdrhistogram.Histogram) string {
	t.Helper()
	s, err := results.EncodeHistogram(h)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// report builds the record load.Run would have made of s.
func (s synth) report(t *testing.T, index int) *Report {
	t.Helper()
	rep := &Report{Index: index}
	var all []time.Duration
	var fails int64
	rec := &results.Load{Mode: matrix.Closed, Started: s.started, Elapsed: time.Duration(len(s.seconds)) * time.Second}
	for i, ds := range s.seconds {
		all = append(all, ds...)
		f := int64(s.fails[i])
		fails += f
		h := hist(t, ds)
		n := int64(len(ds)) + f
		rec.Series = append(rec.Series, results.Second{T: i, Users: 2, Requests: n, Failures: f, P50: results.Quantile(h, .5),
			Endpoints: map[string]results.SecondEndpoint{"index": {Requests: n, Failures: f}}})
		rep.Seconds = append(rep.Seconds, SecondHistograms{T: i, OK: []string{enc(t, h)}})
	}
	h := hist(t, all)
	var sum time.Duration
	for _, d := range all {
		sum += d
	}
	st := results.Stats{Window: rec.Elapsed, Requests: int64(len(all)) + fails, Failures: fails, Histogram: enc(t, h),
		Latency: results.Latency{Mean: sum / time.Duration(max(len(all), 1))}}
	if fails > 0 {
		st.FailuresByClass = map[results.Class]int64{results.ClassStatus: fails}
		fh := hist(t, []time.Duration{time.Millisecond})
		for range fails - 1 {
			_ = fh.RecordValue(1000)
		}
		st.FailedHistogram = enc(t, fh)
		st.FailedLatency = &results.Latency{Mean: time.Millisecond}
		rec.Errors = []results.ErrorGroup{{Endpoint: "index", Method: "GET", Class: results.ClassStatus, Message: "HTTP 503",
			Count: fails, First: 500 * time.Millisecond, Last: rec.Elapsed - 500*time.Millisecond}}
	}
	rec.Total, rec.Steady = st, st
	rec.Endpoints = []results.Endpoint{{Name: "index", Method: "GET", Total: st, Steady: st}}
	rec.Check = results.Check{Users: 2, Throughput: float64(st.Requests) / rec.Elapsed.Seconds(), GeneratorCPU: s.cpu}
	rep.Load = rec
	return rep
}

func ms(v ...int) []time.Duration {
	var out []time.Duration
	for _, x := range v {
		out = append(out, time.Duration(x)*time.Millisecond)
	}
	return out
}

func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func TestMergeAddsHistogramsNotPercentiles(t *testing.T) {
	// One agent sees a fast target (10 ms), the other a slow one (50 ms,
	// three times fewer requests): averaging the two p50s would say 30 ms;
	// the merged histogram says 10 ms, and its p90 is 50 ms.
	fast := synth{started: t0, seconds: [][]time.Duration{repeat(10*time.Millisecond, 300)}, fails: []int{0}, cpu: 0.2}
	slow := synth{started: t0, seconds: [][]time.Duration{repeat(50*time.Millisecond, 100)}, fails: []int{0}, cpu: 0.1}
	cell := matrix.Cell{ID: "c", Mode: matrix.Closed, Users: 4, Duration: time.Second}
	rec, err := Merge(cell, t0, []Share{
		{Name: "agent 1", Report: fast.report(t, 0), Status: results.AgentOK},
		{Name: "agent 2", Report: slow.report(t, 1), Status: results.AgentOK},
	})
	if err != nil {
		t.Fatal(err)
	}
	ref := hist(t, append(repeat(10*time.Millisecond, 300), repeat(50*time.Millisecond, 100)...))
	if rec.Total.Requests != 400 {
		t.Errorf("requests %d, want 400", rec.Total.Requests)
	}
	for _, q := range []struct {
		got  time.Duration
		want float64
	}{{rec.Total.Latency.P50, .5}, {rec.Total.Latency.P90, .9}, {rec.Steady.Latency.P99, .99}, {rec.Series[0].P50, .5}, {rec.Series[0].P95, .95}} {
		if w := results.Quantile(ref, q.want); q.got != w {
			t.Errorf("q%.2f = %s, want %s (one histogram of every request)", q.want, q.got, w)
		}
	}
	if rec.Total.Latency.P50 > 11*time.Millisecond {
		t.Errorf("p50 %s: percentiles were averaged", rec.Total.Latency.P50)
	}
	if want := 20 * time.Millisecond; rec.Total.Latency.Mean != want {
		t.Errorf("mean %s, want %s (weighted by requests)", rec.Total.Latency.Mean, want)
	}
	if g := rec.Check.GeneratorCPU; g < 0.29 || g > 0.31 {
		t.Errorf("generator CPU %.2f, want the sum 0.3", g)
	}
	if len(rec.Agents) != 2 || rec.Agents[0].Requests != 300 || rec.Agents[1].Requests != 100 {
		t.Errorf("per-agent breakdown %+v", rec.Agents)
	}
}

func TestMergeSeriesOnSharedClock(t *testing.T) {
	// Agent 2 started a second late by the shared clock: its second 0 is
	// the cell's second 1.
	a := synth{started: t0, seconds: [][]time.Duration{ms(10), ms(10, 10), ms(10)}, fails: []int{0, 1, 0}}
	b := synth{started: t0.Add(1100 * time.Millisecond), seconds: [][]time.Duration{ms(20, 20, 20), ms(20), ms(20)}, fails: []int{2, 0, 0}}
	cell := matrix.Cell{ID: "c", Mode: matrix.Closed, Users: 4, Duration: 3 * time.Second}
	rec, err := Merge(cell, t0, []Share{
		{Name: "agent 1", Report: a.report(t, 0), Status: results.AgentOK},
		{Name: "agent 2", Report: b.report(t, 1), Status: results.AgentOK, Offset: 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{1, 3 + 5, 1 + 1, 1}
	if len(rec.Series) != len(want) {
		t.Fatalf("series of %d seconds, want %d: %+v", len(rec.Series), len(want), rec.Series)
	}
	for i, s := range rec.Series {
		if s.T != i || s.Requests != want[i] {
			t.Errorf("second %d: T %d, %d requests; want %d", i, s.T, s.Requests, want[i])
		}
	}
	ref := hist(t, ms(10, 10, 20, 20, 20))
	if s := rec.Series[1]; s.Failures != 3 || s.Endpoints["index"].Requests != 8 || s.P50 != results.Quantile(ref, .5) || s.Max != results.MaxLatency(ref) {
		t.Errorf("second 1 = %+v, want 3 failures, 8 index requests, p50 20ms (10,10,20,20,20)", s)
	}
	if rec.Agents[1].Shift != 1 {
		t.Errorf("agent 2 shift %d, want 1", rec.Agents[1].Shift)
	}
	if rec.Elapsed != 4*time.Second {
		t.Errorf("elapsed %s, want 4s", rec.Elapsed)
	}
	// The same agent with its clock 1.1 s ahead of the coordinator's
	// started on time: no shift.
	rec, err = Merge(cell, t0, []Share{
		{Name: "agent 1", Report: a.report(t, 0), Status: results.AgentOK},
		{Name: "agent 2", Report: b.report(t, 1), Status: results.AgentOK, Offset: 1100 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Series) != 3 || rec.Series[0].Requests != 1+5 {
		t.Errorf("with the clock offset known: %d seconds, second 0 has %d requests; want 3 and 6", len(rec.Series), rec.Series[0].Requests)
	}
	// Errors regrouped: one group, counts summed, times on the shared clock.
	rec, _ = Merge(cell, t0, []Share{
		{Name: "agent 1", Report: a.report(t, 0), Status: results.AgentOK},
		{Name: "agent 2", Report: b.report(t, 1), Status: results.AgentOK},
	})
	if len(rec.Errors) != 1 || rec.Errors[0].Count != 3 || rec.Errors[0].First != 500*time.Millisecond || rec.Errors[0].Last != 3500*time.Millisecond {
		t.Errorf("errors %+v, want one group of 3 from 0.5s to 3.5s", rec.Errors)
	}
	if rec.Total.Failures != 3 || rec.Total.FailuresByClass[results.ClassStatus] != 3 || rec.Total.FailedLatency == nil {
		t.Errorf("failures %+v", rec.Total)
	}
}

func TestMergeMissingAgent(t *testing.T) {
	a := synth{started: t0, seconds: [][]time.Duration{ms(10, 10)}, fails: []int{0}}
	cell := matrix.Cell{ID: "c", Mode: matrix.Closed, Users: 4, Duration: time.Second}
	shares := []Share{
		{Name: "agent 1", Cell: matrix.Cell{Users: 2}, Report: a.report(t, 0), Status: results.AgentOK},
		{Name: "agent 2", Cell: matrix.Cell{Users: 2}, Node: "node-b", Status: results.AgentFailed, Error: "its task ended (failed, exit code 137)"},
	}
	rec, err := Merge(cell, t0, shares)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Total.Requests != 2 {
		t.Errorf("requests %d, want agent 1's 2", rec.Total.Requests)
	}
	if a := rec.Agents[1]; a.Status != results.AgentFailed || a.Users != 2 || !strings.Contains(a.Error, "137") {
		t.Errorf("agent 2 = %+v", a)
	}
	_, err = Merge(cell, t0, shares[1:])
	if !errors.Is(err, ErrNoRecord) || !strings.Contains(err.Error(), "agent 2: its task ended") {
		t.Errorf("no record at all: %v", err)
	}
}

func TestSplit(t *testing.T) {
	c := matrix.Cell{Mode: matrix.Closed, Users: 10, SpawnRate: 2, Warmup: 5 * time.Second, Duration: time.Minute}
	shares := Split(c, 4)
	var users []int
	var spawn float64
	for _, s := range shares {
		users = append(users, s.Users)
		spawn += s.SpawnRate
		if s.SteadyStart() != c.SteadyStart() {
			t.Errorf("share of %d users: steady state from %s, the cell's from %s", s.Users, s.SteadyStart(), c.SteadyStart())
		}
	}
	if got := strings.Trim(strings.Join(strings.Fields(strings.Trim(fmtInts(users), "[]")), ","), ","); got != "3,3,2,2" {
		t.Errorf("users %s, want 3,3,2,2", got)
	}
	if spawn < 1.999 || spawn > 2.001 {
		t.Errorf("spawn rates add up to %g, want 2", spawn)
	}
	if n := len(Split(matrix.Cell{Mode: matrix.Closed, Users: 2, Duration: time.Second}, 4)); n != 2 {
		t.Errorf("2 users over 4 agents: %d shares, want 2", n)
	}
	o := Split(matrix.Cell{Mode: matrix.Open, Rate: 100, MaxInFlight: 10, Duration: time.Second}, 4)
	if len(o) != 4 || o[0].Rate != 25 || o[3].MaxInFlight != 3 {
		t.Errorf("open loop split %+v", o)
	}
}

func fmtInts(v []int) string {
	var b strings.Builder
	for _, x := range v {
		b.WriteString(" ")
		b.WriteString(string(rune('0' + x)))
	}
	return b.String()
}
