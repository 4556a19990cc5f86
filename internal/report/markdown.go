package report

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/plots"
	"github.com/scalebench/scalebench/internal/results"
)

// ChartsDir is the folder, relative to the report, holding the charts.
const ChartsDir = "charts"

// Markdown is the report of a study as GitHub-flavoured Markdown:
// conclusions, warnings, the summary grid, scaling across scales, per run
// and per scale the charts and endpoint tables, then the environment.
// Charts are referenced as charts/<file>; cs may be nil (no charts).
func Markdown(set *results.Set, st *analysis.Study, cs *plots.Charts) []byte {
	if cs == nil {
		cs = &plots.Charts{}
	}
	m := &md{set: set, st: st, cs: cs}
	m.header()
	m.conclusions()
	m.warnings()
	m.summary()
	m.scaling()
	m.capacity()
	for i := range st.Runs {
		m.run(&st.Runs[i])
	}
	m.environment()
	return m.b.Bytes()
}

type md struct {
	b   bytes.Buffer
	set *results.Set
	st  *analysis.Study
	cs  *plots.Charts
}

func (m *md) p(format string, args ...any) { fmt.Fprintf(&m.b, format, args...) }

func (m *md) line(format string, args ...any) {
	fmt.Fprintf(&m.b, format, args...)
	m.b.WriteByte('\n')
}

// image writes a chart reference, or nothing for a missing chart.
func (m *md) image(c *plots.Chart) {
	if c == nil {
		return
	}
	m.line("![%s](%s/%s)", EscapeName(c.Title), ChartsDir, c.File)
}

// images writes charts side by side (one paragraph).
func (m *md) images(cs ...*plots.Chart) {
	n := 0
	for _, c := range cs {
		if c != nil {
			m.image(c)
			n++
		}
	}
	if n > 0 {
		m.line("")
	}
}

func (m *md) header() {
	run := &m.set.Run
	title := cmp.Or(run.Matrix.Name, run.ID, "scalebench report")
	m.line("# %s", EscapeName(title))
	m.line("")
	var facts []string
	if run.ID != "" {
		facts = append(facts, "run `"+strings.ReplaceAll(run.ID, "`", "'")+"`")
	}
	if run.App.Short != "" {
		c := "commit " + EscapeName(run.App.Short)
		if run.App.Dirty {
			c += " (dirty)"
		}
		facts = append(facts, c)
	}
	if m.st.Scaled != "" {
		facts = append(facts, "scaling "+EscapeName(m.st.Scaled))
	}
	facts = append(facts, fmt.Sprintf("%d of %d cells", m.st.Finished, m.st.Planned))
	if !run.Started.IsZero() {
		facts = append(facts, run.Started.UTC().Format("2006-01-02 15:04 UTC"))
	}
	m.line("%s", strings.Join(facts, " · "))
	m.line("")
}

func (m *md) conclusions() {
	m.line("## Conclusions")
	m.line("")
	for _, s := range conclusions(m.st, EscapeName) {
		m.line("- %s", s)
	}
	if slo := m.set.Run.Matrix.SLO; slo != nil {
		for _, s := range capacityConclusions(analysis.SLOCapacities(m.set, m.st.Thresholds), *slo) {
			m.line("- %s", s) // numbers and the SLO only: nothing to escape
		}
	}
	m.line("")
	th := m.st.Thresholds
	m.line("*How to read this:* throughput is the steady-state rate of successful requests (ramp and warm-up excluded; failed requests are not work done). "+
		"A scale's capacity is the mean over its plateau, the %s levels from the knee on within %s of the best mark; "+
		"gains between scales are tested with a Mann–Whitney U test at α=%g, over per-cell rates when a level has %d or more repeats "+
		"and over per-second rates otherwise; ~ marks a difference that is not significant. "+
		"A knee is the level beyond which throughput gains less than %s (or not significantly) while p95 grows more than %s. "+
		"Failure rates count whole cells, as Locust does.",
		unit(m.st), pct(th.MinGain), th.Alpha, th.MinRepeats, pct(th.MinGain), factor(th.LatencyGrowth))
	m.line("")
}

func (m *md) warnings() {
	if len(m.st.Warnings) == 0 {
		return
	}
	m.line("## Warnings")
	m.line("")
	for _, w := range m.st.Warnings {
		m.line("- %s", Escape(clip(w, 600)))
	}
	m.line("")
}

