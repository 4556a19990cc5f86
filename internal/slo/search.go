package slo

import (
	"math"
	"slices"

	"github.com/scalebench/scalebench/internal/matrix"
)

// Tried is one load level a search has run, with its verdict over the
// repeats run so far.
type Tried struct {
	Level   int
	Verdict Verdict
}

// Step is what a search does next: run Level once more as repeat Repeat
// (from 1), or stop when Done.
type Step struct {
	Level, Repeat int
	Done          bool
}

// Next is the search's next step at one scale, from the levels tried so far
// in the order they were first run: repeat the last level while its
// decision is not significant and the repeat budget allows; bracket from
// start by the growth factor until the SLO breaks or Max is reached (down
// to From when start already breaks it); then bisect geometrically until
// the bracket is within the resolution or one level wide. It is a pure
// function of history, so a resumed run replays the same probes.
func Next(s matrix.Search, start int, history []Tried) Step {
	if len(history) == 0 {
		return Step{Level: clamp(start, s.From, s.Max), Repeat: 1}
	}
	last := history[len(history)-1]
	if !decided(s, last.Verdict) {
		return Step{Level: last.Level, Repeat: last.Verdict.Repeats + 1}
	}
	lo, hi := Bracket(history)
	g := max(s.Growth, 1.01)
	switch {
	case hi == 0: // never broken yet
		if lo >= s.Max {
			return Step{Done: true}
		}
		return Step{Level: min(s.Max, max(lo+1, int(math.Round(float64(lo)*g)))), Repeat: 1}
	case lo == 0: // met nowhere yet
		if hi <= s.From {
			return Step{Done: true}
		}
		return Step{Level: max(s.From, min(hi-1, int(math.Round(float64(hi)/g)))), Repeat: 1}
	case hi-lo <= 1 || float64(hi)/float64(lo)-1 <= s.Resolution:
		return Step{Done: true}
	}
	mid := int(math.Round(math.Sqrt(float64(lo) * float64(hi))))
	return Step{Level: clamp(mid, lo+1, hi-1), Repeat: 1}
}

// decided says whether a level needs no further repeat: its verdict is
// significant, or the repeat budget is spent.
func decided(s matrix.Search, v Verdict) bool {
	return v.Clear || v.Repeats >= max(s.Repeats, 1)
}

// Bracket is the capacity the history shows: hi the lowest level that broke
// the SLO (0: none did), lo the highest level under hi that met it (0:
// none). A level whose decision stayed unsure counts by its estimate.
func Bracket(history []Tried) (lo, hi int) {
	for _, t := range history {
		if !t.Verdict.Pass && (hi == 0 || t.Level < hi) {
			hi = t.Level
		}
	}
	for _, t := range history {
		if t.Verdict.Pass && t.Level > lo && (hi == 0 || t.Level < hi) {
			lo = t.Level
		}
	}
	return lo, hi
}

// Result is one scale's answer.
type Result struct {
	// Capacity is the highest level that met the SLO below every level that
	// broke it (0 when none met it); Above is the lowest level that broke it
	// (0 when none did). The capacity lies in [Capacity, Above).
	Capacity, Above int
	// MetNowhere: even the lowest level tried (From) broke the SLO.
	// NeverBroken: Max met it.
	MetNowhere, NeverBroken bool
	// Unsure lists levels whose decision was not significant when the
	// repeat budget was spent (they count by their estimate).
	Unsure []int
	// NonMonotone lists levels that met the SLO above one that broke it.
	NonMonotone []int
	// Probes is the number of cells the search ran.
	Probes int
}

// Summarize turns a finished search's history into its result.
func Summarize(s matrix.Search, history []Tried) Result {
	var r Result
	r.Capacity, r.Above = Bracket(history)
	for _, t := range history {
		r.Probes += t.Verdict.Repeats
		if !t.Verdict.Clear && !slices.Contains(r.Unsure, t.Level) {
			r.Unsure = append(r.Unsure, t.Level)
		}
		if t.Verdict.Pass && r.Above > 0 && t.Level > r.Above {
			r.NonMonotone = append(r.NonMonotone, t.Level)
		}
	}
	r.MetNowhere = r.Capacity == 0 && r.Above > 0 && r.Above <= s.From
	r.NeverBroken = r.Above == 0 && r.Capacity >= s.Max
	return r
}

func clamp(x, lo, hi int) int { return max(lo, min(hi, x)) }
