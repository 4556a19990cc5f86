//go:build linux

package load

import (
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// TestSeveralEventLoops: users spread over several loops (as on a machine
// of many cores) all send, and the record adds up.
func TestSeveralEventLoops(t *testing.T) {
	evLoopsOverride = 3
	t.Cleanup(func() { evLoopsOverride = 0 })
	srv, _ := echoServer(t)
	users := 31
	rec := mustRun(t, Config{Target: srv.URL, Scenario: matrix.Scenario{
		Requests: []matrix.Request{get("root", "/")}, Wait: matrix.Wait{Min: 50 * time.Millisecond, Max: 50 * time.Millisecond},
	}, Cell: closedCell(users, 600*time.Millisecond)})
	if rec.Total.Failures != 0 || rec.Total.Requests < int64(users)*5 {
		t.Errorf("%d requests, %d failures from %d users over 0.6 s with 50 ms waits; want about %d, none failed",
			rec.Total.Requests, rec.Total.Failures, users, users*11)
	}
	// Little's law holds when the loops time requests and think times
	// as the users spend them.
	if c := rec.Check; c.Users < float64(users)-0.5 || c.Ratio < 0.9 || c.Ratio > 1.1 {
		t.Errorf("check %+v: want all %d users counted and X·(R+Z)/N near 1", rec.Check, users)
	}
}

// stuckListener is a local address whose connections never complete: a
// socket listening with a backlog of zero, filled by one connection that
// is never accepted, so that further SYNs are dropped.
func stuckListener(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	for range 2 { // the backlog holds one or two, by kernel
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return "http://" + addr
		}
		t.Cleanup(func() { c.Close() })
	}
	return "http://" + addr
}

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd here")
	}
	return len(ents)
}

// TestDialTimeoutLeavesNothingOpen: connections that never complete make
// every request a timeout, and neither the dials cut short by the
// timeouts nor those the stop ends leave a descriptor open.
func TestDialTimeoutLeavesNothingOpen(t *testing.T) {
	engines(t, func(t *testing.T) {
		url := stuckListener(t)
		before := openFDs(t)
		rec := mustRun(t, Config{Target: url, Scenario: matrix.Scenario{Requests: []matrix.Request{
			{Name: "stuck", Path: "/", Timeout: 80 * time.Millisecond},
		}}, Cell: closedCell(20, 500*time.Millisecond)})
		st := rec.Total
		if st.Requests < 20 || st.FailuresByClass[results.ClassTimeout] != st.Requests {
			t.Errorf("%d requests, failures by class %v; want every user's, all timeouts", st.Requests, st.FailuresByClass)
		}
		var after int
		for range 50 { // dials end as their contexts are cancelled
			if after = openFDs(t); after <= before {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if after > before {
			t.Errorf("%d descriptors open after the run, %d before", after, before)
		}
	})
}

// TestOpenLoopSlotsArePooled: an open loop's slots are one pool, even
// where closed-loop users would be spread over several loops. 200 sends
// per second, one in five taking 60 ms and the rest 2 ms, keep about 3 of
// 8 slots busy, and no send waits for a slot; split four ways, two slots
// a loop, a loop's two slow answers at once would make its sends wait.
func TestOpenLoopSlotsArePooled(t *testing.T) {
	evLoopsOverride = 4
	t.Cleanup(func() { evLoopsOverride = 0 })
	engines(t, func(t *testing.T) {
		srv, _ := echoServer(t)
		slow, fast := get("slow", "/delay?ms=60"), get("fast", "/delay?ms=2")
		fast.Weight = 4
		rec := mustRun(t, Config{Target: srv.URL, Scenario: matrix.Scenario{Requests: []matrix.Request{slow, fast}},
			Cell: matrix.Cell{Mode: matrix.Open, Rate: 200, MaxInFlight: 8, Duration: 2 * time.Second}})
		if n := rec.Total.Requests; n < 380 || rec.Total.Failures != 0 {
			t.Errorf("%d requests, %d failures in 2 s at 200/s, want about 400, none failed", n, rec.Total.Failures)
		}
		if rec.Dropped != 0 || rec.Late > 3 {
			t.Errorf("late %d, dropped %d with about 3 of 8 slots busy, want about 0", rec.Late, rec.Dropped)
		}
	})
}