// summary is the grid of every run: scale × load, each cell holding the
// steady-state throughput, p50, p95 and the failure rate, with the best
// mark (★), the knee (◆) and the failure onset (!) of each scale marked.
func (m *md) summary() {
	if len(m.st.Runs) == 0 {
		return
	}
	m.line("## Summary")
	m.line("")
	m.line("Each cell: steady-state throughput of successful requests (req/s) · p50 · p95 · failures. ★ best mark, ◆ knee, ! failures start (per scale, all runs pooled), † limited by the load generator.")
	m.line("")
	u := unit(m.st)
	for i := range m.st.Runs {
		run := &m.st.Runs[i]
		var head, rule strings.Builder
		fmt.Fprintf(&head, "| %s: scale \\ %s |", EscapeName(run.Title), u)
		rule.WriteString("|:---|")
		for _, load := range run.Loads {
			fmt.Fprintf(&head, " %s |", num(load))
			rule.WriteString(":---|")
		}
		m.line("%s", head.String())
		m.line("%s", rule.String())
		for _, scale := range run.Scales {
			var row strings.Builder
			fmt.Fprintf(&row, "| **%d** |", scale)
			for _, load := range run.Loads {
				lv := run.Level(scale, load)
				if lv == nil {
					fmt.Fprintf(&row, " %s |", m.missing(run.Name, scale, load))
					continue
				}
				fmt.Fprintf(&row, " **%s** · %s · %s · %s%s |", RPS(lv.RPS), dur(lv.P50), dur(lv.P95), pct(lv.FailRate), m.marks(lv))
			}
			m.line("%s", row.String())
		}
		m.line("")
	}
}

// missing says why a grid cell has no numbers: its cells' statuses
// ("*failed*", "*degraded*", "*aborted*"), or "not run".
func (m *md) missing(run string, scale int, load float64) string {
	var states []results.CellStatus
	for i := range m.set.Cells {
		c := &m.set.Cells[i]
		if c.Cell.Run == run && c.Cell.Scale == scale && analysis.LoadOf(&c.Cell) == load && !slices.Contains(states, c.Status) {
			states = append(states, c.Status)
		}
	}
	if len(states) == 0 {
		return "not run"
	}
	slices.Sort(states)
	names := make([]string, len(states))
	for i, st := range states {
		names[i] = string(st)
	}
	return "*" + EscapeName(strings.Join(names, ", ")) + "*"
}

// marks are the symbols of a level in the summary grid.
func (m *md) marks(lv *analysis.Level) string {
	var b strings.Builder
	for _, s := range m.st.Scales {
		if s.Scale != lv.Scale {
			continue
		}
		if s.PeakLevel().Load == lv.Load {
			b.WriteString(" ★")
		}
		if s.Knee >= 0 && s.Levels[s.Knee].Load == lv.Load {
			b.WriteString(" ◆")
		}
		if s.FailureOnset >= 0 && s.Levels[s.FailureOnset].Load == lv.Load {
			b.WriteString(" !")
		}
	}
	if lv.GeneratorBound {
		b.WriteString(" †")
	}
	return b.String()
}

// levels is a run's detailed level table: throughput with its interval,
// latency percentiles, failures and notes.
func (m *md) levels(run *analysis.Run) {
	u := unit(m.st)
	m.line("Levels of %s (steady state; ±95%% is the half-width of the throughput's confidence interval):", EscapeName(run.Title))
	m.line("")
	m.line("| scale | %s | rps (ok) | ±95%% | rps (all) | p50 | p95 | p99 | max | failures | samples | note |", u)
	m.line("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---|:---|")
	for _, scale := range run.Scales {
		for _, load := range run.Loads {
			lv := run.Level(scale, load)
			if lv == nil {
				continue
			}
			m.line("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d %s | %s |", scale, num(load), RPS(lv.RPS), RPS(lv.RPSHalfWidth),
				RPS(lv.AllRPS), dur(lv.P50), dur(lv.P95), dur(lv.P99), dur(lv.Max), pct(lv.FailRate), len(lv.Samples), lv.SampleKind, m.note(lv))
		}
	}
	m.line("")
}

