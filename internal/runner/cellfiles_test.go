package runner

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// TestCellFiles runs a one-cell suite with the real load engine against a
// local server and reads back what run writes besides the cell's JSON: its
// Locust CSV files and interval log, and the run's tidy CSV.
func TestCellFiles(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		time.Sleep(2 * time.Millisecond)
	}))
	defer srv.Close()
	src := `name: files
target: ` + srv.URL + `
compose: {project: p, service: svc}
scenario: {requests: [{name: index, path: /, weight: 3}, {name: gone, path: /missing}]}
defaults: {settle: 0s, cooldown: 0s, warmup: 0s}
runs:
  - {name: r1, scale: [1], users: [2], duration: 2s}
`
	m, err := matrix.Parse("files.yaml", []byte(src), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := &Runner{Matrix: m, Scaler: newFakeScaler(1), Load: load.Run, Out: t.TempDir(), Sleep: noSleep}
	s, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	set, err := results.ReadSet(s.Dir)
	if err != nil || len(set.Cells) != 1 {
		t.Fatalf("read the run: %v, %d cells", err, len(set.Cells))
	}
	c := set.Cells[0]
	id := c.Cell.ID

	stats := readCSV(t, CellFile(s.Dir, id, StatsSuffix))
	if !slices.Equal(stats[0], load.LocustStatsColumns) || len(stats) != 4 {
		t.Fatalf("_stats.csv: header %q, %d rows; want Locust's header, gone, index, Aggregated", stats[0], len(stats)-1)
	}
	if agg := stats[3]; agg[1] != "Aggregated" || agg[2] != strconv.FormatInt(c.Load.Total.Requests, 10) || agg[3] != strconv.FormatInt(c.Load.Total.Failures, 10) {
		t.Errorf("_stats.csv Aggregated row %q, want %d requests, %d failures", agg, c.Load.Total.Requests, c.Load.Total.Failures)
	}
	failures := readCSV(t, CellFile(s.Dir, id, FailuresSuffix))
	if len(failures) != 2 || failures[1][1] != "gone" || !strings.Contains(failures[1][2], "404") {
		t.Errorf("_failures.csv: %q, want one row for gone's 404s", failures)
	}
	history := readCSV(t, CellFile(s.Dir, id, HistorySuffix))
	if !slices.Equal(history[0], load.LocustHistoryColumns) || len(history)-1 < 2*3 {
		t.Errorf("_stats_history.csv: header %q, %d rows; want Locust's header and 3 rows (gone, index, Aggregated) a second for 2 s", history[0], len(history)-1)
	}
	hlog, err := os.ReadFile(CellFile(s.Dir, id, HlogSuffix))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(hlog), "#[Histogram log format version 1.3]") || strings.Count(string(hlog), "Tag=index,") < 2 {
		t.Errorf(".hlog: want an interval log with a Tag=index line a second:\n%.300s", hlog)
	}

	tidy := readCSV(t, filepath.Join(s.Dir, results.TidyFile))
	if len(tidy) != 1+3 || tidy[1][9] != "index" || tidy[2][9] != "gone" || tidy[3][9] != results.TidyAggregate {
		t.Fatalf("results.csv: %q, want a row for index, gone and Aggregated", tidy)
	}
	if tidy[3][12] != strconv.FormatInt(c.Load.Steady.Requests, 10) || tidy[2][13] != strconv.FormatInt(c.Load.Endpoints[1].Steady.Failures, 10) {
		t.Errorf("results.csv rows %q, %q do not match the cell's steady requests %d and gone's failures %d",
			tidy[3], tidy[2], c.Load.Steady.Requests, c.Load.Endpoints[1].Steady.Failures)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("%s: %v, %d rows", path, err, len(rows))
	}
	return rows
}
