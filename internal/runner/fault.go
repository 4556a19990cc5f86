package runner

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/scalebench/scalebench/internal/results"
)

// A cell is degraded, not ok, when something went away during its load:
// the target stopped accepting connections, a container of the project
// died or restarted, the replicas changed, or the engine stopped answering.
// Its record is kept, with the cause and the window, and the analysis
// leaves its numbers out of the conclusions unless asked.

// outageShare is the share of a cell's requests that must have been
// refused or reset, at least minOutage of them, for the target to count as
// gone: a stray reset of a kept-alive connection is not an outage.
const (
	outageShare = 0.01
	minOutage   = 3
)

// faults lists what went wrong during a cell's load, from its record, its
// containers and the replicas listed after it (afterErr when the listing
// failed, changed when they differ from before).
func faults(cell *results.Cell, afterErr error, changed string) []results.Fault {
	var out []results.Fault
	switch {
	case afterErr != nil:
		out = append(out, results.Fault{Cause: fmt.Sprintf("the replicas could not be listed after the load (did the engine go away?): %v", afterErr)})
	case changed != "":
		out = append(out, results.Fault{Cause: "the replicas changed during the load: " + changed})
	}
	if f, ok := transportFault(cell.Load); ok {
		out = append(out, f)
	}
	out = append(out, containerFaults(cell.Containers, cell.Load)...)
	out = append(out, agentFaults(cell.Load)...)
	return out
}

// transportFault finds a burst of refused or reset connections.
func transportFault(l *results.Load) (results.Fault, bool) {
	if l == nil || l.Total.Requests == 0 {
		return results.Fault{}, false
	}
	var n int64
	var from, to time.Duration
	var kinds []results.Class
	for _, g := range l.Errors {
		if g.Class != results.ClassRefused && g.Class != results.ClassReset {
			continue
		}
		if n == 0 || g.First < from {
			from = g.First
		}
		to = max(to, g.Last)
		n += g.Count
		if !slices.Contains(kinds, g.Class) {
			kinds = append(kinds, g.Class)
		}
	}
	if n < minOutage || float64(n) < outageShare*float64(l.Total.Requests) {
		return results.Fault{}, false
	}
	what := "refused"
	if len(kinds) == 1 && kinds[0] == results.ClassReset {
		what = "reset"
	} else if len(kinds) > 1 {
		what = "refused or reset"
	}
	return results.Fault{
		Cause: fmt.Sprintf("the target %s %d connections from %s to %s of the load (%.0f%% of its requests): it went away",
			what, n, secs(from), secs(to), 100*float64(n)/float64(l.Total.Requests)),
		From: from, To: to,
	}, true
}

// containerFaults are the containers that died, restarted or were
// OOM-killed during the load.
func containerFaults(cs []results.ContainerSeries, l *results.Load) []results.Fault {
	var out []results.Fault
	for _, c := range cs {
		var at time.Duration = -1
		exit := -1
		for _, e := range c.Events {
			if (e.Action == "die" || e.Action == "oom") && (l == nil || e.T >= 0 && e.T <= l.Elapsed+time.Second) {
				if at < 0 {
					at = e.T
				}
				if e.Action == "die" && exit < 0 {
					exit = e.ExitCode
				}
			}
		}
		if at < 0 && c.Restarts == 0 && !c.OOMKilled {
			continue
		}
		var what []string
		if c.OOMKilled {
			what = append(what, "OOM-killed")
		}
		if exit >= 0 {
			what = append(what, fmt.Sprintf("exit %d", exit))
		}
		if c.Restarts > 0 {
			what = append(what, fmt.Sprintf("restarted %d×", c.Restarts))
		}
		f := results.Fault{Cause: fmt.Sprintf("container %s of %s died during the load (%s)", c.Name, c.Service, strings.Join(what, ", "))}
		if at >= 0 {
			f.Cause = fmt.Sprintf("container %s of %s died %s into the load (%s)", c.Name, c.Service, secs(at), strings.Join(what, ", "))
			f.From, f.To = at, at
		}
		out = append(out, f)
	}
	return out
}

// merged is one Fault for a cell: the causes joined, the windows' union.
func merged(fs []results.Fault) *results.Fault {
	if len(fs) == 0 {
		return nil
	}
	m := results.Fault{From: fs[0].From, To: fs[0].To}
	var causes []string
	for _, f := range fs {
		causes = append(causes, f.Cause)
		if f.From != 0 || f.To != 0 {
			if m.From == 0 && m.To == 0 || f.From < m.From {
				m.From = f.From
			}
			m.To = max(m.To, f.To)
		}
	}
	m.Cause = strings.Join(causes, "; ")
	return &m
}

func secs(d time.Duration) string { return fmt.Sprintf("%.0f s", d.Seconds()) }
