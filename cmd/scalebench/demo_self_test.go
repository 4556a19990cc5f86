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
	"strings"
	"testing"
	"time"
)

// TestDemoSelfImage runs `scalebench demo` as a user with only Docker
// would: a static scalebench (CGO_ENABLED=0, -trimpath: no source tree to
// find) run outside any checkout with no Go on PATH. The demo image is
// made from the binary itself, its containers serve the demo through
// `scalebench sut app`, and one short cell runs against them. The same
// binary asked to build the image says why it cannot, exit 2.
func TestDemoSelfImage(t *testing.T) {
	dockerEngine(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "scalebench")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	img, err := os.ReadFile("../../experiments/demo/image.jpeg")
	if err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(dir, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "image.jpeg"), img, 0o644); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	rand.Read(b)
	project := "sbdemoself" + hex.EncodeToString(b)
	src := fmt.Sprintf(`name: demo-self
target: http://127.0.0.1:8000
compose: {project: %s, service: model}
scenario:
  requests:
    - {name: predict, method: POST, path: /predict, form: {file: "@image.jpeg"}, expect: {status: [200]}, timeout: 10s}
defaults: {spawn_rate: 10, warmup: 1s, settle: 1s, cooldown: 0s, repeat: 1}
runs:
  - {name: run1, scale: [1], users: [2], duration: 3s}
`, project)
	if err := os.WriteFile(filepath.Join(work, "demo.yaml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}

	demo := func(args ...string) (string, int) {
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append([]string{"demo", "--matrix", "demo.yaml", "--out", "out", "--no-report"}, args...)...)
		cmd.Dir = work
		// Only Docker: no Go toolchain on PATH.
		cmd.Env = append(os.Environ(), "PATH=/usr/sbin:/usr/bin:/sbin:/bin")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		code := 0
		if err != nil {
			code = -1
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
		}
		return out.String(), code
	}

	out, code := demo("--image-from", "build")
	if code != 2 || !strings.Contains(out, "--image-from build: cannot find the scalebench source tree") {
		t.Errorf("--image-from build without a source tree: exit %d, want 2 and the reason:\n%s", code, out)
	}

	out, code = demo()
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "making the demo image from "+bin) || strings.Contains(out, "building the demo app") {
		t.Errorf("the image was not made from the running binary:\n%s", out)
	}
	runs, _ := filepath.Glob(filepath.Join(work, "out", "demo-self-*", "run.json"))
	if len(runs) != 1 {
		t.Fatalf("run.json files %v, want one\n%s", runs, out)
	}
	if !strings.Contains(out, "run1-s1-u2-r1 ok:") || !strings.Contains(out, "0.0% failures") {
		t.Errorf("the cell did not run cleanly against the stack:\n%s", out)
	}
	if !strings.Contains(out, "demo stack removed") {
		t.Errorf("the stack was not removed:\n%s", out)
	}
}
