package plots

import (
	"cmp"
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/matrix"
)

// BoundsFile is the file name of a scale's asymptotic-bounds chart.
func BoundsFile(scale int) string { return fmt.Sprintf("bounds-s%d.png", scale) }

// Bounds is the classic asymptotic-bounds chart of one scale (Denning &
// Buzen): measured throughput of completed requests against load, under the
// bounds the operational laws set: N/(R0+Z) for N closed-loop users (or the
// offered rate in open loop), the tightest service's CPU bound K/D, the
// host's cores, and the concurrency cap when one was found. Throughput
// follows the lowest bound it meets; where it stops below all of them,
// something unrecorded limits it.
func Bounds(st *analysis.Study, s *analysis.Scale) (*Chart, error) {
	if len(s.Levels) == 0 {
		return nil, fmt.Errorf("scale %d has no levels: no bounds to chart", s.Scale)
	}
	who := cmp.Or(st.Scaled, "the service")
	chart := &Chart{File: BoundsFile(s.Scale), Width: Width, Height: Height,
		Title: fmt.Sprintf("Scale %d of %s: measured throughput under the operational-law bounds", s.Scale, who)}
	p := newPlot(fmt.Sprintf("Scale %d: throughput and its bounds", s.Scale), loadAxis(st), "completed req/s")
	var meas plotter.XYs
	top, xmax := 0.0, 0.0
	for _, lv := range s.Levels {
		meas = append(meas, plotter.XY{X: lv.Load, Y: lv.AllRPS})
		top = math.Max(top, lv.AllRPS)
		xmax = math.Max(xmax, lv.Load)
	}
	b := s.Bounds
	ylim := 2 * top
	shown := func(y float64) bool { return y > 0 && !math.IsInf(y, 0) && y <= ylim }
	// The load's own bound: users/(R0+Z), or the offered rate.
	var demand plotter.XYs
	name := "offered rate"
	if st.Mode == matrix.Open {
		demand = plotter.XYs{{X: 0, Y: 0}, {X: xmax, Y: xmax}}
	} else if r := (b.R0 + b.Think).Seconds(); r > 0 {
		name = fmt.Sprintf("users / (R0 + think) = N / %.3g s", r)
		for i := 0; i <= 50; i++ {
			n := xmax * float64(i) / 50
			demand = append(demand, plotter.XY{X: n, Y: math.Min(n/r, ylim)})
		}
	}
	if len(demand) > 0 {
		if err := addLine(chart, p, name, rgb(hexIdeal), demand, lineOpts{dashed: true, width: vg.Points(1.5)}); err != nil {
			return nil, err
		}
	}
	flat := func(label string, y float64, col int) error {
		if y <= 0 || math.IsInf(y, 0) {
			return nil
		}
		if shown(y) {
			top = math.Max(top, y)
		} else {
			// Far above the data: named in the legend, clipped from the plot.
			label += fmt.Sprintf(" = %.0f req/s, off the chart", y)
		}
		return addLine(chart, p, label, ServiceColor(col), plotter.XYs{{X: 0, Y: y}, {X: xmax, Y: y}}, lineOpts{dashed: true})
	}
	if len(b.Services) > 0 {
		sb := b.Services[0]
		if err := flat(fmt.Sprintf("CPU bound of %s: %.3g cores / %.3g ms per request", sb.Service, sb.Cores, float64(sb.Demand)/1e6), sb.Bound, 1); err != nil {
			return nil, err
		}
	}
	if err := flat(fmt.Sprintf("host bound: %g cores for the project and the generator", st.Cores), b.Host, 2); err != nil {
		return nil, err
	}
	if c := b.Concurrency; c > 0 {
		if err := flat(fmt.Sprintf("concurrency bound: %.1f in service / R0 %.3g s", s.InService.N, b.R0.Seconds()), c, 3); err != nil {
			return nil, err
		}
	}
	if err := addLine(chart, p, "measured (all completed requests)", ScaleColor(0), meas, lineOpts{points: true}); err != nil {
		return nil, err
	}
	p.Legend.Top, p.Legend.Left = false, false // bottom right, below the plateau
	p.X.Min, p.X.Max = 0, xmax*1.02
	p.Y.Min, p.Y.Max = 0, niceMax(top*1.1)
	chart.Panels = []*plot.Plot{p}
	return chart, nil
}
