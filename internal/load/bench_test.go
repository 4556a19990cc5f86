package load

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
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

// BenchmarkRequestPath is the generator's CPU per request on its hot path
// without the network: a closed-loop user's request (pick, HTTP write and
// response parse by the client, timing, ring push) to a connection that
// answers at once, and the collector's drain into the per-endpoint,
// steady-state and per-second histograms, with seconds closing as a 25k
// req/s run's would. ns/op is CPU per request spent outside the kernel's
// network stack; allocs/op should be 0.
func BenchmarkRequestPath(b *testing.B) {
	for _, n := range []int{1, prebuiltEndpoints + 1} {
		b.Run(fmt.Sprintf("endpoints-%d", n), func(b *testing.B) {
			requestPath(b, entriesScenario(n))
		})
	}
}

// requestPath runs one closed-loop user's request path against a
// connection that answers at once, draining the collector as a 25k req/s
// run would, once per benchmark iteration.
func requestPath(b *testing.B, sc matrix.Scenario) {
	t, err := parseTarget("http://127.0.0.1:8000")
	if err != nil {
		b.Fatal(err)
	}
	eps, weights, err := compile(t, sc)
	if err != nil {
		b.Fatal(err)
	}
	var tr tracker
	hc := newClient(context.Background(), t, 1, &tr)
	hc.DialTimeout = func(string, time.Duration) (net.Conn, error) { return &fakeConn{resp: fakeOK}, nil }
	var stopped atomic.Bool
	w := &worker{ring: newRing(1024), conn: newConn(hc, eps)}
	start := time.Now()
	l := &loop{eps: eps, pick: newPicker(weights), start: start, stopped: &stopped, workers: []*worker{w}}
	col := newCollector(start, 0, eps, []*ring{w.ring}, func() int { return 1 })
	rng := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, ok := l.request(w, rng); !ok {
			b.Fatal("request path stopped")
		}
		if i%256 == 255 {
			// The collector drains every 20 ms, samples users and
			// closes seconds: at 25k req/s, 500 requests per tick.
			col.tick(time.Since(start))
		}
	}
}
