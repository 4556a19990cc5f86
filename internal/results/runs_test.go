package results_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/results"
)

// runsRoot makes a results root with the run directories of five runs of
// two matrices, two of them of the same commit, plus a folder that is no
// run and a run whose run.json is broken.
func runsRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, r := range []struct{ started, commit, matrix string }{
		{"2024-06-01T09:00:00Z", "3f2c1ab4d5e6f708192a3b4c5d6e7f8091a2b3c4", "diff"},
		{"2024-06-01T12:00:00Z", "3f2c1ab4d5e6f708192a3b4c5d6e7f8091a2b3c4", "diff"},
		{"2024-06-02T12:00:00Z", "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a291807", "diff"},
		{"2024-06-03T12:00:00Z", "5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b", "diff"},
		{"2024-06-04T12:00:00Z", "3f2d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f70819", "other"},
	} {
		started, err := time.Parse(time.RFC3339, r.started)
		if err != nil {
			t.Fatal(err)
		}
		run := &results.Run{
			ID:      r.matrix + "-" + started.Format("20060102T150405Z") + "-" + r.commit[:7],
			Started: started,
			App:     results.App{Commit: r.commit, Short: r.commit[:7]},
			Status:  results.StatusComplete,
		}
		run.Matrix.Name = r.matrix
		if _, err := results.Create(root, run); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(root, "notes"), 0o755); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(root, "broken-run")
	if err := os.Mkdir(broken, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(broken, results.RunFile), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestFindRuns(t *testing.T) {
	root := runsRoot(t)
	runs, problems, err := results.FindRuns(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || !strings.Contains(problems[0].Error(), "broken-run") {
		t.Errorf("problems %v, want the broken run named", problems)
	}
	if len(runs) != 5 || runs[0].Name != "other-20240604T120000Z-3f2d0e1" || runs[4].Name != "diff-20240601T090000Z-3f2c1ab" {
		t.Fatalf("runs not newest first: %v", names(runs))
	}
	if !results.IsRunDir(runs[0].Dir) || results.IsRunDir(filepath.Join(root, "notes")) {
		t.Error("IsRunDir tells run directories from other folders wrongly")
	}
	if c, s := runs[0].Commit(), runs[0].ShortCommit(); c != "3f2d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f70819" || s != "3f2d0e1" {
		t.Errorf("commit %q short %q", c, s)
	}
	if _, _, err := results.FindRuns(filepath.Join(root, "missing")); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing root: %v", err)
	}
}

func TestFindCommit(t *testing.T) {
	root := runsRoot(t)
	runs, _, err := results.FindRuns(root)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		prefix, matrix string
		want           string
		note           string
		err            error
		errText        string
	}{
		{prefix: "9e8d", want: "diff-20240602T120000Z-9e8d7c6"},
		{prefix: "9E8D7C6B5A4F", want: "diff-20240602T120000Z-9e8d7c6"},
		{prefix: "3f2c", want: "diff-20240601T120000Z-3f2c1ab", note: "commit 3f2c1ab has 2 runs in " + root + "; using the newest: diff-20240601T120000Z-3f2c1ab"},
		{prefix: "3f2c", matrix: "other", want: "diff-20240601T120000Z-3f2c1ab", note: "commit 3f2c1ab has 2 runs in " + root + "; using the newest: diff-20240601T120000Z-3f2c1ab"},
		{prefix: "3f2", err: results.ErrAmbiguousCommit, errText: "\"3f2\" matches 2 commits in " + root + "; give more digits:\n" +
			"  3f2d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f70819: other-20240604T120000Z-3f2d0e1\n" +
			"  3f2c1ab4d5e6f708192a3b4c5d6e7f8091a2b3c4: diff-20240601T120000Z-3f2c1ab, diff-20240601T090000Z-3f2c1ab"},
		{prefix: "abc123", err: results.ErrNoCommit, errText: "commits there: 3f2d0e1, 5a4b3c2, 9e8d7c6, 3f2c1ab"},
		{prefix: "", err: results.ErrNoCommit},
	}
	for _, tt := range tests {
		t.Run(tt.prefix+"/"+tt.matrix, func(t *testing.T) {
			ref, note, err := results.FindCommit(runs, root, tt.prefix, tt.matrix)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("error %v, want %v containing %q", err, tt.err, tt.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ref.Name != tt.want || note != tt.note {
				t.Errorf("got %s note %q, want %s note %q", ref.Name, note, tt.want, tt.note)
			}
		})
	}
}

func names(runs []results.RunRef) []string {
	var out []string
	for _, r := range runs {
		out = append(out, r.Name)
	}
	return out
}
