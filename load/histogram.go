package load

import (
	"fmt"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram bounds. Latencies are recorded in microseconds from 1 µs to 60 s
// with 3 significant digits; larger values are clamped to HistogramMax, not
// dropped, so a request that took 90 s still counts as a (very slow) request.
const (
	HistogramMin    = 1
	HistogramMax    = 60_000_000
	HistogramDigits = 3
)

// NewHistogram returns an empty latency histogram in microseconds with the
// package's bounds. Histograms are not safe for concurrent use.
func NewHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(HistogramMin, HistogramMax, HistogramDigits)
}

// recordLatency records d in h, in microseconds, clamped to the histogram's range.
func recordLatency(h *hdrhistogram.Histogram, d time.Duration) {
	_ = h.RecordValue(clampMicros(d))
}

func clampMicros(d time.Duration) int64 {
	us := int64(d / time.Microsecond)
	if us < HistogramMin {
		return HistogramMin
	}
	if us > HistogramMax {
		return HistogramMax
	}
	return us
}

// EncodeHistogram returns h in the HdrHistogram V2 compressed encoding,
// base64 encoded: the form saved in results.Stats.Histogram. An empty
// histogram encodes to "".
func EncodeHistogram(h *hdrhistogram.Histogram) (string, error) {
	if h == nil || h.TotalCount() == 0 {
		return "", nil
	}
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", fmt.Errorf("encode histogram: %w", err)
	}
	return string(b), nil
}

// DecodeHistogram reads a histogram saved by EncodeHistogram. "" decodes to
// an empty histogram with the package's bounds.
func DecodeHistogram(s string) (*hdrhistogram.Histogram, error) {
	if s == "" {
		return NewHistogram(), nil
	}
	h, err := hdrhistogram.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("decode histogram (V2 compressed, base64): %w", err)
	}
	return h, nil
}

// Quantile returns the latency at quantile q (0..1, e.g. 0.95) of a histogram
// recorded in microseconds; 0 for an empty histogram. It hides hdr's 0..100
// percentile convention.
func Quantile(h *hdrhistogram.Histogram, q float64) time.Duration {
	if h == nil || h.TotalCount() == 0 {
		return 0
	}
	q = max(0, min(q, 1))
	return time.Duration(h.ValueAtQuantile(q*100)) * time.Microsecond
}

// MaxLatency returns the largest latency recorded in h (to the histogram's
// precision), 0 when empty.
func MaxLatency(h *hdrhistogram.Histogram) time.Duration {
	if h == nil || h.TotalCount() == 0 {
		return 0
	}
	return time.Duration(h.Max()) * time.Microsecond
}

// MinLatency returns the smallest latency recorded in h, 0 when empty.
func MinLatency(h *hdrhistogram.Histogram) time.Duration {
	if h == nil || h.TotalCount() == 0 {
		return 0
	}
	return time.Duration(h.Min()) * time.Microsecond
}
