package analysistest

import (
	"fmt"
	"time"

	"github.com/scalebench/scalebench/internal/results"
)

// Container returns the cell's container of service with the given
// replica number; it panics when there is none, as a test's setup is wrong.
func Container(c *results.Cell, service string, number int) *results.ContainerSeries {
	for i := range c.Containers {
		if cs := &c.Containers[i]; cs.Service == service && cs.Number == number {
			return cs
		}
	}
	panic(fmt.Sprintf("analysistest: cell %s has no container %d of %s", c.Cell.ID, number, service))
}

// SetMemory rewrites every memory sample of cs with mem of its offset from
// the load's start (negative before it), in bytes.
func SetMemory(cs *results.ContainerSeries, mem func(t time.Duration) int64) {
	for i := range cs.Samples {
		cs.Samples[i].Memory = mem(cs.Samples[i].T)
	}
}

// Leak makes cs's memory start at base bytes and rise by perSecond bytes
// every second of the load (flat before it).
func Leak(cs *results.ContainerSeries, base, perSecond int64) {
	SetMemory(cs, func(t time.Duration) int64 {
		return base + int64(max(t, 0).Seconds()*float64(perSecond))
	})
}

// Restart records that the engine restarted cs at offset at: a die event
// with exit (and an oom event before it when oom), a restart event, the
// restart count and the OOM state. Its samples go on, as a restarted
// container's do.
func Restart(cs *results.ContainerSeries, at time.Duration, exit int, oom bool) {
	if oom {
		cs.Events = append(cs.Events, results.ContainerEvent{T: at, Action: "oom"})
		cs.OOMKilled = true
	}
	cs.Events = append(cs.Events, results.ContainerEvent{T: at, Action: "die", ExitCode: exit},
		results.ContainerEvent{T: at + time.Second, Action: "restart"})
	cs.Restarts++
}

// Die records that cs died at offset at with exit and was not restarted:
// a die event, and no samples after it.
func Die(cs *results.ContainerSeries, at time.Duration, exit int) {
	cs.Events = append(cs.Events, results.ContainerEvent{T: at, Action: "die", ExitCode: exit})
	for i, s := range cs.Samples {
		if s.T > at {
			cs.Samples = cs.Samples[:i]
			break
		}
	}
}
