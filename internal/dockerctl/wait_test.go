package dockerctl

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
)

func TestWaitURL(t *testing.T) {
	tests := []struct {
		name     string
		failures int32 // answers 503 this many times, then 200
		timeout  time.Duration
		wantErr  []string
	}{
		{name: "ready at once", failures: 0, timeout: 5 * time.Second},
		{name: "ready after two 503", failures: 2, timeout: 5 * time.Second},
		{name: "never ready", failures: 1 << 30, timeout: 600 * time.Millisecond,
			wantErr: []string{"did not answer 2xx within 600ms", "503 Service Unavailable", "raise the ready timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) <= tt.failures {
					http.Error(w, "warming up", http.StatusServiceUnavailable)
					return
				}
				w.WriteHeader(http.StatusNoContent)
			}))
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			err := Options{ReadyURL: srv.URL + "/ready"}.waitReadyURL(ctx, tt.timeout)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if got := calls.Load(); got != tt.failures+1 {
					t.Errorf("%d calls, want %d", got, tt.failures+1)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range append(tt.wantErr, srv.URL+"/ready") {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

func TestLastHealthLog(t *testing.T) {
	tests := []struct {
		name string
		h    *container.Health
		want string
	}{
		{"none", &container.Health{}, "(none yet)"},
		{"last line of last result", &container.Health{Log: []*container.HealthcheckResult{
			{ExitCode: 0, Output: "ok"},
			{ExitCode: 1, Output: "starting\nsbapp: health: HTTP 503: not ready\n"},
		}}, `"sbapp: health: HTTP 503: not ready" (exit 1)`},
		{"empty output", &container.Health{Log: []*container.HealthcheckResult{{ExitCode: 1}}}, `"(no output)" (exit 1)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lastHealthLog(tt.h); got != tt.want {
				t.Errorf("lastHealthLog = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestHealthFromStatus(t *testing.T) {
	tests := map[string]string{
		"Up 3 seconds (healthy)":         "healthy",
		"Up 1 second (health: starting)": "starting",
		"Up 2 minutes (unhealthy)":       "unhealthy",
		"Up 2 minutes":                   "",
		"Exited (0) 3 seconds ago":       "",
	}
	for status, want := range tests {
		t.Run(status, func(t *testing.T) {
			if got := healthFromStatus(status); got != want {
				t.Errorf("healthFromStatus = %q, want %q", got, want)
			}
		})
	}
}
