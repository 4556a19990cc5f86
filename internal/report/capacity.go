package report

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/matrix"
)

// capacity is the "Capacity at SLO" section: per run and scale, the
// highest load that met the matrix's SLO, its throughput, the lowest load
// that broke it (the bisection's uncertainty lies between them) and what
// the verdicts rest on.
func (m *md) capacity() {
	caps := analysis.SLOCapacities(m.set, m.st.Thresholds)
	if len(caps) == 0 {
		return
	}
	s := *m.set.Run.Matrix.SLO
	m.line("## Capacity at SLO")
	m.line("")
	m.line("SLO: %s, on the steady state of each cell.", s)
	m.line("")
	m.images(m.cs.SLO)
	m.line("| run | scale | capacity | throughput (rps) | broken at | uncertainty | levels | cells | notes |")
	m.line("|:---|---:|---:|---:|---:|---:|:---|---:|:---|")
	for _, c := range caps {
		u := levelUnit(c.Mode)
		capText, above, unc := "none", "–", "–"
		if c.Result.Capacity > 0 {
			capText = fmt.Sprintf("%d %s", c.Result.Capacity, u)
		}
		if c.Result.Above > 0 {
			above = fmt.Sprintf("%d %s", c.Result.Above, u)
		}
		if c.Result.Capacity > 0 && c.Result.Above > 0 {
			unc = "+" + pct(float64(c.Result.Above-c.Result.Capacity)/float64(c.Result.Capacity))
		}
		var levels []string
		for _, l := range c.Levels {
			mark := "✓"
			if !l.Verdict.Pass {
				mark = "✗"
			}
			if !l.Verdict.Clear {
				mark += "?"
			}
			levels = append(levels, fmt.Sprintf("%d%s", l.Level, mark))
		}
		m.line("| %s | %d | %s | %s | %s | %s | %s | %d | %s |", EscapeName(c.Title), c.Scale, capText, RPS(c.Throughput),
			above, unc, strings.Join(levels, " "), c.Result.Probes, capacityNotes(c))
	}
	m.line("")
	m.line("*How to read this:* ✓ met the SLO, ✗ broke it, ? not significantly (within two standard errors of a limit, after the repeat budget). " +
		"The capacity lies between the highest level met and the lowest level broken above it.")
	m.line("")
}

func levelUnit(mode matrix.Mode) string {
	if mode == matrix.Open {
		return "req/s"
	}
	return "users"
}

func capacityNotes(c analysis.SLOCapacity) string {
	var notes []string
	if c.Search {
		notes = append(notes, "searched")
	}
	if c.Result.MetNowhere {
		notes = append(notes, "met nowhere")
	}
	if c.Result.NeverBroken {
		notes = append(notes, "never broken")
	}
	if n := len(c.Result.Unsure); n > 0 {
		notes = append(notes, fmt.Sprintf("unsure at %s", joinInts(c.Result.Unsure)))
	}
	if len(c.Result.NonMonotone) > 0 {
		notes = append(notes, fmt.Sprintf("met again at %s", joinInts(c.Result.NonMonotone)))
	}
	if c.EarlyStopped > 0 {
		notes = append(notes, fmt.Sprintf("%d stopped early", c.EarlyStopped))
	}
	return strings.Join(notes, "; ")
}

// capacityConclusions are the sentences the capacities support: what each
// scale takes under the SLO and what each step of scale buys, a step
// counting as a gain only when the brackets do not overlap.
func capacityConclusions(caps []analysis.SLOCapacity, s matrix.SLO) []string {
	var out []string
	runs := map[string][]analysis.SLOCapacity{}
	var order []string
	for _, c := range caps {
		if _, ok := runs[c.Run]; !ok {
			order = append(order, c.Run)
		}
		runs[c.Run] = append(runs[c.Run], c)
	}
	for _, run := range order {
		out = append(out, runCapacitySentences(runs[run], s)...)
	}
	return out
}

