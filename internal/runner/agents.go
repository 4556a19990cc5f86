package runner

import (
	"fmt"
	"strings"

	"github.com/scalebench/scalebench/internal/results"
)

// agentFaults are the load agents that did not deliver their share of the
// load: the cell holds only the others' requests, so it is partial and is
// saved degraded with the agents named.
func agentFaults(l *results.Load) []results.Fault {
	if l == nil {
		return nil
	}
	var missing []string
	for _, a := range l.Agents {
		if a.Status == results.AgentOK {
			continue
		}
		share := fmt.Sprintf("%d users", a.Users)
		if a.Rate > 0 {
			share = fmt.Sprintf("%g req/s", a.Rate)
		}
		where := ""
		if a.Node != "" {
			where = " on " + a.Node
		}
		missing = append(missing, fmt.Sprintf("%s%s (%s) %s: %s", a.Name, where, share, a.Status, a.Error))
	}
	if len(missing) == 0 {
		return nil
	}
	return []results.Fault{{Cause: fmt.Sprintf("partial load: %d of %d load agents did not deliver their share: %s",
		len(missing), len(l.Agents), strings.Join(missing, "; "))}}
}
