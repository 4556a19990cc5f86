// Package echo is the echo target: a minimal system under test for the
// load engine's tests and benchmarks, and for `scalebench sut echo`, which
// the bench scripts load. It is no part of the demo application and must
// not grow features a load test does not need.
package echo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Limits on what one echo request may ask for, so a typo cannot tie the
// target up for an hour or fill memory.
const (
	// MaxDelay bounds /delay?ms= and /stall?ms=.
	MaxDelay = 60 * time.Second
	// MaxBytes bounds /bytes?n=.
	MaxBytes = 64 << 20
)

// Server is a minimal HTTP target for load tests and benchmarks. Its routes:
//
//	/                 200 "ok\n" at once
//	/delay?ms=N       200 after N milliseconds
//	/status?code=N    answers with status N
//	/bytes?n=N        200 with a body of N bytes
//	/stall?ms=N       stalls every other request for N ms (default 1000) from
//	                  now, like a pause of the whole process; answers at once
//	/echo             200 with the size and content type of the request body
//	/count            the number of requests served so far (JSON), itself
//	                  not counted
//
// Any route also takes ?stall=N to stall the target as /stall does. Server is
// safe for concurrent use; its zero value is ready.
type Server struct {
	requests   atomic.Int64
	stallUntil atomic.Int64 // unix nanoseconds; 0: no stall
}

var (
	okBody    = []byte("ok\n")
	textPlain = []string{"text/plain; charset=utf-8"}
	okLength  = []string{strconv.Itoa(len(okBody))}
)

// Requests returns the number of requests served so far, /count excluded.
func (e *Server) Requests() int64 { return e.requests.Load() }

// ServeHTTP answers one request; see Server for the routes.
func (e *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/count" {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, "{\"requests\":%d}\n", e.requests.Load())
		return
	}
	e.requests.Add(1)
	q := r.URL.RawQuery
	if q != "" {
		if ms, ok, err := intParam(r, "stall"); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		} else if ok {
			e.Stall(clampDelay(ms))
		}
	}
	if until := e.stallUntil.Load(); until != 0 {
		if d := time.Until(time.Unix(0, until)); d > 0 {
			time.Sleep(d)
		}
	}
	switch r.URL.Path {
	case "/":
		h := w.Header()
		h["Content-Type"] = textPlain
		h["Content-Length"] = okLength
		w.Write(okBody)
	case "/delay":
		ms, _, err := intParam(r, "ms")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		sleep(r.Context(), clampDelay(ms))
		w.Write(okBody)
	case "/status":
		code, ok, err := intParam(r, "code")
		if err != nil || !ok || code < 100 || code > 999 {
			http.Error(w, "write /status?code=N with N a status from 100 to 999", http.StatusBadRequest)
			return
		}
		w.WriteHeader(int(code))
		fmt.Fprintf(w, "status %d\n", code)
	case "/bytes":
		n, _, err := intParam(r, "n")
		if err != nil || n < 0 || n > MaxBytes {
			http.Error(w, fmt.Sprintf("write /bytes?n=N with N from 0 to %d", MaxBytes), http.StatusBadRequest)
			return
		}
		writeBytes(w, n)
	case "/stall":
		ms, ok, err := intParam(r, "ms")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if !ok {
			ms = 1000
		}
		e.Stall(clampDelay(ms))
		w.Write(okBody)
	case "/echo":
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%d bytes of %s\n", n, r.Header.Get("Content-Type"))
	default:
		http.NotFound(w, r)
	}
}

// Stall makes every request that arrives in the next d wait until d has
// passed, as a process-wide pause would.
func (e *Server) Stall(d time.Duration) {
	e.stallUntil.Store(time.Now().Add(d).UnixNano())
}

// Serve serves a Server on addr until ctx is done, then shuts down
// gracefully within 5 s. listening, when not nil, is called with the bound
// address once the listener is open (addr may use port 0).
func Serve(ctx context.Context, addr string, listening func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("echo target: listen on %s: %w (choose a free port with --addr)", addr, err)
	}
	srv := &http.Server{Handler: &Server{}, ReadHeaderTimeout: 10 * time.Second}
	if listening != nil {
		listening(ln.Addr())
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("echo target on %s: %w", addr, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("echo target on %s: shut down: %w", addr, err)
	}
	return nil
}

func intParam(r *http.Request, name string) (int64, bool, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, false, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("query %s=%q is not an integer", name, s)
	}
	return v, true, nil
}

func clampDelay(ms int64) time.Duration {
	d := time.Duration(ms) * time.Millisecond
	return max(0, min(d, MaxDelay))
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func writeBytes(w http.ResponseWriter, n int64) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	chunk := make([]byte, min(n, 32<<10))
	for i := range chunk {
		chunk[i] = 'x'
	}
	for n > 0 {
		k := min(n, int64(len(chunk)))
		if _, err := w.Write(chunk[:k]); err != nil {
			return
		}
		n -= k
	}
}
