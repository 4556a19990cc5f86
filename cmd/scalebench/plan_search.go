package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
)

// planSearch prints each search run's bounds: the most probes a scale can
// take, the worst-case wall time of the searches, whether early stop is
// on; it returns the warnings of the largest probe (users that cannot all
// start within the duration, say).
func planSearch(w io.Writer, m *matrix.Matrix, rescale time.Duration) []string {
	runs := m.SearchRuns()
	if len(runs) == 0 {
		return nil
	}
	var warnings []string
	fmt.Fprintf(w, "\nsearches for the capacity at the SLO (%s):\n", m.SLO)
	for _, r := range runs {
		s := r.Search
		early := "off"
		if r.EarlyStopOn(m) {
			early = "on"
		}
		scales := make([]string, len(r.Scale))
		for i, n := range r.Scale {
			scales[i] = fmt.Sprint(n)
		}
		fmt.Fprintf(w, "  %s: scale %s, %s %d..%d by ×%g then bisected to %g%%, each level up to %d times: at most %d probes per scale; early stop %s\n",
			r.Name, strings.Join(scales, ", "), s.Mode, s.From, s.Max, s.Growth, s.Resolution*100, s.Repeats, s.ProbeBound(), early)
		warnings = append(warnings, r.Probe(r.Scale[0], s.Max, 1).Warnings()...)
	}
	probes, wall := m.SearchBound(rescale)
	fmt.Fprintf(w, "  at most %d probes in all; worst-case wall time %s (every probe run to its end)\n", probes, fmtClock(wall))
	return warnings
}
