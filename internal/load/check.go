package load

import (
	"fmt"
	"runtime"
	"syscall"
	"time"

	"github.com/scalebench/scalebench/internal/results"
)

// Thresholds of the generator check.
const (
	// minLittleRatio: below it, closed-loop users spent more than 15% of
	// their time neither waiting on the target nor thinking, so the
	// generator held them back.
	minLittleRatio = 0.85
	// maxCPUShare: above it (of all cores) the generator's own CPU was
	// near full.
	maxCPUShare = 0.90
	// maxLateShare: above it, too many open-loop sends left late.
	maxLateShare = 0.01
)

// cpuMark is the process's CPU time at a wall-clock instant.
type cpuMark struct {
	wall time.Time
	cpu  time.Duration
}

func markCPU() cpuMark {
	var ru syscall.Rusage
	m := cpuMark{wall: time.Now()}
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		m.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return m
}

// cores is the CPU used between a and b, in cores.
func cores(a, b cpuMark) float64 {
	wall := b.wall.Sub(a.wall)
	if wall <= 0 {
		return 0
	}
	return float64(b.cpu-a.cpu) / float64(wall)
}

// checkInput is what the check needs from a finished cell.
type checkInput struct {
	open       bool
	users      float64 // mean users (closed) or requests in flight (open)
	throughput float64 // requests per second
	response   time.Duration
	wait       time.Duration
	cpu        float64       // cores
	cpuTime    time.Duration // CPU time over the window
	requests   int64         // requests completed over the window
	numCPU     int
	sent       int64 // open loop: requests sent
	late       int64
	dropped    int64
	maxFlight  int
}

// littleCheck applies Little's law (N = X·(R+Z)) and the generator's CPU
// and lateness to say whether the generator, not the target, limited a cell.
func littleCheck(in checkInput) results.Check {
	ck := results.Check{
		Users: in.users, Throughput: in.throughput,
		MeanResponse: in.response, MeanWait: in.wait, GeneratorCPU: in.cpu,
	}
	if in.requests > 0 && in.cpuTime > 0 {
		ck.GeneratorCPUPerRequest = in.cpuTime / time.Duration(in.requests)
	}
	if in.users > 0 {
		ck.Ratio = in.throughput * (in.response + in.wait).Seconds() / in.users
	}
	var reasons []string
	if in.numCPU > 0 && in.cpu >= maxCPUShare*float64(in.numCPU) {
		reasons = append(reasons, fmt.Sprintf("the generator used %.2f of %d cores", in.cpu, in.numCPU))
	}
	if in.open {
		if in.sent > 0 && float64(in.late) > maxLateShare*float64(in.sent) {
			reasons = append(reasons, fmt.Sprintf("%d of %d sends left late: all %d in-flight slots were busy (raise max_in_flight)", in.late, in.sent, in.maxFlight))
		}
		if in.dropped > 0 {
			reasons = append(reasons, fmt.Sprintf("%d sends were never made", in.dropped))
		}
	} else if in.users > 0 && in.throughput > 0 && ck.Ratio < minLittleRatio {
		reasons = append(reasons, fmt.Sprintf("users spent %.0f%% of their time neither waiting on the target nor thinking (X·(R+Z)/N = %.2f)", 100*(1-ck.Ratio), ck.Ratio))
	}
	if len(reasons) > 0 {
		ck.GeneratorBound = true
		ck.Reason = reasons[0]
		for _, r := range reasons[1:] {
			ck.Reason += "; " + r
		}
	}
	return ck
}

// numCPU is how many cores the generator may use.
func numCPU() int { return runtime.GOMAXPROCS(0) }
