package slo

import (
	"fmt"
	"math"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
)

// Early stop: a sequential test, looked at once per second.
//
// A cell is stopped when one limit is broken far beyond doubt: the lower
// confidence bound of its estimate over the steady seconds so far exceeds
// Far times the latency limit, or the failure limit by FarFailures. The
// bound is one-sided at StopAlpha divided by the number of looks the cell
// can take (one per steady second), so by the union bound the chance that
// a cell whose true figures meet the limit is ever stopped is at most
// StopAlpha, however often it is looked at; the margin (Far) keeps that
// true when seconds are correlated, which the batch-means error ignores.
// The rate of false stops is measured in earlystop_test.go on a simulated
// system that just meets its SLO.
const (
	StopAlpha = 0.01
	// Far is how far beyond a latency limit a cell must surely be (1.5×).
	Far = 1.5
	// FarFailures is how far beyond the failure limit: twice it and at
	// least one percentage point above it.
	FarFailures = 2.0
)

// Stopper applies the early-stop rule to one cell's per-second figures.
type Stopper struct {
	slo      matrix.SLO
	from     int // first steady second
	z        float64
	lat      [3][]float64 // per-second p50, p95, p99 as multiples of their limits
	n, f     []float64    // per-second requests and failures
	sumN     float64
	sumF     float64
	nSeconds int
}

// NewStopper returns the rule for cell c under s. A minimum throughput is
// never stopped on (a closed loop's throughput may still grow).
func NewStopper(s matrix.SLO, c matrix.Cell) *Stopper {
	looks := max(int(c.Steady().Seconds()), 1)
	return &Stopper{slo: s, from: int(math.Ceil(c.SteadyStart().Seconds())), z: zUpper(StopAlpha / float64(looks))}
}

// Second takes the figures of the second t (from the load's start):
// requests and failures completed in it and the percentiles of its
// successful requests. It returns a reason when the cell should stop.
func (st *Stopper) Second(t int, requests, failures int64, p50, p95, p99 time.Duration) (reason string, stop bool) {
	if t < st.from || requests == 0 {
		return "", false
	}
	st.nSeconds++
	st.n = append(st.n, float64(requests))
	st.f = append(st.f, float64(failures))
	st.sumN += float64(requests)
	st.sumF += float64(failures)
	if requests > failures {
		for i, q := range []struct{ v, limit time.Duration }{{p50, st.slo.P50}, {p95, st.slo.P95}, {p99, st.slo.P99}} {
			if q.limit > 0 {
				st.lat[i] = append(st.lat[i], float64(q.v)/float64(q.limit))
			}
		}
	}
	if st.nSeconds < MinSeconds {
		return "", false
	}
	names := [3]string{"p50", "p95", "p99"}
	limits := [3]time.Duration{st.slo.P50, st.slo.P95, st.slo.P99}
	for i, xs := range st.lat {
		if limits[i] <= 0 || len(xs) < MinSeconds {
			continue
		}
		m, se := meanSE(xs)
		if m-st.z*se > Far {
			return fmt.Sprintf("%s %s, over %.3g× the limit of %s, for %d s", names[i],
				time.Duration(m*float64(limits[i])).Round(time.Millisecond), Far, limits[i], len(xs)), true
		}
	}
	if st.slo.Failures != nil {
		lim := *st.slo.Failures
		p := st.sumF / st.sumN
		var ss float64
		for i := range st.n {
			d := st.f[i] - p*st.n[i]
			ss += d * d
		}
		se := math.Sqrt(ss) / st.sumN
		if p-st.z*se > max(FarFailures*lim, lim+0.01) {
			return fmt.Sprintf("failures %.3g%%, far over the limit of %g%%, for %d s", p*100, lim*100, st.nSeconds), true
		}
	}
	return "", false
}

func meanSE(xs []float64) (m, se float64) {
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	return m, stddev(xs) / math.Sqrt(float64(len(xs)))
}

// zUpper is the standard normal quantile with upper tail a.
func zUpper(a float64) float64 { return math.Sqrt2 * math.Erfinv(1-2*a) }
