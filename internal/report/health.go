package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/plots"
)

// health is a run's memory and container health: the memory chart of its
// heaviest cell, the peak memory per service and scale, the containers that
// restarted or died and the leak suspects, with the memory charts of the
// cells concerned.
func (m *md) health(run *analysis.Run) {
	if ch := m.cs.Memory[run.Heaviest]; ch != nil {
		m.line("Memory per container of the heaviest cell, `%s`:", strings.ReplaceAll(run.Heaviest, "`", "'"))
		m.line("")
		m.images(ch)
	}
	m.memoryTable(run)
	var died, leaks []analysis.Flag
	for _, f := range m.st.Flags {
		if f.Run != run.Name {
			continue
		}
		switch f.Kind {
		case analysis.FlagReplicaDied:
			died = append(died, f)
		case analysis.FlagLeak:
			leaks = append(leaks, f)
		}
	}
	if len(died) > 0 {
		m.line("Containers that restarted or died (those cells' numbers are kept in their levels, marked here):")
		m.line("")
		m.line("| cell | container | what happened | at |")
		m.line("|:---|:---|:---|---:|")
		for _, f := range died {
			at := "–"
			if f.Death.Timed {
				at = offset(f.Death.At)
			}
			m.line("| %s | %s | %s | %s |", EscapeName(f.Cell), EscapeName(f.Service+"/"+f.Container), deathText(f.Death), at)
		}
		m.line("")
	}
	if len(leaks) > 0 {
		m.line("Leak suspects: memory that rose steadily during the load (least-squares line over the samples during the load):")
		m.line("")
		m.line("| cell | container | memory (fitted) | rise | R² |")
		m.line("|:---|:---|:---|---:|---:|")
		for _, f := range leaks {
			tr := f.Trend
			m.line("| %s | %s | %s→%s over %s | %s | %.2f |", EscapeName(f.Cell), EscapeName(f.Service+"/"+f.Container),
				mibNum(tr.From), mib(tr.To), span(tr.Window.Round(1e9)), mibRate(tr.Slope), tr.R2)
		}
		m.line("")
	}
	var flagged []string
	for _, f := range append(died, leaks...) {
		if f.Cell != run.Heaviest && m.cs.Memory[f.Cell] != nil && !slices.Contains(flagged, f.Cell) {
			flagged = append(flagged, f.Cell)
		}
	}
	slices.Sort(flagged)
	if len(flagged) > 0 {
		m.line("Memory per container of %s:", list(codeIDs(flagged)))
		m.line("")
		var charts []*plots.Chart
		for _, id := range flagged {
			charts = append(charts, m.cs.Memory[id])
		}
		m.images(charts...)
	}
}

// memoryTable is the peak memory of each service at each of the run's
// scales, over all its levels: one container's peak, then all the
// service's containers together when it had several.
func (m *md) memoryTable(run *analysis.Run) {
	type peak struct{ one, total, containers int64 }
	peaks := map[string]map[int]peak{}
	limits := map[string]int64{}
	var services []string
	for _, lv := range run.Levels {
		for _, s := range lv.Memory {
			if peaks[s.Service] == nil {
				peaks[s.Service] = map[int]peak{}
				services = append(services, s.Service)
			}
			p := peaks[s.Service][lv.Scale]
			peaks[s.Service][lv.Scale] = peak{max(p.one, s.Peak), max(p.total, s.PeakTotal), max(p.containers, int64(s.Containers))}
			limits[s.Service] = max(limits[s.Service], s.Limit)
		}
	}
	if len(services) == 0 {
		return
	}
	slices.SortFunc(services, func(x, y string) int {
		// The scaled service first, then by name, as in the charts.
		switch {
		case x == y:
			return 0
		case x == m.st.Scaled:
			return -1
		case y == m.st.Scaled:
			return 1
		}
		return cmp.Compare(x, y)
	})
	m.line("Peak memory during the load, MiB, over every level of a scale: one container · all the service's containers together (when several):")
	m.line("")
	var head, rule strings.Builder
	head.WriteString("| service |")
	rule.WriteString("|:---|")
	for _, s := range run.Scales {
		fmt.Fprintf(&head, " scale %d |", s)
		rule.WriteString("---:|")
	}
	m.line("%s limit per container |", head.String())
	m.line("%s:---|", rule.String())
	for _, name := range services {
		var row strings.Builder
		fmt.Fprintf(&row, "| %s |", EscapeName(name))
		for _, s := range run.Scales {
			p, ok := peaks[name][s]
			switch {
			case !ok:
				row.WriteString(" – |")
			case p.containers > 1:
				fmt.Fprintf(&row, " %s · %s |", mibNum(p.one), mibNum(p.total))
			default:
				fmt.Fprintf(&row, " %s |", mibNum(p.one))
			}
		}
		limit := "none"
		if l := limits[name]; l > 0 {
			limit = mib(l)
		}
		m.line("%s %s |", row.String(), limit)
	}
	m.line("")
}

// deathText says what happened to a container: "restarted 2×, exit 137,
// OOM-killed", "died and did not come back, exit 1".
func deathText(d *analysis.Death) string {
	var parts []string
	switch {
	case d.Restarts > 1:
		parts = append(parts, fmt.Sprintf("restarted %d×", d.Restarts))
	case d.Restarts == 1:
		parts = append(parts, "restarted")
	case d.Gone:
		parts = append(parts, "died and did not come back")
	case d.Dies > 0:
		parts = append(parts, "died")
	}
	if d.Dies > 0 {
		parts = append(parts, fmt.Sprintf("exit %d", d.ExitCode))
	}
	if d.OOMKilled {
		parts = append(parts, "OOM-killed")
	}
	return strings.Join(parts, ", ")
}

// codeIDs puts cell ids in code spans.
func codeIDs(ids []string) []string {
	var out []string
	for _, id := range ids {
		out = append(out, "`"+strings.ReplaceAll(id, "`", "'")+"`")
	}
	return out
}

// mibNum formats a size in bytes as MiB without the unit: "421", "12",
// "3.5".
func mibNum(b int64) string {
	x := float64(b) / analysis.MiB
	if x < 10 {
		return fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("%.0f", x)
}

// mib formats a size in bytes: "421 MiB", "3.5 MiB", "2.0 GiB".
func mib(b int64) string {
	if b >= 1024*analysis.MiB {
		return fmt.Sprintf("%.1f GiB", float64(b)/(1024*analysis.MiB))
	}
	return mibNum(b) + " MiB"
}

// mibRate formats a rise in bytes/s: "+1.2 MiB/s", "+0.35 MiB/s",
// "+60 KiB/s".
func mibRate(perSecond float64) string {
	x := perSecond / analysis.MiB
	switch {
	case x >= 10:
		return fmt.Sprintf("%+.0f MiB/s", x)
	case x >= 1:
		return fmt.Sprintf("%+.1f MiB/s", x)
	case x >= 0.1:
		return fmt.Sprintf("%+.2f MiB/s", x)
	}
	return fmt.Sprintf("%+.0f KiB/s", perSecond/1024)
}
