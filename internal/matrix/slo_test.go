package matrix

import (
	"testing"
	"time"
)

func TestParseSearch(t *testing.T) {
	src := `name: cap
target: http://127.0.0.1:8000
compose: {project: p, service: s}
scenario: {requests: [{name: a, path: /}]}
slo: {p95: 500ms, failures: 1%, min_rps: 20}
runs:
  - name: capacity
    scale: [1, 3, 5]
    search: {users: {from: 5, max: 400}, resolution: 5%}
    duration: 30s
  - {name: grid, scale: [1], users: [1, 2], duration: 30s}
  - {name: open, scale: [1], search: {rate: {from: 10, max: 80}, repeats: 2, growth: 1.5}, duration: 30s, early_stop: false}
`
	m, err := Parse("cap.yaml", []byte(src), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if m.SLO == nil || m.SLO.P95 != 500*time.Millisecond || m.SLO.Failures == nil || *m.SLO.Failures != 0.01 || m.SLO.MinRPS != 20 {
		t.Fatalf("slo decoded as %+v", m.SLO)
	}
	if got := m.SLO.String(); got != "p95 ≤ 500ms, failures ≤ 1%, throughput ≥ 20 rps" {
		t.Errorf("SLO.String() = %q", got)
	}
	s := m.Runs[0].Search
	if s == nil || s.Mode != Closed || s.From != 5 || s.Max != 400 || s.Resolution != 0.05 || s.Growth != DefaultGrowth || s.Repeats != DefaultSearchRepeats {
		t.Fatalf("search decoded as %+v", s)
	}
	if o := m.Runs[2].Search; o.Mode != Open || o.Repeats != 2 || o.Growth != 1.5 {
		t.Errorf("open search decoded as %+v", o)
	}
	// Search runs plan no grid cells; their probes are ordinary cells.
	for _, c := range m.Cells() {
		if c.Run != "grid" {
			t.Errorf("planned cell %s of a search run", c.ID)
		}
	}
	if id := m.Runs[0].Probe(3, 37, 1).ID; id != "capacity-s3-u37-r1" {
		t.Errorf("probe id %q", id)
	}
	if id := m.Runs[2].Probe(1, 40, 2).ID; id != "open-s1-q40-r2" {
		t.Errorf("open probe id %q", id)
	}
	if !m.Runs[0].EarlyStopOn(m) || m.Runs[1].EarlyStopOn(m) || m.Runs[2].EarlyStopOn(m) {
		t.Error("early stop should default on for search runs, off for grid runs, and follow early_stop: false")
	}
	withAgents := *m
	withAgents.Agents = &Agents{Replicas: 2}
	if m.Runs[0].EarlyStopOn(&withAgents) {
		t.Error("early stop is on with load agents, whose records come when the cell ends")
	}
	// 5→400 by ×2 is 8 levels, bisecting ×2 to 5% about 5 more, each up to 3 times.
	if b := s.ProbeBound(); b < 30 || b > 45 {
		t.Errorf("ProbeBound() = %d, want about (8+5)×3", b)
	}
	probes, wall := m.SearchBound(5 * time.Second)
	if probes != 3*s.ProbeBound()+m.Runs[2].Search.ProbeBound() || wall < time.Duration(probes)*30*time.Second {
		t.Errorf("SearchBound = %d probes, %s", probes, wall)
	}
}
