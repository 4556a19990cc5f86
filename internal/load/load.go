// Package load is the load engine: Locust-compatible closed-loop virtual
// users, an open-loop arrival-rate mode, HdrHistogram recording per
// endpoint and per second, and the cell's generator check. On Linux, the
// users and open-loop slots of a plain-HTTP target are driven by epoll
// event loops with a response parser of their own (evloop_linux.go,
// http1.go), which spend about half the CPU per request of a goroutine per
// user and pace open-loop sends to the microsecond; elsewhere, and for
// HTTPS, every user or slot is a goroutine whose HTTP/1.1 is written and
// parsed by fasthttp over a connection pool of its own (transport.go). It
// also writes what it recorded in the formats other tools read (Locust CSV,
// HdrHistogram interval logs, a Locust-like table) to the writers it is given.
//
// It must not know about Docker, and it opens no files but what a scenario
// names (upload files, its data file, its TLS CA and client certificate):
// callers hand it writers.
//
// Recording: every worker (a virtual user or open-loop slot, or an event
// loop) pushes one sample per request into its own single-producer ring;
// one collector goroutine drains the rings every 20 ms and owns every
// histogram. Totals are merges of histograms, never averages of
// percentiles. Nothing on the per-request path takes a lock.
package load

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/valyala/fasthttp"

	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// Config is one cell's load.
type Config struct {
	// Target is the base URL, e.g. http://127.0.0.1:8000; request paths are
	// appended to it.
	Target string
	// Scenario is what every user does: weighted requests and think time.
	Scenario matrix.Scenario
	// Cell gives Mode, Users, Rate, Duration, SpawnRate, Warmup and
	// MaxInFlight; the rest is ignored. SpawnRate ≤ 0 starts every user at
	// once; MaxInFlight ≤ 0 means matrix.DefaultMaxInFlight.
	Cell matrix.Cell
	// Progress, when set, is called about once per second, from one
	// goroutine, with the second just closed.
	Progress func(Progress)
	// Interval, when set, is called once per closed second, in order and
	// from the same goroutine as Progress, with that second's histograms
	// (for interval logs and Locust's history). The histograms are reused
	// after the call returns: copy what must be kept. Keep it quick (buffer,
	// do not block on I/O): recording waits while it runs.
	Interval func(Interval)
	// Second, when set, is called once per closed second, in order and
	// from the same goroutine as Progress, with that second as the series
	// saves it (the early-stop rule reads it). Keep it quick.
	Second func(results.Second)
}

// Progress is the live view once per second.
type Progress struct {
	// Elapsed is the time from the start to the end of the second reported.
	Elapsed time.Duration
	// Users is the running users (closed loop) or requests in flight (open).
	Users int
	// RPS is the requests completed in the second, per second.
	RPS float64
	// P95 is the 95th percentile latency of the second.
	P95 time.Duration
	// Failures and Requests are cumulative counts.
	Failures int64
	Requests int64
}

// Interval is one second's histograms (latencies in microseconds).
type Interval struct {
	// T is the second's index from the start; Start its wall-clock start;
	// Length is 1 s but for a last, partial second.
	T      int
	Start  time.Time
	Length time.Duration
	// Users as in Progress, at the end of the second.
	Users int
	// Total merges every endpoint; the counts are the second's.
	Total      *hdrhistogram.Histogram
	Requests   int64
	Failures   int64
	Bytes      int64
	LatencySum time.Duration
	// Endpoints are in scenario order.
	Endpoints []IntervalEndpoint
}

// IntervalEndpoint is one endpoint's share of an Interval.
type IntervalEndpoint struct {
	Name, Method string
	Histogram    *hdrhistogram.Histogram
	// OK holds the second's successful requests alone (the series'
	// percentiles are of these); nil when none succeeded.
	OK         *hdrhistogram.Histogram
	Requests   int64
	Failures   int64
	Bytes      int64
	LatencySum time.Duration
}

