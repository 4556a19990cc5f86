package plots

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// Line is one series of a LineChart.
type Line struct {
	// Name is the legend label.
	Name string
	// Color is the line's colour (ScaleColor for a scale, say).
	Color color.Color
	// X and Y are the points, in drawing order; equal lengths.
	X, Y []float64
	// HalfWidth, when set, draws symmetric vertical error bars (same length
	// as Y; 0 for none at a point).
	HalfWidth []float64
	// Dashed draws a dashed line; Points marks every point.
	Dashed, Points bool
}

// LineSpec describes a single-panel line chart.
type LineSpec struct {
	// File is the PNG's file name; Title the plot title (also the Chart's).
	File, Title string
	// XLabel and YLabel name the axes with their units.
	XLabel, YLabel string
	// LogY puts the y axis on a logarithmic scale labelled as latencies in
	// milliseconds (values must be ms; points ≤ 0 are left out); else y
	// starts at 0.
	LogY bool
	// XTicks, when set, marks exactly these x values.
	XTicks []float64
	// Lines are the series.
	Lines []Line
}

// LineChart builds a single-panel line chart in the house style (the same
// fonts, grid, legend and colours as every other chart), for reports that
// compare runs or follow a metric across commits.
func LineChart(spec LineSpec) (*Chart, error) {
	chart := &Chart{File: spec.File, Title: spec.Title, Width: Width, Height: Height}
	p := newPlot(spec.Title, spec.XLabel, spec.YLabel)
	if len(spec.XTicks) > 0 {
		p.X.Tick.Marker = levelTicks(spec.XTicks)
	}
	if spec.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = msTicks{}
	}
	lo, hi, first := 0.0, 0.0, true
	for _, l := range spec.Lines {
		if len(l.X) != len(l.Y) {
			return nil, fmt.Errorf("chart %s line %q: %d x values for %d y values", spec.File, l.Name, len(l.X), len(l.Y))
		}
		var xys plotter.XYs
		var hw []float64
		for i := range l.X {
			if spec.LogY && !(l.Y[i] > 0) {
				continue
			}
			xys = append(xys, plotter.XY{X: l.X[i], Y: l.Y[i]})
			top := l.Y[i]
			if i < len(l.HalfWidth) {
				hw = append(hw, l.HalfWidth[i])
				top += l.HalfWidth[i]
			}
			if first {
				lo, hi, first = l.Y[i], top, false
			}
			lo, hi = min(lo, l.Y[i]), max(hi, top)
		}
		if len(hw) > 0 {
			if err := addErrorBars(p, l.Color, xys, hw); err != nil {
				return nil, err
			}
		}
		if err := addLine(chart, p, l.Name, l.Color, xys, lineOpts{dashed: l.Dashed, points: l.Points}); err != nil {
			return nil, fmt.Errorf("chart %s line %q: %w", spec.File, l.Name, err)
		}
	}
	if spec.LogY {
		setLogRange(&p.Y, lo, hi)
	} else {
		p.Y.Min, p.Y.Max = 0, niceMax(hi)
	}
	chart.Panels = []*plot.Plot{p}
	return chart, nil
}
