package load

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/scalebench/scalebench/internal/results"
)

// FineEndpoints is the most request entries whose per-endpoint histograms
// take results.HistogramDigits (3) significant digits; past it they take 2.
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
		return results.HistogramDigits
	}
	return 2
}

// recordLatency records d in h, in microseconds, clamped to the histogram's range.
func recordLatency(h *hdrhistogram.Histogram, d time.Duration) {
	_ = h.RecordValue(clampMicros(d))
}

func clampMicros(d time.Duration) int64 {
	us := int64(d / time.Microsecond)
	if us < results.HistogramMin {
		return results.HistogramMin
	}
	if us > results.HistogramMax {
		return results.HistogramMax
	}
	return us
}
