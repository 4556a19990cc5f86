package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/report"
	"github.com/scalebench/scalebench/internal/results"
)

// TestSecretNeverWritten runs a suite whose matrix takes a token and an
// API key from the environment, with the real load engine against a local
// server that checks it receives them, then renders the report: no file
// of the run holds either value, and run.json names the variables.
func TestSecretNeverWritten(t *testing.T) {
	const token, key = "tok-Zq8v1sEcReT", "key-9xKqQ2"
	t.Setenv("RUNNER_SECRET_TOKEN", token)
	t.Setenv("RUNNER_SECRET_KEY", key)
	var good, bad atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token || r.URL.Query().Get("key") != key {
			bad.Add(1)
			http.Error(w, "wrong credentials", http.StatusUnauthorized)
			return
		}
		good.Add(1)
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	src := `name: secret
target: ` + srv.URL + `
compose: {project: p, service: svc}
scenario:
  requests:
    - name: a
      path: /items?key=${RUNNER_SECRET_KEY}
      headers: {Authorization: "Bearer ${RUNNER_SECRET_TOKEN}"}
defaults: {settle: 0s, cooldown: 0s, warmup: 0s}
runs:
  - {name: r, scale: [1], users: [2], duration: 1s}
`
	dir := t.TempDir()
	mfile := filepath.Join(dir, "secret.yaml")
	if err := os.WriteFile(mfile, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := matrix.Load(mfile)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	r := &Runner{Matrix: m, MatrixSource: src, Scaler: newFakeScaler(1), Out: out}
	s, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if good.Load() < 10 || bad.Load() != 0 {
		t.Fatalf("the server saw %d requests with the credentials and %d without", good.Load(), bad.Load())
	}
	set, err := results.ReadSet(s.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := report.Render(set, s.Dir); err != nil {
		t.Fatal(err)
	}
	if got, _ := json.Marshal(set.Run.Matrix.Env); string(got) != `["RUNNER_SECRET_KEY","RUNNER_SECRET_TOKEN"]` {
		t.Errorf("run.json names %s", got)
	}
	files := 0
	filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{token, key} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s holds the secret %q", path, secret)
			}
		}
		return nil
	})
	if files < 4 { // run.json, a cell, report.md, index.html at least
		t.Errorf("only %d files written", files)
	}

	// Resumed from run.json, the matrix takes the values from the
	// environment again.
	back, err := set.Run.Matrix.Reload(set.Run.MatrixSource)
	if err != nil {
		t.Fatal(err)
	}
	if h := back.Scenario.Requests[0].Headers["Authorization"]; h != "Bearer "+token || back.Hash() != set.Run.MatrixHash {
		t.Errorf("reloaded: header %q, hash %s vs %s", h, back.Hash(), set.Run.MatrixHash)
	}
}
