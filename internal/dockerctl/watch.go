package dockerctl

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/scalebench/scalebench/internal/results"
)

// WatchInterval is how often Watch looks for containers that appeared; each
// container's stats stream yields one sample per second.
const WatchInterval = time.Second

// Bounds on stop: how long it waits for the sampling goroutines to end, then
// how long it may spend on the final inspections and events.
const (
	stopWait   = time.Second
	stopFinish = 2 * time.Second
)

// Watch samples the CPU and memory of the containers that selector names,
// once per second, from now until stop is called, and records how they
// restarted, were OOM-killed and died meanwhile. The selector is a compose
// project name (every container of the project), SwarmStackSelector (the
// task containers of every service of a stack) or SwarmServiceSelector (the
// task containers of one service); Scaler.Project returns the right one.
// "" selects nothing: stop then returns nil. Containers that start later
// are picked up within a second (at once when the engine reports their
// start); containers that stop keep what they had. Offsets are relative to
// t0.
//
// stop ends the watch and returns one series per container that gave at
// least one sample or died, restarted or was OOM-killed during the watch,
// sorted by service, then number, then name. CPU is in percent of one core
// computed as docker stats does; memory excludes the page cache. Restarts
// is how much the container's RestartCount rose between when it was first
// seen and stop (a container gone at stop keeps the count last seen);
// OOMKilled is true after an oom event or when the container's last exit,
// during the watch, was an OOM kill; Events are its die, oom, kill and
// restart events (a restart policy's restart shows as a die and a start,
// and start is not kept). Errors are not fatal: a container that cannot be
// read simply has fewer samples. Nothing in the sampling waits on the
// events stream, and stop returns within about three seconds even when the
// engine does not answer; later calls return the same result.
func (c *Client) Watch(ctx context.Context, selector string, t0 time.Time) (stop func() []results.ContainerSeries) {
	sel, ok := parseSelector(selector)
	if !ok {
		return func() []results.ContainerSeries { return nil }
	}
	wctx, cancel := context.WithCancel(ctx)
	w := &watcher{
		c: c, sel: sel, t0: t0, since: time.Now(),
		poke:       make(chan struct{}, 1),
		containers: map[string]*watched{},
		seenEvents: map[eventKey]bool{},
	}
	w.wg.Add(2)
	go w.discover(wctx)
	go w.follow(wctx)
	var once sync.Once
	var out []results.ContainerSeries
	return func() []results.ContainerSeries {
		once.Do(func() {
			cancel()
			w.wait(stopWait)
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopFinish)
			defer cancel()
			w.finish(fctx, time.Now())
			out = w.result()
		})
		return out
	}
}

type watcher struct {
	c     *Client
	sel   selection
	t0    time.Time
	since time.Time // when the watch began
	wg    sync.WaitGroup
	// poke asks discover to list the containers now (a container started).
	poke chan struct{}

	mu         sync.Mutex
	ncpu       float64
	containers map[string]*watched // by container ID
	seenEvents map[eventKey]bool
	lastEvent  int64 // TimeNano of the latest event read
}

// watched is what the watcher knows of one container; guarded by
// watcher.mu.
type watched struct {
	s *results.ContainerSeries
	// streaming is true while a stats stream reads the container.
	streaming bool
	// inspected is true once firstRestarts holds the RestartCount first
	// seen; lastRestarts is the latest.
	inspected                   bool
	firstRestarts, lastRestarts int
}

// track returns the container's record, making it on first sight; it must
// be called with w.mu held. fresh is true when it was just made.
func (w *watcher) track(id, name string, labels map[string]string) (c *watched, fresh bool) {
	if c := w.containers[id]; c != nil {
		return c, false
	}
	c = &watched{s: w.sel.series(id, name, labels)}
	c.s.CPULimit = w.ncpu
	w.containers[id] = c
	return c, true
}

