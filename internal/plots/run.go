package plots

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// loadAxis names the load axis of a study.
func loadAxis(st *analysis.Study) string {
	if st.Mode == matrix.Open {
		return "offered load (req/s)"
	}
	return "users"
}

// scaleName labels a scale in legends.
func scaleName(scale int) string { return "scale " + strconv.Itoa(scale) }

// RunFile is the chart file name of a run's chart of the given kind.
func RunFile(run, kind string) string { return run + "-" + kind + ".png" }

// Chart kinds of a run.
const (
	KindRPS         = "rps"
	KindP95         = "p95"
	KindFailures    = "failures"
	KindPercentiles = "percentiles"
	KindCPU         = "cpu"
)

// RPSVsLoad is a run's steady-state throughput against users, one line per
// scale, with 95% confidence bars.
func RPSVsLoad(st *analysis.Study, run *analysis.Run) (*Chart, error) {
	chart := &Chart{File: RunFile(run.Name, KindRPS), Width: Width, Height: Height,
		Title: fmt.Sprintf("%s: steady-state throughput against %s, one line per scale", run.Title, loadAxis(st))}
	p := newPlot(run.Title+": throughput vs "+loadAxis(st), loadAxis(st), "successful req/s (steady state)")
	p.X.Tick.Marker = levelTicks(run.Loads)
	p.Y.Min = 0
	top := 0.0
	for _, scale := range run.Scales {
		var xys plotter.XYs
		var hw []float64
		for _, load := range run.Loads {
			if lv := run.Level(scale, load); lv != nil {
				xys = append(xys, plotter.XY{X: load, Y: lv.RPS})
				hw = append(hw, lv.RPSHalfWidth)
				top = math.Max(top, lv.RPS+lv.RPSHalfWidth)
			}
		}
		c := ScaleColor(ScaleIndex(st, scale))
		if err := addErrorBars(p, c, xys, hw); err != nil {
			return nil, err
		}
		if err := addLine(chart, p, scaleName(scale), c, xys, lineOpts{points: true}); err != nil {
			return nil, err
		}
	}
	p.Y.Max = niceMax(top)
	chart.Panels = []*plot.Plot{p}
	return chart, nil
}

// P95VsLoad is a run's steady-state p95 response time against users, one
// line per scale, on a logarithmic axis.
func P95VsLoad(st *analysis.Study, run *analysis.Run) (*Chart, error) {
	chart := &Chart{File: RunFile(run.Name, KindP95), Width: Width, Height: Height,
		Title: fmt.Sprintf("%s: steady-state p95 response time against %s, one line per scale (log axis)", run.Title, loadAxis(st))}
	p := newPlot(run.Title+": p95 response time vs "+loadAxis(st), loadAxis(st), "p95 response time (log)")
	p.X.Tick.Marker = levelTicks(run.Loads)
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = msTicks{}
	lo, hi := math.Inf(1), 0.0
	for _, scale := range run.Scales {
		var xys plotter.XYs
		for _, load := range run.Loads {
			if lv := run.Level(scale, load); lv != nil && lv.P95 > 0 {
				y := ms(lv.P95)
				xys = append(xys, plotter.XY{X: load, Y: y})
				lo, hi = math.Min(lo, y), math.Max(hi, y)
			}
		}
		if err := addLine(chart, p, scaleName(scale), ScaleColor(ScaleIndex(st, scale)), xys, lineOpts{points: true}); err != nil {
			return nil, err
		}
	}
	setLogRange(&p.Y, lo, hi)
	chart.Panels = []*plot.Plot{p}
	return chart, nil
}

// setLogRange sets a log axis to a padded range that holds [lo, hi], or a
// default range when there is no positive data.
func setLogRange(a *plot.Axis, lo, hi float64) {
	if !(lo > 0) || !(hi >= lo) || math.IsInf(lo, 0) {
		lo, hi = 1, 1000
	}
	a.Min, a.Max = lo/1.5, hi*1.5
}

// failureGrid is a run's failure rates as a heat-map grid: columns are
// loads, rows scales.
type failureGrid struct {
	run *analysis.Run
}

