package dockerctl

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"scalebench/results"
)

// WatchInterval is how often Watch looks for containers that appeared; each
// container's stats stream yields one sample per second.
const WatchInterval = time.Second

// Watch samples every container of the compose project (project "" : every
// Swarm task container) once per second, from now until stop is called.
// Containers that start later are picked up within a second; containers
// that stop keep the samples they had. Sample offsets are relative to t0.
//
// stop ends sampling and returns one series per container that gave at
// least one sample, sorted by service, then number, then name. CPU is in
// percent of one core computed as docker stats does; memory excludes the
// page cache. Sampling errors are not fatal: a container that cannot be
// read simply has fewer samples.
func (c *Client) Watch(ctx context.Context, project string, t0 time.Time) (stop func() []results.ContainerSeries) {
	ctx, cancel := context.WithCancel(ctx)
	w := &watcher{c: c, project: project, t0: t0, series: map[string]*results.ContainerSeries{}, seen: map[string]bool{}}
	w.wg.Add(1)
	go w.discover(ctx)
	var once sync.Once
	var out []results.ContainerSeries
	return func() []results.ContainerSeries {
		once.Do(func() {
			cancel()
			w.wg.Wait()
			out = w.result()
		})
		return out
	}
}

type watcher struct {
	c       *Client
	project string
	t0      time.Time
	wg      sync.WaitGroup

	mu     sync.Mutex
	series map[string]*results.ContainerSeries
	seen   map[string]bool
	ncpu   float64
}

// filter selects the containers to sample.
func (w *watcher) filter() filters.Args {
	if w.project == "" {
		return filters.NewArgs(filters.Arg("label", LabelSwarmService))
	}
	return filters.NewArgs(filters.Arg("label", LabelProject+"="+w.project))
}

// discover lists the running containers every WatchInterval and starts a
// stats stream for each new one.
func (w *watcher) discover(ctx context.Context) {
	defer w.wg.Done()
	if info, err := w.c.api.Info(ctx); err == nil {
		w.ncpu = float64(info.NCPU)
	}
	t := time.NewTicker(WatchInterval)
	defer t.Stop()
	for {
		ctrs, err := w.c.api.ContainerList(ctx, container.ListOptions{Filters: w.filter()})
		if err == nil {
			for _, ct := range ctrs {
				if w.seen[ct.ID] {
					continue
				}
				w.seen[ct.ID] = true
				w.wg.Add(1)
				go w.stream(ctx, ct)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// stream reads one container's stats stream until it ends or ctx is done.
func (w *watcher) stream(ctx context.Context, ct container.Summary) {
	defer w.wg.Done()
	s := &results.ContainerSeries{Name: containerName(ct), ID: ct.ID}
	if w.project == "" {
		s.Service = ct.Labels[LabelSwarmService]
		s.Number = taskSlot(ct.Labels[LabelSwarmTaskName])
	} else {
		s.Service = ct.Labels[LabelService]
		s.Number = containerNumber(ct.Labels)
		if ct.Labels[LabelOneoff] == "True" {
			s.Number = 0
		}
	}
	s.CPULimit = w.ncpu
	if ins, err := w.c.api.ContainerInspect(ctx, ct.ID); err == nil && ins.HostConfig != nil {
		s.CPULimit = cpuLimit(ins.HostConfig.Resources, w.ncpu)
		s.MemoryLimit = ins.HostConfig.Memory
	}
	resp, err := w.c.api.ContainerStats(ctx, ct.ID, true)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for {
		var st container.StatsResponse
		if err := dec.Decode(&st); err != nil {
			// EOF when the container stops; other errors when it goes
			// away mid-frame or ctx ends: the series keeps what it has.
			return
		}
		sample, ok := sampleOf(st, w.t0)
		if !ok {
			continue
		}
		w.mu.Lock()
		if w.series[ct.ID] == nil {
			w.series[ct.ID] = s
		}
		s.Samples = append(s.Samples, sample)
		w.mu.Unlock()
	}
}

func (w *watcher) result() []results.ContainerSeries {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]results.ContainerSeries, 0, len(w.series))
	for _, s := range w.series {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Service != b.Service {
			return a.Service < b.Service
		}
		if a.Number != b.Number {
			return a.Number < b.Number
		}
		return a.Name < b.Name
	})
	return out
}

// sampleOf turns one stats frame into a sample taken at its read time,
// relative to t0. ok is false for a frame without a previous CPU reading
// (the first of a stream) or without a read time (a stopped container).
func sampleOf(st container.StatsResponse, t0 time.Time) (s results.ContainerSample, ok bool) {
	if st.Read.IsZero() || (st.PreCPUStats.SystemUsage == 0 && st.PreCPUStats.CPUUsage.TotalUsage == 0) {
		return s, false
	}
	return results.ContainerSample{
		T:      st.Read.Sub(t0),
		CPU:    cpuPercent(st),
		Memory: memoryUsage(st.MemoryStats),
	}, true
}

// taskSlot reads the slot from a Swarm task name ("service.slot.taskid").
func taskSlot(name string) int {
	parts := strings.Split(name, ".")
	if len(parts) < 3 {
		return 0
	}
	n, err := strconv.Atoi(parts[len(parts)-2])
	if err != nil {
		return 0
	}
	return n
}

// cpuLimit is the CPU a container may use, in cores: its NanoCPUs or CFS
// quota limit, else the engine's CPU count.
func cpuLimit(r container.Resources, ncpu float64) float64 {
	switch {
	case r.NanoCPUs > 0:
		return float64(r.NanoCPUs) / 1e9
	case r.CPUQuota > 0 && r.CPUPeriod > 0:
		return float64(r.CPUQuota) / float64(r.CPUPeriod)
	}
	return ncpu
}

// cpuPercent computes CPU use in percent of one core between the two
// samples of a stats frame, as docker stats does on Linux.
func cpuPercent(st container.StatsResponse) float64 {
	cpuDelta := float64(st.CPUStats.CPUUsage.TotalUsage) - float64(st.PreCPUStats.CPUUsage.TotalUsage)
	sysDelta := float64(st.CPUStats.SystemUsage) - float64(st.PreCPUStats.SystemUsage)
	online := float64(st.CPUStats.OnlineCPUs)
	if online == 0 {
		online = float64(len(st.CPUStats.CPUUsage.PercpuUsage))
	}
	if cpuDelta <= 0 || sysDelta <= 0 {
		return 0
	}
	return cpuDelta / sysDelta * online * 100
}

// memoryUsage is memory use without the page cache, as docker stats shows
// it: usage minus inactive file pages (cgroup v1 total_inactive_file, v2
// inactive_file).
func memoryUsage(m container.MemoryStats) int64 {
	usage := m.Usage
	cache, ok := m.Stats["total_inactive_file"]
	if !ok {
		cache = m.Stats["inactive_file"]
	}
	if cache < usage {
		usage -= cache
	}
	return int64(usage)
}
