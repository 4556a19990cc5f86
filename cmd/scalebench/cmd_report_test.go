package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/analysis/analysistest"
	"github.com/scalebench/scalebench/internal/report"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/runner"
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
	single := filepath.Join(t.TempDir(), "one.html")
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
		{"--single-file", []string{"report", "--single-file", single, dir}, 0, "", []string{"report: " + single, "conclusions:"}, ""},
		{"--single-file and --out", []string{"report", dir, "--single-file", single, "--out", other}, 2, "", nil, ""},
		{"--single-file in a missing folder", []string{"report", dir, "--single-file", filepath.Join(other, "no", "x.html")}, 2, "", nil, ""},
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
			if tt.code == 2 && strings.Contains(tt.name, "--single-file") && !strings.Contains(err.Error(), "--single-file") {
				t.Errorf("a usage error that does not name the flag: %v", err)
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

// TestReportAddsRunFiles: a run directory without results.csv and the
// cells' Locust CSV files (made before run wrote them) gets them from
// report, once.
func TestReportAddsRunFiles(t *testing.T) {
	dir := writeSeed(t)
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"report", dir}, &stdout, &stderr); err != nil {
		t.Fatalf("report: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "added to "+dir+": results.csv, the Locust _stats.csv and _failures.csv of 21 cells") {
		t.Errorf("report does not say what it added:\n%s", stdout.String())
	}
	set, err := results.ReadSet(dir)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(mustOpen(t, filepath.Join(dir, results.TidyFile))).ReadAll()
	if err != nil || len(rows) < 1+2*len(set.Cells) {
		t.Errorf("results.csv: %v, %d rows for %d cells", err, len(rows), len(set.Cells))
	}
	for _, c := range set.Cells {
		for _, suffix := range []string{runner.StatsSuffix, runner.FailuresSuffix} {
			if _, err := os.Stat(runner.CellFile(dir, c.Cell.ID, suffix)); err != nil {
				t.Errorf("cell %s: %v", c.Cell.ID, err)
			}
		}
	}
	stdout.Reset()
	if err := run(context.Background(), []string{"report", dir}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stdout.String(), "added to") {
		t.Errorf("a second report adds files again:\n%s", stdout.String())
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
