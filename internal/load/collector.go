package load

import (
	"sort"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/scalebench/scalebench/internal/results"
)

// collectEvery is how often the collector drains the workers' rings.
const collectEvery = 20 * time.Millisecond

// secondGrace is how long after a second ends the collector waits for its
// last samples before closing it.
const secondGrace = 150 * time.Millisecond

// window accumulates one endpoint's requests over a span of time. One
// goroutine (the collector) owns it. Its histograms, of digits significant
// digits, are allocated on the first request that needs them, so an
// endpoint that receives no request in a second costs no histogram.
type window struct {
	// hist holds the latencies of successful requests; fail those of failed
	// ones, kept apart so that a fast refusal never looks like a fast
	// answer. Either is nil until its first request.
	hist       *hdrhistogram.Histogram
	fail       *hdrhistogram.Histogram
	digits     int
	sumOK      time.Duration
	requests   int64
	failures   int64
	bytes      int64
	byClass    [numClasses]int64
	sumLatency time.Duration
	sumWait    time.Duration
}

// newWindow returns an empty window whose histograms, once allocated, have
// digits significant digits.
func newWindow(digits int) *window { return &window{digits: digits} }

// ok returns the histogram of successful requests, allocating it if needed.
func (w *window) ok() *hdrhistogram.Histogram {
	if w.hist == nil {
		w.hist = results.NewHistogramDigits(w.digits)
	}
	return w.hist
}

func (w *window) add(s *sample) {
	w.requests++
	if s.class != classOK {
		if w.fail == nil {
			w.fail = results.NewHistogramDigits(w.digits)
		}
		recordLatency(w.fail, s.latency)
		w.failures++
		w.byClass[s.class]++
	} else {
		recordLatency(w.ok(), s.latency)
		w.sumOK += s.latency
	}
	w.bytes += s.bytes
	w.sumLatency += s.latency
	w.sumWait += s.wait
}

func (w *window) merge(o *window) {
	if o.requests > o.failures {
		w.ok().Merge(o.hist)
	}
	if o.failures > 0 {
		if w.fail == nil {
			w.fail = results.NewHistogramDigits(w.digits)
		}
		w.fail.Merge(o.fail)
	}
	w.sumOK += o.sumOK
	w.requests += o.requests
	w.failures += o.failures
	w.bytes += o.bytes
	for i := range w.byClass {
		w.byClass[i] += o.byClass[i]
	}
	w.sumLatency += o.sumLatency
	w.sumWait += o.sumWait
}

// reset empties w and keeps its histograms, if any, for reuse.
func (w *window) reset() {
	if w.hist != nil {
		w.hist.Reset()
	}
	if w.fail != nil {
		w.fail.Reset()
	}
	*w = window{hist: w.hist, fail: w.fail, digits: w.digits}
}

// all is the latencies of every request, failed ones included, as Locust
// and HdrHistogram logs count them: w's own histogram without failures,
// else scratch (reset, of w's geometry) filled with both; empty when w
// has none.
func (w *window) all(scratch, empty *hdrhistogram.Histogram) *hdrhistogram.Histogram {
	switch {
	case w.requests == 0:
		return empty
	case w.failures == 0:
		return w.hist
	case w.failures == w.requests:
		return w.fail
	}
	scratch.Reset()
	scratch.Merge(w.hist)
	scratch.Merge(w.fail)
	return scratch
}

func (w *window) meanLatency() time.Duration {
	if w.requests == 0 {
		return 0
	}
	return w.sumLatency / time.Duration(w.requests)
}

func (w *window) meanWait() time.Duration {
	if w.requests == 0 {
		return 0
	}
	return w.sumWait / time.Duration(w.requests)
}

