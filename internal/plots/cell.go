package plots

import (
	"fmt"
	"math"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/results"
)

// CellFile is the chart file name of a cell's timeline.
func CellFile(id string) string { return "cell-" + id + ".png" }

// CellTimeline is Locust's three charts for one cell, stacked over a shared
// time axis: requests/s with failures/s, p50 and p95 response time, and
// running users. The ramp and warm-up, excluded from steady-state
// statistics, are shaded.
func CellTimeline(c *results.Cell) (*Chart, error) {
	if c.Load == nil || len(c.Load.Series) == 0 {
		return nil, fmt.Errorf("cell %s: no per-second series to chart", c.Cell.ID)
	}
	l := c.Load
	level := c.Cell.Level()
	chart := &Chart{
		File:   CellFile(c.Cell.ID),
		Title:  fmt.Sprintf("%s, scale %d, %s: requests/s, response times and users over time", c.Cell.Title, c.Cell.Scale, level),
		Width:  Width,
		Height: 3 * PanelHeight,
	}
	var rps, fails, p50, p95, users plotter.XYs
	var slowest time.Duration
	for _, s := range l.Series {
		slowest = max(slowest, s.P95)
	}
	unit, perUnit := "ms", float64(time.Millisecond)
	if slowest > 3*time.Second {
		unit, perUnit = "s", float64(time.Second)
	}
	for _, s := range l.Series {
		t := float64(s.T)
		rps = append(rps, plotter.XY{X: t, Y: float64(s.Requests)})
		fails = append(fails, plotter.XY{X: t, Y: float64(s.Failures)})
		users = append(users, plotter.XY{X: t, Y: float64(s.Users)})
		if s.Requests > 0 {
			p50 = append(p50, plotter.XY{X: t, Y: float64(s.P50) / perUnit})
			p95 = append(p95, plotter.XY{X: t, Y: float64(s.P95) / perUnit})
		}
	}
	end := math.Max(l.Elapsed.Seconds(), float64(l.Series[len(l.Series)-1].T+1))
	steady := l.SteadyStart.Seconds()

	top := newPlot(fmt.Sprintf("%s · scale %d · %s: requests per second", c.Cell.Title, c.Cell.Scale, level), "", "req/s")
	bottom := newPlot("Response time", "", "response time ("+unit+")")
	usersP := newPlot("Users", "time since load start (s)", "users")
	panels := []struct {
		p    *plot.Plot
		ymax float64
	}{{top, maxY(rps, fails)}, {bottom, maxY(p50, p95)}, {usersP, maxY(users)}}
	for i, pn := range panels {
		pn.p.X.Min, pn.p.X.Max = 0, end
		pn.p.Y.Min, pn.p.Y.Max = 0, niceMax(pn.ymax)
		label := ""
		if i == 0 {
			label = "ramp + warm-up (excluded)"
		}
		if err := addBand(pn.p, label, 0, steady, 0, pn.p.Y.Max); err != nil {
			return nil, err
		}
	}
	steps := []struct {
		p    *plot.Plot
		name string
		hex  uint32
		xys  plotter.XYs
	}{
		{top, "requests/s", hexRPS, rps},
		{top, "failures/s", hexFailures, fails},
		{bottom, "p95", hexP95, p95},
		{bottom, "p50", hexP50, p50}, // drawn last: visible where it equals p95
		{usersP, "users", hexUsers, users},
	}
	for _, s := range steps {
		if err := addLine(chart, s.p, s.name, rgb(s.hex), s.xys, lineOpts{}); err != nil {
			return nil, fmt.Errorf("cell %s %s: %w", c.Cell.ID, s.name, err)
		}
	}
	chart.Panels = []*plot.Plot{top, bottom, usersP}
	return chart, nil
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// niceMax pads an axis maximum by 30%, room for the legend above the data,
// and keeps it above zero.
func niceMax(v float64) float64 {
	if !(v > 0) {
		return 1
	}
	return v * 1.3
}

// ScaleIndex is the position of scale among the study's scales (for
// ScaleColor), or -1.
func ScaleIndex(st *analysis.Study, scale int) int {
	for i, s := range st.Scales {
		if s.Scale == scale {
			return i
		}
	}
	return -1
}
