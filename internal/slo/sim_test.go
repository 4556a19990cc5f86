package slo

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// system is a simulated closed-loop service: c servers of mean service
// time s, users with no think time. By the asymptotic bounds its response
// time at n users is max(s, n·s/c), and its p95 about 2.3× that (an
// exponential tail), times lognormal noise per second (sigma), correlated
// from one second to the next (phi). Above failAt users a share of the
// requests fail. bad, when set, breaks the SLO in a band of levels
// (a non-monotone response).
type system struct {
	c          float64
	s          time.Duration
	sigma, phi float64
	failAt     int
	bad        func(n int) bool
}

func (m system) p95(n int) time.Duration {
	r := max(float64(m.s), float64(n)*float64(m.s)/m.c)
	if m.bad != nil && m.bad(n) {
		r *= 4
	}
	return time.Duration(2.3 * r)
}

func (m system) throughput(n int) float64 {
	return min(float64(n), m.c) / m.s.Seconds()
}

func (m system) failRate(n int) float64 {
	if m.failAt == 0 || n <= m.failAt {
		return 0.001
	}
	return min(0.5, 0.02*float64(n-m.failAt))
}

// cell simulates one 30 s cell at n users (5 s warm-up), its statistics
// as the load engine saves them.
func (m system) cell(rnd *rand.Rand, n int) *results.Cell {
	const seconds, warm = 30, 5
	l := &results.Load{SteadyStart: warm * time.Second, Elapsed: seconds * time.Second}
	noise := 0.0
	var p95s []float64
	var req, fail int64
	for t := range seconds {
		noise = m.phi*noise + math.Sqrt(1-m.phi*m.phi)*rnd.NormFloat64()
		p95 := time.Duration(float64(m.p95(n)) * math.Exp(m.sigma*noise-m.sigma*m.sigma/2))
		r := int64(max(1, math.Round(m.throughput(n)*(1+0.05*rnd.NormFloat64()))))
		f := binomial(rnd, r, m.failRate(n))
		l.Series = append(l.Series, results.Second{T: t, Requests: r, Failures: f, P50: p95 / 3, P95: p95, P99: p95 * 3 / 2})
		if t >= warm {
			p95s = append(p95s, float64(p95))
			req += r
			fail += f
		}
	}
	var sum float64
	for _, x := range p95s {
		sum += x
	}
	p95 := time.Duration(sum / float64(len(p95s)))
	l.Steady = results.Stats{Window: (seconds - warm) * time.Second, Requests: req, Failures: fail,
		FailRate: float64(fail) / float64(req), Latency: results.Latency{P50: p95 / 3, P95: p95, P99: p95 * 3 / 2}}
	l.Total = l.Steady
	return &results.Cell{Status: results.CellOK, Load: l}
}

func binomial(rnd *rand.Rand, n int64, p float64) int64 {
	if n > 200 { // normal approximation
		mu, sd := float64(n)*p, math.Sqrt(float64(n)*p*(1-p))
		return min(n, max(0, int64(math.Round(mu+sd*rnd.NormFloat64()))))
	}
	var k int64
	for range n {
		if rnd.Float64() < p {
			k++
		}
	}
	return k
}

// search runs a whole search at one scale against m, as the runner does:
// each probe a new cell, repeats judged together.
func search(m system, slo matrix.SLO, s matrix.Search, start int, rnd *rand.Rand) (Result, []Tried) {
	var history []Tried
	cells := map[int][]*results.Cell{}
	for range 1000 {
		step := Next(s, start, history)
		if step.Done {
			break
		}
		cells[step.Level] = append(cells[step.Level], m.cell(rnd, step.Level))
		v := Judge(slo, cells[step.Level])
		if n := len(history); n > 0 && history[n-1].Level == step.Level {
			history[n-1].Verdict = v
		} else {
			history = append(history, Tried{Level: step.Level, Verdict: v})
		}
	}
	return Summarize(s, history), history
}

// trueCapacity is the highest level whose noiseless p95 meets the limit.
func (m system) trueCapacity(limit time.Duration, maxLevel int) int {
	c := 0
	for n := 1; n <= maxLevel; n++ {
		if m.p95(n) <= limit {
			c = n
		}
	}
	return c
}
