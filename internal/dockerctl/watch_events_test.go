package dockerctl

import (
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"

	"github.com/scalebench/scalebench/internal/results"
)

func TestContainerEventOf(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	at := t0.Add(2500 * time.Millisecond).UnixNano()
	msg := func(action string, attrs map[string]string) events.Message {
		return events.Message{Type: events.ContainerEventType, Action: events.Action(action),
			Actor: events.Actor{ID: "abc", Attributes: attrs}, Time: at / 1e9, TimeNano: at}
	}
	tests := []struct {
		name string
		msg  events.Message
		ok   bool
		want results.ContainerEvent
	}{
		{name: "die after SIGKILL", msg: msg("die", map[string]string{"exitCode": "137", "name": "p_web_1"}), ok: true,
			want: results.ContainerEvent{T: 2500 * time.Millisecond, Action: "die", ExitCode: 137}},
		{name: "die without exit code", msg: msg("die", nil), ok: true,
			want: results.ContainerEvent{T: 2500 * time.Millisecond, Action: "die"}},
		{name: "die with a bad exit code", msg: msg("die", map[string]string{"exitCode": "x"}), ok: true,
			want: results.ContainerEvent{T: 2500 * time.Millisecond, Action: "die"}},
		{name: "oom", msg: msg("oom", nil), ok: true, want: results.ContainerEvent{T: 2500 * time.Millisecond, Action: "oom"}},
		// A kill's exit code would be its signal: only die has one.
		{name: "kill", msg: msg("kill", map[string]string{"signal": "9", "exitCode": "9"}), ok: true,
			want: results.ContainerEvent{T: 2500 * time.Millisecond, Action: "kill"}},
		{name: "restart", msg: msg("restart", nil), ok: true, want: results.ContainerEvent{T: 2500 * time.Millisecond, Action: "restart"}},
		{name: "seconds only", msg: events.Message{Action: "die", Time: t0.Unix() - 1, Actor: events.Actor{Attributes: map[string]string{"exitCode": "1"}}}, ok: true,
			want: results.ContainerEvent{T: -time.Second, Action: "die", ExitCode: 1}},
		{name: "start", msg: msg("start", nil)},
		{name: "health status", msg: msg("health_status: healthy", nil)},
		{name: "exec", msg: msg("exec_start: /sbapp health", nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := containerEventOf(tt.msg, t0)
			if ok != tt.ok || got != tt.want {
				t.Errorf("containerEventOf = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestOOMDuring(t *testing.T) {
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name  string
		state *container.State
		want  bool
	}{
		{name: "killed during the watch", state: &container.State{OOMKilled: true, FinishedAt: "2026-01-02T03:04:06.5Z"}, want: true},
		// The flag outlives a restart: an OOM kill before the watch is not one during it.
		{name: "killed before the watch", state: &container.State{OOMKilled: true, Running: true, FinishedAt: "2026-01-02T03:04:04.9Z"}},
		{name: "exited normally", state: &container.State{FinishedAt: "2026-01-02T03:04:06Z"}},
		{name: "never finished", state: &container.State{OOMKilled: true, FinishedAt: "0001-01-01T00:00:00Z"}},
		{name: "unreadable", state: &container.State{OOMKilled: true, FinishedAt: "soon"}},
		{name: "no state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := oomDuring(tt.state, since); got != tt.want {
				t.Errorf("oomDuring = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTimestamp(t *testing.T) {
	if got, want := timestamp(time.Unix(1700000000, 42)), "1700000000.000000042"; got != want {
		t.Errorf("timestamp = %q, want %q", got, want)
	}
}
