package plots_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"git.sr.ht/~sbinet/cmpimg"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/analysis/analysistest"
	"github.com/scalebench/scalebench/internal/plots"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden PNGs under testdata/golden/")

// goldenDelta is how far a chart may drift from its golden image
// (cmpimg's normalised delta): enough for anti-aliasing differences between
// machines, far too little for a moved line, a lost series or a new label.
const goldenDelta = 0.02

// TestGoldenCharts draws a few charts of the seed study and compares them
// with golden PNGs, the way gonum/plot tests its own plotters. A failure
// writes the chart drawn under testdata/artifacts/ to look at; -update
// rewrites the golden files after a deliberate change.
func TestGoldenCharts(t *testing.T) {
	set := analysistest.Seed()
	st := analysis.Analyze(set)
	cs := plots.Build(st, set)
	if len(cs.Problems) > 0 {
		t.Fatalf("problems: %v", cs.Problems)
	}
	for name, c := range map[string]*plots.Chart{
		"scaling":       cs.Scaling,
		"run1-rps":      cs.Run("run1").RPS,
		"run1-cpu":      cs.Run("run1").CPU,
		"cell-timeline": cs.Cells["run1-s1-u20-r1"],
	} {
		t.Run(name, func(t *testing.T) {
			if c == nil {
				t.Fatal("chart not built")
			}
			got, err := c.PNG()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden", name+".png")
			if *updateGolden {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./plots -run TestGoldenCharts -update to make it)", err)
			}
			ok, err := cmpimg.EqualApprox("png", got, want, goldenDelta)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				dir := filepath.Join("testdata", "artifacts")
				_ = os.MkdirAll(dir, 0o755)
				_ = os.WriteFile(filepath.Join(dir, "golden-"+name+".png"), got, 0o644)
				t.Errorf("%s differs from %s beyond %.0f%%: the chart drawn is in %s", name, path, goldenDelta*100, dir)
			}
		})
	}
}
