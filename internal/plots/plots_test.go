package plots_test

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/analysis/analysistest"
	"github.com/scalebench/scalebench/internal/plots"
	"github.com/scalebench/scalebench/internal/results"
)

var artifacts = flag.Bool("artifacts", false, "write every chart under testdata/artifacts/ for inspection")

func names(c *plots.Chart) []string {
	var out []string
	for _, s := range c.Series {
		out = append(out, s.Name)
	}
	return out
}

// colorPixels counts the pixels of img within a small distance of c.
func colorPixels(img *image.NRGBA, c color.Color) int {
	r0, g0, b0, _ := color.NRGBAModel.Convert(c).RGBA()
	r0, g0, b0 = r0>>8, g0>>8, b0>>8
	n := 0
	for i := 0; i+3 < len(img.Pix); i += 4 {
		d := absDiff(uint32(img.Pix[i]), r0) + absDiff(uint32(img.Pix[i+1]), g0) + absDiff(uint32(img.Pix[i+2]), b0)
		if d < 3*12 {
			n++
		}
	}
	return n
}

// toNRGBA converts img for fast pixel access.
func toNRGBA(img image.Image) *image.NRGBA {
	if n, ok := img.(*image.NRGBA); ok {
		return n
	}
	out := image.NewNRGBA(img.Bounds())
	draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Src)
	return out
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// render renders c, checks the PNG is the chart's size and not blank, and
// that every coloured series left pixels of its colour.
func render(t *testing.T, c *plots.Chart) *image.NRGBA {
	t.Helper()
	b, err := c.PNG()
	if err != nil {
		t.Fatalf("render %s: %v", c.File, err)
	}
	decoded, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", c.File, err)
	}
	img := toNRGBA(decoded)
	wantW := int(c.Width.Points() / 72 * plots.DPI)
	if got := img.Bounds().Dx(); got < wantW-1 || got > wantW+1 {
		t.Errorf("%s width %d px, want %d", c.File, got, wantW)
	}
	white := colorPixels(img, color.White)
	total := img.Bounds().Dx() * img.Bounds().Dy()
	if white > total*98/100 {
		t.Errorf("%s is blank: %d of %d pixels white", c.File, white, total)
	}
	for _, s := range c.Series {
		if s.Color == nil {
			continue
		}
		if s.Points == 0 {
			t.Errorf("%s series %q has no points", c.File, s.Name)
		}
		if n := colorPixels(img, s.Color); n < 15 {
			t.Errorf("%s series %q: only %d pixels of its colour drawn", c.File, s.Name, n)
		}
	}
	if *artifacts {
		dir := filepath.Join("testdata", "artifacts")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, c.File), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return img
}

func TestSeedCharts(t *testing.T) {
	set := analysistest.Seed()
	st := analysis.Analyze(set)
	cs := plots.Build(st, set)
	if len(cs.Problems) > 0 {
		t.Fatalf("problems: %v", cs.Problems)
	}
	scales := []string{"scale 1", "scale 3", "scale 5"}
	tests := []struct {
		name   string
		chart  *plots.Chart
		series []string
	}{
		{"scaling", cs.Scaling, []string{"ideal linear scaling", "USL fit (σ=", "capacity (plateau mean, 95% CI)", "best mark (highest level)"}},
		{"run1 rps", cs.Run("run1").RPS, scales},
		{"run1 p95", cs.Run("run1").P95, scales},
		{"run1 failures", cs.Run("run1").Failures, scales},
		{"run1 percentiles", cs.Run("run1").Percentiles, []string{"scale 1 (20 users, ", "scale 3 (20 users, ", "scale 5 (20 users, "}},
		{"run1 cpu", cs.Run("run1").CPU, []string{"model (5 containers, ceiling 500%)", "api (ceiling 100%)", "api ceiling", "redis (ceiling 800%)"}},
		{"run2 rps", cs.Run("run2").RPS, scales[1:]},
		{"run2 percentiles", cs.Run("run2").Percentiles, []string{"scale 3 (100 users, ", "scale 5 (100 users, "}},
		{"cell timeline", cs.Cells["run1-s1-u20-r1"], []string{"requests/s", "failures/s", "p95", "p50", "users"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.chart == nil {
				t.Fatal("chart not built")
			}
			got := names(tt.chart)
			if len(got) != len(tt.series) {
				t.Fatalf("series %q, want %q", got, tt.series)
			}
			for i := range got {
				if len(got[i]) < len(tt.series[i]) || got[i][:len(tt.series[i])] != tt.series[i] {
					t.Errorf("series %d = %q, want prefix %q", i, got[i], tt.series[i])
				}
			}
			render(t, tt.chart)
		})
	}
	if got, want := len(cs.Cells), len(set.Cells); got != want {
		t.Errorf("%d cell timelines, want %d", got, want)
	}
	t.Run("every chart renders", func(t *testing.T) {
		files := map[string]bool{}
		for _, c := range cs.All(set) {
			if files[c.File] {
				t.Errorf("two charts write %s", c.File)
			}
			files[c.File] = true
			render(t, c)
		}
	})
}