// note marks a level as a best mark, knee or failure onset of its scale.
func (m *md) note(lv *analysis.Level) string {
	var notes []string
	for _, s := range m.st.Scales {
		if s.Scale != lv.Scale {
			continue
		}
		if s.PeakLevel().Load == lv.Load {
			notes = append(notes, "best mark")
		}
		if s.Knee >= 0 && s.Levels[s.Knee].Load == lv.Load {
			notes = append(notes, "knee")
		}
		if s.FailureOnset >= 0 && s.Levels[s.FailureOnset].Load == lv.Load {
			notes = append(notes, "failures start")
		}
	}
	if lv.GeneratorBound {
		notes = append(notes, "generator-bound")
	}
	if len(lv.Runs) > 0 && len(lv.Cells) > 1 {
		notes = append(notes, fmt.Sprintf("%d cells", len(lv.Cells)))
	}
	return strings.Join(notes, ", ")
}

func (m *md) scaling() {
	st := m.st
	if len(st.Scales) == 0 {
		return
	}
	m.line("## Scaling %s", EscapeName(cmp.Or(st.Scaled, "the service")))
	m.line("")
	m.images(m.cs.Scaling)
	u := unit(st)
	m.line("| scale | capacity (rps) | ±95%% | best mark (rps) | reached at | speedup | efficiency | knee | p50 growth | p95 growth | busiest service at the peak |")
	m.line("|---:|---:|---:|---:|:---|---:|---:|---:|---:|---:|:---|")
	for _, s := range st.Scales {
		p := s.PeakLevel()
		knee := "none"
		if s.Knee >= 0 {
			knee = num(s.Levels[s.Knee].Load) + " " + u
		} else if !s.Saturated {
			knee = "not reached"
		}
		busy := "–"
		if len(p.Services) > 0 {
			busy = EscapeName(p.Services[0].Service) + " " + cpuText(p.Services[0])
		}
		var runs []string
		for _, r := range p.Runs {
			runs = append(runs, EscapeName(m.runTitle(r)))
		}
		m.line("| %d | %s | %s | %s | %s %s (%s) | %s | %s | %s | %s | %s | %s |", s.Scale, RPS(s.Capacity.RPS), RPS(s.Capacity.HalfWidth),
			RPS(p.RPS), num(p.Load), u, strings.Join(runs, ", "), factor(s.Speedup), pct(s.Efficiency), knee,
			factor(s.P50Growth), factor(s.P95Growth), busy)
	}
	m.line("")
	if len(st.Steps) > 0 {
		m.line("| step | capacity (rps) | gain | 95%% CI | test | verdict | limit at the higher scale |")
		m.line("|:---|---:|---:|:---|:---|:---|:---|")
		for _, s := range st.Steps {
			sig := pvalue(s.P)
			if !s.Significant {
				sig += " ~"
			}
			bn := m.limitName(s.ToLimit)
			m.line("| %d→%d | %s→%s | %s | %s…%s | %s, %d vs %d %s | %s | %s |", s.From, s.To, RPS(s.FromRPS), RPS(s.ToRPS),
				signed(s.Gain), signed(s.GainLow), signed(s.GainHigh), sig, s.NFrom, s.NTo, s.Samples, s.Verdict, bn)
		}
		m.line("")
	}
	if u := st.USL; u != nil {
		best := "none (κ=0)"
		if u.BestScale < 1e9 {
			best = fmt.Sprintf("%.1f replicas, %s rps", u.BestScale, RPS(u.BestRPS))
		}
		m.line("Universal Scalability Law: X(N) = λN / (1 + σ(N−1) + κN(N−1)) with λ=%s rps, σ=%.4f, κ=%.5f; predicted best %s; RMS relative residual %s over %d scales%s.",
			RPS(u.Lambda), u.Sigma, u.Kappa, best, pct(u.RMSRel), u.Points, map[bool]string{true: " (indicative only)", false: ""}[u.Indicative])
		m.line("")
	}
	m.limits()
}

func (m *md) runTitle(name string) string {
	for _, r := range m.st.Runs {
		if r.Name == name {
			return r.Title
		}
	}
	return name
}

func (m *md) run(run *analysis.Run) {
	m.line("## %s", EscapeName(run.Title))
	m.line("")
	u := unit(m.st)
	m.line("Run `%s`: scales %s × %s %s, %s per cell.", strings.ReplaceAll(run.Name, "`", "'"), list(intStrings(run.Scales)), list(floatStrings(run.Loads)), u, span(run.Duration))
	m.line("")
	if rc := m.cs.Run(run.Name); rc != nil {
		m.images(rc.RPS, rc.P95)
		m.images(rc.Failures, rc.Percentiles)
		if rc.CPU != nil {
			if c := m.set.Cell(run.Heaviest); c != nil {
				m.line("Container CPU of the heaviest cell, `%s`:", strings.ReplaceAll(c.Cell.ID, "`", "'"))
				m.line("")
			}
			m.images(rc.CPU)
		}
	}
	m.health(run)
	m.levels(run)
	for _, scale := range run.Scales {
		m.scale(run, scale)
	}
}