func (g failureGrid) Dims() (c, r int)   { return len(g.run.Loads), len(g.run.Scales) }
func (g failureGrid) X(c int) float64    { return float64(c) }
func (g failureGrid) Y(r int) float64    { return float64(r) }
func (g failureGrid) Z(c, r int) float64 { return g.rate(c, r) }
func (g failureGrid) rate(c, r int) float64 {
	if lv := g.run.Level(g.run.Scales[r], g.run.Loads[c]); lv != nil {
		return lv.FailRate
	}
	return math.NaN()
}

// heatPalette runs from white (no failures) through amber to red.
type heatPalette []color.Color

// Colors implements palette.Palette.
func (h heatPalette) Colors() []color.Color { return h }

func newHeatPalette(n int) heatPalette {
	stops := []struct{ r, g, b float64 }{{238, 246, 238}, {253, 204, 138}, {227, 74, 51}, {179, 0, 0}}
	var out heatPalette
	for i := range n {
		f := float64(i) / float64(n-1) * float64(len(stops)-1)
		k := min(int(f), len(stops)-2)
		t := f - float64(k)
		a, b := stops[k], stops[k+1]
		out = append(out, rgb(uint32(a.r+(b.r-a.r)*t)<<16|uint32(a.g+(b.g-a.g)*t)<<8|uint32(a.b+(b.b-a.b)*t)))
	}
	return out
}

// FailureHeatmap is a run's failure rate for every scale × users cell,
// labelled with the rate; untested cells are grey.
func FailureHeatmap(st *analysis.Study, run *analysis.Run) (*Chart, error) {
	if len(run.Loads) == 0 || len(run.Scales) == 0 {
		return nil, fmt.Errorf("run %s: no levels for a failure heat map", run.Name)
	}
	chart := &Chart{File: RunFile(run.Name, KindFailures), Width: Width, Height: Height,
		Title: fmt.Sprintf("%s: failure rate by scale and %s (whole cells)", run.Title, loadAxis(st))}
	p := newPlot(run.Title+": failure rate by scale and "+loadAxis(st), loadAxis(st), "replicas of "+cmp.Or(st.Scaled, "the scaled service"))
	g := failureGrid{run}
	maxRate := 0.05
	for r := range run.Scales {
		for c := range run.Loads {
			if z := g.rate(c, r); z > maxRate {
				maxRate = z
			}
		}
	}
	hm := plotter.NewHeatMap(g, newHeatPalette(64))
	hm.Min, hm.Max = 0, maxRate
	hm.NaN = rgb(0xDDDDDD)
	p.Add(hm)
	var labels plotter.XYLabels
	var dark []bool
	for r, scale := range run.Scales {
		n := 0
		for c := range run.Loads {
			z := g.rate(c, r)
			label := "not run"
			if !math.IsNaN(z) {
				label = percent(z)
				n++
			}
			labels.XYs = append(labels.XYs, plotter.XY{X: float64(c), Y: float64(r)})
			labels.Labels = append(labels.Labels, label)
			dark = append(dark, z > 0.55*maxRate)
		}
		chart.Series = append(chart.Series, Series{Name: scaleName(scale), Points: n})
	}
	// White separators between cells.
	for c := 0; c <= len(run.Loads); c++ {
		x := float64(c) - 0.5
		if err := addSeparator(p, plotter.XYs{{X: x, Y: -0.5}, {X: x, Y: float64(len(run.Scales)) - 0.5}}); err != nil {
			return nil, err
		}
	}
	for r := 0; r <= len(run.Scales); r++ {
		y := float64(r) - 0.5
		if err := addSeparator(p, plotter.XYs{{X: -0.5, Y: y}, {X: float64(len(run.Loads)) - 0.5, Y: y}}); err != nil {
			return nil, err
		}
	}
	lab, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, err
	}
	for i := range lab.TextStyle {
		lab.TextStyle[i].Font.Size = vg.Points(12)
		lab.TextStyle[i].XAlign = -0.5
		lab.TextStyle[i].YAlign = -0.5
		if dark[i] {
			lab.TextStyle[i].Color = color.White
		}
	}
	p.Add(lab)
	var xs, ys []string
	for _, l := range run.Loads {
		xs = append(xs, strconv.FormatFloat(l, 'f', -1, 64))
	}
	for _, s := range run.Scales {
		ys = append(ys, strconv.Itoa(s))
	}
	p.NominalX(xs...)
	p.NominalY(ys...)
	p.X.Min, p.X.Max = -0.5, float64(len(xs))-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(len(ys))-0.5
	chart.Panels = []*plot.Plot{p}
	return chart, nil
}

