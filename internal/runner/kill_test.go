package runner

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

func killMatrix(t *testing.T, target string) *matrix.Matrix {
	t.Helper()
	src := `name: k
target: ` + target + `
compose: {project: p, service: svc}
scenario: {requests: [{name: a, path: /}]}
defaults: {settle: 0s, cooldown: 0s, warmup: 0s, spawn_rate: 10}
runs:
  - {name: r, scale: [1, 2], users: [1, 2, 3], duration: 1s}
`
	m, err := matrix.Parse("k.yaml", []byte(src), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRealLoad runs a suite with the real load engine against a local
// server: the cells hold real measurements.
func TestRealLoad(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * time.Millisecond)
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	r := &Runner{Matrix: killMatrix(t, srv.URL), Scaler: newFakeScaler(1), Out: t.TempDir()}
	s, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	set, err := results.ReadSet(s.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Cells) != 6 {
		t.Fatalf("%d cells", len(set.Cells))
	}
	for _, c := range set.Cells {
		if c.Status != results.CellOK || c.Load == nil || c.Load.Total.Requests < 50 || c.Load.Total.Failures != 0 {
			t.Errorf("%s: status %s, load %+v", c.Cell.ID, c.Status, c.Load)
		}
	}
}

// TestKillAndResume SIGKILLs a suite in a child process after a few cells,
// resumes it here, and checks the finished run holds every cell exactly once,
// with the cells saved before the kill kept as they were.
func TestKillAndResume(t *testing.T) {
	if out := os.Getenv("SCALEBENCH_KILL_CHILD_OUT"); out != "" {
		srv := serveOn(t, os.Getenv("SCALEBENCH_KILL_CHILD_ADDR"))
		r := &Runner{Matrix: killMatrix(t, srv.URL), Scaler: newFakeScaler(1), Out: out}
		r.Run(context.Background())
		srv.Close()
		os.Exit(0)
	}
	if testing.Short() {
		t.Skip("spawns a child suite; skipped in -short")
	}
	out := t.TempDir()
	// The child and the resume use the same address, so the matrix (and its
	// hash) is the same.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillAndResume$")
	cmd.Env = append(os.Environ(), "SCALEBENCH_KILL_CHILD_OUT="+out, "SCALEBENCH_KILL_CHILD_ADDR="+addr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var dir string
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(out, "*", "cells", "*.json"))
		if len(files) >= 2 {
			dir = filepath.Dir(filepath.Dir(files[0]))
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if dir == "" {
		t.Fatal("the child saved no cells within 60 s")
	}
	before, _, err := results.Finished(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) == 6 {
		t.Skip("the child finished before it was killed; nothing to resume")
	}

	srv := serveOn(t, addr)
	defer srv.Close()
	m := killMatrix(t, srv.URL)
	r := &Runner{Matrix: m, Scaler: newFakeScaler(1), Resume: dir}
	s, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	set, err := results.ReadSet(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ids, want []string
	for _, c := range set.Cells {
		ids = append(ids, c.Cell.ID)
	}
	for _, c := range m.Cells() {
		want = append(want, c.ID)
	}
	sort.Strings(ids)
	sort.Strings(want)
	if strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Errorf("cells after resume %v, want %v", ids, want)
	}
	ok := 0
	for id, c := range before {
		if c.Status == results.CellOK {
			ok++
			if got := set.Cell(id); !got.Started.Equal(c.Started) {
				t.Errorf("kept cell %s was redone", id)
			}
		}
	}
	if s.Kept != ok || s.Run.Status != results.StatusComplete {
		t.Errorf("kept %d (want %d), status %s", s.Kept, ok, s.Run.Status)
	}
}

// serveOn starts an "ok" server on addr.
func serveOn(t *testing.T, addr string) *httptest.Server {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	return srv
}
