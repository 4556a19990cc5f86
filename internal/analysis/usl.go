package analysis

import "math"

// USL is a fit of the Universal Scalability Law to peak throughput against
// replicas: X(N) = λN / (1 + σ(N−1) + κN(N−1)).
type USL struct {
	// Lambda is the throughput of one replica without contention, req/s.
	Lambda float64
	// Sigma is the contention (serial fraction), Kappa the coherency cost.
	Sigma, Kappa float64
	// Points is the number of scales fitted; Indicative is true below 4,
	// where three parameters are barely (or exactly) determined.
	Points     int
	Indicative bool
	// BestScale is the replica count of the predicted maximum,
	// √((1−σ)/κ); +Inf when κ = 0 (no retrograde region).
	BestScale float64
	// BestRPS is the predicted throughput at BestScale (at the largest
	// fitted scale when BestScale is infinite).
	BestRPS float64
	// RMSRel is the root-mean-square relative residual of the fit.
	RMSRel float64
}

// Predict is the fitted throughput at n replicas, req/s.
func (u *USL) Predict(n float64) float64 {
	return u.Lambda * uslShape(n, u.Sigma, u.Kappa)
}

func uslShape(n, sigma, kappa float64) float64 {
	return n / (1 + sigma*(n-1) + kappa*n*(n-1))
}

// fitScales fits the USL to the scales' capacities; nil with fewer than 3.
func fitScales(scales []Scale) *USL {
	var ns, xs []float64
	for _, s := range scales {
		if r := s.Capacity.RPS; r > 0 && s.Scale > 0 {
			ns = append(ns, float64(s.Scale))
			xs = append(xs, r)
		}
	}
	return FitUSL(ns, xs)
}

// FitUSL fits the USL to throughputs xs (req/s) at replica counts ns by
// least squares on relative residuals, with σ and κ constrained to [0, 1].
// It returns nil with fewer than 3 points.
func FitUSL(ns, xs []float64) *USL {
	if len(ns) < 3 || len(ns) != len(xs) {
		return nil
	}
	// For fixed σ, κ the best λ is closed-form; search σ, κ on a grid that
	// is refined around the best point.
	cost := func(sigma, kappa float64) (float64, float64) {
		var num, den float64
		for i := range ns {
			f := uslShape(ns[i], sigma, kappa)
			w := 1 / (xs[i] * xs[i])
			num += w * f * xs[i]
			den += w * f * f
		}
		lambda := num / den
		var c float64
		for i := range ns {
			r := (xs[i] - lambda*uslShape(ns[i], sigma, kappa)) / xs[i]
			c += r * r
		}
		return c, lambda
	}
	best := struct{ c, s, k, l float64 }{c: math.Inf(1)}
	sLo, sHi, kLo, kHi := 0.0, 1.0, 0.0, 1.0
	const steps = 40
	for round := 0; round < 12; round++ {
		for i := 0; i <= steps; i++ {
			sigma := sLo + (sHi-sLo)*float64(i)/steps
			for j := 0; j <= steps; j++ {
				kappa := kLo + (kHi-kLo)*float64(j)/steps
				if round == 0 && j > 0 {
					kappa = math.Pow(10, -6+6*float64(j)/steps) // log grid first
				}
				if c, l := cost(sigma, kappa); c < best.c {
					best.c, best.s, best.k, best.l = c, sigma, kappa, l
				}
			}
		}
		sw, kw := 2*(sHi-sLo)/steps, 2*(kHi-kLo)/steps
		if round == 0 {
			kw = math.Max(best.k*0.5, 1e-6) // the log grid's spacing near best.k
		}
		sLo, sHi = math.Max(0, best.s-sw), math.Min(1, best.s+sw)
		kLo, kHi = math.Max(0, best.k-kw), math.Min(1, best.k+kw)
	}
	u := &USL{Lambda: best.l, Sigma: best.s, Kappa: best.k, Points: len(ns), Indicative: len(ns) < 4,
		RMSRel: math.Sqrt(best.c / float64(len(ns)))}
	switch {
	case u.Kappa > 1e-9:
		u.BestScale = math.Sqrt(math.Max(0, 1-u.Sigma) / u.Kappa)
		u.BestScale = math.Max(1, u.BestScale)
		u.BestRPS = u.Predict(u.BestScale)
	default:
		u.Kappa = 0
		u.BestScale = math.Inf(1)
		u.BestRPS = u.Predict(ns[len(ns)-1])
	}
	return u
}
