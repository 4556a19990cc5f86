package demo

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// closedURL returns the URL of a local port nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func modelHealth(m *Model) int {
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest("GET", "/health", nil))
	return rec.Code
}

func TestModelHealthFollowsTheAPI(t *testing.T) {
	t.Run("unreachable api", func(t *testing.T) {
		m := NewModel(ModelConfig{APIURL: closedURL(t), PollWait: time.Second, Name: "m"}, io.Discard)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx) }()
		time.Sleep(150 * time.Millisecond) // a few failed polls
		if got := modelHealth(m); got != http.StatusServiceUnavailable {
			t.Errorf("health while the api is unreachable: %d, want 503", got)
		}
		start := time.Now()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if el := time.Since(start); el > 5*time.Second {
			t.Errorf("a worker that cannot reach the api took %s to stop: its retries must end with its context", el)
		}
	})
	t.Run("connected", func(t *testing.T) {
		_, srv := testAPI(t, nil)
		m := startModel(t, srv.URL, "m", nil)
		waitFor(t, "the worker to report healthy", func() bool { return modelHealth(m) == http.StatusOK })
	})
	t.Run("other paths", func(t *testing.T) {
		m := NewModel(DefaultModelConfig(), io.Discard)
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, httptest.NewRequest("GET", "/jobs", nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET /jobs on a worker: %d, want 404", rec.Code)
		}
	})
}

func TestModelFinishesItsJobWhenStopped(t *testing.T) {
	a, srv := testAPI(t, nil)
	m := NewModel(ModelConfig{APIURL: srv.URL, ServiceTime: 300 * time.Millisecond, PollWait: 5 * time.Second, Name: "m"}, io.Discard)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()

	answered := make(chan answer, 1)
	go func() { answered <- predict(t, srv.URL, testImage) }()
	waitFor(t, "the job to reach the worker", func() bool {
		a.jobs.mu.Lock()
		defer a.jobs.mu.Unlock()
		return len(a.jobs.assigned) == 1
	})
	cancel()
	if got := <-answered; got.status != http.StatusOK {
		t.Errorf("prediction whose worker was stopped mid-job: status %d %s, want 200", got.status, got.body)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s of its context's end")
	}
	if m.Served() != 1 {
		t.Errorf("served %d, want 1", m.Served())
	}
}

func TestModelServiceTimeAndJitter(t *testing.T) {
	tests := []struct {
		name                string
		service, jitter     time.Duration
		wantMin, wantAround time.Duration
	}{
		{"fixed", 60 * time.Millisecond, 0, 60 * time.Millisecond, 60 * time.Millisecond},
		{"jittered", 60 * time.Millisecond, 40 * time.Millisecond, 20 * time.Millisecond, 60 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := testAPI(t, nil)
			startModel(t, srv.URL, "m", func(c *ModelConfig) { c.ServiceTime, c.Jitter = tt.service, tt.jitter })
			for range 5 {
				p := predict(t, srv.URL, testImage).predict(t)
				if got := time.Duration(p.InferenceMS * float64(time.Millisecond)); got < tt.wantMin {
					t.Errorf("inference took %s, less than MODEL_SERVICE_TIME−MODEL_JITTER = %s", got, tt.wantMin)
				}
			}
		})
	}
}
