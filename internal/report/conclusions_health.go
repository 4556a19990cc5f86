package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/scalebench/scalebench/internal/analysis"
)

// health says which containers restarted or died and whose memory rose
// steadily, one sentence per service and kind, the cells named.
func (w *writer) health() {
	died, leaks := map[string][]analysis.Flag{}, map[string][]analysis.Flag{}
	var diedOrder, leakOrder []string
	for _, f := range w.st.Flags {
		switch f.Kind {
		case analysis.FlagReplicaDied:
			if died[f.Service] == nil {
				diedOrder = append(diedOrder, f.Service)
			}
			died[f.Service] = append(died[f.Service], f)
		case analysis.FlagLeak:
			if leaks[f.Service] == nil {
				leakOrder = append(leakOrder, f.Service)
			}
			leaks[f.Service] = append(leaks[f.Service], f)
		}
	}
	for _, s := range diedOrder {
		w.died(s, died[s])
	}
	for _, s := range leakOrder {
		w.leak(s, leaks[s])
	}
}

// died writes the deaths of one service's containers: "A model replica
// restarted during run1-s5-u24-r1 (exit 137, OOM-killed): that cell's
// numbers are marked." A container of the scaled service is a replica.
func (w *writer) died(service string, fs []analysis.Flag) {
	name := w.esc(service)
	one, many := name+" container", "Containers of "+name
	if service == w.st.Scaled {
		one, many = name+" replica", capitalize(name)+" replicas"
	}
	if len(fs) == 1 {
		f := fs[0]
		verb, why := deathWords(f.Death)
		if why != "" {
			why = " (" + why + ")"
		}
		w.add("%s %s %s during %s%s: that cell's numbers are marked.", article(name), one, verb, w.esc(f.Cell), why)
		return
	}
	var cells, each []string
	for _, f := range fs {
		if !slices.Contains(cells, f.Cell) {
			cells = append(cells, f.Cell)
		}
		verb, why := deathWords(f.Death)
		if why != "" {
			verb += ", " + why
		}
		each = append(each, fmt.Sprintf("%s in %s (%s)", w.esc(f.Container), w.esc(f.Cell), verb))
	}
	w.add("%s restarted or died %d times in %d %s: %s; %s numbers are marked.",
		many, len(fs), len(cells), plural(len(cells), "cell"), list(clipList(each, 5)),
		map[bool]string{true: "that cell's", false: "those cells'"}[len(cells) == 1])
}

// deathWords are a death's verb ("restarted", "died and did not come
// back", "was OOM-killed") and its circumstances ("exit 137, OOM-killed").
func deathWords(d *analysis.Death) (verb, why string) {
	var whys []string
	if d.Dies > 0 {
		whys = append(whys, fmt.Sprintf("exit %d", d.ExitCode))
	}
	switch {
	case d.Restarts > 1:
		verb = fmt.Sprintf("restarted %d times", d.Restarts)
	case d.Restarts == 1:
		verb = "restarted"
	case d.Gone:
		verb = "died and did not come back"
	case d.Dies > 0:
		verb = "died"
	default:
		return "was OOM-killed", strings.Join(whys, ", ")
	}
	if d.OOMKilled {
		whys = append(whys, "OOM-killed")
	}
	return verb, strings.Join(whys, ", ")
}

// leak writes one service's leak suspects: "Memory of api rose steadily
// during run1-s3-u24-r1 (+1.2 MiB/s, 38→74 MiB over 30 s): a leak
// suspect." With several cells it names them and the steepest rise.
func (w *writer) leak(service string, fs []analysis.Flag) {
	steep := fs[0]
	var cells []string
	for _, f := range fs {
		if f.Slope > steep.Slope {
			steep = f
		}
		if !slices.Contains(cells, f.Cell) {
			cells = append(cells, f.Cell)
		}
	}
	for i := range cells {
		cells[i] = w.esc(cells[i])
	}
	who := w.esc(service)
	tr := steep.Trend
	if tr.Siblings > 1 {
		who += " container " + w.esc(steep.Container)
	}
	numbers := fmt.Sprintf("%s, %s→%s over %s", mibRate(tr.Slope), mibNum(tr.From), mib(tr.To), span(tr.Window.Round(1e9)))
	if len(fs) == 1 {
		w.add("Memory of %s rose steadily during %s (%s): a leak suspect.", who, w.esc(steep.Cell), numbers)
		return
	}
	w.add("Memory of %s rose steadily in %d %s (%s; steepest in %s: %s): a leak suspect.",
		w.esc(service), len(cells), plural(len(cells), "cell"), list(clipList(cells, 5)), w.esc(steep.Cell), numbers)
}

// article is "A" or "An" for a name read aloud.
func article(name string) string {
	if name != "" && strings.ContainsRune("aeiouAEIOU", rune(name[0])) {
		return "An"
	}
	return "A"
}

// clipList keeps the first n items and counts the rest: "… and 3 more".
func clipList(items []string, n int) []string {
	if len(items) <= n {
		return items
	}
	return append(items[:n:n], fmt.Sprintf("%d more", len(items)-n))
}
