package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestLoadSendsEncodedQuery: a path and query with spaces go out encoded,
// from --url and from a scenario file alike.
func TestLoadSendsEncodedQuery(t *testing.T) {
	var (
		mu   sync.Mutex
		seen = map[string]bool{}
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.RequestURI] = true
		mu.Unlock()
	}))
	defer srv.Close()
	scenario := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(scenario, []byte("requests:\n  - {name: q, path: \"/a b?q=1 2\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
	}{
		{"url", []string{"load", "--url", srv.URL + "/a b?q=1 2", "--users", "1", "--duration", "300ms"}},
		{"scenario", []string{"load", "--url", srv.URL, "--scenario", scenario, "--users", "1", "--duration", "300ms"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			clear(seen)
			mu.Unlock()
			var stdout, stderr bytes.Buffer
			if err := run(context.Background(), tt.args, &stdout, &stderr); err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			mu.Lock()
			defer mu.Unlock()
			if len(seen) != 1 || !seen["/a%20b?q=1%202"] {
				t.Errorf("the server saw %v, want only /a%%20b?q=1%%202", seen)
			}
		})
	}
}
