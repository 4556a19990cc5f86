package load

import (
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/results"
)

func TestRecordClampsOutOfRange(t *testing.T) {
	h := results.NewHistogram()
	recordLatency(h, 90*time.Second)
	recordLatency(h, 10*time.Nanosecond)
	if h.TotalCount() != 2 {
		t.Fatalf("recorded %d values, want 2 (out-of-range values clamped, not dropped)", h.TotalCount())
	}
	if got := results.MaxLatency(h); got < 59*time.Second || got > 61*time.Second {
		t.Errorf("max = %v, want about 60s (clamped)", got)
	}
	if got := results.MinLatency(h); got != time.Microsecond {
		t.Errorf("min = %v, want 1µs (clamped)", got)
	}
}

// TestMergeIsNotAverage pins that totals merge histograms: the p99 of two
// endpoints together is not the mean of their p99s.
func TestMergeIsNotAverage(t *testing.T) {
	fast, slow := newWindow(results.HistogramDigits), newWindow(results.HistogramDigits)
	for i := 0; i < 990; i++ {
		fast.add(&sample{latency: time.Millisecond})
	}
	for i := 0; i < 10; i++ {
		slow.add(&sample{latency: time.Second})
	}
	tot := newWindow(results.HistogramDigits)
	tot.merge(fast)
	tot.merge(slow)
	st, err := tot.stats(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if st.Requests != 1000 {
		t.Errorf("requests = %d, want 1000", st.Requests)
	}
	if st.Latency.P50 > 2*time.Millisecond || st.Latency.P99 > 2*time.Millisecond || st.Latency.Max < 999*time.Millisecond {
		t.Errorf("merged latency = %+v, want p50 and p99 ≈ 1ms, max ≈ 1s", st.Latency)
	}
	if st.Latency.Mean != (990*time.Millisecond+10*time.Second)/1000 {
		t.Errorf("mean = %v, want the exact mean 10.99ms", st.Latency.Mean)
	}
}