func runCapacitySentences(caps []analysis.SLOCapacity, s matrix.SLO) []string {
	var out, takes, steps []string
	for i, c := range caps {
		u := levelUnit(c.Mode)
		r := c.Result
		switch {
		case r.MetNowhere || r.Capacity == 0:
			why := ""
			for _, l := range c.Levels {
				if l.Level == r.Above && len(l.Verdict.Broken) > 0 {
					why = " (" + l.Verdict.Broken[0] + ")"
				}
			}
			out = append(out, fmt.Sprintf("At scale %d the SLO (%s) is met nowhere: even %d %s, the lowest load tried, broke it%s.", c.Scale, s, r.Above, u, why))
			continue
		case r.NeverBroken || r.Above == 0:
			out = append(out, fmt.Sprintf("At scale %d no load broke the SLO up to %d %s, the highest tried: its capacity is above that (raise max to find it).", c.Scale, r.Capacity, u))
		}
		text := fmt.Sprintf("scale %d takes %d %s (%s rps)", c.Scale, r.Capacity, u, RPS(c.Throughput))
		if i > 0 && caps[i-1].Result.Capacity > 0 {
			p := caps[i-1]
			gain := float64(r.Capacity)/float64(p.Result.Capacity) - 1
			sig := capacityDiffers(p.Result.Capacity, p.Result.Above, r.Capacity, r.Above)
			text = fmt.Sprintf("scale %d takes %d (%s%s)", c.Scale, r.Capacity, signed(gain), map[bool]string{true: "", false: ", ~"}[sig])
			if !sig {
				steps = append(steps, fmt.Sprintf("%d→%d buys nothing under this SLO", p.Scale, c.Scale))
			}
		}
		takes = append(takes, text)
	}
	if len(takes) > 0 {
		line := fmt.Sprintf("With %s, %s", s, joinAnd(takes))
		if len(steps) > 0 {
			line += ": " + strings.Join(steps, "; ")
		}
		out = append([]string{line + "."}, out...)
	}
	for _, c := range caps {
		if n := len(c.Result.Unsure); n > 0 {
			out = append(out, fmt.Sprintf("At scale %d the verdict at %s %s stayed unsure after the repeat budget: the capacity there rests on estimates within noise of the limit.", c.Scale, joinInts(c.Result.Unsure), levelUnit(c.Mode)))
		}
		if len(c.Result.NonMonotone) > 0 {
			out = append(out, fmt.Sprintf("At scale %d the SLO held again at %s %s, above a load that broke it: the response is not monotone, and the capacity given is the load below the first break.", c.Scale, joinInts(c.Result.NonMonotone), levelUnit(c.Mode)))
		}
	}
	return out
}

// capacityDiffers says whether two capacity brackets [lo, hi) are apart:
// one's highest met level at or above the other's lowest broken level.
func capacityDiffers(lo1, hi1, lo2, hi2 int) bool {
	return (hi1 > 0 && lo2 >= hi1) || (hi2 > 0 && lo1 >= hi2)
}

