package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/echo"
	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// echoServer starts the echo target on a local test server.
func echoServer(t testing.TB) (*httptest.Server, *echo.Server) {
	t.Helper()
	e := &echo.Server{}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv, e
}

// closedCell is a closed-loop cell with every user started at once.
func closedCell(users int, d time.Duration) matrix.Cell {
	return matrix.Cell{ID: "test", Mode: matrix.Closed, Users: users, Duration: d}
}

func get(name, path string) matrix.Request {
	return matrix.Request{Name: name, Method: http.MethodGet, Path: path, Weight: 1}
}

// mustRun runs cfg and fails the test on an error or an abort.
func mustRun(t *testing.T, cfg Config) *results.Load {
	t.Helper()
	rec, aborted, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if aborted {
		t.Fatalf("Run aborted without a cancelled context")
	}
	return rec
}

func endpointByName(t *testing.T, rec *results.Load, name string) results.Endpoint {
	t.Helper()
	for _, e := range rec.Endpoints {
		if e.Name == name {
			return e
		}
	}
	t.Fatalf("no endpoint %q in record", name)
	return results.Endpoint{}
}

// engines runs f once for each way users and open-loop slots run: event
// loops (where the system has them) and goroutines, which must behave
// alike.
func engines(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, goroutines := range []bool{false, true} {
		if !goroutines && !evLoopsSupported {
			continue
		}
		name := "event loops"
		if goroutines {
			name = "goroutines"
		}
		t.Run(name, func(t *testing.T) {
			goroutineUsers = goroutines
			t.Cleanup(func() { goroutineUsers = false })
			f(t)
		})
	}
}
