package analysis

import (
	"fmt"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/scalebench/scalebench/internal/results"
)

// SteadyHistogram merges the steady-state histograms (all endpoints) of
// cells. A cell whose histogram does not decode is an error naming it.
func SteadyHistogram(cells []*results.Cell) (*hdrhistogram.Histogram, error) {
	merged := results.NewHistogram()
	for _, c := range cells {
		if c.Load == nil {
			continue
		}
		h, err := results.DecodeHistogram(c.Load.Steady.Histogram)
		if err != nil {
			return nil, fmt.Errorf("cell %s steady histogram: %w", c.Cell.ID, err)
		}
		merged.Merge(h)
	}
	return merged, nil
}

// QuantilePoint is one point of a latency percentile curve.
type QuantilePoint struct {
	// Q is the quantile, 0..1.
	Q float64
	// Latency is the value at Q.
	Latency time.Duration
}

// NinesCurve samples the percentile curve of h on a "nines" scale: from the
// median up to 1 − 1/count (the last quantile the data can support), evenly
// in −log10(1−q), steps points per nine (default 10 when steps ≤ 0).
func NinesCurve(h *hdrhistogram.Histogram, steps int) []QuantilePoint {
	if h == nil || h.TotalCount() == 0 {
		return nil
	}
	if steps <= 0 {
		steps = 10
	}
	maxNines := log10(float64(h.TotalCount()))
	if maxNines < 0.31 {
		maxNines = 0.31
	}
	var pts []QuantilePoint
	for i := 0; ; i++ {
		nines := 0.30103 + float64(i)/float64(steps) // start at the median: −log10(0.5)
		if nines > maxNines {
			break
		}
		q := 1 - pow10(-nines)
		pts = append(pts, QuantilePoint{Q: q, Latency: results.Quantile(h, q)})
	}
	return pts
}
