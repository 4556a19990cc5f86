package report

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/scalebench/scalebench/internal/analysis"
)

// DiffText is the diff as aligned plain text for a terminal, in the manner
// of benchstat: the two sets, a short verdict, warnings, the peak
// throughput and knee of every scale, then one table per metric with old,
// new, the change ("~" when not significant at α) and the test behind it,
// and the footnotes the tables refer to.
func DiffText(d *analysis.Diff) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old: %s\n", sideText(d.Old))
	fmt.Fprintf(&b, "new: %s\n\n", sideText(d.New))

	v := Verdict(d)
	var verdict [][]string
	for _, part := range []struct {
		label string
		items []string
		none  string
	}{{"worse:", v.Worse, "nothing significant"}, {"better:", v.Better, "nothing significant"}, {"no change:", v.Same, "nothing"},
		{"not compared:", v.Unknown, ""}} {
		if len(part.items) == 0 && part.none == "" {
			continue
		}
		if len(part.items) == 0 {
			part.items = []string{part.none}
		}
		for i, item := range part.items {
			label := part.label
			if i > 0 {
				label = ""
			}
			verdict = append(verdict, []string{label, item})
		}
	}
	writeTable(&b, "", nil, verdict, "ll")
	b.WriteByte('\n')

	if warn := diffWarnings(d); len(warn) > 0 {
		b.WriteString("warnings:\n")
		for _, w := range warn {
			fmt.Fprintf(&b, "  %s\n", w)
		}
		b.WriteByte('\n')
	}
	u := loadUnit(d)
	if rows := scaleRows(d); len(rows) > 0 {
		writeTable(&b, "peak throughput per scale (successful req/s, steady state)",
			[]string{"scale", "old", "new", "vs old", "", "knee (" + u + ")"}, rows, "lrrrll")
		b.WriteByte('\n')
	}
	if cd := d.Capacity; cd != nil && cd.SLOChanged {
		fmt.Fprintf(&b, "capacity at SLO: %s\n\n", sloChangeText(cd))
	} else if cd != nil && len(cd.Scales) > 0 {
		writeTable(&b, fmt.Sprintf("capacity at SLO (%s), per run and scale", cd.NewSLO),
			[]string{"run", "scale", "old", "new", "vs old", ""}, capacityRows(d), "lrrrrl")
		b.WriteString(capacityReading + "\n\n")
	}
	if len(d.Cells) == 0 {
		b.WriteString("no cell was measured on both sides: nothing to compare\n")
	}
	for _, m := range analysis.CellMetrics() {
		if len(d.Cells) == 0 {
			break
		}
		if m == analysis.MetricFailures && noFailures(d) {
			fmt.Fprintf(&b, "%s: none in any cell on either side\n\n", metricTitle(m))
			continue
		}
		var rows [][]string
		for i := range d.Cells {
			c := &d.Cells[i]
			ch := c.Change(m)
			rows = append(rows, []string{c.Key, valueText(m, ch.Old), valueText(m, ch.New), vsText(ch), "(" + testText(ch) + ")" + mark(ch)})
		}
		writeTable(&b, metricTitle(m), []string{"cell", "old", "new", "vs old", ""}, rows, "lrrrl")
		b.WriteByte('\n')
	}
	for _, f := range footnotes(d) {
		b.WriteString(f)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func orNothing(items []string, none string) string {
	if len(items) == 0 {
		return none
	}
	return strings.Join(items, "; ")
}

// diffWarnings are the setup differences, the one-sided cells and the
// other warnings, as lines.
func diffWarnings(d *analysis.Diff) []string {
	var out []string
	for _, s := range d.Setup {
		out = append(out, "setup: "+setupText(s))
	}
	if len(d.OnlyOld) > 0 {
		out = append(out, fmt.Sprintf("only in old (%d): %s", len(d.OnlyOld), strings.Join(d.OnlyOld, ", ")))
	}
	if len(d.OnlyNew) > 0 {
		out = append(out, fmt.Sprintf("only in new (%d): %s", len(d.OnlyNew), strings.Join(d.OnlyNew, ", ")))
	}
	for _, s := range d.Scales {
		switch {
		case !s.InNew:
			out = append(out, fmt.Sprintf("scale %d was measured in old only", s.Scale))
		case !s.InOld:
			out = append(out, fmt.Sprintf("scale %d was measured in new only", s.Scale))
		}
	}
	return append(out, d.Warnings...)
}

// scaleRows are the rows of the per-scale table: peak throughput with the
// load it was reached at, its change and test, the knee.
func scaleRows(d *analysis.Diff) [][]string {
	var rows [][]string
	for i := range d.Scales {
		s := &d.Scales[i]
		if !s.InOld || !s.InNew {
			continue
		}
		p := &s.Peak
		rows = append(rows, []string{
			fmt.Sprint(s.Scale),
			fmt.Sprintf("%s @ %s", RPS(p.Old), num(s.PeakLoadOld)),
			fmt.Sprintf("%s @ %s", RPS(p.New), num(s.PeakLoadNew)),
			vsText(p),
			"(" + testText(p) + ")" + mark(p),
			kneeText(s.KneeOld, s.SaturatedOld) + " → " + kneeText(s.KneeNew, s.SaturatedNew),
		})
	}
	return rows
}

// writeTable writes rows under an optional title and header, columns
// separated by two spaces, aligned left (l) or right (r) by align; widths
// count runes, so "−" and "→" take one column.
func writeTable(b *bytes.Buffer, title string, head []string, rows [][]string, align string) {
	if title != "" {
		b.WriteString(title)
		b.WriteByte('\n')
	}
	all := rows
	if head != nil {
		all = append([][]string{head}, rows...)
	}
	widths := make([]int, len(align))
	for _, r := range all {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range all {
		var line strings.Builder
		for i, c := range r {
			if i > 0 {
				line.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if align[i] == 'r' {
				line.WriteString(pad + c)
			} else {
				line.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
}

// noFailures reports that no matched cell failed a request on either side.
func noFailures(d *analysis.Diff) bool {
	for i := range d.Cells {
		if ch := d.Cells[i].Change(analysis.MetricFailures); ch.Old != 0 || ch.New != 0 {
			return false
		}
	}
	return true
}