// stats summarises w over a span of length d.
func (w *window) stats(d time.Duration) (results.Stats, error) {
	st := results.Stats{
		Window:   d,
		Requests: w.requests,
		Failures: w.failures,
		Bytes:    w.bytes,
	}
	for c, n := range w.byClass {
		if n > 0 {
			if st.FailuresByClass == nil {
				st.FailuresByClass = map[results.Class]int64{}
			}
			st.FailuresByClass[classNames[c]] = n
		}
	}
	if d > 0 {
		st.RPS = float64(w.requests) / d.Seconds()
	}
	if w.requests > 0 {
		st.FailRate = float64(w.failures) / float64(w.requests)
	}
	var mean time.Duration
	if ok := w.requests - w.failures; ok > 0 {
		mean = w.sumOK / time.Duration(ok)
	}
	st.Latency = latencyOf(w.hist, mean)
	enc, err := results.EncodeHistogram(w.hist)
	if err != nil {
		return st, err
	}
	st.Histogram = enc
	if w.fail != nil && w.fail.TotalCount() > 0 {
		fl := latencyOf(w.fail, (w.sumLatency-w.sumOK)/time.Duration(max(w.failures, 1)))
		st.FailedLatency = &fl
		if st.FailedHistogram, err = results.EncodeHistogram(w.fail); err != nil {
			return st, err
		}
	}
	return st, nil
}

// latencyOf summarises h with the given mean.
func latencyOf(h *hdrhistogram.Histogram, mean time.Duration) results.Latency {
	return results.Latency{
		Min:  results.MinLatency(h),
		Mean: mean,
		P50:  results.Quantile(h, 0.50),
		P90:  results.Quantile(h, 0.90),
		P95:  results.Quantile(h, 0.95),
		P99:  results.Quantile(h, 0.99),
		P999: results.Quantile(h, 0.999),
		Max:  results.MaxLatency(h),
	}
}

// second accumulates the samples that completed in one second: each
// sample is recorded once, here, and the second is merged into the
// endpoint's whole-run and steady-state windows when it closes. Recording
// into one histogram instead of three keeps the collector's memory traffic
// per request down (histograms are large, and the cores evict them between
// drains).
type second struct {
	t     int
	users int // -1 until sampled
	// eps holds the samples that ended at or after the steady start; pre,
	// nil until needed, those that ended before it (only seconds that start
	// before the steady start have any).
	eps []*window
	pre []*window
}

// windowsOf returns s's windows for a sample that ended at end.
func (c *collector) windowsOf(s *second, end time.Duration) []*window {
	if end >= c.steadyStart {
		return s.eps
	}
	return c.preOf(s)
}

// preOf returns s's windows for samples that ended before the steady start.
func (c *collector) preOf(s *second) []*window {
	if s.pre == nil {
		s.pre = c.newWindows()
	}
	return s.pre
}

// newWindows returns one empty window per endpoint.
func (c *collector) newWindows() []*window {
	ws := make([]*window, len(c.eps))
	for i := range ws {
		ws[i] = newWindow(c.digits)
	}
	return ws
}

type errKey struct {
	ep    int32
	class uint8
	msg   string
}

// collector drains the workers' rings and owns every histogram. Only its own
// goroutine touches it while the load runs; Run takes it over afterwards.
type collector struct {
	start       time.Time
	steadyStart time.Duration
	eps         []endpoint
	rings       []*ring
	users       func() int
	progress    func(Progress)
	second      func(results.Second)
	interval    func(Interval)

	total  []*window
	steady []*window

	open    []*second // seconds nextSec, nextSec+1, ...
	free    []*second
	nextSec int
	scratch *window
	// digits is the per-endpoint histograms' precision (endpointDigits);
	// empty is an empty histogram of it, handed to Interval for an endpoint
	// that received no request in a second; mixed are reused histograms for
	// Interval's successes and failures together, allTotal the total's.
	digits   int
	empty    *hdrhistogram.Histogram
	mixed    []*hdrhistogram.Histogram
	allTotal *hdrhistogram.Histogram

	series   []results.Second
	errs     map[errKey]*results.ErrorGroup
	errOrder []errKey
	late     int64

	requests, failures int64 // cumulative, for progress

	// users over the whole run and over the steady window, sampled every tick
	usersAll, usersSteady samples
	cpuAtSteady           *cpuMark
}

type samples struct {
	sum float64
	n   int
}

