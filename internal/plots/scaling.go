package plots

import (
	"cmp"
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/scalebench/scalebench/internal/analysis"
)

// ScalingFile is the chart file name of the capacity-vs-scale chart.
const ScalingFile = "scaling.png"

// CapacityVsScale is each scale's capacity (with its 95% interval) and best
// mark against replicas, beside ideal linear scaling from the lowest scale
// and the USL fit when there is one.
func CapacityVsScale(st *analysis.Study) (*Chart, error) {
	if len(st.Scales) == 0 {
		return nil, fmt.Errorf("no scale has results: nothing to chart")
	}
	who := cmp.Or(st.Scaled, "the scaled service")
	chart := &Chart{File: ScalingFile, Width: Width, Height: Height,
		Title: fmt.Sprintf("Capacity of each scale of %s against ideal linear scaling and the USL fit", who)}
	p := newPlot("Throughput vs replicas of "+who, "replicas of "+who, "successful req/s")
	var capXY, bestXY plotter.XYs
	var hw []float64
	var loads []float64
	top := 0.0
	for _, s := range st.Scales {
		x := float64(s.Scale)
		capXY = append(capXY, plotter.XY{X: x, Y: s.Capacity.RPS})
		bestXY = append(bestXY, plotter.XY{X: x, Y: s.PeakLevel().RPS})
		hw = append(hw, s.Capacity.HalfWidth)
		loads = append(loads, x)
		top = math.Max(top, math.Max(s.Capacity.RPS+s.Capacity.HalfWidth, s.PeakLevel().RPS))
	}
	first, last := st.Scales[0], st.Scales[len(st.Scales)-1]
	xmax := float64(last.Scale)
	if u := st.USL; u != nil && !math.IsInf(u.BestScale, 0) {
		xmax = math.Max(xmax, math.Min(u.BestScale*1.25, 2*float64(last.Scale)))
	}
	xmin := math.Min(1, float64(first.Scale))
	ideal := plotter.XYs{}
	if b := first.Capacity.RPS; b > 0 {
		per := b / float64(first.Scale)
		ideal = plotter.XYs{{X: xmin, Y: per * xmin}, {X: xmax, Y: per * xmax}}
		top = math.Max(top, math.Min(per*xmax, 2.5*top))
	}
	if err := addLine(chart, p, "ideal linear scaling", rgb(hexIdeal), ideal, lineOpts{dashed: true, width: vg.Points(1.5)}); err != nil {
		return nil, err
	}
	if u := st.USL; u != nil {
		var curve plotter.XYs
		for i := 0; i <= 100; i++ {
			n := xmin + (xmax-xmin)*float64(i)/100
			curve = append(curve, plotter.XY{X: n, Y: u.Predict(n)})
		}
		name := fmt.Sprintf("USL fit (σ=%.3f, κ=%.4f)", u.Sigma, u.Kappa)
		if u.Indicative {
			name += ", indicative"
		}
		if err := addLine(chart, p, name, ScaleColor(3), curve, lineOpts{dashed: true}); err != nil {
			return nil, err
		}
	}
	if err := addErrorBars(p, ScaleColor(0), capXY, hw); err != nil {
		return nil, err
	}
	if err := addLine(chart, p, "capacity (plateau mean, 95% CI)", ScaleColor(0), capXY, lineOpts{points: true}); err != nil {
		return nil, err
	}
	best, err := plotter.NewScatter(bestXY)
	if err != nil {
		return nil, err
	}
	best.Shape = draw.RingGlyph{}
	best.Radius = vg.Points(4.5)
	best.Color = rgb(hexIdeal)
	p.Add(best)
	p.Legend.Add("best mark (highest level)", best)
	chart.Series = append(chart.Series, Series{Name: "best mark (highest level)", Color: best.Color, Points: len(bestXY)})
	p.X.Min, p.X.Max = xmin-0.2, xmax+0.2
	p.X.Tick.Marker = scaleTicks(loads, xmax)
	p.Y.Min, p.Y.Max = 0, niceMax(top)
	chart.Panels = []*plot.Plot{p}
	return chart, nil
}

// scaleTicks marks the tested scales and whole replica counts up to xmax.
func scaleTicks(tested []float64, xmax float64) plot.ConstantTicks {
	var ts plot.ConstantTicks
	step := math.Max(1, math.Ceil(xmax/12))
	for n := 1.0; n <= xmax; n += step {
		ts = append(ts, plot.Tick{Value: n, Label: fmt.Sprintf("%g", n)})
	}
	for _, t := range tested {
		found := false
		for _, x := range ts {
			found = found || x.Value == t
		}
		if !found {
			ts = append(ts, plot.Tick{Value: t, Label: fmt.Sprintf("%g", t)})
		}
	}
	return ts
}
