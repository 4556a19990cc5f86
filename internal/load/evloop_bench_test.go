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

// BenchmarkEventLoopRequestPath is BenchmarkRequestPath for the event
// loops, which carry closed-loop users on Linux: per iteration one answer
// arrives in a user's buffer and is parsed, judged, timed and pushed to
// the ring, and the user's next request is picked and written, to
// /dev/null (one cheap system call, standing for the socket's write). The
// collector drains as a 25k req/s run's would. ns/op is the loop's CPU per
// request outside the kernel's network stack; allocs/op should be 0.
func BenchmarkEventLoopRequestPath(b *testing.B) {
	for _, n := range []int{1, prebuiltEndpoints + 1} {
		b.Run(fmt.Sprintf("endpoints-%d", n), func(b *testing.B) {
			t, err := parseTarget("http://127.0.0.1:8000")
			if err != nil {
				b.Fatal(err)
			}
			eps, weights, err := compile(t, entriesScenario(n))
			if err != nil {
				b.Fatal(err)
			}
			var stopped atomic.Bool
			start := time.Now()
			l := &loop{eps: eps, pick: newPicker(weights), start: start, stopped: &stopped}
			g, err := newEvGroup(context.Background(), l, t, 1)
			if err != nil {
				b.Fatal(err)
			}
			lp := g.loops[0]
			defer g.close()
			null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			if err != nil {
				b.Fatal(err)
			}
			defer null.Close()
			u := lp.users[0]
			u.fd, u.in = int(null.Fd()), make([]byte, 0, readBufferSize)
			u.rng = newUserRand(start, 0)
			col := newCollector(start, 0, eps, g.rings(), func() int { return 1 })
			lp.tick()
			lp.begin(u)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				n := copy(u.in[len(u.in):cap(u.in)], fakeOK)
				if lp.received(u, n) {
					b.Fatal("the answer was not taken whole")
				}
				if u.state != stReading {
					b.Fatalf("state %d after the answer, want the next request sent", u.state)
				}
				if i%256 == 255 {
					col.tick(time.Since(start))
				}
			}
			u.fd = -1 // null's, closed by its File
		})
	}
}
