package plots

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/results"
)

// MemoryFile is the chart file name of a cell's memory chart.
func MemoryFile(id string) string { return "memory-" + id + ".png" }

// addMemory builds the memory charts: each run's heaviest cell's, and every
// cell's flagged as a leak suspect or with a replica that died, in the set's
// order. A chart that cannot be built is named in Problems.
func (cs *Charts) addMemory(st *analysis.Study, set *results.Set) {
	want := map[string]bool{}
	for _, r := range st.Runs {
		want[r.Heaviest] = true
	}
	for _, f := range st.Flags {
		if f.Kind == analysis.FlagLeak || f.Kind == analysis.FlagReplicaDied {
			want[f.Cell] = true
		}
	}
	for i := range set.Cells {
		c := &set.Cells[i]
		if !want[c.Cell.ID] || len(c.Containers) == 0 {
			continue
		}
		ch, err := ContainerMemory(st, c)
		if err != nil {
			cs.Problems = append(cs.Problems, err)
			continue
		}
		if cs.Memory == nil {
			cs.Memory = map[string]*Chart{}
		}
		cs.Memory[c.Cell.ID] = ch
	}
}

// memoryCharts lists the memory charts in the set's order.
func (cs *Charts) memoryCharts(set *results.Set) []*Chart {
	var out []*Chart
	for i := range set.Cells {
		if c := cs.Memory[set.Cells[i].Cell.ID]; c != nil {
			out = append(out, c)
		}
	}
	return out
}

// ContainerMemory is the memory of every container of the project over one
// cell's time, in MiB, one line per container (the scaled service first),
// with the ramp and warm-up shaded, a memory limit dashed when it is near
// the data, and each die, oom or restart event as a dotted vertical line in
// its container's colour.
func ContainerMemory(st *analysis.Study, c *results.Cell) (*Chart, error) {
	if len(c.Containers) == 0 {
		return nil, fmt.Errorf("cell %s: no container samples to chart", c.Cell.ID)
	}
	chart := &Chart{File: MemoryFile(c.Cell.ID), Width: Width, Height: Height,
		Title: fmt.Sprintf("%s, scale %d, %s: memory per container over time (dotted verticals: a container died or restarted)", c.Cell.Title, c.Cell.Scale, c.Cell.Level())}
	p := newPlot(fmt.Sprintf("%s · scale %d · %s: memory per container", c.Cell.Title, c.Cell.Scale, c.Cell.Level()),
		"time since load start (s)", "memory (MiB)")
	ctrs := make([]*results.ContainerSeries, 0, len(c.Containers))
	for i := range c.Containers {
		ctrs = append(ctrs, &c.Containers[i])
	}
	slices.SortStableFunc(ctrs, func(x, y *results.ContainerSeries) int {
		return cmp.Or(-cmp.Compare(boolInt(x.Service == st.Scaled), boolInt(y.Service == st.Scaled)),
			cmp.Compare(x.Service, y.Service), cmp.Compare(x.Number, y.Number), cmp.Compare(x.Name, y.Name))
	})
	dataMax, x0, x1 := 0.0, math.Inf(1), math.Inf(-1)
	for _, cs := range ctrs {
		for _, s := range cs.Samples {
			dataMax = math.Max(dataMax, mibOf(s.Memory))
			x0, x1 = math.Min(x0, s.T.Seconds()), math.Max(x1, s.T.Seconds())
		}
	}
	// As with CPU ceilings, a limit far above the data is named in the
	// legend, not drawn.
	drawn := func(cs *results.ContainerSeries) bool {
		return cs.MemoryLimit > 0 && mibOf(cs.MemoryLimit) <= 2*dataMax
	}
	top := dataMax
	for _, cs := range ctrs {
		if drawn(cs) {
			top = math.Max(top, mibOf(cs.MemoryLimit))
		}
	}
	// One legend row per container and mark, above the data: the chart
	// grows with them and the y range leaves them room.
	rows := 1
	for _, cs := range ctrs {
		rows += 1 + len(marks(cs.Events))
	}
	chart.Height += vg.Points(14 * float64(max(0, rows-4)))
	room := math.Min(0.6, (14*float64(rows)+12)/(chart.Height.Points()-70))
	p.Y.Min, p.Y.Max = 0, math.Max(niceMax(top), top/(1-room))
	if c.Load != nil {
		if err := addBand(p, "ramp + warm-up", 0, c.Load.SteadyStart.Seconds(), 0, p.Y.Max); err != nil {
			return nil, err
		}
	}
	limits := map[int64]bool{}
	for i, cs := range ctrs {
		col := ServiceColor(i)
		var xys plotter.XYs
		for _, s := range cs.Samples {
			xys = append(xys, plotter.XY{X: s.T.Seconds(), Y: mibOf(s.Memory)})
		}
		label := cs.Service + "/" + cs.Name
		var notes []string
		if cs.MemoryLimit > 0 {
			notes = append(notes, fmt.Sprintf("limit %.0f MiB", mibOf(cs.MemoryLimit)))
		}
		if cs.Restarts > 0 {
			notes = append(notes, fmt.Sprintf("restarted %d×", cs.Restarts))
		}
		if cs.OOMKilled {
			notes = append(notes, "OOM-killed")
		}
		if len(notes) > 0 {
			label += " (" + strings.Join(notes, ", ") + ")"
		}
		if err := addLine(chart, p, label, col, xys, lineOpts{width: vg.Points(1.6)}); err != nil {
			return nil, fmt.Errorf("cell %s memory of %s: %w", c.Cell.ID, cs.Name, err)
		}
		if drawn(cs) && !limits[cs.MemoryLimit] && !math.IsInf(x0, 0) {
			limits[cs.MemoryLimit] = true
			lim := plotter.XYs{{X: x0, Y: mibOf(cs.MemoryLimit)}, {X: x1, Y: mibOf(cs.MemoryLimit)}}
			if err := addLine(chart, p, cs.Service+" limit", col, lim, lineOpts{dashed: true, width: vg.Points(1.2), noLabel: true}); err != nil {
				return nil, err
			}
		}
		for _, m := range marks(cs.Events) {
			if err := addMark(chart, p, cs.Name+" "+m.what, col, m.at); err != nil {
				return nil, err
			}
		}
	}
	chart.Panels = []*plot.Plot{p}
	return chart, nil
}