// The heat map shows the failure onset: the scale-1 / 20-users cell is
// red, cells without failures white.
func TestFailureHeatmapColours(t *testing.T) {
	set := analysistest.Seed()
	st := analysis.Analyze(set)
	c, err := plots.FailureHeatmap(st, &st.Runs[0])
	if err != nil {
		t.Fatal(err)
	}
	img := render(t, c)
	red := 0
	for i := 0; i+3 < len(img.Pix); i += 4 {
		if img.Pix[i] > 150 && img.Pix[i+1] < 120 && img.Pix[i+2] < 100 {
			red++
		}
	}
	if red < 1000 {
		t.Errorf("only %d red pixels: the failing cell is not highlighted", red)
	}
}

func TestScaleColorsDistinct(t *testing.T) {
	var seen []color.Color
	for i := range 8 {
		c := plots.ScaleColor(i)
		if slices.Contains(seen, c) {
			t.Errorf("scale colour %d repeats", i)
		}
		seen = append(seen, c)
	}
	if plots.ScaleColor(8) != plots.ScaleColor(0) || plots.ScaleColor(-1) == nil {
		t.Error("colours do not cycle")
	}
}

func TestSaveSinglePlot(t *testing.T) {
	set := analysistest.Linear()
	st := analysis.Analyze(set)
	c, err := plots.RPSVsLoad(st, &st.Runs[0])
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "one.png")
	if err := plots.Save(c.Panels[0], plots.Width, plots.Height, path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Fatalf("saved file is not a PNG: %v", err)
	}
}

func TestCellWithoutLoad(t *testing.T) {
	c := &results.Cell{Cell: analysistest.Seed().Cells[0].Cell, Status: results.CellFailed}
	if _, err := plots.CellTimeline(c); err == nil {
		t.Error("timeline of a cell without load: no error")
	}
}

func TestLineChart(t *testing.T) {
	c, err := plots.LineChart(plots.LineSpec{
		File: "trend.png", Title: "p95 across commits", XLabel: "commit", YLabel: "p95", LogY: true,
		XTicks: []float64{1, 2, 3},
		Lines: []plots.Line{
			{Name: "scale 1", Color: plots.ScaleColor(0), X: []float64{1, 2, 3}, Y: []float64{120, 0, 300}, Points: true},
			{Name: "scale 3", Color: plots.ScaleColor(1), X: []float64{1, 2, 3}, Y: []float64{80, 90, 85}, HalfWidth: []float64{5, 5, 5}, Dashed: true},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(c); !slices.Equal(got, []string{"scale 1", "scale 3"}) {
		t.Errorf("series %q", got)
	}
	if c.Series[0].Points != 2 {
		t.Errorf("a zero on a log axis was drawn: %d points", c.Series[0].Points)
	}
	render(t, c)
	if _, err := plots.LineChart(plots.LineSpec{File: "bad.png", Lines: []plots.Line{{Name: "x", X: []float64{1}, Y: nil}}}); err == nil {
		t.Error("mismatched x and y: no error")
	}
}
