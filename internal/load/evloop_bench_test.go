//go:build linux

package load

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// pathLoop is one event loop with one user whose connection is /dev/null:
// its requests are written there (one cheap system call, standing for the
// socket's write) and its answers are handed to it by answer.
type pathLoop struct {
	lp    *evLoop
	u     *evUser
	col   *collector
	start time.Time
}

func newPathLoop(tb testing.TB, endpoints int) *pathLoop {
	tb.Helper()
	t, err := parseTarget("http://127.0.0.1:8000")
	if err != nil {
		tb.Fatal(err)
	}
	eps, weights, err := compile(t, entriesScenario(endpoints))
	if err != nil {
		tb.Fatal(err)
	}
	var stopped atomic.Bool
	start := time.Now()
	l := &loop{eps: eps, pick: newPicker(weights), start: start, stopped: &stopped}
	g, err := newEvGroup(context.Background(), l, t, 1)
	if err != nil {
		tb.Fatal(err)
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		g.close()
		tb.Fatal(err)
	}
	lp := g.loops[0]
	u := lp.users[0]
	u.fd, u.in = int(null.Fd()), make([]byte, 0, readBufferSize)
	u.rng = newUserRand(start, 0)
	tb.Cleanup(func() {
		u.fd = -1 // null's, closed by its File
		g.close()
		null.Close()
	})
	pl := &pathLoop{lp: lp, u: u, col: newCollector(start, 0, eps, g.rings(), func() int { return 1 }), start: start}
	lp.tick()
	lp.begin(u)
	return pl
}

// answer hands the user fakeOK: it is parsed, judged, timed and pushed,
// and the next request picked and written. Every 256th call the collector
// drains, as a 25k req/s run's would.
func (pl *pathLoop) answer(tb testing.TB, i int) {
	u := pl.u
	n := copy(u.in[len(u.in):cap(u.in)], fakeOK)
	if pl.lp.received(u, n) {
		tb.Fatal("the answer was not taken whole")
	}
	if u.state != stReading {
		tb.Fatalf("state %d after the answer, want the next request sent", u.state)
	}
	if i%256 == 255 {
		pl.col.tick(time.Since(pl.start))
	}
}

// BenchmarkEventLoopRequestPath is BenchmarkRequestPath for the event
// loops, which carry users and open-loop slots on Linux: per iteration one
// answer arrives in a user's buffer and is parsed, judged, timed and
// pushed to the ring, and the user's next request is picked and written
// to /dev/null. ns/op is the loop's CPU per request outside the kernel's
// network stack; allocs/op must be 0 (TestEventLoopPathDoesNotAllocate).
func BenchmarkEventLoopRequestPath(b *testing.B) {
	for _, n := range []int{1, prebuiltEndpoints + 1} {
		b.Run(fmt.Sprintf("endpoints-%d", n), func(b *testing.B) {
			pl := newPathLoop(b, n)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				pl.answer(b, i)
			}
		})
	}
}

// TestEventLoopPathDoesNotAllocate: the event loops' request path, answer
// to next request, allocates nothing once warm, with one endpoint or many.
func TestEventLoopPathDoesNotAllocate(t *testing.T) {
	for _, n := range []int{1, prebuiltEndpoints + 1} {
		pl := newPathLoop(t, n)
		i := 0
		for range 1024 { // warm: buffers grown, histograms made
			pl.answer(t, i)
			i++
		}
		if a := testing.AllocsPerRun(2000, func() { pl.answer(t, i); i++ }); a > 0.01 {
			t.Errorf("%d endpoints: %.3f allocations per request, want 0", n, a)
		}
	}
}