// mark is one moment a container died or restarted.
type mark struct {
	at   float64 // seconds since the load's start
	what string
}

// marks are the moments worth marking among a container's events: every
// die (with its exit code, and OOM when an oom event came within 2 s), an
// oom without a die, a restart without a die in the 5 s before it.
func marks(events []results.ContainerEvent) []mark {
	near := func(action string, from, to float64) bool {
		for _, e := range events {
			if t := e.T.Seconds(); e.Action == action && t >= from && t <= to {
				return true
			}
		}
		return false
	}
	var out []mark
	for _, e := range events {
		t := e.T.Seconds()
		switch {
		case e.Action == "die":
			what := fmt.Sprintf("died (exit %d", e.ExitCode)
			if near("oom", t-2, t+2) {
				what += ", OOM"
			}
			out = append(out, mark{t, what + fmt.Sprintf(") at %.0f s", t)})
		case e.Action == "oom" && !near("die", t-2, t+2):
			out = append(out, mark{t, fmt.Sprintf("OOM at %.0f s", t)})
		case e.Action == "restart" && !near("die", t-5, t):
			out = append(out, mark{t, fmt.Sprintf("restarted at %.0f s", t)})
		}
	}
	return out
}

// addMark draws a dotted vertical line at x across the plot's y range,
// named in the legend.
func addMark(chart *Chart, p *plot.Plot, name string, c color.Color, x float64) error {
	l, err := plotter.NewLine(plotter.XYs{{X: x, Y: p.Y.Min}, {X: x, Y: p.Y.Max}})
	if err != nil {
		return err
	}
	l.Color = c
	l.Width = vg.Points(2)
	l.Dashes = []vg.Length{vg.Points(2), vg.Points(3)}
	p.Add(l)
	p.Legend.Add(name, l)
	chart.Series = append(chart.Series, Series{Name: name, Color: c, Points: 2})
	return nil
}

// mibOf is a size in bytes as MiB.
func mibOf(b int64) float64 { return float64(b) / analysis.MiB }