func (s *samples) add(v int) { s.sum += float64(v); s.n++ }
func (s samples) mean() float64 {
	if s.n == 0 {
		return 0
	}
	return s.sum / float64(s.n)
}

func newCollector(start time.Time, steadyStart time.Duration, eps []endpoint, rings []*ring, users func() int) *collector {
	c := &collector{
		start:       start,
		steadyStart: steadyStart,
		eps:         eps,
		rings:       rings,
		users:       users,
		errs:        map[errKey]*results.ErrorGroup{},
		scratch:     newWindow(results.HistogramDigits),
		digits:      endpointDigits(len(eps)),
	}
	c.empty = results.NewHistogramDigits(c.digits)
	for range eps {
		c.total = append(c.total, newWindow(c.digits))
		c.steady = append(c.steady, newWindow(c.digits))
	}
	return c
}

// run collects until stop is closed.
func (c *collector) run(stop <-chan struct{}) {
	t := time.NewTicker(collectEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			c.tick(time.Since(c.start))
		}
	}
}

// tick drains every ring, samples the user count and closes the seconds
// whose grace has passed.
func (c *collector) tick(now time.Duration) {
	c.drain()
	u := c.users()
	c.at(int(now / time.Second)).users = u
	c.usersAll.add(u)
	if now >= c.steadyStart {
		if c.cpuAtSteady == nil {
			m := markCPU()
			c.cpuAtSteady = &m
		}
		c.usersSteady.add(u)
	}
	for s := c.nextSec; time.Duration(s+1)*time.Second+secondGrace <= now; s++ {
		c.closeSecond(time.Second)
	}
}

func (c *collector) drain() {
	for _, r := range c.rings {
		r.drain(c.add)
	}
}

func (c *collector) add(s *sample) {
	sec := c.at(max(int(s.end/time.Second), c.nextSec))
	c.windowsOf(sec, s.end)[s.ep].add(s)
	if s.late {
		c.late++
	}
	if s.class != classOK && s.fail != nil {
		k := errKey{ep: s.ep, class: s.class, msg: s.fail.message}
		g := c.errs[k]
		if g == nil {
			e := &c.eps[s.ep]
			g = &results.ErrorGroup{
				Endpoint: e.name, Method: e.method, Class: classNames[s.class],
				Message: s.fail.message, Sample: s.fail.sample, First: s.end,
			}
			c.errs[k] = g
			c.errOrder = append(c.errOrder, k)
		}
		g.Count++
		g.First = min(g.First, s.end)
		g.Last = max(g.Last, s.end)
	}
}

// at returns the accumulator of second t ≥ nextSec, opening it if needed.
func (c *collector) at(t int) *second {
	for len(c.open) <= t-c.nextSec {
		var s *second
		if n := len(c.free); n > 0 {
			s, c.free = c.free[n-1], c.free[:n-1]
		} else {
			s = &second{eps: c.newWindows()}
		}
		s.t = c.nextSec + len(c.open)
		s.users = -1
		c.open = append(c.open, s)
	}
	return c.open[t-c.nextSec]
}

