package load

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"scalebench/matrix"
)

// BenchmarkRecordPath is the per-request recording cost: a worker's ring
// push plus the collector's drain into the histograms.
func BenchmarkRecordPath(b *testing.B) {
	eps := []endpoint{{name: "a", method: "GET"}}
	r := newRing(1024)
	col := newCollector(time.Now(), 0, eps, []*ring{r}, func() int { return 1 })
	var stop atomic.Bool
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.push(sample{end: time.Duration(i) * time.Microsecond, latency: time.Duration(100+i%5000) * time.Microsecond}, &stop)
		if i%512 == 511 {
			r.drain(col.add)
		}
	}
}

// BenchmarkClosedLoop runs 64 users with zero wait against the echo target
// in the same process (so it shares the CPU with it) and reports requests
// per second; compare runs, not absolute numbers.
func BenchmarkClosedLoop(b *testing.B) {
	srv, _ := echoServer(b)
	var total int64
	var secs float64
	for b.Loop() {
		rec, _, err := Run(context.Background(), Config{Target: srv.URL,
			Scenario: matrix.Scenario{Requests: []matrix.Request{get("root", "/")}},
			Cell:     closedCell(64, 2*time.Second)})
		if err != nil {
			b.Fatal(err)
		}
		total += rec.Total.Requests
		secs += rec.Elapsed.Seconds()
	}
	b.ReportMetric(float64(total)/secs, "req/s")
}
