package runner

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scalebench/scalebench/internal/results"
)

// HostSampler samples the CPU use of the machine that runs the load while
// a cell's load runs.
type HostSampler interface {
	// SampleHost samples from now until stop is called; offsets are from
	// t0. stop returns nil when the machine's CPU could not be read or no
	// sample was taken. ctx ending also ends the sampling.
	SampleHost(ctx context.Context, t0 time.Time) (stop func() *results.HostSeries)
}

// HostSamplerFunc adapts a function to HostSampler.
type HostSamplerFunc func(ctx context.Context, t0 time.Time) (stop func() *results.HostSeries)

// SampleHost calls f.
func (f HostSamplerFunc) SampleHost(ctx context.Context, t0 time.Time) func() *results.HostSeries {
	return f(ctx, t0)
}

// ProcStat is the Linux HostSampler: it reads the kernel's CPU counters in
// /proc/stat when sampling starts and then every Interval, and records the
// cores busy over each interval. Where the file cannot be read (not Linux)
// it records nothing and says nothing.
type ProcStat struct {
	// Path is the file read; default /proc/stat.
	Path string
	// Interval is the time between samples; default 1 s.
	Interval time.Duration
}

// SampleHost implements HostSampler.
func (p ProcStat) SampleHost(ctx context.Context, t0 time.Time) func() *results.HostSeries {
	path, every := p.Path, p.Interval
	if path == "" {
		path = "/proc/stat"
	}
	if every <= 0 {
		every = time.Second
	}
	first, err := readCPUTimes(path)
	if err != nil || first.cpus == 0 {
		return func() *results.HostSeries { return nil }
	}
	done, finished := make(chan struct{}), make(chan struct{})
	var samples []results.HostSample
	go func() {
		defer close(finished)
		tick := time.NewTicker(every)
		defer tick.Stop()
		prev := first
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case now := <-tick.C:
				cur, err := readCPUTimes(path)
				if err != nil {
					continue
				}
				samples = append(samples, results.HostSample{T: now.Sub(t0), Busy: busyCores(prev, cur)})
				prev = cur
			}
		}
	}()
	var once sync.Once
	var series *results.HostSeries
	return func() *results.HostSeries {
		once.Do(func() {
			close(done)
			<-finished
			if len(samples) > 0 {
				series = &results.HostSeries{CPUs: first.cpus, Samples: samples}
			}
		})
		return series
	}
}

// cpuTimes are the machine-wide CPU counters of /proc/stat, in clock ticks.
type cpuTimes struct {
	// busy is user+nice+system+irq+softirq+steal; total adds idle and
	// iowait. guest and guest_nice are already part of user and nice.
	busy, total uint64
	// cpus counts the cpuN lines: the CPUs online.
	cpus int
}

func readCPUTimes(path string) (cpuTimes, error) {
	f, err := os.Open(path)
	if err != nil {
		return cpuTimes{}, err
	}
	defer f.Close()
	return parseProcStat(f)
}

// parseProcStat reads the "cpu" line (user nice system idle iowait irq
// softirq steal ...; kernels before 2.6.11 have fewer fields) and counts
// the "cpuN" lines.
func parseProcStat(r io.Reader) (cpuTimes, error) {
	var t cpuTimes
	found := false
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || !strings.HasPrefix(fields[0], "cpu") {
			continue
		}
		if fields[0] != "cpu" {
			if _, err := strconv.Atoi(fields[0][3:]); err == nil {
				t.cpus++
			}
			continue
		}
		if len(fields) < 5 {
			return cpuTimes{}, fmt.Errorf("/proc/stat: cpu line has %d counters, want at least 4", len(fields)-1)
		}
		var v [8]uint64 // user nice system idle iowait irq softirq steal
		for i := 0; i < len(v) && i+1 < len(fields); i++ {
			n, err := strconv.ParseUint(fields[i+1], 10, 64)
			if err != nil {
				return cpuTimes{}, fmt.Errorf("/proc/stat: cpu counter %d: %w", i+1, err)
			}
			v[i] = n
		}
		t.busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
		t.total = t.busy + v[3] + v[4]
		found = true
	}
	if err := sc.Err(); err != nil {
		return cpuTimes{}, err
	}
	if !found {
		return cpuTimes{}, errors.New("/proc/stat: no cpu line")
	}
	return t, nil
}

// busyCores is the cores in use between two readings: the busy share of
// the ticks that passed times the CPU count, within 0..cpus. Counters that
// went backwards (iowait may) count as no time.
func busyCores(prev, cur cpuTimes) float64 {
	if cur.total <= prev.total {
		return 0
	}
	total := float64(cur.total - prev.total)
	var busy float64
	if cur.busy > prev.busy {
		busy = float64(cur.busy - prev.busy)
	}
	cpus := cur.cpus
	if cpus == 0 {
		cpus = prev.cpus
	}
	return min(busy/total, 1) * float64(cpus)
}
