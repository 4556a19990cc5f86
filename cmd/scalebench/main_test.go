package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// diffRun is the results root of the diff cases (made by the report tests).
const diffRun = "internal/report/testdata/diff-root/"

// TestCLI runs whole commands and compares their output and exit code with
// golden files testdata/<name>.stdout and .stderr. Paths in args are
// relative to the repository root.
func TestCLI(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"plan-seed", []string{"plan", "--offline", "experiments/seed.yaml"}, 0},
		{"plan-seed-json", []string{"plan", "--offline", "--json", "experiments/seed.yaml"}, 0},
		{"plan-five-mistakes", []string{"plan", "internal/matrix/testdata/invalid/five-mistakes.yaml"}, 2},
		{"plan-no-args", []string{"plan"}, 2},
		{"plan-missing-file", []string{"plan", "nope.yaml"}, 1},
		{"unknown-command", []string{"frobnicate"}, 2},
		{"help", []string{"help"}, 0},
		{"plan-help", []string{"plan", "-h"}, 0},
		{"diff-regression", []string{"diff", "--fail-on", "p95=+10%,rps=-5%,failures=+1pp", diffRun + "diff-20240601T120000Z-3f2c1ab", diffRun + "diff-20240602T120000Z-9e8d7c6"}, 3},
		{"diff-regression-no-limits", []string{"diff", diffRun + "diff-20240601T120000Z-3f2c1ab", diffRun + "diff-20240602T120000Z-9e8d7c6"}, 0},
		{"diff-noise", []string{"diff", diffRun + "diff-20240601T120000Z-3f2c1ab", diffRun + "diff-20240603T120000Z-5a4b3c2", "--fail-on", "p95=+10%,rps=-5%,failures=+1pp,peak=-5%"}, 0},
		{"diff-mismatch", []string{"diff", diffRun + "diff-20240601T120000Z-3f2c1ab", diffRun + "other-20240604T120000Z-3f2d0e1"}, 0},
		{"diff-commits", []string{"diff", "--root", diffRun, "3f2c", "9e8d7c6", "--fail-on", "peak=-10%"}, 3},
		{"diff-ambiguous-commit", []string{"diff", "--root", diffRun, "3f2", "9e8d"}, 2},
		{"diff-unknown-commit", []string{"diff", "--root", diffRun, "abc123", "9e8d"}, 1},
		{"diff-not-a-run", []string{"diff", "internal/report/testdata", diffRun + "diff-20240602T120000Z-9e8d7c6"}, 1},
		{"diff-bad-fail-on", []string{"diff", "--fail-on", "rps=+5%", diffRun + "diff-20240601T120000Z-3f2c1ab", diffRun + "diff-20240602T120000Z-9e8d7c6"}, 2},
		{"diff-capacity-no-slo", []string{"diff", "--fail-on", "capacity=-5%", diffRun + "diff-20240601T120000Z-3f2c1ab", diffRun + "diff-20240602T120000Z-9e8d7c6"}, 2},
		{"diff-same-run", []string{"diff", "--root", diffRun, "9e8d", diffRun + "diff-20240602T120000Z-9e8d7c6/"}, 2},
		{"diff-one-arg", []string{"diff", diffRun + "diff-20240601T120000Z-3f2c1ab"}, 2},
		{"diff-help", []string{"diff", "-h"}, 0},
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, &stdout, &stderr)
			if err != nil && !isSilent(err) {
				stderr.WriteString("scalebench: " + err.Error() + "\n")
			}
			if code := exitCode(err); code != tt.code {
				t.Errorf("exit code %d, want %d (err %v)", code, tt.code, err)
			}
			golden(t, filepath.Join(root, "cmd/scalebench/testdata", tt.name+".stdout"), stdout.String())
			golden(t, filepath.Join(root, "cmd/scalebench/testdata", tt.name+".stderr"), stderr.String())
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if got == "" {
			os.Remove(path)
			return
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if got != string(want) {
		os.WriteFile(path+".got", []byte(got), 0o644)
		t.Errorf("%s differs (got written to %s.got):\n%s", filepath.Base(path), filepath.Base(path), firstDiff(string(want), got))
	}
}

func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "line " + strconv.Itoa(i+1) + ":\n want: " + a + "\n  got: " + b
		}
	}
	return ""
}
