package results

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
)

func testRun(id string) *Run {
	return &Run{
		ID:      id,
		Matrix:  matrix.Matrix{Name: "t", Target: "http://127.0.0.1:1"},
		Cells:   []matrix.Cell{{ID: "run1-s1-u1-r1"}, {ID: "run1-s1-u2-r1"}, {ID: "run1-s3-u1-r1"}},
		Status:  StatusRunning,
		Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

// bigCell makes a cell whose file is large enough that a write takes a while.
func bigCell(id string, n int) *Cell {
	c := &Cell{Cell: matrix.Cell{ID: id, Scale: 1, Users: 1}, Status: CellOK, Load: &Load{}}
	for i := range n {
		c.Load.Series = append(c.Load.Series, Second{T: i, Users: i, Requests: int64(i * 7), P95: time.Duration(i) * time.Millisecond})
	}
	return c
}

func TestCreateWriteLoad(t *testing.T) {
	root := t.TempDir()
	dir, err := Create(root, testRun("t-1"))
	if err != nil {
		t.Fatal(err)
	}
	// Written out of plan order; loaded in plan order.
	for _, id := range []string{"run1-s3-u1-r1", "run1-s1-u1-r1"} {
		if err := WriteCell(dir, bigCell(id, 3)); err != nil {
			t.Fatal(err)
		}
	}
	s, err := ReadSet(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range s.Cells {
		got = append(got, c.Cell.ID)
	}
	if want := "run1-s1-u1-r1,run1-s3-u1-r1"; strings.Join(got, ",") != want {
		t.Errorf("cells = %v, want %s", got, want)
	}
	if s.Run.Schema != SchemaVersion || s.Run.Kind != KindRun {
		t.Errorf("run header = %d %q", s.Run.Schema, s.Run.Kind)
	}
	if c := s.Cell("run1-s3-u1-r1"); c == nil || len(c.Load.Series) != 3 || c.Load.Series[2].Requests != 14 {
		t.Errorf("cell did not round-trip: %+v", c)
	}
	if _, err := Create(root, testRun("t-1")); err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Errorf("second Create of the same ID: err = %v, want a refusal that suggests --resume", err)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		file    string // relative to the run dir
		content string
		want    string
	}{
		{"truncated cell", "cells/run1-s1-u1-r1.json", `{"schema": 1, "kind": "scalebench.cell", "cell": {"id": "run1-s1`, "cut short"},
		{"foreign cell", "cells/x.json", `{"name": "something else"}`, `no "kind" field`},
		{"wrong kind", "cells/x.json", `{"schema": 1, "kind": "scalebench.run"}`, `expected "scalebench.cell"`},
		{"future schema", "cells/x.json", `{"schema": 99, "kind": "scalebench.cell"}`, "schema version 99"},
		{"truncated run", "run.json", `{"schema": 1, "kind": "scalebench.run", "id": "t-`, "cut short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, err := Create(t.TempDir(), testRun("t-1"))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, tt.file)
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = ReadSet(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), filepath.Base(path)) {
				t.Errorf("ReadSet: err = %v, want one naming %s and containing %q", err, filepath.Base(path), tt.want)
			}
		})
	}
	t.Run("not a run directory", func(t *testing.T) {
		_, err := ReadSet(t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "run directory") {
			t.Errorf("err = %v", err)
		}
	})
}

// TestKilledMidWrite runs a child process that rewrites large cell files in
// a loop, kills it with SIGKILL at varied moments, and checks that every
// cell file left behind loads whole: a crash never yields a half file.
func TestKilledMidWrite(t *testing.T) {
	if dir := os.Getenv("SCALEBENCH_WRITER_DIR"); dir != "" {
		for i := 0; ; i++ {
			if err := WriteCell(dir, bigCell(fmt.Sprintf("run1-s1-u%d-r1", i%4), 20000)); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
	}
	if testing.Short() {
		t.Skip("spawns writer processes; skipped in -short")
	}
	dir, err := Create(t.TempDir(), testRun("t-1"))
	if err != nil {
		t.Fatal(err)
	}
	kills := 0
	for round := range 8 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKilledMidWrite$")
		cmd.Env = append(os.Environ(), "SCALEBENCH_WRITER_DIR="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(150+round*37) * time.Millisecond)
		if err := cmd.Process.Kill(); err == nil {
			kills++
		}
		cmd.Wait()
		cells, bad, err := Finished(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(bad) > 0 {
			t.Fatalf("round %d: half-written cell files after SIGKILL: %v", round, bad)
		}
		for id, c := range cells {
			if len(c.Load.Series) != 20000 {
				t.Fatalf("round %d: cell %s has %d seconds, want 20000", round, id, len(c.Load.Series))
			}
		}
	}
	if kills == 0 {
		t.Fatal("the writer was never killed mid-run; the test proved nothing")
	}
	// Temporary files a kill leaves behind are hidden from loading.
	if _, err := ReadSet(dir); err != nil {
		t.Fatalf("ReadSet after kills: %v", err)
	}
}

// TestCorruptFileFix: a cut-short cell file is deleted and redone; a
// cut-short run.json cannot be, and is never told so.
func TestCorruptFileFix(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, RunFile), []byte(`{"schema": 1, "kind": "scalebench.ru`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadRun(dir)
	if err == nil || strings.Contains(err.Error(), "have the cell run again") || !strings.Contains(err.Error(), "start a new run") {
		t.Errorf("corrupt run.json: %v", err)
	}
	cell := filepath.Join(dir, "c.json")
	if err := os.WriteFile(cell, []byte(`{"schema": 1, "kind": "scalebench.ce`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ReadCell(cell)
	if err == nil || !strings.Contains(err.Error(), "delete it and run scalebench run --resume") {
		t.Errorf("corrupt cell: %v", err)
	}
}
