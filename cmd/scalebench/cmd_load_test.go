package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/echo"
	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/results"
)

func TestLoadCommand(t *testing.T) {
	srv := httptest.NewServer(&echo.Server{})
	defer srv.Close()
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "cell.json")
	prefix := filepath.Join(dir, "run")
	hlog := filepath.Join(dir, "run.hlog")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"load", "--url", srv.URL + "/", "--users", "4", "--duration", "1500ms",
		"--json", jsonPath, "--csv", prefix, "--hlog", hlog}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("scalebench load: %v\nstderr: %s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"# reqs", "Med", "95%", "99%", "Max", "req/s", "GET     /", "Aggregated", "Steady state", "Check:"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}

	cell, err := results.ReadCell(jsonPath)
	if err != nil {
		t.Fatalf("--json file does not load back: %v", err)
	}
	if cell.Status != results.CellOK || cell.Load == nil || cell.Load.Total.Requests == 0 || cell.Cell.Users != 4 {
		t.Fatalf("cell = status %q, load %v, users %d; want ok with requests from 4 users", cell.Status, cell.Load != nil, cell.Cell.Users)
	}
	if len(cell.Load.Endpoints) != 1 || cell.Load.Endpoints[0].Name != "/" {
		t.Errorf("endpoints = %+v, want one named /", cell.Load.Endpoints)
	}
	if _, err := results.DecodeHistogram(cell.Load.Total.Histogram); err != nil {
		t.Errorf("saved histogram: %v", err)
	}

	for _, c := range []struct {
		suffix string
		header []string
		rows   int // data rows at least
	}{
		{"_stats.csv", load.LocustStatsColumns, 2},
		{"_stats_history.csv", load.LocustHistoryColumns, 2},
		{"_failures.csv", load.LocustFailuresColumns, 0},
	} {
		f, err := os.Open(prefix + c.suffix)
		if err != nil {
			t.Fatalf("--csv: %v", err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatalf("%s does not parse: %v", c.suffix, err)
		}
		if strings.Join(rows[0], ",") != strings.Join(c.header, ",") || len(rows)-1 < c.rows {
			t.Errorf("%s: header %v and %d rows, want Locust's header and ≥ %d rows", c.suffix, rows[0], len(rows)-1, c.rows)
		}
	}
	if b, err := os.ReadFile(hlog); err != nil || !bytes.Contains(b, []byte("Tag=/,")) {
		t.Errorf("--hlog file lacks endpoint-tagged intervals (err %v)", err)
	}
}

func TestLoadCommandErrors(t *testing.T) {
	srv := httptest.NewServer(&echo.Server{})
	defer srv.Close()
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no url", []string{"load"}, exitUsage, "--url is required"},
		{"users and rate", []string{"load", "--url", srv.URL, "--users", "2", "--rate", "5"}, exitUsage, "not both"},
		{"bad wait", []string{"load", "--url", srv.URL, "--wait", "soon"}, exitUsage, "--wait"},
		{"missing dir", []string{"load", "--url", srv.URL, "--json", "/nonexistent/dir/x.json"}, exitUsage, "does not exist"},
		{"fail on errors", []string{"load", "--url", srv.URL + "/status?code=500", "--duration", "300ms", "--fail-on-errors"}, exitFailure, "requests failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), c.args, &stdout, &stderr)
			if exitCode(err) != c.code || err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v (exit %d), want exit %d mentioning %q", err, exitCode(err), c.code, c.want)
			}
		})
	}
}

func TestLoadCommandAbort(t *testing.T) {
	srv := httptest.NewServer(&echo.Server{})
	defer srv.Close()
	jsonPath := filepath.Join(t.TempDir(), "cell.json")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-time.After(500 * time.Millisecond)
		cancel()
	}()
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"load", "--url", srv.URL, "--users", "2", "--duration", "1m", "--json", jsonPath}, &stdout, &stderr)
	if exitCode(err) != exitAborted {
		t.Fatalf("err = %v, want exit %d", err, exitAborted)
	}
	if !strings.Contains(stdout.String(), "ABORTED") || !strings.Contains(stdout.String(), "Aggregated") {
		t.Errorf("stdout lacks the aborted mark or the table:\n%s", stdout.String())
	}
	cell, err := results.ReadCell(jsonPath)
	if err != nil || cell.Status != results.CellAborted || cell.Load.Total.Requests == 0 {
		t.Errorf("aborted cell = %+v, %v; want status aborted with the partial record", cell, err)
	}
}

func TestLoadCommandScenario(t *testing.T) {
	srv := httptest.NewServer(&echo.Server{})
	defer srv.Close()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dog.jpeg"), []byte("\xff\xd8 jpeg"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "scenario.yaml")
	yaml := `scenario:
  wait: 10ms..20ms
  requests:
    - {name: index,   method: GET,  path: /,     weight: 1}
    - {name: predict, method: POST, path: /echo, weight: 3, form: {file: "@dog.jpeg"}, expect: {status: [200], body_contains: "multipart/form-data"}}
`
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	jsonPath := filepath.Join(dir, "cell.json")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"load", "--url", srv.URL, "--scenario", file, "--users", "3", "--duration", "1s", "--json", jsonPath}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("scalebench load --scenario: %v\n%s", err, stderr.String())
	}
	cell, err := results.ReadCell(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	l := cell.Load
	if len(l.Endpoints) != 2 || l.Endpoints[0].Name != "index" || l.Endpoints[1].Name != "predict" || l.Endpoints[1].Method != "POST" {
		t.Fatalf("endpoints = %+v, want index then POST predict", l.Endpoints)
	}
	if l.Total.Failures != 0 || l.Endpoints[1].Total.Requests == 0 {
		t.Errorf("%d failures (%+v), %d predictions: want uploads that succeed", l.Total.Failures, l.Errors, l.Endpoints[1].Total.Requests)
	}
	if w := l.Check.MeanWait; w < 10*time.Millisecond || w > 20*time.Millisecond {
		t.Errorf("mean wait %v, want within the scenario's 10ms..20ms", w)
	}
}
