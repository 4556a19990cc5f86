package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/results"
)

// TestDemoConclusions runs `scalebench demo` on the demo's own study,
// shortened to 10 s a cell, and checks that the conclusions find what the
// demo is built to show: model 1→3 helps, 3→5 does not, and the api is
// where it stops. The default api stops on its pool of 2 blocking workers
// (found from the requests in service, on a quiet and on a busy machine);
// the cpu variant on its one busy core.
func TestDemoConclusions(t *testing.T) {
	dockerEngine(t)
	img, err := filepath.Abs("../../experiments/demo/image.jpeg")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		busy bool
		// cap is true when the verdict must be the pool's concurrency cap.
		cap bool
	}{
		{"pool", nil, false, true},
		{"pool on a busy machine", nil, true, true},
		{"cpu", []string{"--api", "cpu"}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := make([]byte, 4)
			rand.Read(b)
			project := "sbdemo" + hex.EncodeToString(b)
			src := fmt.Sprintf(`name: demo-e2e
target: http://127.0.0.1:8000
compose: {project: %s, service: model}
scenario:
  requests:
    - {name: index, method: GET, path: /, weight: 1}
    - {name: predict, method: POST, path: /predict, weight: 3, form: {file: "@%s"}, expect: {status: [200]}, timeout: 10s}
defaults: {spawn_rate: 12, warmup: 3s, settle: 2s, cooldown: 1s, repeat: 1}
runs:
  - {name: run1, title: "Model scaling", scale: [1, 3, 5], users: [2, 8, 24], duration: 10s}
`, project, img)
			path := filepath.Join(t.TempDir(), "demo.yaml")
			if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			if tt.busy {
				stop := burnCPU(t, runtime.NumCPU())
				defer stop()
			}
			out := t.TempDir()
			var stdout, stderr bytes.Buffer
			args := append([]string{"demo", "--matrix", path, "--out", out}, tt.args...)
			if err := run(context.Background(), args, &stdout, &stderr); err != nil {
				t.Fatalf("demo: %v\n%s\n%s", err, stdout.String(), stderr.String())
			}
			text := stdout.String()
			conclusions := text[max(strings.Index(text, "conclusions:"), 0):]
			t.Logf("%s", conclusions)
			if !strings.Contains(conclusions, "the bottleneck moved to api") {
				t.Errorf("the conclusions do not blame the api:\n%s", conclusions)
			}
			dirs, _ := filepath.Glob(filepath.Join(out, "demo-e2e-*"))
			if len(dirs) != 1 {
				t.Fatalf("run directories %v", dirs)
			}
			set, err := results.ReadSet(dirs[0])
			if err != nil {
				t.Fatal(err)
			}
			st := analysis.Analyze(set)
			last := st.Scales[len(st.Scales)-1].Limit
			if last.Service != "api" {
				t.Errorf("scale 5 limited by %s %q, want the api", last.Kind, last.Service)
			}
			if !tt.cap {
				return
			}
			m := regexp.MustCompile(`a concurrency cap of about (\d+) in front of model`).FindStringSubmatch(conclusions)
			if m == nil {
				t.Fatalf("no concurrency cap in the conclusions:\n%s", conclusions)
			}
			if n, _ := strconv.Atoi(m[1]); n < 1 || n > 3 {
				t.Errorf("cap of about %d found, want the pool of 2 ± 1", n)
			}
			if last.Kind != analysis.LimitConcurrency {
				t.Errorf("scale 5 limited by %s, want a concurrency cap", last.Kind)
			}
		})
	}
}

// burnCPU keeps n other processes spinning until stop, or at most 10
// minutes: a busy machine.
func burnCPU(t *testing.T, n int) (stop func()) {
	t.Helper()
	var cmds []*exec.Cmd
	for range n {
		cmd := exec.Command("timeout", "600", "sh", "-c", "while :; do :; done")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // stop kills timeout and its shell
		if err := cmd.Start(); err != nil {
			t.Fatalf("start a CPU burner: %v", err)
		}
		cmds = append(cmds, cmd)
	}
	return func() {
		for _, c := range cmds {
			syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
			c.Wait()
		}
		time.Sleep(100 * time.Millisecond)
	}
}
