package results

import (
	"bytes"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
)

func TestTidyCSV(t *testing.T) {
	stats := func(req, fail int64, p95 time.Duration) Stats {
		return Stats{Window: 10 * time.Second, Requests: req, Failures: fail, RPS: float64(req) / 10,
			FailRate: float64(fail) / float64(req), Latency: Latency{P50: p95 / 2, P95: p95, Max: 2 * p95}}
	}
	series := func(svc, name string, cpu []float64, mem int64) ContainerSeries {
		cs := ContainerSeries{Service: svc, Name: name}
		for i, c := range cpu {
			cs.Samples = append(cs.Samples, ContainerSample{T: time.Duration(i) * time.Second, CPU: c, Memory: mem + int64(i)<<20})
		}
		return cs
	}
	set := &Set{Run: Run{ID: "study-20261130T120000Z-abc1234"}, Cells: []Cell{
		{Cell: matrix.Cell{ID: "run1-s3-u20-r1", Run: "run1", Scale: 3, Mode: matrix.Closed, Users: 20, Repeat: 1}, Status: CellOK,
			Load: &Load{SteadyStart: 2 * time.Second, Elapsed: 12 * time.Second, Steady: stats(300, 3, 40*time.Millisecond),
				Endpoints: []Endpoint{{Name: "index", Method: "GET", Steady: stats(100, 0, 5*time.Millisecond)},
					{Name: "predict", Method: "POST", Steady: stats(200, 3, 60*time.Millisecond)}}},
			// Samples before the steady window (t=0s, 1s) are left out.
			Containers: []ContainerSeries{series("model", "m1", []float64{900, 900, 40, 60}, 100<<20),
				series("model", "m2", []float64{900, 900, 10, 10}, 50<<20), series("api", "a1", []float64{0, 0, 5, 5}, 10<<20)}},
		{Cell: matrix.Cell{ID: "run2-s1-q50-r2", Run: "run2", Scale: 1, Mode: matrix.Open, Rate: 50, Repeat: 2}, Status: CellDegraded,
			Load: &Load{Elapsed: 10 * time.Second, Steady: stats(500, 0, 10*time.Millisecond),
				Endpoints: []Endpoint{{Name: "index", Method: "GET", Steady: stats(500, 0, 10*time.Millisecond)}}}},
		{Cell: matrix.Cell{ID: "run2-s5-q50-r1", Run: "run2", Scale: 5, Mode: matrix.Open, Rate: 50, Repeat: 1}, Status: CellFailed},
	}}
	var b bytes.Buffer
	if err := WriteTidyCSV(&b, set); err != nil {
		t.Fatal(err)
	}
	pythonReads(t, b.Bytes())
	rows, err := csv.NewReader(&b).ReadAll() // also checks every row has the header's width
	if err != nil {
		t.Fatal(err)
	}
	header := rows[0]
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	for _, want := range []string{"run_id", "cell", "scale", "users", "rate", "repeat", "endpoint", "rps", "failures", "p95_ms", "cpu_pct_api", "mem_mib_model"} {
		if _, ok := col[want]; !ok {
			t.Errorf("no column %q in %q", want, header)
		}
	}
	if len(header) != len(tidyColumns)+4 {
		t.Errorf("%d columns, want %d fixed and 4 for api and model", len(header), len(tidyColumns))
	}
	// 3 rows for the first cell, 2 for the second, 1 for the failed one.
	if len(rows) != 1+3+2+1 {
		t.Fatalf("%d data rows, want 6:\n%s", len(rows)-1, b.String())
	}
	get := func(r int, name string) string { return rows[r][col[name]] }
	num := func(r int, name string) float64 {
		v, err := strconv.ParseFloat(get(r, name), 64)
		if err != nil {
			t.Fatalf("row %d %s: %v", r, name, err)
		}
		return v
	}
	if get(1, "endpoint") != "index" || get(2, "endpoint") != "predict" || get(3, "endpoint") != TidyAggregate {
		t.Errorf("endpoints %q %q %q, want index, predict, Aggregated", get(1, "endpoint"), get(2, "endpoint"), get(3, "endpoint"))
	}
	if get(2, "cell") != "run1-s3-u20-r1" || get(2, "scale") != "3" || get(2, "users") != "20" || get(2, "rate") != "" || get(2, "run_id") != set.Run.ID {
		t.Errorf("cell columns of row 2: %q", rows[2])
	}
	if num(2, "requests") != 200 || num(2, "failures") != 3 || num(2, "rps") != 20 || num(2, "ok_rps") != 19.7 || num(2, "p95_ms") != 60 {
		t.Errorf("predict row: %q", rows[2])
	}
	// model: (40+60)/2 + (10+10)/2 = 60% of a core; peak memory at t=3s: (100+3)+(50+3) MiB.
	if num(1, "cpu_pct_model") != 60 || num(1, "mem_mib_model") != 156 || num(1, "cpu_pct_api") != 5 {
		t.Errorf("resources of row 1: cpu model %s, mem model %s, cpu api %s", get(1, "cpu_pct_model"), get(1, "mem_mib_model"), get(1, "cpu_pct_api"))
	}
	if get(4, "rate") != "50" || get(4, "users") != "" || get(4, "repeat") != "2" || get(4, "status") != "degraded" || get(4, "cpu_pct_model") != "" {
		t.Errorf("open-loop row: %q", rows[4])
	}
	if get(6, "status") != "failed" || get(6, "requests") != "" || get(6, "endpoint") != TidyAggregate {
		t.Errorf("failed cell row: %q", rows[6])
	}
}

// pythonReads checks, where python3 is installed, that Python's csv module
// (what pandas and most tools follow) reads the file with the same header
// and numbers.
func pythonReads(t *testing.T, data []byte) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Log("python3 is not installed: the CSV is read back by Go only")
		return
	}
	path := filepath.Join(t.TempDir(), TidyFile)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	prog := `import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
print(len(rows), rows[1]["endpoint"], float(rows[1]["p95_ms"]), float(rows[0]["cpu_pct_model"]))`
	out, err := exec.Command(py, "-c", prog, path).CombinedOutput()
	if err != nil {
		t.Fatalf("python3 csv: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "6 predict 60.0 60.0" {
		t.Errorf("python3 csv read %q, want 6 rows, predict's p95 60 ms and model's CPU 60%%", got)
	}
}
