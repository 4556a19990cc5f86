package plots

import (
	"fmt"
	"slices"

	"gonum.org/v1/plot"

	"github.com/scalebench/scalebench/internal/analysis"
)

// TrendRun is one run on a trend chart: its label on the x axis (a commit,
// say) and its analysed study.
type TrendRun struct {
	Label string
	Study *analysis.Study
}

// TrendCharts charts, for runs of one matrix oldest first, each scale's
// peak throughput and the p95 at its heaviest load, one point per run. The
// charts are named trend-<file>-rps.png and trend-<file>-p95.png. With many
// runs only about a dozen labels are drawn.
func TrendCharts(matrix, file string, runs []TrendRun) (rps, p95 *Chart, err error) {
	var scales []int
	for _, r := range runs {
		for _, s := range r.Study.Scales {
			if !slices.Contains(scales, s.Scale) {
				scales = append(scales, s.Scale)
			}
		}
	}
	slices.Sort(scales)
	var ticks plot.ConstantTicks
	var xs []float64
	every := max(1, len(runs)/12)
	for i, r := range runs {
		x := float64(i + 1)
		xs = append(xs, x)
		t := plot.Tick{Value: x}
		if i%every == 0 || i == len(runs)-1 {
			t.Label = r.Label
		}
		ticks = append(ticks, t)
	}
	rpsSpec := LineSpec{File: "trend-" + file + "-rps.png",
		Title:  fmt.Sprintf("%s: peak throughput per scale across runs (oldest left; * uncommitted changes)", matrix),
		XLabel: "run (application commit)", YLabel: "peak successful req/s (steady state)"}
	p95Spec := LineSpec{File: "trend-" + file + "-p95.png",
		Title:  fmt.Sprintf("%s: p95 response time at each scale's heaviest load across runs (log axis)", matrix),
		XLabel: "run (application commit)", YLabel: "p95 at the heaviest load (log)", LogY: true}
	for i, scale := range scales {
		r := Line{Name: fmt.Sprintf("scale %d", scale), Color: ScaleColor(i), Points: true}
		p := r
		for k, run := range runs {
			s := run.Study.Scale(scale)
			if s == nil {
				continue
			}
			// The peak may move between levels from run to run; the
			// heaviest load is the same level in every run of a matrix,
			// so its p95 compares like with like.
			heavy := &s.Levels[len(s.Levels)-1]
			r.X, r.Y = append(r.X, xs[k]), append(r.Y, s.PeakLevel().RPS)
			p.X, p.Y = append(p.X, xs[k]), append(p.Y, float64(heavy.P95)/1e6)
		}
		rpsSpec.Lines = append(rpsSpec.Lines, r)
		p95Spec.Lines = append(p95Spec.Lines, p)
	}
	if rps, err = LineChart(rpsSpec); err != nil {
		return nil, nil, fmt.Errorf("trend chart of %s: %w", matrix, err)
	}
	if p95, err = LineChart(p95Spec); err != nil {
		return nil, nil, fmt.Errorf("trend chart of %s: %w", matrix, err)
	}
	for _, c := range []*Chart{rps, p95} {
		for _, p := range c.Panels {
			p.X.Tick.Marker = ticks
			p.X.Min, p.X.Max = 0.5, float64(len(runs))+0.5
		}
	}
	return rps, p95, nil
}