// addSeparator draws a thick white line (heat-map cell borders).
func addSeparator(p *plot.Plot, xys plotter.XYs) error {
	l, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	l.Color = color.White
	l.Width = vg.Points(4)
	p.Add(l)
	return nil
}

// LatencyPercentiles is, for each scale of a run, the steady-state latency
// percentile curve at the run's highest load tested with that scale, on a
// "nines" axis (50%, 90%, 99%, 99.9%…) and a logarithmic latency axis.
func LatencyPercentiles(st *analysis.Study, run *analysis.Run, set *results.Set) (*Chart, error) {
	chart := &Chart{File: RunFile(run.Name, KindPercentiles), Width: Width, Height: Height,
		Title: fmt.Sprintf("%s: latency percentiles at the highest %s level of each scale", run.Title, loadAxis(st))}
	p := newPlot(run.Title+": latency percentiles at the highest load", "percentile", "response time (log)")
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = msTicks{}
	lo, hi, nines := math.Inf(1), 0.0, 2.0
	for _, scale := range run.Scales {
		var lv *analysis.Level
		for i := len(run.Loads) - 1; i >= 0 && lv == nil; i-- {
			lv = run.Level(scale, run.Loads[i])
		}
		if lv == nil {
			continue
		}
		var cells []*results.Cell
		for _, id := range lv.Cells {
			if c := set.Cell(id); c != nil {
				cells = append(cells, c)
			}
		}
		h, err := analysis.SteadyHistogram(cells)
		if err != nil {
			return nil, fmt.Errorf("run %s scale %d: %w", run.Name, scale, err)
		}
		var xys plotter.XYs
		for _, pt := range analysis.NinesCurve(h, 20) {
			y := ms(pt.Latency)
			if y <= 0 {
				continue
			}
			x := -math.Log10(1 - pt.Q)
			xys = append(xys, plotter.XY{X: x, Y: y})
			lo, hi, nines = math.Min(lo, y), math.Max(hi, y), math.Max(nines, x)
		}
		name := fmt.Sprintf("%s (%g %s, %d requests)", scaleName(scale), lv.Load, loadAxis(st), h.TotalCount())
		if err := addLine(chart, p, name, ScaleColor(ScaleIndex(st, scale)), xys, lineOpts{}); err != nil {
			return nil, err
		}
	}
	p.X.Min, p.X.Max = math.Log10(2), math.Ceil(nines)
	p.X.Tick.Marker = ninesTicks(math.Ceil(nines))
	setLogRange(&p.Y, lo, hi)
	chart.Panels = []*plot.Plot{p}
	return chart, nil
}

