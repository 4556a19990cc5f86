package analysis

import (
	"math"
	"slices"
)

func log10(x float64) float64 { return math.Log10(x) }
func pow10(x float64) float64 { return math.Pow(10, x) }

// mean returns the arithmetic mean of xs (0 for none).
func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// stddev returns the sample standard deviation of xs (0 for fewer than 2).
func stddev(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	m := mean(xs)
	s := 0.0
	for _, x := range xs {
		s += (x - m) * (x - m)
	}
	return math.Sqrt(s / float64(len(xs)-1))
}

// tQuantile975 is the 97.5% quantile of Student's t with df degrees of
// freedom: the factor of a two-sided 95% confidence interval.
func tQuantile975(df int) float64 {
	table := []float64{0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262,
		2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093,
		2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042}
	switch {
	case df <= 0:
		return math.Inf(1)
	case df < len(table):
		return table[df]
	case df < 60:
		return 2.000 + (2.042-2.000)*float64(60-df)/30
	case df < 120:
		return 1.980 + (2.000-1.980)*float64(120-df)/60
	default:
		return 1.96
	}
}

// MannWhitney is the two-sided Mann–Whitney U test of samples a and b: the
// p-value that they come from the same distribution. It is exact for small
// samples without ties and uses the normal approximation with tie and
// continuity corrections otherwise. It returns 1 when either sample is empty.
func MannWhitney(a, b []float64) float64 {
	n1, n2 := len(a), len(b)
	if n1 == 0 || n2 == 0 {
		return 1
	}
	type obs struct {
		v     float64
		first bool
	}
	all := make([]obs, 0, n1+n2)
	for _, x := range a {
		all = append(all, obs{x, true})
	}
	for _, x := range b {
		all = append(all, obs{x, false})
	}
	slices.SortFunc(all, func(x, y obs) int {
		switch {
		case x.v < y.v:
			return -1
		case x.v > y.v:
			return 1
		}
		return 0
	})
	// Ranks with ties averaged; tie term for the variance correction.
	r1, tieTerm, ties := 0.0, 0.0, false
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		rank := float64(i+j+1) / 2 // mean of ranks i+1..j
		for k := i; k < j; k++ {
			if all[k].first {
				r1 += rank
			}
		}
		if t := float64(j - i); t > 1 {
			ties = true
			tieTerm += t*t*t - t
		}
		i = j
	}
	u1 := r1 - float64(n1*(n1+1))/2
	u := math.Min(u1, float64(n1*n2)-u1)
	if !ties && n1+n2 <= 40 {
		return exactMannWhitney(n1, n2, u)
	}
	n := float64(n1 + n2)
	mu := float64(n1*n2) / 2
	sigma := math.Sqrt(float64(n1*n2) / 12 * ((n + 1) - tieTerm/(n*(n-1))))
	if sigma == 0 {
		return 1
	}
	z := (mu - u - 0.5) / sigma
	if z < 0 {
		z = 0
	}
	p := math.Erfc(z / math.Sqrt2)
	return math.Min(1, p)
}

// exactMannWhitney is P(U ≤ u) doubled, from the exact distribution of U for
// samples of n1 and n2 without ties.
func exactMannWhitney(n1, n2 int, u float64) float64 {
	// count[m][k]: ways m of the first sample's... computed by the recurrence
	// N(n1, n2, k) = N(n1-1, n2, k-n2) + N(n1, n2-1, k).
	maxU := n1 * n2
	memo := make(map[[3]int]float64)
	var ways func(a, b, k int) float64
	ways = func(a, b, k int) float64 {
		if k < 0 || k > a*b {
			return 0
		}
		if a == 0 || b == 0 {
			if k == 0 {
				return 1
			}
			return 0
		}
		key := [3]int{a, b, k}
		if v, ok := memo[key]; ok {
			return v
		}
		v := ways(a-1, b, k-b) + ways(a, b-1, k)
		memo[key] = v
		return v
	}
	total, below := 0.0, 0.0
	for k := 0; k <= maxU; k++ {
		w := ways(n1, n2, k)
		total += w
		if float64(k) <= u {
			below += w
		}
	}
	return math.Min(1, 2*below/total)
}