func joinAnd(xs []string) string {
	if len(xs) <= 1 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// capacityBracket writes one side's capacity as its bracket with the
// throughput at its capacity: "[40, 42) users, 31 rps"; "[0, 5) users" when
// met nowhere, "≥ 80 users" when never broken.
func capacityBracket(c *analysis.SLOCapacity) string {
	if c == nil {
		return "–"
	}
	r, u := c.Result, levelUnit(c.Mode)
	switch {
	case r.Above == 0:
		return fmt.Sprintf("≥ %d %s, %s rps", r.Capacity, u, RPS(c.Throughput))
	case r.Capacity == 0:
		return fmt.Sprintf("[0, %d) %s", r.Above, u)
	}
	return fmt.Sprintf("[%d, %d) %s, %s rps", r.Capacity, r.Above, u, RPS(c.Throughput))
}

// capacityVs is a capacity change's "vs old" column: the change of the
// capacities when significant, else "~".
func capacityVs(c *analysis.CapacityChange) string {
	if !c.Significant {
		return "~"
	}
	return capacityDelta(c)
}

func capacityDelta(c *analysis.CapacityChange) string {
	return deltaText(&analysis.Change{Metric: analysis.MetricCapacity, Delta: c.Delta})
}

// capacityBasis is what a capacity change's verdict rests on.
func capacityBasis(c *analysis.CapacityChange) string {
	switch {
	case !c.Compared():
		return "not compared: " + c.NotCompared
	case c.Significant:
		return fmt.Sprintf("%d met in %s, %d broke in %s", c.Met, c.MetSide, c.Broke, c.BrokeSide)
	case c.Unsure:
		return "apart, but not by clear verdicts at two levels"
	}
	return "brackets overlap"
}

// capacityRows are the rows of the capacity comparison: run, scale, old and
// new brackets, the change and its basis.
func capacityRows(d *analysis.Diff) [][]string {
	var rows [][]string
	for i := range d.Capacity.Scales {
		c := &d.Capacity.Scales[i]
		vs := capacityVs(c)
		if !c.Compared() {
			vs = ""
		}
		rows = append(rows, []string{c.Run, fmt.Sprint(c.Scale), capacityBracket(c.Old), capacityBracket(c.New), vs, "(" + capacityBasis(c) + ")"})
	}
	return rows
}

// sloChangeText says that the two sets' SLOs differ.
func sloChangeText(cd *analysis.CapacityDiff) string {
	return fmt.Sprintf("the SLO differs (%s → %s), so the capacities are not compared", cmp.Or(cd.OldSLO, "none"), cmp.Or(cd.NewSLO, "none"))
}

// capacityReading explains the capacity comparison in one paragraph.
const capacityReading = "[met, broke): the highest load that met the SLO and the lowest above it that broke it. " +
	"A change counts only when the brackets are apart and two clear verdicts (each two standard errors from its limit) keep them apart: " +
	"one side met the SLO at a load above one where the other broke it; ~ otherwise."

// capacityVerdict adds the capacity changes to v: drops to Worse, rises to
// Better, the others to Same, pairs not compared (and a changed SLO) to
// Unknown.
func capacityVerdict(d *analysis.Diff, v *DiffVerdict) {
	cd := d.Capacity
	if cd == nil {
		return
	}
	if cd.SLOChanged {
		v.Unknown = append(v.Unknown, "capacity at SLO: "+sloChangeText(cd))
		return
	}
	var same []string
	for i := range cd.Scales {
		c := &cd.Scales[i]
		where := fmt.Sprintf("%s scale %d", c.Run, c.Scale)
		switch {
		case !c.Compared():
			v.Unknown = append(v.Unknown, fmt.Sprintf("capacity at SLO of %s: %s", c.Run, c.NotCompared))
		case c.Worse(), c.Better():
			phrase := fmt.Sprintf("capacity at SLO of %s (%d → %d %s, %s)", where, c.Old.Result.Capacity, c.New.Result.Capacity,
				levelUnit(c.Mode), capacityDelta(c))
			if c.Worse() {
				v.Worse = append(v.Worse, phrase)
			} else {
				v.Better = append(v.Better, phrase)
			}
		default:
			same = append(same, where)
		}
	}
	if len(same) > 0 {
		v.Same = append(v.Same, "capacity at SLO of "+joinAnd(same))
	}
}

// diffCapacityMarkdown is the diff page's "Capacity at SLO" section: the
// comparison table, or why there is none; nothing without an SLO.
func diffCapacityMarkdown(d *analysis.Diff, line func(string, ...any)) {
	cd := d.Capacity
	if cd == nil || (!cd.SLOChanged && len(cd.Scales) == 0) {
		return
	}
	line("## Capacity at SLO")
	line("")
	if cd.SLOChanged {
		line("%s.", capitalize(EscapeName(sloChangeText(cd))))
		line("")
		return
	}
	line("SLO: %s, on the steady state of each cell.", EscapeName(cd.NewSLO))
	line("")
	line("| run | scale | old | new | vs old | basis |")
	line("|:---|---:|---:|---:|---:|:---|")
	for _, r := range capacityRows(d) {
		line("| %s | %s | %s | %s | %s | %s |", EscapeName(r[0]), r[1], EscapeName(r[2]), EscapeName(r[3]), EscapeName(r[4]), EscapeName(strings.Trim(r[5], "()")))
	}
	line("")
	line("*How to read this:* %s", EscapeName(capacityReading))
	line("")
}
