package dockerctl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
)

// pollInterval is how often container states are read while waiting.
const pollInterval = 100 * time.Millisecond

// startGrace is how long a replica without a healthcheck must have been
// running before it counts as started: a process that exits at once (a
// crash on start) is caught instead of being reported ready.
const startGrace = 500 * time.Millisecond

// logLines is how many log lines an error about a failed replica quotes.
const logLines = 10

// waitReady waits until every container is running and, when it has a
// healthcheck, healthy; then until opts.ReadyURL answers 2xx. A container
// that exits, restarts or turns unhealthy is an error naming it, with its
// last log lines or healthcheck output. The whole wait is bounded by
// opts.ReadyTimeout.
func (c *Client) waitReady(ctx context.Context, ids []string, opts Options) error {
	timeout := opts.readyTimeout()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	pending := append([]string(nil), ids...)
	last := map[string]string{}
	for {
		var still []string
		for _, id := range pending {
			ok, why, err := c.replicaReady(ctx, id)
			if err != nil {
				if ctx.Err() != nil {
					still = append(still, id)
					continue
				}
				return err
			}
			if !ok {
				still = append(still, id)
				last[id] = why
			}
		}
		pending = still
		if len(pending) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			var waiting []string
			for _, id := range pending {
				waiting = append(waiting, last[id])
			}
			return fmt.Errorf("replicas not ready after %v: %s; raise the ready timeout if the service needs longer to start",
				timeout, strings.Join(waiting, "; "))
		case <-time.After(pollInterval):
		}
	}
	if opts.ReadyURL != "" {
		return opts.waitReadyURL(ctx, timeout)
	}
	return nil
}

// replicaReady reads one container's state. ok is true when it is running
// and healthy (or has no healthcheck); why says what it is waiting for.
func (c *Client) replicaReady(ctx context.Context, id string) (ok bool, why string, err error) {
	ins, err := c.api.ContainerInspect(ctx, id)
	if err != nil {
		return false, "", fmt.Errorf("inspect %s: %w", shortID(id), err)
	}
	name := strings.TrimPrefix(ins.Name, "/")
	st := ins.State
	if st == nil {
		return false, name + " has no state yet", nil
	}
	switch {
	case st.Status == container.StateExited || st.Status == container.StateDead:
		return false, "", fmt.Errorf("replica %s exited with code %d right after starting%s; last log lines:\n%s",
			name, st.ExitCode, errSuffix(st.Error), c.tailLogs(ctx, id, ins.Config != nil && ins.Config.Tty))
	case st.Restarting:
		return false, "", fmt.Errorf("replica %s keeps restarting (%d restarts, last exit code %d); last log lines:\n%s",
			name, ins.RestartCount, st.ExitCode, c.tailLogs(ctx, id, ins.Config != nil && ins.Config.Tty))
	case st.Status != container.StateRunning:
		return false, fmt.Sprintf("%s is %s", name, st.Status), nil
	}
	if st.Health == nil || !hasHealthcheck(ins.Config) {
		started, err := time.Parse(time.RFC3339Nano, st.StartedAt)
		if err == nil && time.Since(started) < startGrace {
			return false, name + " has just started", nil
		}
		return true, "", nil
	}
	switch st.Health.Status {
	case container.Healthy:
		return true, "", nil
	case container.Unhealthy:
		return false, "", fmt.Errorf("replica %s is unhealthy after %d failed healthchecks; last healthcheck output: %s",
			name, st.Health.FailingStreak, lastHealthLog(st.Health))
	}
	return false, fmt.Sprintf("%s is %s (last healthcheck: %s)", name, st.Health.Status, lastHealthLog(st.Health)), nil
}

func errSuffix(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func hasHealthcheck(cfg *container.Config) bool {
	if cfg == nil || cfg.Healthcheck == nil || len(cfg.Healthcheck.Test) == 0 {
		return false
	}
	return cfg.Healthcheck.Test[0] != "NONE"
}

// lastHealthLog is the last healthcheck's output, trimmed to one line.
func lastHealthLog(h *container.Health) string {
	if h == nil || len(h.Log) == 0 {
		return "(none yet)"
	}
	r := h.Log[len(h.Log)-1]
	out := strings.TrimSpace(r.Output)
	if i := strings.LastIndexByte(out, '\n'); i >= 0 {
		out = strings.TrimSpace(out[i+1:])
	}
	if out == "" {
		out = "(no output)"
	}
	return fmt.Sprintf("%q (exit %d)", out, r.ExitCode)
}

// tailLogs returns the container's last log lines, stdout and stderr
// merged, each indented; a note when they cannot be read.
func (c *Client) tailLogs(ctx context.Context, id string, tty bool) string {
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
	}
	rc, err := c.api.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Tail: fmt.Sprint(logLines)})
	if err != nil {
		return "  (logs unavailable: " + err.Error() + ")"
	}
	defer rc.Close()
	var buf bytes.Buffer
	if tty {
		_, err = io.Copy(&buf, io.LimitReader(rc, 64<<10))
	} else {
		_, err = stdcopy.StdCopy(&buf, &buf, io.LimitReader(rc, 64<<10))
	}
	if err != nil && buf.Len() == 0 {
		return "  (logs unreadable: " + err.Error() + ")"
	}
	text := strings.TrimRight(buf.String(), "\n")
	if text == "" {
		return "  (no output)"
	}
	return "  " + strings.ReplaceAll(text, "\n", "\n  ")
}

// pollURL polls url with GET through hc until it answers 2xx or ctx ends.
func pollURL(ctx context.Context, hc *http.Client, url string, timeout time.Duration) error {
	var last string
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("readiness URL %q: %w", url, err)
		}
		resp, err := hc.Do(req)
		if err == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			if resp.StatusCode >= 200 && resp.StatusCode < 300 {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("readiness URL %s did not answer 2xx within %v (last: %s); check the URL or raise the ready timeout", url, timeout, last)
			}
			return fmt.Errorf("readiness URL %s: %w (last: %s)", url, ctx.Err(), last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
