// Package plots draws the charts of a study as PNG with gonum/plot: per cell
// the three Locust charts over time, per run throughput and p95 against
// users, a failure heat map, latency percentile curves and container CPU,
// and capacity against scale beside ideal linear scaling and the USL; the
// diff's overlays of two runs and the site's trends across runs.
//
// Every builder is a pure function of saved results (and their analysis)
// returning a Chart; Chart.Render writes the PNG. It must not decide what
// the numbers mean: that is package analysis, and the words are package
// report's.
package plots

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// DPI is the resolution charts are rendered at.
const DPI = 96

// Default chart sizes.
const (
	// Width is the width of every chart.
	Width = 8 * vg.Inch
	// Height is the height of a single-panel chart.
	Height = 4.5 * vg.Inch
	// PanelHeight is the height of each panel of a stacked chart.
	PanelHeight = 2.6 * vg.Inch
)

// Series is one data series drawn in a chart.
type Series struct {
	// Name is its legend label.
	Name string
	// Color is its line or marker colour (nil for series drawn with a
	// palette, such as a heat map).
	Color color.Color
	// Points is the number of data points drawn.
	Points int
}

// Chart is one PNG figure: one or more plots stacked top to bottom.
type Chart struct {
	// File is the PNG's file name (no directory), e.g. "run1-rps.png".
	File string
	// Title describes the chart in words (alt text, captions).
	Title string
	// Panels are the plots, top to bottom.
	Panels []*plot.Plot
	// Series lists every series drawn, in drawing order.
	Series []Series
	// Width and Height are the figure's size (Height covers all panels).
	Width, Height vg.Length
}

// Render draws the chart as PNG to w.
func (c *Chart) Render(w io.Writer) error {
	if len(c.Panels) == 0 {
		return fmt.Errorf("chart %s: no panels to draw", c.File)
	}
	img := vgimg.NewWith(vgimg.UseWH(c.Width, c.Height), vgimg.UseDPI(DPI), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(img)
	rows := make([][]*plot.Plot, len(c.Panels))
	for i, p := range c.Panels {
		rows[i] = []*plot.Plot{p}
	}
	tiles := draw.Tiles{Rows: len(c.Panels), Cols: 1, PadY: vg.Points(6), PadTop: vg.Points(2), PadBottom: vg.Points(2),
		PadLeft: vg.Points(2), PadRight: vg.Points(8)}
	canvases := plot.Align(rows, tiles, dc)
	for i, p := range c.Panels {
		p.Draw(canvases[i][0])
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(w); err != nil {
		return fmt.Errorf("chart %s: encode PNG: %w", c.File, err)
	}
	return nil
}

// PNG returns the chart rendered as PNG bytes.
func (c *Chart) PNG() ([]byte, error) {
	var b bytes.Buffer
	if err := c.Render(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteFile renders the chart into dir/c.File.
func (c *Chart) WriteFile(dir string) error {
	b, err := c.PNG()
	if err != nil {
		return err
	}
	path := filepath.Join(dir, c.File)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write chart: %w", err)
	}
	return nil
}

// Save renders a single plot as PNG at w × h into path.
func Save(p *plot.Plot, w, h vg.Length, path string) error {
	c := &Chart{File: filepath.Base(path), Panels: []*plot.Plot{p}, Width: w, Height: h}
	b, err := c.PNG()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write chart: %w", err)
	}
	return nil
}

// palette is Okabe and Ito's colour-blind-safe set, darkest first, with
// black last.
func palette() []color.NRGBA {
	return []color.NRGBA{
		{0x00, 0x72, 0xB2, 0xFF}, // blue
		{0xE6, 0x9F, 0x00, 0xFF}, // orange
		{0x00, 0x9E, 0x73, 0xFF}, // bluish green
		{0xD5, 0x5E, 0x00, 0xFF}, // vermillion
		{0xCC, 0x79, 0xA7, 0xFF}, // reddish purple
		{0x56, 0xB4, 0xE9, 0xFF}, // sky blue
		{0x99, 0x88, 0x00, 0xFF}, // dark yellow
		{0x33, 0x33, 0x33, 0xFF}, // near black
	}
}

// ScaleColor is the colour of the i-th scale of a study (0-based, in
// ascending replica order); every chart uses it so a scale keeps its colour.
func ScaleColor(i int) color.Color {
	p := palette()
	return p[((i%len(p))+len(p))%len(p)]
}

// ServiceColor is the colour of the i-th service in a CPU chart.
func ServiceColor(i int) color.Color {
	p := palette()
	return p[((i+2)%len(p)+len(p))%len(p)]
}

// Fixed colours (0xRRGGBB) of the per-cell timeline, as Locust draws them.
const (
	hexRPS      = 0x009E73
	hexFailures = 0xD51E1E
	hexP50      = 0xE69F00
	hexP95      = 0x7B3FA0
	hexUsers    = 0x0072B2
	hexIdeal    = 0x888888
	hexGrid     = 0xE4E4E4
)

// rgb is an opaque colour from 0xRRGGBB.
func rgb(hex uint32) color.NRGBA {
	return color.NRGBA{uint8(hex >> 16), uint8(hex >> 8), uint8(hex), 0xFF}
}

// shade is the translucent grey of excluded (ramp and warm-up) time.
func shade() color.NRGBA { return color.NRGBA{0, 0, 0, 0x16} }

// newPlot returns a plot with the house style: title, axis labels, grid,
// legend top left.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.X.Label.TextStyle.Font.Size = vg.Points(11)
	p.Y.Label.TextStyle.Font.Size = vg.Points(11)
	p.X.Tick.Label.Font.Size = vg.Points(10)
	p.Y.Tick.Label.Font.Size = vg.Points(10)
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	p.Legend.ThumbnailWidth = vg.Points(18)
	p.Legend.XOffs = vg.Points(6)
	p.Legend.YOffs = -vg.Points(4)
	p.Legend.Padding = vg.Points(2.5)
	p.X.Tick.Marker = numberTicks{}
	p.Y.Tick.Marker = numberTicks{}
	p.Add(gridLines())
	return p
}
