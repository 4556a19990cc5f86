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
func NewHistogram() *hdrhistogram.Histogram { return newHistogram(HistogramDigits) }

func newHistogram(digits int) *hdrhistogram.Histogram {
	return hdrhistogram.New(HistogramMin, HistogramMax, digits)
}

// FineEndpoints is the most request entries whose per-endpoint histograms
// take HistogramDigits (3) significant digits; past it they take 2.
//
// A histogram of 3 digits takes 136 KiB, one of 2 digits 20 KiB and still
// resolves a latency to within 1% (0.4 ms at 50 ms). Each endpoint holds
// histograms for the whole run, the steady state and each second still
// open (two, sometimes three), each allocated on its first request, and
// one more per window for failed requests if any fail; a LocustHistory
// adds one. Measured (go test -bench EntryMemory ./load, successful
// requests): about 690 KB per entry up to 64 entries (44 MB at 64), about
// 100 KB per entry past it (0.1 GB at matrix.MaxRequests). Totals over all
// endpoints always take 3 digits.
const FineEndpoints = 64

// endpointDigits is the significant digits of per-endpoint histograms for
// a scenario of n entries.
func endpointDigits(n int) int {
	if n <= FineEndpoints {
		return HistogramDigits
	}
	return 2
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
