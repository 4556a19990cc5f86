package analysis_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/results"
)

func TestMannWhitney(t *testing.T) {
	tests := []struct {
		name   string
		a, b   []float64
		lo, hi float64
	}{
		{"separated 5v5 exact", []float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}, 0.0079, 0.0080},
		{"interleaved", []float64{1, 3, 5, 7, 9}, []float64{2, 4, 6, 8, 10}, 0.6, 1},
		{"identical with ties", []float64{5, 5, 6, 6, 7}, []float64{5, 5, 6, 6, 7}, 0.9, 1},
		{"separated with ties, normal approximation", []float64{1, 1, 2, 2, 3, 3, 1, 2}, []float64{8, 8, 9, 9, 10, 10, 9, 8}, 0.0001, 0.01},
		{"empty", nil, []float64{1, 2}, 1, 1},
		{"3v3 cannot reach 5%", []float64{1, 2, 3}, []float64{4, 5, 6}, 0.09, 0.11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := analysis.MannWhitney(tt.a, tt.b)
			if p < tt.lo || p > tt.hi {
				t.Errorf("p = %.5f, want in [%g, %g]", p, tt.lo, tt.hi)
			}
			if q := analysis.MannWhitney(tt.b, tt.a); math.Abs(p-q) > 1e-12 {
				t.Errorf("not symmetric: %g vs %g", p, q)
			}
		})
	}
}

func TestFitUSL(t *testing.T) {
	tests := []struct {
		name                 string
		lambda, sigma, kappa float64
		ns                   []float64
	}{
		{"retrograde", 10, 0.1, 0.01, []float64{1, 2, 4, 8, 16}},
		{"amdahl", 5, 0.2, 0, []float64{1, 2, 3, 5}},
		{"linear", 6, 0, 0, []float64{1, 2, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var xs []float64
			for _, n := range tt.ns {
				xs = append(xs, tt.lambda*n/(1+tt.sigma*(n-1)+tt.kappa*n*(n-1)))
			}
			u := analysis.FitUSL(tt.ns, xs)
			if u == nil {
				t.Fatal("no fit")
			}
			if math.Abs(u.Lambda-tt.lambda) > 0.01*tt.lambda || math.Abs(u.Sigma-tt.sigma) > 0.005 || math.Abs(u.Kappa-tt.kappa) > 0.0005 {
				t.Errorf("fit λ=%.4f σ=%.4f κ=%.5f, want %.4f %.4f %.5f", u.Lambda, u.Sigma, u.Kappa, tt.lambda, tt.sigma, tt.kappa)
			}
			if u.Indicative != (len(tt.ns) < 4) {
				t.Errorf("indicative %v with %d points", u.Indicative, len(tt.ns))
			}
			if tt.kappa > 0 {
				want := math.Sqrt((1 - tt.sigma) / tt.kappa)
				if math.Abs(u.BestScale-want) > 0.05*want {
					t.Errorf("best scale %.2f, want %.2f", u.BestScale, want)
				}
			} else if !math.IsInf(u.BestScale, 1) {
				t.Errorf("best scale %.2f, want +Inf without coherency cost", u.BestScale)
			}
		})
	}
	if analysis.FitUSL([]float64{1, 2}, []float64{1, 2}) != nil {
		t.Error("fit with 2 points")
	}
}

func TestHistogramHelpers(t *testing.T) {
	h := results.NewHistogram()
	for v := int64(1); v <= 1000; v++ {
		if err := h.RecordValue(v * 1000); err != nil { // 1..1000 ms in µs
			t.Fatal(err)
		}
	}
	enc, err := h.Encode(2) // wrong version: the library refuses it
	if err == nil {
		t.Fatalf("encode with an unknown version succeeded: %d bytes", len(enc))
	}
	enc, err = h.Encode(0x1c849304)
	if err != nil {
		t.Fatal(err)
	}
	back, err := results.DecodeHistogram(string(enc))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.95, 950 * time.Millisecond}, {0.99, 990 * time.Millisecond}}
	for _, tt := range tests {
		got := results.Quantile(back, tt.q)
		if d := got - tt.want; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("results.Quantile(%g) = %v, want %v (q is 0..1, not 0..100)", tt.q, got, tt.want)
		}
	}
	if _, err := results.DecodeHistogram("not base64!"); err == nil || !strings.Contains(err.Error(), "decode latency histogram") {
		t.Errorf("bad input error = %v", err)
	}
	if h, err := results.DecodeHistogram(""); err != nil || h.TotalCount() != 0 {
		t.Errorf("empty string: %v %v", h, err)
	}
	pts := analysis.NinesCurve(back, 10)
	if len(pts) < 20 || math.Abs(pts[0].Q-0.5) > 1e-3 {
		t.Fatalf("nines curve: %d points starting at %v", len(pts), pts)
	}
	for i := 1; i < len(pts); i++ {
		if pts[i].Q <= pts[i-1].Q || pts[i].Latency < pts[i-1].Latency {
			t.Fatalf("nines curve not increasing at %d: %v %v", i, pts[i-1], pts[i])
		}
	}
	if last := pts[len(pts)-1].Q; last > 1-1.0/1000+1e-9 {
		t.Errorf("nines curve goes to q=%g, beyond what 1000 values support", last)
	}
}