// cellsOf returns the run's cells at scale, in the set's order.
func (m *md) cellsOf(run string, scale int) []*results.Cell {
	var out []*results.Cell
	for i := range m.set.Cells {
		c := &m.set.Cells[i]
		if c.Cell.Run == run && c.Cell.Scale == scale {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b *results.Cell) int {
		return cmp.Or(cmp.Compare(analysis.LoadOf(&a.Cell), analysis.LoadOf(&b.Cell)), cmp.Compare(a.Cell.Repeat, b.Cell.Repeat))
	})
	return out
}

func (m *md) scale(run *analysis.Run, scale int) {
	cells := m.cellsOf(run.Name, scale)
	if len(cells) == 0 {
		return
	}
	m.line("### %s, scale %d", EscapeName(run.Title), scale)
	m.line("")
	u := unit(m.st)
	m.line("| %s | endpoint | requests | fails | median | p90 | p95 | p99 | max | rps |", u)
	m.line("|---:|:---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, c := range cells {
		level := num(analysis.LoadOf(&c.Cell))
		if c.Cell.Repeat > 1 {
			level += fmt.Sprintf(" (r%d)", c.Cell.Repeat)
		}
		if c.Load == nil {
			m.line("| %s | %s |  |  |  |  |  |  |  |  |", level, "*"+EscapeName(string(c.Status))+"*")
			continue
		}
		for _, ep := range c.Load.Endpoints {
			m.statsRow(level, EscapeName(ep.Method+" "+ep.Name), ep.Total)
		}
		m.statsRow(level, "**all**", c.Load.Total)
	}
	m.line("")
	m.line("Whole cells, ramp and warm-up included, as Locust's statistics table counts them (the summary above is steady-state).")
	m.line("")
	m.errors(cells)
	m.agents(cells)
	var charts []*plots.Chart
	for _, c := range cells {
		if ch := m.cs.Cells[c.Cell.ID]; ch != nil {
			charts = append(charts, ch)
		}
	}
	m.images(charts...)
}

func (m *md) statsRow(level, name string, s results.Stats) {
	l := s.Latency
	m.line("| %s | %s | %d | %d | %s | %s | %s | %s | %s | %s |", level, name, s.Requests, s.Failures,
		dur(l.P50), dur(l.P90), dur(l.P95), dur(l.P99), dur(l.Max), RPS(s.RPS))
}

// errors lists the cells' error groups and cell errors; all their text
// comes from outside and is escaped.
func (m *md) errors(cells []*results.Cell) {
	type row struct {
		cell string
		e    results.ErrorGroup
	}
	var rows []row
	var broken []*results.Cell
	for _, c := range cells {
		if c.Error != "" || c.Status != results.CellOK {
			broken = append(broken, c)
		}
		if c.Load != nil {
			for _, e := range c.Load.Errors {
				rows = append(rows, row{c.Cell.ID, e})
			}
		}
	}
	for _, c := range broken {
		m.line("Cell `%s` %s: %s", strings.ReplaceAll(c.Cell.ID, "`", "'"), EscapeName(string(cmp.Or(c.Status, "unknown"))), codeSpan(clip(cmp.Or(c.Error, "no reason recorded"), 600)))
		m.line("")
	}
	if len(rows) == 0 {
		return
	}
	m.line("| cell | endpoint | class | message | count | first | last | sample |")
	m.line("|:---|:---|:---|:---|---:|---:|---:|:---|")
	for _, r := range rows {
		m.line("| %s | %s | %s | %s | %d | %s | %s | %s |", EscapeName(r.cell), EscapeName(r.e.Method+" "+r.e.Endpoint), EscapeName(string(r.e.Class)),
			codeSpan(clip(r.e.Message, 300)), r.e.Count, offset(r.e.First), offset(r.e.Last), codeSpan(clip(r.e.Sample, 200)))
	}
	m.line("")
}

// offset formats an offset from the load's start in seconds.
func offset(d time.Duration) string { return fmt.Sprintf("%.0f s", d.Seconds()) }

func intStrings(xs []int) []string {
	var s []string
	for _, x := range xs {
		s = append(s, fmt.Sprint(x))
	}
	return s
}

func floatStrings(xs []float64) []string {
	var s []string
	for _, x := range xs {
		s = append(s, num(x))
	}
	return s
}

