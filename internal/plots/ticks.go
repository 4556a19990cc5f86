package plots

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
)

// msTicks labels a logarithmic axis in milliseconds on a 1-2-5 sequence
// ("5 ms", "200 ms", "2 s"), with minor ticks in between. It never panics
// on a non-positive range (it returns no ticks).
type msTicks struct{}

func (msTicks) Ticks(min, max float64) []plot.Tick {
	if !(min > 0) || !(max > min) {
		return nil
	}
	// Label 1, 2 and 5 of each decade; in a narrow range, every mantissa.
	for _, labelled := range [][]int{{1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}} {
		var ticks []plot.Tick
		n := 0
		for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
			base := math.Pow(10, e)
			for m := 1; m < 10; m++ {
				v := base * float64(m)
				if v < min*0.999 || v > max*1.001 {
					continue
				}
				t := plot.Tick{Value: v}
				if slices.Contains(labelled, m) {
					t.Label = formatMS(v)
					n++
				}
				ticks = append(ticks, t)
			}
		}
		if n >= 3 || len(labelled) == 9 {
			return ticks
		}
	}
	return nil
}

// formatMS formats a latency in milliseconds.
func formatMS(v float64) string {
	switch {
	case v >= 1000:
		return strconv.FormatFloat(v/1000, 'f', -1, 64) + " s"
	case v >= 1:
		return strconv.FormatFloat(v, 'f', -1, 64) + " ms"
	default:
		return strconv.FormatFloat(v*1000, 'f', -1, 64) + " µs"
	}
}

// numberTicks are gonum's default ticks labelled without trailing zeros
// ("250", not "250.00").
type numberTicks struct{}

func (numberTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			// Round away float noise: 1.2000000000000002 → 1.2.
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'g', 10, 64)
		}
	}
	return ts
}

// levelTicks marks exactly the load levels tested.
func levelTicks(levels []float64) plot.ConstantTicks {
	var ts plot.ConstantTicks
	for _, l := range levels {
		ts = append(ts, plot.Tick{Value: l, Label: strconv.FormatFloat(l, 'f', -1, 64)})
	}
	return ts
}

// ninesTicks labels a "nines" axis (−log10(1−q)) with percentiles.
func ninesTicks(maxNines float64) plot.ConstantTicks {
	ts := plot.ConstantTicks{{Value: math.Log10(2), Label: "50%"}, {Value: 1, Label: "90%"}}
	for n := 2; float64(n) <= maxNines+1e-9; n++ {
		label := "99%"
		if n > 2 {
			label = "99." + repeat9(n-2) + "%"
		}
		ts = append(ts, plot.Tick{Value: float64(n), Label: label})
	}
	return ts
}

func repeat9(n int) string {
	s := ""
	for range n {
		s += "9"
	}
	return s
}

// percent formats a fraction as a percentage with sensible precision.
func percent(f float64) string {
	switch {
	case f == 0:
		return "0%"
	case f < 0.001:
		return "<0.1%"
	case f < 0.1:
		return fmt.Sprintf("%.1f%%", f*100)
	}
	return fmt.Sprintf("%.0f%%", f*100)
}
