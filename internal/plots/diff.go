package plots

import (
	"fmt"
	"image/color"
	"slices"

	"github.com/scalebench/scalebench/internal/analysis"
)

// oldColor draws the old set in the overlay charts: grey, dashed.
func oldColor() color.Color { return color.NRGBA{0x77, 0x77, 0x77, 0xFF} }

// DiffCharts builds the overlay charts of d: for every scale, throughput
// against load and p95 against load, the old set dashed grey and the new
// one in the scale's colour. A chart that cannot be built is named in the
// errors and left out.
func DiffCharts(d *analysis.Diff) ([]*Chart, []error) {
	var out []*Chart
	var errs []error
	axis := "users"
	for _, st := range []*analysis.Study{d.NewStudy, d.OldStudy} {
		if st != nil && st.Analysed > 0 {
			axis = loadAxis(st)
			break
		}
	}
	for i := range d.Scales {
		s := d.Scales[i].Scale
		var old, new *analysis.Scale
		if d.OldStudy != nil {
			old = d.OldStudy.Scale(s)
		}
		if d.NewStudy != nil {
			new = d.NewStudy.Scale(s)
		}
		var ticks []float64
		for _, sc := range []*analysis.Scale{old, new} {
			if sc == nil {
				continue
			}
			for _, lv := range sc.Levels {
				if !slices.Contains(ticks, lv.Load) {
					ticks = append(ticks, lv.Load)
				}
			}
		}
		slices.Sort(ticks)
		rpsSpec := LineSpec{
			File:   fmt.Sprintf("scale-%d-rps.png", s),
			Title:  fmt.Sprintf("Scale %d: throughput vs %s, old (dashed) and new", s, axis),
			XLabel: axis, YLabel: "successful req/s (steady state)", XTicks: ticks,
		}
		p95Spec := LineSpec{
			File:   fmt.Sprintf("scale-%d-p95.png", s),
			Title:  fmt.Sprintf("Scale %d: p95 response time vs %s, old (dashed) and new", s, axis),
			XLabel: axis, YLabel: "p95 response time (log)", LogY: true, XTicks: ticks,
		}
		for _, side := range []struct {
			name string
			sc   *analysis.Scale
			col  color.Color
			dash bool
		}{{"old", old, oldColor(), true}, {"new", new, ScaleColor(i), false}} {
			if side.sc == nil {
				continue
			}
			label := fmt.Sprintf("%s: scale %d", side.name, s)
			r := Line{Name: label, Color: side.col, Dashed: side.dash, Points: true}
			p := Line{Name: label, Color: side.col, Dashed: side.dash, Points: true}
			for _, lv := range side.sc.Levels {
				r.X, r.Y, r.HalfWidth = append(r.X, lv.Load), append(r.Y, lv.RPS), append(r.HalfWidth, lv.RPSHalfWidth)
				p.X, p.Y = append(p.X, lv.Load), append(p.Y, float64(lv.P95)/1e6)
			}
			rpsSpec.Lines = append(rpsSpec.Lines, r)
			p95Spec.Lines = append(p95Spec.Lines, p)
		}
		for _, spec := range []LineSpec{rpsSpec, p95Spec} {
			ch, err := LineChart(spec)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out = append(out, ch)
		}
	}
	return out, errs
}
