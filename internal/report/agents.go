package report

import (
	"fmt"
	"time"

	"github.com/scalebench/scalebench/internal/results"
)

// agents lists, for cells whose load came from load agents, each agent's
// share: what it was given, what it did, its CPU and its clock's offset.
func (m *md) agents(cells []*results.Cell) {
	var any bool
	for _, c := range cells {
		any = any || (c.Load != nil && len(c.Load.Agents) > 0)
	}
	if !any {
		return
	}
	m.line("Load agents (each cell's numbers above are their exact merge):")
	m.line("")
	m.line("| cell | agent | node | share | status | requests | rps | generator CPU | clock offset |")
	m.line("|:---|:---|:---|---:|:---|---:|---:|---:|---:|")
	for _, c := range cells {
		if c.Load == nil {
			continue
		}
		for _, a := range c.Load.Agents {
			status := EscapeName(a.Status)
			if a.Error != "" {
				status += ": " + codeSpan(clip(a.Error, 200))
			}
			m.line("| %s | %s | %s | %s | %s | %d | %s | %.2f cores | %s |", EscapeName(c.Cell.ID), EscapeName(a.Name), EscapeName(a.Node),
				AgentShare(a), status, a.Requests, RPS(a.RPS), a.GeneratorCPU, a.ClockOffset.Round(time.Microsecond*100))
		}
	}
	m.line("")
}

// AgentShare is an agent's share of a cell's load: "3 users" or "25 req/s".
func AgentShare(a results.Agent) string {
	if a.Rate > 0 {
		return fmt.Sprintf("%g req/s", a.Rate)
	}
	return fmt.Sprintf("%d users", a.Users)
}
