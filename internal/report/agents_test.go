package report_test

import (
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/analysis/analysistest"
	"github.com/scalebench/scalebench/internal/results"
)

// TestAgentsBreakdown: a cell whose load came from agents lists each one's
// share, status, requests and clock offset; the failed one says why.
func TestAgentsBreakdown(t *testing.T) {
	set := analysistest.Seed()
	c := &set.Cells[0]
	c.Load.Agents = []results.Agent{
		{Name: "agent 1", Node: "node-a", Users: 3, Status: results.AgentOK, Requests: 120, RPS: 4, GeneratorCPU: 0.05, ClockOffset: 2 * time.Millisecond},
		{Name: "agent 2", Node: "node-b", Users: 2, Status: results.AgentFailed, Error: "its task ended (failed, exit code 137)"},
	}
	md := string(markdown(set))
	for _, want := range []string{
		"| " + c.Cell.ID + " | agent 1 | node-a | 3 users | ok | 120 |",
		"| " + c.Cell.ID + " | agent 2 | node-b | 2 users | failed: ` its task ended (failed, exit code 137) ` | 0 |",
		"2ms |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Count(md, "Load agents (") != 1 {
		t.Errorf("the agents table appears %d times, want once (only the scale with agent cells)", strings.Count(md, "Load agents ("))
	}
}