// ContainerCPU is the CPU use of every service of the project over one
// cell's time, the containers of a service added up, with each service's
// ceiling dashed and the ramp and warm-up shaded.
func ContainerCPU(st *analysis.Study, c *results.Cell) (*Chart, error) {
	if len(c.Containers) == 0 {
		return nil, fmt.Errorf("cell %s: no container samples to chart", c.Cell.ID)
	}
	chart := &Chart{File: RunFile(c.Cell.Run, KindCPU), Width: Width, Height: Height,
		Title: fmt.Sprintf("%s, scale %d, %s: CPU per service over time (dashed: a service's ceiling, when near the data)", c.Cell.Title, c.Cell.Scale, c.Cell.Level())}
	p := newPlot(fmt.Sprintf("%s · scale %d · %s: CPU per service", c.Cell.Title, c.Cell.Scale, c.Cell.Level()),
		"time since load start (s)", "CPU (% of one core)")
	type acc struct {
		cpu     map[int64]float64
		ceiling float64
	}
	services := map[string]*acc{}
	var names []string
	for _, cs := range c.Containers {
		a := services[cs.Service]
		if a == nil {
			a = &acc{cpu: map[int64]float64{}}
			services[cs.Service] = a
			names = append(names, cs.Service)
		}
		a.ceiling += cs.CPULimit * 100
		for _, s := range cs.Samples {
			a.cpu[int64(s.T.Round(1e9)/1e9)] += s.CPU
		}
	}
	for _, a := range services {
		// Containers without limits share the host's cores.
		if host := st.Cores * 100; host > 0 {
			a.ceiling = math.Min(a.ceiling, host)
		}
	}
	slices.SortFunc(names, func(x, y string) int {
		// The scaled service first, then by name.
		return cmp.Or(-cmp.Compare(boolInt(x == st.Scaled), boolInt(y == st.Scaled)), cmp.Compare(x, y))
	})
	// The y range follows the data; a ceiling far above it (5 replicas
	// allowed 2 cores each, say) is named in the legend, not drawn.
	dataMax, x0, x1 := 0.0, math.Inf(1), math.Inf(-1)
	for _, a := range services {
		for t, v := range a.cpu {
			dataMax = math.Max(dataMax, v)
			x0, x1 = math.Min(x0, float64(t)), math.Max(x1, float64(t))
		}
	}
	top := dataMax
	drawn := func(a *acc) bool { return a.ceiling > 0 && a.ceiling <= 2*dataMax }
	for _, a := range services {
		if drawn(a) {
			top = math.Max(top, a.ceiling)
		}
	}
	p.Y.Min, p.Y.Max = 0, niceMax(top)
	if c.Load != nil {
		if err := addBand(p, "ramp + warm-up (excluded)", 0, c.Load.SteadyStart.Seconds(), 0, p.Y.Max); err != nil {
			return nil, err
		}
	}
	for i, name := range names {
		a := services[name]
		ts := make([]int64, 0, len(a.cpu))
		for t := range a.cpu {
			ts = append(ts, t)
		}
		slices.Sort(ts)
		var xys plotter.XYs
		for _, t := range ts {
			xys = append(xys, plotter.XY{X: float64(t), Y: a.cpu[t]})
		}
		col := ServiceColor(i)
		n := 0
		for _, cs := range c.Containers {
			if cs.Service == name {
				n++
			}
		}
		var notes []string
		if n > 1 {
			notes = append(notes, fmt.Sprintf("%d containers", n))
		}
		if a.ceiling > 0 {
			notes = append(notes, fmt.Sprintf("ceiling %g%%", a.ceiling))
		}
		label := name
		if len(notes) > 0 {
			label += " (" + strings.Join(notes, ", ") + ")"
		}
		if err := addLine(chart, p, label, col, xys, lineOpts{}); err != nil {
			return nil, err
		}
		if drawn(a) && !math.IsInf(x0, 0) {
			ceil := plotter.XYs{{X: x0, Y: a.ceiling}, {X: x1, Y: a.ceiling}}
			if err := addLine(chart, p, name+" ceiling", col, ceil, lineOpts{dashed: true, width: vg.Points(1.2), noLabel: true}); err != nil {
				return nil, err
			}
		}
	}
	if c.Host != nil && len(c.Host.Samples) > 0 {
		var xys plotter.XYs
		for _, s := range c.Host.Samples {
			xys = append(xys, plotter.XY{X: s.T.Seconds(), Y: s.Busy * 100})
		}
		label := fmt.Sprintf("whole machine, every process (%d cores: %d%%)", c.Host.CPUs, c.Host.CPUs*100)
		if err := addLine(chart, p, label, color.Gray{Y: 90}, xys, lineOpts{dashed: true}); err != nil {
			return nil, err
		}
		for _, s := range c.Host.Samples {
			p.Y.Max = math.Max(p.Y.Max, niceMax(s.Busy*100))
		}
	}
	chart.Panels = []*plot.Plot{p}
	return chart, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
