package load

import (
	"testing"
	"time"
)

func TestQuantileOnKnownData(t *testing.T) {
	h := NewHistogram()
	for v := int64(1); v <= 100_000; v++ { // 1 µs .. 100 ms, uniform
		if err := h.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		q    float64
		want time.Duration
	}{
		{0.50, 50 * time.Millisecond},
		{0.90, 90 * time.Millisecond},
		{0.95, 95 * time.Millisecond},
		{0.99, 99 * time.Millisecond},
		{0.999, 99900 * time.Microsecond},
		{1, 100 * time.Millisecond},
		{0, time.Microsecond},
	}
	for _, c := range cases {
		got := Quantile(h, c.q)
		// 3 significant digits: within 0.1% of the exact value.
		if d := got - c.want; d < -c.want/1000-time.Microsecond || d > c.want/1000+time.Microsecond {
			t.Errorf("Quantile(%v) = %v, want %v ± 0.1%%", c.q, got, c.want)
		}
	}
}

func TestQuantileSmallSets(t *testing.T) {
	h := NewHistogram()
	for _, us := range []int64{100, 200, 300, 400, 10_000} {
		h.RecordValue(us)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 300 * time.Microsecond}, {0.8, 400 * time.Microsecond}, {0.99, 10 * time.Millisecond}} {
		if got := Quantile(h, c.q); got < c.want || got > c.want+c.want/1000 {
			t.Errorf("Quantile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if got := Quantile(NewHistogram(), 0.5); got != 0 {
		t.Errorf("empty histogram: Quantile = %v, want 0", got)
	}
}

func TestRecordClampsOutOfRange(t *testing.T) {
	h := NewHistogram()
	recordLatency(h, 90*time.Second)
	recordLatency(h, 10*time.Nanosecond)
	if h.TotalCount() != 2 {
		t.Fatalf("recorded %d values, want 2 (out-of-range values clamped, not dropped)", h.TotalCount())
	}
	if got := MaxLatency(h); got < 59*time.Second || got > 61*time.Second {
		t.Errorf("max = %v, want about 60s (clamped)", got)
	}
	if got := MinLatency(h); got != time.Microsecond {
		t.Errorf("min = %v, want 1µs (clamped)", got)
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	h := NewHistogram()
	for v := int64(1); v < 5000; v += 7 {
		h.RecordValues(v, v%5+1)
	}
	s, err := EncodeHistogram(h)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeHistogram(s)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Equals(h) {
		t.Errorf("decoded histogram differs from the original")
	}
	if _, err := DecodeHistogram("not a histogram"); err == nil {
		t.Errorf("DecodeHistogram of garbage: no error")
	}
	empty, err := DecodeHistogram("")
	if err != nil || empty.TotalCount() != 0 {
		t.Errorf(`DecodeHistogram("") = %v, %v; want an empty histogram`, empty, err)
	}
}

// TestMergeIsNotAverage pins that totals merge histograms: the p99 of two
// endpoints together is not the mean of their p99s.
func TestMergeIsNotAverage(t *testing.T) {
	fast, slow := newWindow(HistogramDigits), newWindow(HistogramDigits)
	for i := 0; i < 990; i++ {
		fast.add(&sample{latency: time.Millisecond})
	}
	for i := 0; i < 10; i++ {
		slow.add(&sample{latency: time.Second})
	}
	tot := newWindow(HistogramDigits)
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
