package load

import (
	"bytes"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// The header lines of Locust 2.x's CSV files (locust/stats.py:
// requests_csv_columns, stats_history_csv_columns, failures_columns with
// PERCENTILES_TO_REPORT), pinned so that tools reading Locust's files read ours.
const (
	locustStatsHeader    = "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
	locustHistoryHeader  = "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size"
	locustFailuresHeader = "Method,Name,Error,Occurrences"
)

// fixture is a small hand-made record: two endpoints, known latencies.
func fixture(t *testing.T) (*results.Load, []Interval) {
	t.Helper()
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	eps := []endpoint{{name: "index", method: "GET"}, {name: "predict", method: "POST"}}
	col := newCollector(start, time.Second, eps, nil, func() int { return 10 })
	var ivs []Interval
	col.interval = func(iv Interval) {
		// keep copies: the collector reuses its histograms
		c := iv
		c.Total = hdrhistogram.Import(iv.Total.Export())
		c.Endpoints = append([]IntervalEndpoint(nil), iv.Endpoints...)
		for i := range c.Endpoints {
			c.Endpoints[i].Histogram = hdrhistogram.Import(iv.Endpoints[i].Histogram.Export())
		}
		ivs = append(ivs, c)
	}
	for i := 0; i < 300; i++ {
		end := time.Duration(i) * 10 * time.Millisecond // 0 .. 2.99 s
		s := sample{end: end, latency: time.Duration(1+i%50) * time.Millisecond, ep: 0, bytes: 100}
		if i%3 != 0 {
			s.ep, s.latency, s.bytes = 1, time.Duration(100+i)*time.Millisecond, 20
		}
		if i%50 == 7 {
			s.class = classStatus
			s.fail = &failure{message: "HTTP 503", sample: "busy"}
		}
		if i%100 == 8 {
			s.class = classTimeout
			s.fail = &failure{message: "timeout after 30s"}
		}
		if i%10 == 0 {
			col.tick(end)
		}
		col.add(&s)
	}
	col.finish(3 * time.Second)
	// The process's real CPU at the steady start would make the check vary.
	col.cpuAtSteady = &cpuMark{wall: start.Add(time.Second), cpu: 500 * time.Millisecond}
	l := &loop{eps: eps, cell: matrix.Cell{Mode: matrix.Closed, Users: 10, Duration: 3 * time.Second}, start: start}
	rec, err := l.record(col, 3*time.Second, cpuMark{wall: start}, cpuMark{wall: start.Add(3 * time.Second), cpu: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return rec, ivs
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		os.WriteFile(path+".got", got, 0o644)
		t.Errorf("%s differs from the golden file; see %s.got (go test -update accepts it)", path, path)
	}
}

func TestLocustCSV(t *testing.T) {
	rec, ivs := fixture(t)
	var stats, hist, fails bytes.Buffer
	if err := WriteLocustStats(&stats, rec); err != nil {
		t.Fatal(err)
	}
	lh := NewLocustHistory(&hist)
	for _, iv := range ivs {
		if err := lh.Add(iv); err != nil {
			t.Fatal(err)
		}
	}
	if err := lh.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := WriteLocustFailures(&fails, rec); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		buf    *bytes.Buffer
		header string
		rows   int
	}{
		{"stats", &stats, locustStatsHeader, 3},          // 2 endpoints + Aggregated
		{"stats_history", &hist, locustHistoryHeader, 9}, // 3 seconds × (2 + Aggregated)
		{"failures", &fails, locustFailuresHeader, 4},    // 503 and timeout on each endpoint
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := c.buf.String()
			if first, _, _ := strings.Cut(text, "\r\n"); first != c.header {
				t.Errorf("header = %q\nwant     %q", first, c.header)
			}
			rows, err := csv.NewReader(strings.NewReader(text)).ReadAll()
			if err != nil {
				t.Fatalf("CSV does not parse back: %v", err)
			}
			if len(rows)-1 != c.rows {
				t.Errorf("%d data rows, want %d", len(rows)-1, c.rows)
			}
			golden(t, "locust_"+c.name+".csv", c.buf.Bytes())
		})
	}
}

func TestWriteTable(t *testing.T) {
	rec, _ := fixture(t)
	var b bytes.Buffer
	if err := WriteTable(&b, rec); err != nil {
		t.Fatal(err)
	}
	golden(t, "table.txt", b.Bytes())
}

func TestHlogReadsBack(t *testing.T) {
	rec, ivs := fixture(t)
	var b bytes.Buffer
	hw := NewHlogWriter(&b, rec.Started)
	for _, iv := range ivs {
		if err := hw.Add(iv); err != nil {
			t.Fatal(err)
		}
	}
	if err := hw.Flush(); err != nil {
		t.Fatal(err)
	}
	r := hdrhistogram.NewHistogramLogReader(&b)
	counts := map[string]int64{}
	lines := 0
	for {
		h, err := r.NextIntervalHistogram()
		if err != nil {
			t.Fatalf("read interval log: %v", err)
		}
		if h == nil {
			break
		}
		lines++
		counts[h.Tag()] += h.TotalCount()
	}
	if lines != 3*3 {
		t.Errorf("%d interval histograms, want 9 (3 s × total + 2 endpoints)", lines)
	}
	if counts[""] != rec.Total.Requests || counts["index"] != rec.Endpoints[0].Total.Requests || counts["predict"] != rec.Endpoints[1].Total.Requests {
		t.Errorf("counts by tag %v, want %d total = %d + %d", counts, rec.Total.Requests, rec.Endpoints[0].Total.Requests, rec.Endpoints[1].Total.Requests)
	}
}

func TestLittleCheck(t *testing.T) {
	cases := []struct {
		name  string
		in    checkInput
		bound bool
		want  string
	}{
		{"target-bound", checkInput{users: 10, throughput: 100, response: 90 * time.Millisecond, wait: 10 * time.Millisecond, cpu: 0.3, numCPU: 2}, false, ""},
		{"users idle", checkInput{users: 10, throughput: 50, response: 90 * time.Millisecond, wait: 10 * time.Millisecond, cpu: 0.3, numCPU: 2}, true, "neither waiting"},
		{"cpu full", checkInput{users: 10, throughput: 100, response: 100 * time.Millisecond, cpu: 1.9, numCPU: 2}, true, "1.90 of 2 cores"},
		{"open late", checkInput{open: true, users: 5, throughput: 100, response: 50 * time.Millisecond, sent: 1000, late: 50, maxFlight: 5, numCPU: 2}, true, "left late"},
		{"open on time", checkInput{open: true, users: 5, throughput: 100, response: 50 * time.Millisecond, sent: 1000, late: 2, numCPU: 2}, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ck := littleCheck(c.in)
			if ck.GeneratorBound != c.bound || !strings.Contains(ck.Reason, c.want) {
				t.Errorf("check = %+v, want bound=%v with a reason mentioning %q", ck, c.bound, c.want)
			}
		})
	}
	if ck := littleCheck(checkInput{users: 10, throughput: 100, response: 90 * time.Millisecond, wait: 10 * time.Millisecond}); ck.Ratio < 0.999 || ck.Ratio > 1.001 {
		t.Errorf("ratio = %v, want 1 (10 users = 100/s × 100ms)", ck.Ratio)
	}
}