// wait waits at most d for the watch's goroutines to end: every one of
// them ends with the watch's context, but a stuck connection must not
// hold stop.
func (w *watcher) wait(d time.Duration) {
	done := make(chan struct{})
	go func() {
		w.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

// discover lists the running containers every WatchInterval, or when
// poked, and starts a stats stream for each one that has none.
func (w *watcher) discover(ctx context.Context) {
	defer w.wg.Done()
	if info, err := w.c.api.Info(ctx); err == nil {
		w.mu.Lock()
		w.ncpu = float64(info.NCPU)
		w.mu.Unlock()
	}
	t := time.NewTicker(WatchInterval)
	defer t.Stop()
	for {
		ctrs, err := w.c.api.ContainerList(ctx, container.ListOptions{Filters: w.sel.filter()})
		if err == nil {
			for _, ct := range ctrs {
				w.mu.Lock()
				c, _ := w.track(ct.ID, containerName(ct), ct.Labels)
				start := !c.streaming
				c.streaming = true
				w.mu.Unlock()
				if start {
					w.wg.Add(1)
					go w.stream(ctx, ct.ID, c)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.poke:
		}
	}
}

// stream inspects one container, then reads its stats stream until it
// ends (the container stopped or went) or ctx is done.
func (w *watcher) stream(ctx context.Context, id string, c *watched) {
	defer w.wg.Done()
	defer func() {
		w.mu.Lock()
		c.streaming = false
		w.mu.Unlock()
	}()
	w.inspect(ctx, id, c)
	resp, err := w.c.api.ContainerStats(ctx, id, true)
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
		c.s.Samples = append(c.s.Samples, sample)
		w.mu.Unlock()
	}
}

// inspect reads a container's limits (on first sight) and RestartCount.
// It returns false when the container could not be inspected.
func (w *watcher) inspect(ctx context.Context, id string, c *watched) (container.InspectResponse, bool) {
	ins, err := w.c.api.ContainerInspect(ctx, id)
	if err != nil || ins.ContainerJSONBase == nil {
		return ins, false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !c.inspected {
		c.inspected = true
		c.firstRestarts = ins.RestartCount
		if ins.HostConfig != nil {
			c.s.CPULimit = cpuLimit(ins.HostConfig.Resources, w.ncpu)
			c.s.MemoryLimit = ins.HostConfig.Memory
		}
	}
	c.lastRestarts = ins.RestartCount
	return ins, true
}

// finish ends the watch: it reads the events the live stream had not yet
// delivered (eventsCatchUp at most), then inspects every container once
// more for its RestartCount and OOM kill, all within ctx.
func (w *watcher) finish(ctx context.Context, now time.Time) {
	ectx, cancel := context.WithTimeout(ctx, eventsCatchUp)
	w.readEvents(ectx, now)
	cancel()
	w.mu.Lock()
	cs := make(map[string]*watched, len(w.containers))
	for id, c := range w.containers {
		cs[id] = c
	}
	w.mu.Unlock()
	var wg sync.WaitGroup
	for id, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ins, ok := w.inspect(ctx, id, c)
			if ok && oomDuring(ins.State, w.since) {
				w.mu.Lock()
				c.s.OOMKilled = true
				w.mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// result is a copy of every series worth reporting, sorted.
func (w *watcher) result() []results.ContainerSeries {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]results.ContainerSeries, 0, len(w.containers))
	for _, c := range w.containers {
		s := *c.s
		s.Samples = slices.Clone(s.Samples)
		s.Events = slices.Clone(s.Events)
		if c.inspected && c.lastRestarts > c.firstRestarts {
			s.Restarts = c.lastRestarts - c.firstRestarts
		}
		if len(s.Samples) == 0 && len(s.Events) == 0 && s.Restarts == 0 && !s.OOMKilled {
			continue
		}
		sort.SliceStable(s.Events, func(i, j int) bool { return s.Events[i].T < s.Events[j].T })
		out = append(out, s)
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
