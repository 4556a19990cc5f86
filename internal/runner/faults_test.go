package runner

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// TestSaveErrorStopsRun: the first cell that cannot be saved stops the
// run, the scale is restored, and the error says where and what next.
func TestSaveErrorStopsRun(t *testing.T) {
	sc := newFakeScaler(2)
	r := newTestRunner(t, sc)
	saves := 0
	r.Save = func(dir string, c *results.Cell) error {
		if saves++; saves == 2 {
			return &os.PathError{Op: "write", Path: filepath.Join(dir, "cells", c.Cell.ID+".json"), Err: syscall.ENOSPC}
		}
		return results.WriteCell(dir, c)
	}
	loads := 0
	r.Load = func(ctx context.Context, cfg load.Config) (*results.Load, bool, error) {
		loads++
		return fakeLoad(ctx, cfg)
	}
	s, err := r.Run(context.Background())
	if err == nil {
		t.Fatal("the run went on after a failed save")
	}
	for _, w := range []string{"save cell r1-s1-u2-r1", "no space left on device", "free space on the disk holding " + s.Dir, "scalebench run --resume " + s.Dir} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
	if loads != 2 {
		t.Errorf("%d cells loaded, want 2: the run must stop at the first failed save", loads)
	}
	if !sc.restored || sc.n != 2 {
		t.Errorf("scale not restored: at %d", sc.n)
	}
	if got := strings.Join(cellIDs(t, s.Dir), " "); got != "r1-s1-u1-r1:ok" {
		t.Errorf("cells on disk: %s", got)
	}
	if s.Run.Status != results.StatusFailed {
		t.Errorf("run status %s, want failed", s.Run.Status)
	}
}

// TestFullDiskStopsRun: the same on a real 1 MB tmpfs that fills up during
// the second cell; the cells saved stay valid and --resume finishes the run
// once there is space again.
func TestFullDiskStopsRun(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("SKIPPED: cannot mount a 1 MB tmpfs here (%v: %s); TestSaveErrorStopsRun covers the same with an injected ENOSPC", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	sc := newFakeScaler(2)
	r := newTestRunner(t, sc)
	r.Out = dir
	filler := filepath.Join(dir, "filler")
	loads := 0
	r.Load = func(ctx context.Context, cfg load.Config) (*results.Load, bool, error) {
		if loads++; loads == 2 {
			fill(t, filler)
		}
		return fakeLoad(ctx, cfg)
	}
	s, err := r.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no space left on device") || !strings.Contains(err.Error(), "df -h") {
		t.Fatalf("err = %v, want a full disk that says where", err)
	}
	if loads != 2 || !sc.restored || sc.n != 2 {
		t.Errorf("%d cells loaded (want 2), restored %v at %d", loads, sc.restored, sc.n)
	}
	if got := strings.Join(cellIDs(t, s.Dir), " "); got != "r1-s1-u1-r1:ok" {
		t.Errorf("cells on disk: %s", got)
	}
	entries, _ := os.ReadDir(filepath.Join(s.Dir, results.CellsDir))
	for _, e := range entries {
		// The first cell's JSON and its CSV files; no temporary file.
		if !strings.HasPrefix(e.Name(), "r1-s1-u1-r1.json") && !strings.HasPrefix(e.Name(), "r1-s1-u1-r1_") && e.Name() != "r1-s1-u1-r1.hlog" {
			t.Errorf("left in cells/: %s", e.Name())
		}
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	r2 := newTestRunner(t, newFakeScaler(2))
	r2.Out, r2.Resume = dir, s.Dir
	s2, err := r2.Run(context.Background())
	if err != nil {
		t.Fatalf("resume after freeing space: %v", err)
	}
	if s2.Kept != 1 || s2.Done != 4 || len(cellIDs(t, s.Dir)) != 5 {
		t.Errorf("resume kept %d, ran %d, %d cells on disk; want 1, 4, 5", s2.Kept, s2.Done, len(cellIDs(t, s.Dir)))
	}
}

// fill writes path until the filesystem is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return
		}
	}
}

// TestResumeKeepsOnly: a run started with --only resumes the same cells,
// not every cell of the matrix.
func TestResumeKeepsOnly(t *testing.T) {
	r := newTestRunner(t, newFakeScaler(1))
	only, err := matrix.ParseFilter("scale=3")
	if err != nil {
		t.Fatal(err)
	}
	r.Only, r.Selection = only, "scale=3"
	ctx, cancel := context.WithCancel(context.Background())
	r.Load = func(lctx context.Context, cfg load.Config) (*results.Load, bool, error) {
		cancel() // interrupted during the first cell
		return nil, true, nil
	}
	s, _ := r.Run(ctx)
	if s.Run.Only != "scale=3" {
		t.Errorf("run.json records --only %q, want scale=3", s.Run.Only)
	}

	var ran []string
	r2 := newTestRunner(t, newFakeScaler(1))
	r2.Resume = s.Dir
	r2.Load = func(ctx context.Context, cfg load.Config) (*results.Load, bool, error) {
		ran = append(ran, cfg.Cell.ID)
		return fakeLoad(ctx, cfg)
	}
	s2, err := r2.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ran, " "); got != "r1-s3-u1-r1 r1-s3-u2-r1 r2-s3-u4-r1" {
		t.Errorf("resumed ran %s, want the scale 3 cells only", got)
	}
	if s2.Run.Only != "scale=3" {
		t.Errorf("resumed run.json records --only %q", s2.Run.Only)
	}
}

// TestFailedCellWarnedOnce: a failed cell's error lives in its file; run.json
// does not repeat it, so the report does not print it twice.
func TestFailedCellWarnedOnce(t *testing.T) {
	sc := newFakeScaler(1)
	sc.failN[3] = 100
	r := newTestRunner(t, sc)
	r.Warnings = []string{"container p_svc_9 is left alone"}
	s, _ := r.Run(context.Background())
	if got := strings.Join(s.Run.Warnings, "\n"); got != "container p_svc_9 is left alone" {
		t.Errorf("run warnings:\n%s\nwant only the caller's", got)
	}
}

// TestLiveRateCountsSuccesses: the progress line's rps is that of
// successful requests, as in the report.
func TestLiveRateCountsSuccesses(t *testing.T) {
	var b strings.Builder
	p := NewPlainProgress(&b).(*plain)
	p.every = time.Second
	p.CellStart(0, matrix.Cell{ID: "c", Duration: 3 * time.Second}, 0)
	for i, l := range []load.Progress{
		{Elapsed: time.Second, RPS: 10, Failures: 0, Requests: 10},
		{Elapsed: 2 * time.Second, RPS: 10, Failures: 6, Requests: 20},
		{Elapsed: 3 * time.Second, RPS: 10, Failures: 16, Requests: 30},
	} {
		p.Live(l)
		want := []string{"10.0 rps ok", "4.0 rps ok", "0.0 rps ok"}[i]
		if !strings.Contains(b.String(), want) {
			t.Errorf("second %d: progress lacks %q:\n%s", i+1, want, b.String())
		}
	}
}
