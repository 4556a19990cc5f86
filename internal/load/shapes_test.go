package load

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
)

// shapeServer answers each request with the raw response its path names,
// as servers of every kind write them, pieces and pauses included; it
// reads request bodies whole and counts the bytes in uploaded.
func shapeServer(t *testing.T) (url string, uploaded *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	uploaded = new(atomic.Int64)
	big := strings.Repeat("x", 3<<20)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					n, _ := io.Copy(io.Discard, req.Body)
					uploaded.Add(n)
					keep := writeShape(c, req.URL.Path, big)
					if !keep {
						return
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String(), uploaded
}

// writeShape writes the response path names and reports whether the
// connection stays open.
func writeShape(c net.Conn, path, big string) bool {
	w := func(s string) { io.WriteString(c, s) }
	switch path {
	case "/chunked": // body "hello, world" (12 bytes) with an extension and a trailer
		w("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n7\r\n, world\r\n0\r\nX-Sum: 1\r\n\r\n")
	case "/trickle": // one byte at a time
		for _, b := range []byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello") {
			c.Write([]byte{b})
			time.Sleep(200 * time.Microsecond)
		}
	case "/continue": // an interim answer first
		w("HTTP/1.1 100 Continue\r\n\r\n")
		time.Sleep(time.Millisecond)
		w("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
	case "/close-delimited": // no length: the body ends with the connection
		w("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello")
		return false
	case "/http10":
		w("HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello")
		return false
	case "/big-header": // a header block of 20 KiB, more than a read buffer
		w("HTTP/1.1 200 OK\r\nX-Pad: " + strings.Repeat("p", 20<<10) + "\r\nContent-Length: 5\r\n\r\nhello")
	case "/big-body": // 3 MiB, the expectation at its start
		w("HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(len(big)+5) + "\r\n\r\nhello" + big)
	case "/upload":
		w("HTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\nhello")
	default:
		w("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
	}
	return true
}

// TestAnswersOfEveryShape: answers chunked, trickled, after a 100
// Continue, delimited by the connection's end, from HTTP/1.0, with a large
// header block or a large body, and a large upload, are read whole,
// counted, judged and leave the connection usable, under both engines.
func TestAnswersOfEveryShape(t *testing.T) {
	engines(t, func(t *testing.T) {
		url, uploaded := shapeServer(t)
		upload := strings.Repeat("u", 8<<20) // more than a socket buffer: written in parts
		cases := []struct {
			req   matrix.Request
			bytes int64 // per request
		}{
			{matrix.Request{Name: "chunked", Path: "/chunked", Expect: matrix.Expect{BodyContains: "o, w"}}, 12},
			{matrix.Request{Name: "trickle", Path: "/trickle", Expect: matrix.Expect{BodyContains: "hello"}}, 5},
			{matrix.Request{Name: "continue", Path: "/continue", Expect: matrix.Expect{BodyContains: "hello"}}, 5},
			{matrix.Request{Name: "close-delimited", Path: "/close-delimited", Expect: matrix.Expect{BodyContains: "hello"}}, 5},
			{matrix.Request{Name: "http10", Path: "/http10", Expect: matrix.Expect{BodyContains: "hello"}}, 5},
			{matrix.Request{Name: "big-header", Path: "/big-header", Expect: matrix.Expect{BodyContains: "hello"}}, 5},
			{matrix.Request{Name: "big-body", Path: "/big-body", Expect: matrix.Expect{BodyContains: "hello"}}, 3<<20 + 5},
			{matrix.Request{Name: "upload", Method: http.MethodPost, Path: "/upload", Body: upload, Expect: matrix.Expect{Status: []int{201}}}, 5},
		}
		var reqs []matrix.Request
		for _, c := range cases {
			reqs = append(reqs, c.req)
		}
		rec := mustRun(t, Config{Target: url, Scenario: matrix.Scenario{Requests: reqs,
			Wait: matrix.Wait{Min: time.Millisecond, Max: 2 * time.Millisecond}}, Cell: closedCell(4, 1500*time.Millisecond)})
		if len(rec.Errors) > 0 {
			t.Errorf("errors: %+v", rec.Errors)
		}
		for _, c := range cases {
			st := endpointByName(t, rec, c.req.Name).Total
			if st.Requests == 0 || st.Failures != 0 {
				t.Errorf("%s: %d requests, %d failures; want some, none failed", c.req.Name, st.Requests, st.Failures)
				continue
			}
			if st.Bytes != c.bytes*st.Requests {
				t.Errorf("%s: %d body bytes for %d requests, want %d each", c.req.Name, st.Bytes, st.Requests, c.bytes)
			}
			if c.req.Name == "upload" && uploaded.Load() < int64(len(upload))*st.Requests {
				t.Errorf("upload: the target read %d bytes for %d requests of %d", uploaded.Load(), st.Requests, len(upload))
			}
		}
	})
}

// TestIdleConnectionsClosedByTheServer: a server that closes every
// connection a little after its first answer, unannounced, as idle
// timeouts do, costs new connections but no failed request, whether the
// user's next request comes before the close (the server closes the
// reused connection before answering: the request is sent again on a new
// one) or after it (the idle connection is dropped).
func TestIdleConnectionsClosedByTheServer(t *testing.T) {
	engines(t, func(t *testing.T) {
		for _, wait := range []time.Duration{5 * time.Millisecond, 40 * time.Millisecond} {
			t.Run(fmt.Sprint("wait ", wait), func(t *testing.T) {
				url, conns := oneShotServer(t)
				rec := mustRun(t, Config{Target: url, Scenario: matrix.Scenario{
					Requests: []matrix.Request{get("root", "/")}, Wait: matrix.Wait{Min: wait, Max: wait},
				}, Cell: closedCell(2, 400*time.Millisecond)})
				st := rec.Total
				if st.Requests < 4 || st.Failures != 0 {
					t.Errorf("%d requests, %d failures (%v); want several, none failed", st.Requests, st.Failures, rec.Errors)
				}
				if n := conns.Load(); n < st.Requests {
					t.Errorf("%d connections for %d requests: each request needed a new one", n, st.Requests)
				}
			})
		}
	})
}

// TestEventLoopsCarryTheUsers: where the system has event loops, a
// thousand closed-loop users of a plain-HTTP target do not each take a
// goroutine, and all of them send.
func TestEventLoopsCarryTheUsers(t *testing.T) {
	if !evLoopsSupported {
		t.Skip("no event loops on this system")
	}
	srv, _ := echoServer(t)
	before := runtime.NumGoroutine()
	var most atomic.Int64
	rec := mustRun(t, Config{Target: srv.URL, Scenario: matrix.Scenario{
		Requests: []matrix.Request{get("root", "/")}, Wait: matrix.Wait{Min: 200 * time.Millisecond, Max: 200 * time.Millisecond},
	}, Cell: closedCell(1000, 2500*time.Millisecond), Progress: func(Progress) {
		most.Store(max(most.Load(), int64(runtime.NumGoroutine()-before)))
	}})
	// The test server takes a goroutine per connection: the generator's
	// own are what is left above a thousand.
	t.Logf("%d goroutines above the target's thousand at most", most.Load()-1000)
	if n := most.Load() - 1000; n > 100 {
		t.Errorf("%d goroutines besides the target's during the run, want a few (the loops, the collector, dials)", n)
	}
	if rec.Total.Requests < 1000 || rec.Total.Failures != 0 {
		t.Errorf("%d requests, %d failures; want every user to send, none to fail", rec.Total.Requests, rec.Total.Failures)
	}
}