// closeSecond closes second nextSec, whose length is length (a full second
// but for the last one), appends it to the series and reports it.
func (c *collector) closeSecond(length time.Duration) {
	s := c.at(c.nextSec)
	c.open = c.open[1:]
	c.nextSec++
	if s.users < 0 {
		s.users = 0
		if n := len(c.series); n > 0 {
			s.users = c.series[n-1].Users
		}
	}
	c.fold(s)
	tot := c.scratch
	tot.reset()
	out := results.Second{T: s.t, Users: s.users, Endpoints: make(map[string]results.SecondEndpoint, len(c.eps))}
	for i, w := range s.eps {
		tot.merge(w)
		out.Endpoints[c.eps[i].name] = results.SecondEndpoint{
			Requests: w.requests, Failures: w.failures,
			P50: results.Quantile(w.hist, 0.50), P95: results.Quantile(w.hist, 0.95),
		}
	}
	out.Requests, out.Failures = tot.requests, tot.failures
	okTotal := tot.ok()
	out.P50, out.P95, out.P99 = results.Quantile(okTotal, 0.50), results.Quantile(okTotal, 0.95), results.Quantile(okTotal, 0.99)
	out.Max = results.MaxLatency(okTotal)
	c.series = append(c.series, out)
	if c.second != nil {
		c.second(out)
	}
	c.requests += tot.requests
	c.failures += tot.failures

	if c.interval != nil {
		iv := Interval{
			T: s.t, Start: c.start.Add(time.Duration(s.t) * time.Second), Length: length,
			Users: s.users, Requests: tot.requests, Failures: tot.failures,
			Bytes: tot.bytes, LatencySum: tot.sumLatency,
		}
		if tot.failures > 0 && c.allTotal == nil {
			c.allTotal = results.NewHistogramDigits(results.HistogramDigits)
		}
		iv.Total = tot.all(c.allTotal, okTotal)
		k := 0
		for i, w := range s.eps {
			var mixed *hdrhistogram.Histogram
			if w.failures > 0 && w.requests > w.failures {
				if k == len(c.mixed) {
					c.mixed = append(c.mixed, results.NewHistogramDigits(c.digits))
				}
				mixed = c.mixed[k]
				k++
			}
			iv.Endpoints = append(iv.Endpoints, IntervalEndpoint{
				Name: c.eps[i].name, Method: c.eps[i].method, Histogram: w.all(mixed, c.empty), OK: w.hist,
				Requests: w.requests, Failures: w.failures, Bytes: w.bytes, LatencySum: w.sumLatency,
			})
		}
		c.interval(iv)
	}
	if c.progress != nil {
		rps := float64(tot.requests)
		if length > 0 && length < time.Second {
			rps = float64(tot.requests) / length.Seconds()
		}
		c.progress(Progress{
			Elapsed: time.Duration(s.t)*time.Second + length, Users: s.users, RPS: rps,
			P95: out.P95, Failures: c.failures, Requests: c.requests,
		})
	}
	for _, w := range s.eps {
		w.reset()
	}
	c.free = append(c.free, s)
}

// fold merges closing second s into the whole-run and steady-state
// windows, and its samples from before the steady start into its own
// windows, which then hold every sample of the second.
func (c *collector) fold(s *second) {
	for i, w := range s.eps {
		if w.requests > 0 {
			c.steady[i].merge(w)
		}
		if s.pre != nil && s.pre[i].requests > 0 {
			w.merge(s.pre[i])
			s.pre[i].reset()
		}
		if w.requests > 0 {
			c.total[i].merge(w)
		}
	}
}

// finish drains what is left and closes every second up to elapsed. A
// last, partial second shorter than minTail is folded into the one before,
// so a run of 10.001 s has ten seconds, not eleven.
func (c *collector) finish(elapsed time.Duration) {
	c.drain()
	n := int(elapsed / time.Second)
	if tail := elapsed - time.Duration(n)*time.Second; n == 0 || tail >= minTail {
		n++
	}
	for c.nextSec < n-1 {
		c.closeSecond(time.Second)
	}
	if c.nextSec > n-1 {
		return // already closed (cannot happen: seconds close after their end)
	}
	last := c.at(c.nextSec)
	for _, s := range c.open[1:] {
		for i, w := range s.eps {
			last.eps[i].merge(w)
			w.reset()
		}
		for i, w := range s.pre {
			c.preOf(last)[i].merge(w)
			w.reset()
		}
		c.free = append(c.free, s)
	}
	c.open = c.open[:1]
	last.users = c.users()
	c.closeSecond(elapsed - time.Duration(c.nextSec)*time.Second)
}

// minTail is the shortest last second kept as its own series entry.
const minTail = 100 * time.Millisecond

// errorGroups returns the error groups, most frequent first.
func (c *collector) errorGroups() []results.ErrorGroup {
	out := make([]results.ErrorGroup, 0, len(c.errOrder))
	for _, k := range c.errOrder {
		out = append(out, *c.errs[k])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out
}
