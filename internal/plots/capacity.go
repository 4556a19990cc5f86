package plots

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/matrix"
)

// CapacityFile is the chart file name of the capacity-at-SLO chart.
const CapacityFile = "capacity-slo.png"

// CapacityAtSLO is each scale's capacity at the SLO against replicas, one
// line per run: the highest level that met the SLO (solid) and the lowest
// that broke it (dashed), so the gap between them is the bisection's
// uncertainty. A scale where the SLO was met nowhere sits at 0.
func CapacityAtSLO(caps []analysis.SLOCapacity, s matrix.SLO) (*Chart, error) {
	if len(caps) == 0 {
		return nil, fmt.Errorf("no capacity at the SLO: nothing to chart")
	}
	unit := "users"
	if caps[0].Mode == matrix.Open {
		unit = "req/s"
	}
	chart := &Chart{File: CapacityFile, Width: Width, Height: Height,
		Title: fmt.Sprintf("Capacity at the SLO (%s) against replicas: the highest load that met it and the lowest that broke it", s)}
	p := newPlot("Capacity at "+s.String(), "replicas", unit+" at the SLO")
	var runs []string
	for _, c := range caps {
		if len(runs) == 0 || runs[len(runs)-1] != c.Run {
			runs = append(runs, c.Run)
		}
	}
	for i, run := range runs {
		var met, broke plotter.XYs
		title := run
		for _, c := range caps {
			if c.Run != run {
				continue
			}
			title = c.Title
			met = append(met, plotter.XY{X: float64(c.Scale), Y: float64(c.Result.Capacity)})
			if c.Result.Above > 0 {
				broke = append(broke, plotter.XY{X: float64(c.Scale), Y: float64(c.Result.Above)})
			}
		}
		if err := addLine(chart, p, title+": met", ScaleColor(i), met, lineOpts{points: true}); err != nil {
			return nil, err
		}
		if err := addLine(chart, p, title+": broken", ScaleColor(i), broke, lineOpts{dashed: true, points: true, width: vg.Points(1)}); err != nil {
			return nil, err
		}
	}
	p.Y.Min = 0
	chart.Panels = []*plot.Plot{p}
	return chart, nil
}