// Run runs the load until Cell.Duration has passed or ctx is done, and
// returns what was recorded. When ctx is cancelled it stops within a second
// and returns the partial record with aborted=true and no error. An error
// means the load could not run at all (bad URL, unreadable upload file).
func Run(ctx context.Context, cfg Config) (rec *results.Load, aborted bool, err error) {
	t, err := parseTarget(cfg.Target)
	if err != nil {
		return nil, false, err
	}
	if t.isTLS {
		if t.tls, err = tlsConfig(t, cfg.Scenario.TLS); err != nil {
			return nil, false, err
		}
	}
	eps, weights, err := compile(t, cfg.Scenario)
	if err != nil {
		return nil, false, err
	}
	cell := cfg.Cell
	if cell.Duration <= 0 {
		return nil, false, fmt.Errorf("cell %s: duration %s must be positive", cell.ID, cell.Duration)
	}
	open := cell.Mode == matrix.Open
	switch {
	case open && cell.Rate <= 0:
		return nil, false, fmt.Errorf("cell %s: open-loop rate %g must be positive", cell.ID, cell.Rate)
	case !open && cell.Users <= 0:
		return nil, false, fmt.Errorf("cell %s: users %d must be positive", cell.ID, cell.Users)
	}
	if cell.MaxInFlight <= 0 {
		cell.MaxInFlight = matrix.DefaultMaxInFlight
	}
	// Steady state starts after spawning (none in open loop or when every
	// user starts at once) and warm-up.
	steadyStart := min(max(cell.SteadyStart(), 0), cell.Duration)

	// Everything a worker needs; the collector reads the rings and counters.
	runCtx, cancelRun := context.WithCancel(context.Background())
	defer cancelRun()
	var stopped atomic.Bool
	nWorkers := cell.Users
	if open {
		nWorkers = cell.MaxInFlight
	}
	size := ringSize(nWorkers)
	// On Linux, users and slots of a plain-HTTP target are driven by
	// event loops (evloop_linux.go); others are goroutines. Closed loop:
	// every user has its own connection, as a Locust user has its own
	// session. Open loop: the slots share warm connections (the event
	// loops take the most recently freed slot; the goroutine slots share
	// one client).
	evented := !t.isTLS && evLoopsSupported && !goroutineUsers
	var tr tracker
	var shared *fasthttp.HostClient
	if open && !evented {
		shared = newClient(runCtx, t, nWorkers, &tr)
	}
	var ws []*worker
	var rings []*ring
	for i := range nWorkers {
		if evented {
			break // the event loops hold the users and slots
		}
		hc := shared
		if hc == nil {
			hc = newClient(runCtx, t, 1, &tr)
		}
		w := &worker{id: i, ring: newRing(size), conn: newConn(hc, eps), timer: time.NewTimer(time.Hour)}
		w.timer.Stop()
		ws, rings = append(ws, w), append(rings, w.ring)
	}
	l := &loop{
		eps: eps, pick: newPicker(weights), wait: cfg.Scenario.Wait, cell: cell,
		workers: ws, stopped: &stopped, stopCh: make(chan struct{}),
	}
	if evented {
		if l.evs, err = newEvGroup(runCtx, l, t, nWorkers); err != nil {
			return nil, false, fmt.Errorf("cell %s: %w", cell.ID, err)
		}
		rings = l.evs.rings()
	}
	evs := l.evs

	// Start every goroutine first, then the clock: the workers wait for
	// begin, so creating a thousand of them does not make the first sends late.
	var wg sync.WaitGroup
	begin := make(chan struct{})
	switch {
	case evs != nil:
		evs.run(&wg, begin)
	case open:
		l.runOpen(&wg, begin)
	default:
		l.runClosed(&wg, begin)
	}
	start := time.Now()
	l.start = start
	col := newCollector(start, steadyStart, eps, rings, l.active)
	col.progress, col.interval = cfg.Progress, cfg.Interval
	col.second = cfg.Second
	cpuStart := markCPU()
	colStop := make(chan struct{})
	colDone := make(chan struct{})
	go func() { col.run(colStop); close(colDone) }()
	close(begin)

	timer := time.NewTimer(cell.Duration - time.Since(start))
	var loopFailed <-chan struct{} // nil, never ready, without event loops
	if evs != nil {
		loopFailed = evs.failure()
	}
	select {
	case <-timer.C:
	case <-ctx.Done():
		aborted = true
	case <-loopFailed: // its error is returned below
	}
	timer.Stop()
	elapsed := time.Since(start)

	// Stop: no new requests, close every connection so requests in flight
	// return at once, cancel dials in progress.
	stopped.Store(true)
	close(l.stopCh)
	if evs != nil {
		evs.wake()
	}
	for _, w := range ws {
		w.timer.Reset(0) // wakes a worker waiting in sleep
		w.wake()         // or an open-loop slot waiting for a send
	}
	cancelRun()
	tr.closeAll()
	wg.Wait()
	if evs != nil {
		evs.close()
	}
	cpuEnd := markCPU()
	close(colStop)
	<-colDone
	if evs != nil {
		if err := evs.err(); err != nil {
			return nil, aborted, fmt.Errorf("cell %s: %w", cell.ID, err)
		}
	}
	col.finish(elapsed)

	rec, err = l.record(col, elapsed, cpuStart, cpuEnd)
	if err != nil {
		return nil, aborted, err
	}
	return rec, aborted, nil
}

// goroutineUsers makes users and open-loop slots goroutines even where
// event loops run them; tests set it to hold both to the same behaviour.
var goroutineUsers bool

