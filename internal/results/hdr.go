package results

import (
	"fmt"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram geometry of every latency histogram scalebench records and
// saves: microseconds from 1 µs to 60 s with 3 significant digits. Larger
// values are clamped to HistogramMax by the recorder, not dropped, so a
// request that took 90 s still counts as a (very slow) request.
const (
	HistogramMin    = 1
	HistogramMax    = 60_000_000
	HistogramDigits = 3
)

// NewHistogram returns an empty latency histogram with the geometry above.
// Histograms are not safe for concurrent use.
func NewHistogram() *hdrhistogram.Histogram { return NewHistogramDigits(HistogramDigits) }

// NewHistogramDigits is NewHistogram with fewer significant digits, for
// many histograms at once (2 digits still resolve a latency within 1%).
func NewHistogramDigits(digits int) *hdrhistogram.Histogram {
	return hdrhistogram.New(HistogramMin, HistogramMax, digits)
}

// EncodeHistogram returns h in the HdrHistogram V2 compressed encoding,
// base64 encoded: the form saved in Stats.Histogram. An empty histogram
// encodes to "".
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
// an empty histogram.
func DecodeHistogram(s string) (*hdrhistogram.Histogram, error) {
	if s == "" {
		return NewHistogram(), nil
	}
	h, err := hdrhistogram.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("decode latency histogram (V2 compressed, %d bytes of base64): %w", len(s), err)
	}
	return h, nil
}

// Quantile returns the latency below which a fraction q (0..1, clamped;
// not hdr's 0..100) of the values of h fall; 0 for an empty histogram.
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
