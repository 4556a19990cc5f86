package results

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