func joinInts(xs []int) string {
	var s []string
	for _, x := range xs {
		s = append(s, fmt.Sprint(x))
	}
	return strings.Join(s, ", ")
}

func joinFloats(xs []float64) string {
	var s []string
	for _, x := range xs {
		s = append(s, num(x))
	}
	return strings.Join(s, ", ")
}

func (m *md) environment() {
	run := &m.set.Run
	mx := &run.Matrix
	m.line("## Environment")
	m.line("")
	m.line("| | |")
	m.line("|:---|:---|")
	row := func(k, v string) {
		if v != "" {
			m.line("| %s | %s |", k, v)
		}
	}
	row("run", EscapeName(run.ID))
	row("status", EscapeName(string(run.Status)))
	if !run.Started.IsZero() {
		row("started", run.Started.UTC().Format(time.RFC3339))
	}
	if !run.Ended.IsZero() {
		row("ended", run.Ended.UTC().Format(time.RFC3339)+fmt.Sprintf(" (%s)", run.Ended.Sub(run.Started).Round(time.Second)))
	}
	app := EscapeName(cmp.Or(run.App.Commit, "not a git work tree"))
	if run.App.Dirty {
		app += " (dirty: uncommitted changes)"
	}
	row("application commit", app)
	row("application directory", EscapeName(run.App.Dir))
	row("target", EscapeName(mx.Target))
	switch {
	case mx.Compose != nil:
		row("scaled", fmt.Sprintf("compose project %s, service %s", EscapeName(mx.Compose.Project), EscapeName(mx.Compose.Service)))
	case mx.Swarm != nil:
		row("scaled", "Swarm service "+EscapeName(mx.Swarm.Service))
	}
	row("original scale", map[bool]string{true: fmt.Sprint(run.OriginalScale), false: ""}[run.OriginalScale > 0])
	if e := run.Engine; e != nil {
		row("Docker engine", EscapeName(fmt.Sprintf("%s (API %s), %s/%s, %d CPUs, %.1f GiB", e.Version, e.APIVersion, e.OS, e.Arch, e.CPUs, float64(e.MemoryBytes)/(1<<30))))
	}
	h := run.Host
	row("load generator host", EscapeName(fmt.Sprintf("%s, %s/%s, %d CPUs", h.Hostname, h.OS, h.Arch, h.CPUs)))
	tool := EscapeName(cmp.Or(run.Tool.Version, "devel"))
	if run.Tool.Revision != "" {
		tool += " (" + EscapeName(run.Tool.Revision) + ")"
	}
	row("scalebench", tool+" "+EscapeName(run.Tool.GoVersion))
	row("matrix file", EscapeName(mx.File))
	row("matrix hash", EscapeName(run.MatrixHash))
	m.line("")
	m.line("Scenario: each user waits %s between requests and picks by weight:", EscapeName(mx.Scenario.Wait.String()))
	m.line("")
	m.line("| request | method | path | weight | timeout |")
	m.line("|:---|:---|:---|---:|---:|")
	for _, r := range mx.Scenario.Requests {
		m.line("| %s | %s | %s | %d | %s |", EscapeName(r.Name), EscapeName(r.Method), codeSpan(r.Path), r.Weight, span(r.Timeout))
	}
	m.line("")
	m.line("Matrix as run:")
	m.line("")
	m.line("| run | title | scales | %s | duration | spawn rate | warm-up | settle | repeats |", unit(m.st))
	m.line("|:---|:---|:---|:---|---:|:---|---:|---:|---:|")
	for _, r := range mx.Runs {
		loads := joinInts(r.Users)
		if len(r.Rate) > 0 {
			loads = joinFloats(r.Rate)
		}
		spawn := fmt.Sprintf("%g/s", r.SpawnRate)
		var over []string
		for _, u := range r.Users {
			if v, ok := r.SpawnRateFor[u]; ok {
				over = append(over, fmt.Sprintf("%g/s at %d", v, u))
			}
		}
		if len(over) > 0 {
			spawn += " (" + strings.Join(over, ", ") + ")"
		}
		m.line("| %s | %s | %s | %s | %s | %s | %s | %s | %d |", EscapeName(r.Name), EscapeName(r.Title), joinInts(r.Scale), loads, span(r.Duration),
			spawn, span(r.Warmup), span(r.Settle), max(r.Repeat, 1))
	}
	m.line("")
	m.line("%d cells planned, %d with results, %d analysed.", m.st.Planned, m.st.Finished, m.st.Analysed)
}
