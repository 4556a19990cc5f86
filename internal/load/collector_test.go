package load

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// TestCollectorWindowsMatchPerSample: the collector records each sample
// once, in its second, and folds seconds into the whole-run and
// steady-state windows when they close. The result must equal recording
// every sample into each window it belongs to: with a steady start in the
// middle of a second, samples that reach the collector after their second
// closed, failures, and several seconds still open at the finish.
func TestCollectorWindowsMatchPerSample(t *testing.T) {
	eps := []endpoint{{name: "a", method: "GET"}, {name: "b", method: "POST"}}
	steadyStart := 1500 * time.Millisecond
	c := newCollector(time.Now(), steadyStart, eps, nil, func() int { return 3 })
	wantTotal := []*window{newWindow(c.digits), newWindow(c.digits)}
	wantSteady := []*window{newWindow(c.digits), newWindow(c.digits)}
	rng := rand.New(rand.NewPCG(1, 2))
	add := func(s sample) {
		c.add(&s)
		wantTotal[s.ep].add(&s)
		if s.end >= steadyStart {
			wantSteady[s.ep].add(&s)
		}
	}
	now := time.Duration(0)
	for i := 0; i < 4000; i++ {
		now += time.Duration(rng.IntN(2000)) * time.Microsecond // about 4 s in all
		s := sample{end: now, latency: time.Duration(100+rng.IntN(50000)) * time.Microsecond, ep: int32(rng.IntN(2)), bytes: 10}
		if rng.IntN(20) == 0 {
			s.class = classReset
		}
		if rng.IntN(50) == 0 {
			// reaches the collector late: its second may have closed
			s.end = max(0, now-time.Duration(rng.IntN(400))*time.Millisecond)
		}
		add(s)
		if i%10 == 0 {
			c.tick(now)
		}
	}
	// Leave the last seconds open: finish folds them.
	c.finish(now + 2*time.Second)

	checkWindows(t, c, wantTotal, wantSteady)
	if wantSteady[0].requests == 0 || wantSteady[0].requests == wantTotal[0].requests {
		t.Fatalf("steady start does not split the run (steady %d of %d)", wantSteady[0].requests, wantTotal[0].requests)
	}
	var series int64
	for _, s := range c.series {
		series += s.Requests
	}
	if all := wantTotal[0].requests + wantTotal[1].requests; series != all {
		t.Errorf("series holds %d requests, want %d", series, all)
	}
}

// checkWindows compares the collector's whole-run and steady-state windows
// with ones that recorded every sample directly.
func checkWindows(t *testing.T, c *collector, wantTotal, wantSteady []*window) {
	t.Helper()
	eps := c.eps
	for i := range eps {
		for _, tc := range []struct {
			name      string
			got, want *window
		}{{"total", c.total[i], wantTotal[i]}, {"steady", c.steady[i], wantSteady[i]}} {
			if tc.got.requests != tc.want.requests || tc.got.failures != tc.want.failures || tc.got.bytes != tc.want.bytes ||
				tc.got.sumLatency != tc.want.sumLatency || tc.got.sumOK != tc.want.sumOK || tc.got.sumWait != tc.want.sumWait ||
				tc.got.byClass != tc.want.byClass {
				t.Errorf("endpoint %s %s: requests %d failures %d bytes %d sum %v, want %d %d %d %v", eps[i].name, tc.name,
					tc.got.requests, tc.got.failures, tc.got.bytes, tc.got.sumLatency,
					tc.want.requests, tc.want.failures, tc.want.bytes, tc.want.sumLatency)
			}
			if !sameHistogram(tc.got.hist, tc.want.hist) || !sameHistogram(tc.got.fail, tc.want.fail) {
				t.Errorf("endpoint %s %s: histograms differ from recording each sample", eps[i].name, tc.name)
			}
		}
	}
}

// TestCollectorFinishFoldsEarlySamples: a run that ends just past a second,
// with its steady start in that last short second, folds the second into
// the one before it; samples from before the steady start must stay out
// of the steady state.
func TestCollectorFinishFoldsEarlySamples(t *testing.T) {
	eps := []endpoint{{name: "a", method: "GET"}}
	steadyStart := 1030 * time.Millisecond
	c := newCollector(time.Now(), steadyStart, eps, nil, func() int { return 1 })
	wantTotal, wantSteady := []*window{newWindow(c.digits)}, []*window{newWindow(c.digits)}
	for _, end := range []time.Duration{500 * time.Millisecond, 1010 * time.Millisecond, 1020 * time.Millisecond, 1040 * time.Millisecond} {
		s := sample{end: end, latency: end / 10, ep: 0}
		c.add(&s)
		wantTotal[0].add(&s)
		if end >= steadyStart {
			wantSteady[0].add(&s)
		}
	}
	c.finish(1050 * time.Millisecond)
	if len(c.series) != 1 || c.series[0].Requests != 4 {
		t.Fatalf("series = %+v, want one second of 4 requests", c.series)
	}
	checkWindows(t, c, wantTotal, wantSteady)
}

// sameHistogram compares two histograms, either of which may be nil (no
// request of its kind): a nil one equals an empty one.
func sameHistogram(a, b *hdrhistogram.Histogram) bool {
	if a == nil || b == nil {
		return (a == nil || a.TotalCount() == 0) && (b == nil || b.TotalCount() == 0)
	}
	return a.Equals(b)
}
