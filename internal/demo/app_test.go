package demo

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildApp builds the demoapp binary once for a test.
func buildApp(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin, err := BuildApp(ctx, "", t.TempDir(), "")
	if err != nil {
		t.Fatalf("BuildApp: %v", err)
	}
	return bin
}

// startApp runs the demoapp binary in role with env added.
func startApp(t *testing.T, bin, role string, env ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(bin, role)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, &stderr
}

// waitExit waits up to 10 s for cmd and fails unless it exits 0.
func waitExit(t *testing.T, cmd *exec.Cmd, stderr *bytes.Buffer) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after SIGTERM: %v; stderr:\n%s", err, stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("still running 10s after SIGTERM; stderr:\n%s", stderr)
	}
}

func TestAppStopsGracefullyOnSIGTERM(t *testing.T) {
	bin := buildApp(t)
	t.Run("api answers its predictions in flight", func(t *testing.T) {
		url := closedURL(t)
		cmd, stderr := startApp(t, bin, "api", "LISTEN="+strings.TrimPrefix(url, "http://"), "API_COST=0s", "JOB_TIMEOUT=5s")
		waitFor(t, "the api process to answer /health", func() bool {
			return Probe(context.Background(), url+"/health") == nil
		})
		startModel(t, url, "m", func(c *ModelConfig) { c.ServiceTime = 400 * time.Millisecond })
		answered := make(chan answer, 1)
		go func() { answered <- predict(t, url, testImage) }()
		waitFor(t, "a prediction in flight", func() bool { return health(t, url).InFlight == 1 })

		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if got := <-answered; got.status != 200 {
			t.Errorf("prediction in flight at SIGTERM: status %d %s, want 200", got.status, got.body)
		}
		waitExit(t, cmd, stderr)
		if !strings.Contains(stderr.String(), "stopped: served 1,") {
			t.Errorf("api log does not report the served prediction:\n%s", stderr)
		}
	})
	t.Run("model finishes its job", func(t *testing.T) {
		a, srv := testAPI(t, nil)
		cmd, stderr := startApp(t, bin, "model", "API_URL="+srv.URL, "LISTEN=off", "MODEL_SERVICE_TIME=400ms", "POLL_WAIT=1s", "WORKER_NAME=child")
		answered := make(chan answer, 1)
		go func() { answered <- predict(t, srv.URL, testImage) }()
		waitFor(t, "the job to reach the worker", func() bool {
			a.jobs.mu.Lock()
			defer a.jobs.mu.Unlock()
			return len(a.jobs.assigned) == 1
		})
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if got := <-answered; got.status != 200 || got.predict(t).Worker != "child" {
			t.Errorf("prediction whose worker got SIGTERM mid-job: status %d %s, want 200 from child", got.status, got.body)
		}
		waitExit(t, cmd, stderr)
	})
	t.Run("bad configuration exits 1 naming the variable", func(t *testing.T) {
		cmd, stderr := startApp(t, bin, "api", "API_SLOTS=none")
		err := cmd.Wait()
		if err == nil || !strings.Contains(stderr.String(), `API_SLOTS="none"`) {
			t.Errorf("exit %v, stderr %q: want a failure naming API_SLOTS", err, stderr)
		}
	})
}
