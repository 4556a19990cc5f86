package load

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// deadlineConn records the deadlines set on it.
type deadlineConn struct {
	fakeConn
	set []time.Time
}

func (c *deadlineConn) SetDeadline(t time.Time) error { c.set = append(c.set, t); return nil }

// TestArmDeadlineMovesOncePerSlack: a connection's deadline moves only
// when a request's timeout would end after it or more than the slack
// before it, and always lies between the timeout and the timeout plus the
// slack.
func TestArmDeadlineMovesOncePerSlack(t *testing.T) {
	dc := &deadlineConn{}
	pc := &pconn{c: dc}
	arm := func(timeout time.Duration) {
		t.Helper()
		before := time.Now()
		if err := pc.arm(timeout, time.Time{}); err != nil {
			t.Fatal(err)
		}
		after := time.Now()
		if lo, hi := before.Add(timeout), after.Add(timeout+deadlineSlack(timeout)); pc.deadline.Before(lo) || pc.deadline.After(hi) {
			t.Fatalf("timeout %v: deadline %v after the call, want within [%v, %v]", timeout, pc.deadline.Sub(before), timeout, hi.Sub(before))
		}
	}
	arm(time.Second)
	arm(time.Second)
	if len(dc.set) != 1 {
		t.Fatalf("two requests within the slack set %d deadlines, want 1", len(dc.set))
	}
	arm(100 * time.Millisecond) // a shorter timeout must not wait for the longer deadline
	if len(dc.set) != 2 {
		t.Fatalf("a shorter timeout set %d deadlines in all, want 2", len(dc.set))
	}
	time.Sleep(2 * deadlineSlack(100*time.Millisecond))
	arm(100 * time.Millisecond)
	if len(dc.set) != 3 {
		t.Fatalf("a request past the slack set %d deadlines in all, want 3", len(dc.set))
	}
	if err := pc.arm(0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if n := len(dc.set); n != 4 || !dc.set[n-1].IsZero() || !pc.deadline.IsZero() {
		t.Fatalf("no timeout: deadlines %v, want the last one cleared", dc.set)
	}
}

// TestShortTimeoutAfterLongOnOneConnection: one user alternates a fast
// request with a 10 s timeout and a slow one with a 50 ms timeout on its
// one connection; the slow one must time out at its own timeout, not at
// the deadline the fast one left armed.
func TestShortTimeoutAfterLongOnOneConnection(t *testing.T) {
	engines(t, func(t *testing.T) {
		srv, _ := echoServer(t)
		rec := mustRun(t, Config{Target: srv.URL, Scenario: matrix.Scenario{Requests: []matrix.Request{
			{Name: "fast", Path: "/", Timeout: 10 * time.Second},
			{Name: "slow", Path: "/delay?ms=2000", Timeout: 50 * time.Millisecond},
		}}, Cell: closedCell(1, 800*time.Millisecond)})
		slow := endpointByName(t, rec, "slow").Total
		if slow.Requests < 2 || slow.FailuresByClass[results.ClassTimeout] != slow.Requests {
			t.Errorf("slow: %d requests, failures by class %v; want several, all timeouts", slow.Requests, slow.FailuresByClass)
		}
		if fast := endpointByName(t, rec, "fast").Total; fast.Requests == 0 || fast.Failures != 0 {
			t.Errorf("fast: %d requests, %d failures; want some, none failed", fast.Requests, fast.Failures)
		}
	})
}

// TestHeadThenGetReadsBody: a response reused after a HEAD request still
// reads the next GET's body, so its expectation holds.
func TestHeadThenGetReadsBody(t *testing.T) {
	engines(t, func(t *testing.T) {
		srv, _ := echoServer(t)
		rec := mustRun(t, Config{Target: srv.URL, Scenario: matrix.Scenario{Requests: []matrix.Request{
			{Name: "head", Method: http.MethodHead, Path: "/"},
			{Name: "get", Path: "/", Expect: matrix.Expect{BodyContains: "ok"}},
		}}, Cell: closedCell(1, 300*time.Millisecond)})
		get := endpointByName(t, rec, "get").Total
		head := endpointByName(t, rec, "head").Total
		if get.Requests == 0 || head.Requests == 0 || get.Failures != 0 || head.Failures != 0 {
			t.Errorf("head %d requests %d failures, get %d requests %d failures (%v); want both sent, none failed",
				head.Requests, head.Failures, get.Requests, get.Failures, rec.Errors)
		}
	})
}

// oneShotServer answers every connection's first request with a keep-alive
// response and then closes the connection without saying so, as servers
// do when their idle timeout ends; it counts the connections.
func oneShotServer(t *testing.T) (url string, conns *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	conns = new(atomic.Int64)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				if _, err := http.ReadRequest(br); err != nil {
					return
				}
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
				time.Sleep(20 * time.Millisecond) // the client reuses it in the meantime
			}()
		}
	}()
	return "http://" + ln.Addr().String(), conns
}

// TestHeaderNamesAsWritten: header names reach the target spelled as the
// scenario writes them, not in fasthttp's canonical case.
func TestHeaderNamesAsWritten(t *testing.T) {
	engines(t, func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		heads := make(chan string, 1)
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			br := bufio.NewReader(c)
			var head strings.Builder
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					return
				}
				head.WriteString(line)
				if line == "\r\n" {
					break
				}
			}
			heads <- head.String()
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
		}()
		req := get("root", "/")
		req.Headers = map[string]string{"x-api-key": "k1", "X-MiXeD": "k2"}
		mustRun(t, Config{Target: "http://" + ln.Addr().String(), Scenario: matrix.Scenario{Requests: []matrix.Request{req}},
			Cell: closedCell(1, 200*time.Millisecond)})
		select {
		case head := <-heads:
			for _, want := range []string{"\r\nx-api-key: k1\r\n", "\r\nX-MiXeD: k2\r\n"} {
				if !strings.Contains(head, want) {
					t.Errorf("request head lacks %q:\n%s", want, head)
				}
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no request reached the target")
		}
	})
}