// worker is one virtual user (closed loop) or in-flight slot (open loop).
type worker struct {
	id   int
	ring *ring
	conn *conn
	// timer is what the worker waits on between requests; Run's stop
	// fires it to wake the worker.
	timer *time.Timer
	busy  atomic.Bool // open loop: a request is in flight
	sent  int64       // open loop: requests sent, read after the worker ends
	// open loop: tickets is where the pacer hands the slot its sends;
	// freeAt is when it last became free, from the start.
	tickets chan ticket
	freeAt  time.Duration
}

// loop holds what the workers share, read-only but for atomics.
type loop struct {
	eps     []endpoint
	pick    picker
	wait    matrix.Wait
	cell    matrix.Cell
	workers []*worker // goroutine users or slots
	evs     *evGroup  // or event loops
	start   time.Time
	stopped *atomic.Bool
	stopCh  chan struct{}

	spawned atomic.Int64 // closed loop: users started
}

// active is the user count (closed) or requests in flight (open).
func (l *loop) active() int {
	if l.cell.Mode != matrix.Open {
		return int(l.spawned.Load())
	}
	if l.evs != nil {
		return l.evs.inFlight()
	}
	n := 0
	for _, w := range l.workers {
		if w.busy.Load() {
			n++
		}
	}
	return n
}

// sleep is a worker's wait of d, cut short when the load stops; it reports
// whether the load goes on. It waits on the worker's own timer alone, not in
// a select with stopCh: a thousand open-loop slots each woken once per
// request made the select's locking of the shared stopCh show in profiles.
// The stop sets stopped and then fires every worker's timer, so a worker
// either sees stopped after arming its timer or is woken by the stop.
func (w *worker) sleep(l *loop, d time.Duration) bool {
	if d <= 0 {
		return !l.stopped.Load()
	}
	w.timer.Reset(d)
	if l.stopped.Load() {
		return false
	}
	<-w.timer.C
	return !l.stopped.Load()
}

// sleep waits d or until the load stops; it reports whether the load goes on.
func (l *loop) sleep(t *time.Timer, d time.Duration) bool {
	if d <= 0 {
		return !l.stopped.Load()
	}
	t.Reset(d)
	select {
	case <-t.C:
		return true
	case <-l.stopCh:
		return false
	}
}

// record builds the cell's record from the collector's windows.
func (l *loop) record(col *collector, elapsed time.Duration, cpuStart, cpuEnd cpuMark) (*results.Load, error) {
	steadyLen := max(0, elapsed-col.steadyStart)
	rec := &results.Load{
		Mode:        l.cell.Mode,
		Started:     l.start,
		Elapsed:     elapsed,
		SteadyStart: col.steadyStart,
		Series:      col.series,
		Errors:      col.errorGroups(),
		Late:        col.late,
	}
	if rec.Mode == "" {
		rec.Mode = matrix.Closed
	}
	total, steady := newWindow(results.HistogramDigits), newWindow(results.HistogramDigits)
	for i := range l.eps {
		e := results.Endpoint{Name: l.eps[i].name, Method: l.eps[i].method}
		var err error
		if e.Total, err = col.total[i].stats(elapsed); err != nil {
			return nil, err
		}
		if e.Steady, err = col.steady[i].stats(steadyLen); err != nil {
			return nil, err
		}
		rec.Endpoints = append(rec.Endpoints, e)
		total.merge(col.total[i])
		steady.merge(col.steady[i])
	}
	var err error
	if rec.Total, err = total.stats(elapsed); err != nil {
		return nil, err
	}
	if rec.Steady, err = steady.stats(steadyLen); err != nil {
		return nil, err
	}

	in := checkInput{open: l.cell.Mode == matrix.Open, numCPU: numCPU(), late: col.late, maxFlight: l.cell.MaxInFlight}
	win, users, cpuFrom := steady, col.usersSteady.mean(), cpuStart
	winLen := steadyLen
	if steady.requests == 0 || col.cpuAtSteady == nil {
		win, users, winLen = total, col.usersAll.mean(), elapsed
	} else {
		cpuFrom = *col.cpuAtSteady
	}
	in.users = users
	if winLen > 0 {
		in.throughput = float64(win.requests) / winLen.Seconds()
	}
	in.response, in.wait = win.meanLatency(), win.meanWait()
	in.cpu = cores(cpuFrom, cpuEnd)
	in.cpuTime, in.requests = cpuEnd.cpu-cpuFrom.cpu, win.requests
	if in.open {
		for _, w := range l.workers {
			in.sent += w.sent
		}
		if l.evs != nil {
			in.sent += l.evs.sent()
		}
		due := dueBefore(min(elapsed, l.cell.Duration)-dropGrace, l.cell.Rate)
		if in.sent < due {
			rec.Dropped = due - in.sent
		}
		in.dropped = rec.Dropped
	}
	rec.Check = littleCheck(in)
	return rec, nil
}
