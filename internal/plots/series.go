package plots

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// gridLines is a light background grid.
func gridLines() *plotter.Grid {
	g := plotter.NewGrid()
	g.Vertical.Color = rgb(hexGrid)
	g.Horizontal.Color = rgb(hexGrid)
	g.Vertical.Width = vg.Points(0.6)
	g.Horizontal.Width = vg.Points(0.6)
	return g
}

// lineOpts style a series.
type lineOpts struct {
	dashed  bool
	points  bool
	width   vg.Length
	noLabel bool
}

// addLine draws xys as a line named name in c, records the series on chart
// and adds it to the legend. Points with a NaN coordinate are dropped.
func addLine(chart *Chart, p *plot.Plot, name string, c color.Color, xys plotter.XYs, o lineOpts) error {
	xys = clean(xys)
	if len(xys) == 0 {
		return nil
	}
	l, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	l.Color = c
	l.Width = o.width
	if l.Width == 0 {
		l.Width = vg.Points(2)
	}
	if o.dashed {
		l.Dashes = []vg.Length{vg.Points(6), vg.Points(4)}
	}
	p.Add(l)
	thumbs := []plot.Thumbnailer{l}
	if o.points {
		s, err := plotter.NewScatter(xys)
		if err != nil {
			return err
		}
		s.Color = c
		s.Shape = draw.CircleGlyph{}
		s.Radius = vg.Points(3)
		p.Add(s)
		thumbs = append(thumbs, s)
	}
	if !o.noLabel {
		p.Legend.Add(name, thumbs...)
	}
	chart.Series = append(chart.Series, Series{Name: name, Color: c, Points: len(xys)})
	return nil
}

// errPoints are points with vertical error bars.
type errPoints struct {
	plotter.XYs
	plotter.YErrors
}

// addErrorBars draws symmetric vertical error bars of half-width hw[i].
func addErrorBars(p *plot.Plot, c color.Color, xys plotter.XYs, hw []float64) error {
	var pts errPoints
	for i, xy := range xys {
		if i >= len(hw) || math.IsNaN(xy.Y) || hw[i] <= 0 || math.IsNaN(hw[i]) {
			continue
		}
		pts.XYs = append(pts.XYs, xy)
		pts.YErrors = append(pts.YErrors, struct{ Low, High float64 }{hw[i], hw[i]})
	}
	if len(pts.XYs) == 0 {
		return nil
	}
	eb, err := plotter.NewYErrorBars(pts)
	if err != nil {
		return err
	}
	eb.Color = c
	eb.Width = vg.Points(1)
	eb.CapWidth = vg.Points(5)
	p.Add(eb)
	return nil
}

// addBand shades the x range [x0, x1) over [y0, y1] with the legend label
// name ("" for none).
func addBand(p *plot.Plot, name string, x0, x1, y0, y1 float64) error {
	if !(x1 > x0) || !(y1 > y0) {
		return nil
	}
	poly, err := plotter.NewPolygon(plotter.XYs{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
	if err != nil {
		return err
	}
	poly.Color = shade()
	poly.LineStyle.Width = 0
	p.Add(poly)
	if name != "" {
		p.Legend.Add(name, poly)
	}
	return nil
}

// clean drops points with a NaN or infinite coordinate.
func clean(xys plotter.XYs) plotter.XYs {
	out := xys[:0:0]
	for _, xy := range xys {
		if !math.IsNaN(xy.X) && !math.IsNaN(xy.Y) && !math.IsInf(xy.X, 0) && !math.IsInf(xy.Y, 0) {
			out = append(out, xy)
		}
	}
	return out
}

// maxY is the largest y in xys (0 for none).
func maxY(sets ...plotter.XYs) float64 {
	m := 0.0
	for _, xys := range sets {
		for _, xy := range xys {
			if xy.Y > m && !math.IsInf(xy.Y, 0) {
				m = xy.Y
			}
		}
	}
	return m
}
