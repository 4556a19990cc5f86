package runner

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// TestEchoedSecretRedacted runs a cell against a real local server that
// refuses every request with a 401 whose body echoes the Authorization
// header it got: the saved cell's error group and its Locust failures file
// show ${NAME} where the server echoed the token, and no file of the run
// holds the token.
func TestEchoedSecretRedacted(t *testing.T) {
	const token = "tok-Echo7wQ2zz"
	t.Setenv("RUNNER_ECHO_TOKEN", token)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad credentials: "+r.Header.Get("Authorization"), http.StatusUnauthorized)
	}))
	defer srv.Close()
	src := `name: echo
target: ` + srv.URL + `
compose: {project: p, service: svc}
scenario:
  requests:
    - {name: a, path: /x, headers: {Authorization: "Bearer ${RUNNER_ECHO_TOKEN}"}}
defaults: {settle: 0s, cooldown: 0s, warmup: 0s}
runs:
  - {name: r, scale: [1], users: [1], duration: 1s}
`
	dir := t.TempDir()
	mfile := filepath.Join(dir, "echo.yaml")
	if err := os.WriteFile(mfile, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := matrix.Load(mfile)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	out := t.TempDir()
	r := &Runner{Matrix: m, MatrixSource: src, Scaler: newFakeScaler(1), Out: out, Progress: NewPlainProgress(&log)}
	s, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	set, err := results.ReadSet(s.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Cells) != 1 || set.Cells[0].Load == nil || len(set.Cells[0].Load.Errors) == 0 {
		t.Fatalf("want one cell with error groups, got %+v", set.Cells)
	}
	g := set.Cells[0].Load.Errors[0]
	if !strings.Contains(g.Sample+g.Message, "Bearer ${RUNNER_ECHO_TOKEN}") {
		t.Errorf("error group message %q, sample %q: want the echoed token as ${RUNNER_ECHO_TOKEN}", g.Message, g.Sample)
	}
	files := 0
	filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		if b, _ := os.ReadFile(path); bytes.Contains(b, []byte(token)) {
			t.Errorf("%s holds the secret", path)
		}
		return nil
	})
	if files < 3 || bytes.Contains(log.Bytes(), []byte(token)) {
		t.Errorf("%d files; progress:\n%s", files, log.String())
	}
}

// TestRedactProgressLines: an event line quoting a secret prints ${NAME}.
func TestRedactProgressLines(t *testing.T) {
	var buf bytes.Buffer
	p := WithRedaction(NewPlainProgress(&buf), []matrix.Secret{{Name: "T", Value: "s3cr3t"}})
	p.Logf("readiness URL https://u:%s@h/ready did not answer", "s3cr3t")
	p.CellEnd(0, &results.Cell{Cell: matrix.Cell{ID: "c"}, Status: results.CellFailed, Error: "GET https://u:s3cr3t@h: refused",
		Fault: &results.Fault{Cause: "x s3cr3t"}})
	if strings.Contains(buf.String(), "s3cr3t") || !strings.Contains(buf.String(), "u:${T}@h/ready") {
		t.Errorf("progress:\n%s", buf.String())
	}
}
