package demo

import (
	"strings"
	"testing"
	"time"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestAPIConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    func(*APIConfig)
		wantErr []string
	}{
		{name: "defaults", env: nil, want: func(c *APIConfig) {
			if c.Mode != PoolMode || c.Workers != 2 || c.Cost != 5*time.Millisecond || c.IndexCost != 5*time.Millisecond {
				t.Errorf("defaults %+v: want a pool of 2 workers, 5ms per prediction and per page", *c)
			}
		}},
		{name: "cpu mode defaults", env: map[string]string{"API_MODE": "cpu"}, want: func(c *APIConfig) {
			c.Mode, c.Cost, c.IndexCost = CPUMode, 55*time.Millisecond, 55*time.Millisecond
		}},
		{name: "pool size", env: map[string]string{"API_MODE": "pool", "API_WORKERS": "4"}, want: func(c *APIConfig) { c.Workers = 4 }},
		{name: "the other mode's knob is read but unused", env: map[string]string{"API_MODE": "cpu", "API_SLOTS": "2", "API_WORKERS": "9"},
			want: func(c *APIConfig) {
				c.Mode, c.Slots, c.Workers, c.Cost, c.IndexCost = CPUMode, 2, 9, 55*time.Millisecond, 55*time.Millisecond
			}},
		{
			name: "overrides",
			env: map[string]string{"LISTEN": "127.0.0.1:9", "API_SLOTS": "3", "API_COST": "20ms",
				"JOB_TIMEOUT": "1s", "QUEUE_MAX": "7", "MAX_UPLOAD_BYTES": "1024"},
			want: func(c *APIConfig) {
				c.Listen, c.Slots, c.Cost, c.JobTimeout, c.QueueMax, c.MaxUploadBytes = "127.0.0.1:9", 3, 20*time.Millisecond, time.Second, 7, 1024
				c.IndexCost = 20 * time.Millisecond // follows API_COST when not set
			},
		},
		{name: "index cost of its own", env: map[string]string{"API_COST": "20ms", "API_INDEX_COST": "5ms"},
			want: func(c *APIConfig) { c.Cost, c.IndexCost = 20*time.Millisecond, 5*time.Millisecond }},
		{name: "zero cost means unbounded", env: map[string]string{"API_COST": "0s"}, want: func(c *APIConfig) { c.Cost, c.IndexCost = 0, 0 }},
		{
			name:    "every bad value is reported",
			env:     map[string]string{"API_SLOTS": "0", "API_COST": "fast", "JOB_TIMEOUT": "-1s", "QUEUE_MAX": "x"},
			wantErr: []string{`API_SLOTS="0"`, `API_COST="fast"`, `JOB_TIMEOUT="-1s"`, `QUEUE_MAX="x"`},
		},
		{
			name:    "bad mode and pool size",
			env:     map[string]string{"API_MODE": "threads", "API_WORKERS": "0", "API_INDEX_COST": "-5ms"},
			wantErr: []string{`API_MODE="threads": want "pool" (default) or "cpu"`, `API_WORKERS="0": want a whole number ≥ 1`, `API_INDEX_COST="-5ms"`},
		},
		{name: "pool size not a number", env: map[string]string{"API_WORKERS": "two"}, wantErr: []string{`API_WORKERS="two"`}},
		{name: "mode names are lower case", env: map[string]string{"API_MODE": "CPU"}, wantErr: []string{`API_MODE="CPU"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := APIConfigFromEnv(envMap(tt.env))
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("APIConfigFromEnv: no error, want one naming %v", tt.wantErr)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not name %s", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("APIConfigFromEnv: %v", err)
			}
			want := DefaultAPIConfig()
			tt.want(&want)
			if got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

func TestParseAPIMode(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    APIMode
		wantErr bool
	}{
		{"pool", PoolMode, false},
		{"cpu", CPUMode, false},
		{"", "", true},
		{"gunicorn", "", true},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAPIMode(tt.in)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("ParseAPIMode(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestModelConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    func(*ModelConfig)
		wantErr string
	}{
		{name: "defaults", want: func(*ModelConfig) {}},
		{
			name: "overrides",
			env: map[string]string{"API_URL": "http://127.0.0.1:1", "MODEL_SERVICE_TIME": "10ms", "MODEL_JITTER": "5ms",
				"POLL_WAIT": "100ms", "LISTEN": "off", "WORKER_NAME": "w7"},
			want: func(c *ModelConfig) {
				c.APIURL, c.ServiceTime, c.Jitter, c.PollWait, c.Listen, c.Name = "http://127.0.0.1:1", 10*time.Millisecond, 5*time.Millisecond, 100*time.Millisecond, "", "w7"
			},
		},
		{name: "jitter above service time", env: map[string]string{"MODEL_JITTER": "1s"}, wantErr: "MODEL_JITTER=1s is larger"},
		{name: "bad poll wait", env: map[string]string{"POLL_WAIT": "0s"}, wantErr: `POLL_WAIT="0s"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ModelConfigFromEnv(envMap(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ModelConfigFromEnv: %v", err)
			}
			want := DefaultModelConfig()
			tt.want(&want)
			if got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}
