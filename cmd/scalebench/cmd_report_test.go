package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/analysis/analysistest"
	"github.com/scalebench/scalebench/report"
	"github.com/scalebench/scalebench/results"
)

// writeSeed saves the synthetic seed study as a run directory.
func writeSeed(t *testing.T) string {
	t.Helper()
	set := analysistest.Seed()
	dir, err := results.Create(t.TempDir(), &set.Run)
	if err != nil {
		t.Fatal(err)
	}
	for i := range set.Cells {
		if err := results.WriteCell(dir, &set.Cells[i]); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestReportCommand(t *testing.T) {
	dir := writeSeed(t)
	other := filepath.Join(t.TempDir(), "elsewhere")
	tests := []struct {
		name   string
		args   []string
		code   int
		index  string
		stdout []string
		stderr string
	}{
		{"default folder", []string{"report", dir}, 0, filepath.Join(dir, "report", report.HTMLFile),
			[]string{"report: ", "conclusions:\n- Scaling model 1→3 raised peak throughput", "the bottleneck moved to api"}, ""},
		{"--out after the directory", []string{"report", dir, "--out", other}, 0, filepath.Join(other, report.HTMLFile),
			[]string{"report: " + filepath.Join(other, report.HTMLFile)}, ""},
		{"no directory", []string{"report"}, 2, "", nil, "Usage: scalebench report"},
		{"not a run directory", []string{"report", t.TempDir()}, 1, "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, &stdout, &stderr)
			if code := exitCode(err); code != tt.code {
				t.Fatalf("exit code %d, want %d (err %v, stderr %s)", code, tt.code, err, stderr.String())
			}
			for _, s := range tt.stdout {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout.String())
				}
			}
			if tt.stderr != "" && !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, stderr.String())
			}
			if tt.code == 1 && !strings.Contains(err.Error(), "give a run directory") {
				t.Errorf("error does not say what to do: %v", err)
			}
			if tt.index != "" {
				for _, f := range []string{tt.index, filepath.Join(filepath.Dir(tt.index), report.MarkdownFile),
					filepath.Join(filepath.Dir(tt.index), "charts", "scaling.png")} {
					if _, err := os.Stat(f); err != nil {
						t.Errorf("report file missing: %v", err)
					}
				}
			}
		})
	}
}
