package load

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// entriesScenario is a scenario of n request entries, all to the echo
// target's "/", told apart by their query.
func entriesScenario(n int) matrix.Scenario {
	var sc matrix.Scenario
	for i := range n {
		sc.Requests = append(sc.Requests, get(fmt.Sprintf("e%d", i), fmt.Sprintf("/?e=%d", i)))
	}
	return sc
}

// liveHeapDuringRun runs cell against srv with sc and returns the live heap
// (after a GC) when the first second closes, while every recording
// structure of the run is alive.
func liveHeapDuringRun(tb testing.TB, url string, sc matrix.Scenario, cell matrix.Cell) uint64 {
	tb.Helper()
	var live uint64
	// As scalebench load --csv does: a Locust history keeps a cumulative
	// histogram per endpoint.
	history := NewLocustHistory(io.Discard)
	cfg := Config{Target: url, Scenario: sc, Cell: cell, Interval: func(iv Interval) {
		if err := history.Add(iv); err != nil {
			tb.Error(err)
		}
		if iv.T == 0 {
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			live = ms.HeapAlloc
		}
	}}
	if _, _, err := Run(context.Background(), cfg); err != nil {
		tb.Fatal(err)
	}
	return live
}

// BenchmarkEntryMemory is the live memory a run holds per request entry of
// its scenario (B/entry): the heap while a run of 1 entry and one of n
// entries are recording, the difference divided by n-1. Every entry
// receives requests, so every per-endpoint structure is in use, and a
// Locust history is fed as `scalebench load --csv` does. Closed loop with 64
// users, open loop with 1000 slots; 64 entries (the most recorded at 3
// significant digits, FineEndpoints) and 200.
func BenchmarkEntryMemory(b *testing.B) {
	srv, _ := echoServer(b)
	for _, mode := range []struct {
		name string
		cell matrix.Cell
	}{
		{"closed-64", closedCell(64, 1300*time.Millisecond)},
		{"open-2000", matrix.Cell{ID: "test", Mode: matrix.Open, Rate: 2000, MaxInFlight: matrix.DefaultMaxInFlight, Duration: 1300 * time.Millisecond}},
	} {
		for _, n := range []int{FineEndpoints, 200} {
			b.Run(fmt.Sprintf("%s/entries-%d", mode.name, n), func(b *testing.B) {
				var per float64
				for b.Loop() {
					one := liveHeapDuringRun(b, srv.URL, entriesScenario(1), mode.cell)
					many := liveHeapDuringRun(b, srv.URL, entriesScenario(n), mode.cell)
					per = (float64(many) - float64(one)) / float64(n-1)
				}
				b.ReportMetric(per, "B/entry")
			})
		}
	}
}

// TestRecordingGeometry: per-endpoint histograms are allocated on first
// use, at 3 significant digits up to FineEndpoints entries and 2 past it;
// totals keep 3; a second without requests hands Interval an empty
// histogram, not nil.
func TestRecordingGeometry(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries int
		digits  int64
	}{
		{"fine", FineEndpoints, 3},
		{"coarse", FineEndpoints + 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eps := make([]endpoint, tc.entries)
			for i := range eps {
				eps[i] = endpoint{name: fmt.Sprintf("e%d", i), method: "GET"}
			}
			var got []Interval
			c := newCollector(time.Now(), 0, eps, nil, func() int { return 1 })
			c.interval = func(iv Interval) { got = append(got, iv) }
			c.add(&sample{end: 10 * time.Millisecond, latency: 50 * time.Millisecond, ep: 0})
			c.add(&sample{end: 20 * time.Millisecond, latency: 5 * time.Millisecond, ep: 0, class: classRefused})
			c.closeSecond(time.Second)
			for i, w := range c.total {
				if i > 0 && (w.hist != nil || w.fail != nil) {
					t.Fatalf("endpoint %d without requests has a histogram", i)
				}
			}
			if d := c.total[0].hist.SignificantFigures(); d != tc.digits {
				t.Errorf("endpoint digits = %d, want %d", d, tc.digits)
			}
			if len(got) != 1 {
				t.Fatalf("intervals = %d, want 1", len(got))
			}
			iv := got[0]
			if d := iv.Total.SignificantFigures(); d != results.HistogramDigits {
				t.Errorf("total digits = %d, want %d", d, results.HistogramDigits)
			}
			if n := iv.Endpoints[0].Histogram.TotalCount(); n != 2 {
				t.Errorf("endpoint 0 interval count = %d, want 2 (failures included)", n)
			}
			if h := iv.Endpoints[1].Histogram; h == nil || h.TotalCount() != 0 {
				t.Errorf("endpoint 1 interval histogram = %v, want empty", h)
			}
			if p50 := c.series[0].Endpoints["e0"].P50; p50 < 49*time.Millisecond || p50 > 51*time.Millisecond {
				t.Errorf("per-second p50 = %v, want 50ms within 1%% (successes only)", p50)
			}
		})
	}
}
