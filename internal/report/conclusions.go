package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/matrix"
)

// Conclusions are the study's findings as plain sentences with their
// numbers, most important first: what scaling bought, where it stopped and
// why, where throughput flattens and latency grows, where failures start,
// and what limits the evidence. Names in them come from the data.
func Conclusions(st *analysis.Study) []string {
	return conclusions(st, func(s string) string { return s })
}

// conclusions writes the sentences, passing every name from the data
// through esc.
func conclusions(st *analysis.Study, esc func(string) string) []string {
	w := writer{st: st, esc: esc, scaled: esc(cmp.Or(st.Scaled, "the scaled service"))}
	if st.Analysed == 0 {
		return []string{"No cell has usable results, so there is nothing to conclude."}
	}
	w.degraded()
	w.scaling()
	w.scaledLimit()
	w.efficiency()
	w.usl()
	w.knees()
	w.failures()
	w.doubts()
	w.health()
	return w.out
}

type writer struct {
	st     *analysis.Study
	esc    func(string) string
	scaled string
	out    []string
}

func (w *writer) add(format string, args ...any) {
	w.out = append(w.out, fmt.Sprintf(format, args...))
}

// unit is the load unit: "users" or "req/s".
func unit(st *analysis.Study) string {
	if st.Mode == matrix.Open {
		return "req/s"
	}
	return "users"
}

func (w *writer) scaling() {
	st := w.st
	switch len(st.Scales) {
	case 0:
		return
	case 1:
		s := st.Scales[0]
		w.add("Only scale %d was measured: capacity %s rps; run more scales to see what scaling buys.", s.Scale, RPS(s.Capacity.RPS))
		return
	}
	if st.Linear {
		var scales, caps []string
		for _, s := range st.Scales {
			scales = append(scales, fmt.Sprint(s.Scale))
			caps = append(caps, RPS(s.Capacity.RPS))
		}
		last := st.Scales[len(st.Scales)-1]
		w.add("%s scales linearly: %s replicas gave %s rps, %s of linear scaling at %d replicas.",
			capitalize(w.scaled), strings.Join(scales, "→"), strings.Join(caps, "→"), pct(last.Efficiency), last.Scale)
		return
	}
	var sentences []string
	for i, s := range st.Steps {
		var b strings.Builder
		if i == 0 {
			fmt.Fprintf(&b, "Scaling %s %d→%d ", w.scaled, s.From, s.To)
		} else {
			fmt.Fprintf(&b, "%d→%d ", s.From, s.To)
		}
		switch s.Verdict {
		case analysis.Raised:
			what := "peak throughput"
			if i > 0 {
				what = "it"
			}
			fmt.Fprintf(&b, "raised %s %s→%s rps (%s, 95%% CI %s…%s).", what, RPS(s.FromRPS), RPS(s.ToRPS),
				signed(s.Gain), signed(s.GainLow), signed(s.GainHigh))
		case analysis.NoGain:
			fmt.Fprintf(&b, "gave no significant gain (%s, ~)", signed(s.Gain))
		case analysis.Small:
			fmt.Fprintf(&b, "changed peak throughput by only %s (%s→%s rps; significant, but below the %s that counts as a gain)",
				signed(s.Gain), RPS(s.FromRPS), RPS(s.ToRPS), pct(w.st.Thresholds.MinGain))
		case analysis.Lowered:
			fmt.Fprintf(&b, "lowered peak throughput %s→%s rps (%s)", RPS(s.FromRPS), RPS(s.ToRPS), signed(s.Gain))
		}
		switch k := s.ToLimit.Kind; {
		case s.Verdict != analysis.Raised:
			b.WriteString("; ")
			b.WriteString(w.bottleneck(s))
		case i == len(st.Steps)-1 && s.Efficiency < 0.8 && k != analysis.LimitNone && k != analysis.LimitScaled && k != analysis.LimitUnknown:
			// The last step gained, but far below linear: say what held the
			// highest scale back.
			fmt.Fprintf(&b, " That is %s of linear scaling: %s", pct(s.Efficiency), w.bottleneck(s))
		}
		sentences = append(sentences, b.String())
	}
	w.add("%s", strings.Join(sentences, " "))
}

// bottleneck explains a step that did not raise throughput from what
// limited the higher scale (see analysis.Constraint): the evidence first,
// then the service it names.
func (w *writer) bottleneck(s analysis.Step) string {
	l := s.ToLimit
	top := l.Top
	name := w.esc(l.Service)
	// "moved" when the lower scale had another limit.
	verdict := func(svc string) string {
		from := s.FromLimit
		first := w.st.Scales[0].Limit
		if from.Kind == l.Kind && from.Service == l.Service && first.Kind == l.Kind && first.Service == l.Service {
			return fmt.Sprintf("%s is the bottleneck.", svc)
		}
		return fmt.Sprintf("the bottleneck moved to %s.", svc)
	}
	switch l.Kind {
	case analysis.LimitNone:
		return fmt.Sprintf("with scale %d throughput was still rising at the highest load tested, so its limit lies beyond it.", s.To)
	case analysis.LimitGenerator:
		return fmt.Sprintf("the load generator limited the plateau (%s), so the target's limit was not reached.", list(w.escAll(l.Cells)))
	case analysis.LimitReplicaDied:
		return fmt.Sprintf("a container died or restarted at that load (%s), so the plateau may be the failure, not a limit.", list(w.escAll(l.Cells)))
	case analysis.LimitCPU:
		if name == w.scaled {
			return fmt.Sprintf("%s itself was at %s, so its replicas did not add capacity: check how requests are spread over them.", name, cpuText(top))
		}
		busy := ""
		if l.Host.Saturated(w.st.Thresholds.NearCeiling) && top.Utilization < w.st.Thresholds.NearCeiling {
			busy = fmt.Sprintf(" while the machine's %s cores were saturated (%s busy)", coresText(l.Host.Cores), coresText(l.Host.Busy))
		}
		return fmt.Sprintf("%s was at %s%s: %s", name, cpuText(top), busy, verdict(name))
	case analysis.LimitHost:
		return w.hostText(l) + ": the host is the limit, not a service; more replicas cannot add CPU the machine does not have."
	case analysis.LimitConcurrency:
		return w.capText(s, l, verdict)
	case analysis.LimitScaled:
		return fmt.Sprintf("about %s requests were in service at once, as many as %d %s replicas take (%s each): %s itself is busy, yet more replicas did not add throughput: check how requests are spread over them.",
			oneDec(l.Cap), l.Replicas, w.scaled, oneDec(l.PerReplica), w.scaled)
	case analysis.LimitSingleThread:
		return fmt.Sprintf("no service was near its CPU ceiling, but one %s container held %s of a core at every load on the plateau though allowed more: if it runs single-threaded, %s", name, coresText(l.Hottest), verdict(name))
	}
	if top.Service == "" {
		return "no container CPU was recorded and nothing else explains the plateau, so the bottleneck is unknown."
	}
	return fmt.Sprintf("no service was near its CPU ceiling (busiest: %s at %s) and about %s requests were in service at once: the limit is not in what was recorded (I/O, locks, a service outside the project or the network).",
		w.esc(top.Service), cpuText(top), oneDec(l.Cap))
}

// scaledLimit says when the scaled service's own concurrency limited the
// scales that more replicas then helped: every replica busy.
func (w *writer) scaledLimit() {
	var scales, each []string
	hottest := 0.0
	for i, sc := range w.st.Scales {
		raisedNext := i < len(w.st.Steps) && w.st.Steps[i].Verdict == analysis.Raised
		if sc.Limit.Kind != analysis.LimitScaled || !(raisedNext || len(w.st.Scales) == 1) {
			continue
		}
		scales = append(scales, fmt.Sprint(sc.Scale))
		each = appendUniqueString(each, oneDec(sc.Limit.Cap/float64(sc.Scale)))
		hottest = math.Max(hottest, sc.Limit.Hottest)
	}
	if len(scales) == 0 {
		return
	}
	one := len(each) == 1 && each[0] == "1.0"
	cpu := ""
	if hottest < 0.5 {
		cpu = fmt.Sprintf(" and no container used more than %s of a core", pct(hottest))
	}
	w.add("At %s %s about %s %s per %s replica %s in service at once%s: every replica was busy, so %s itself was the limit there and more replicas added capacity.",
		plural(len(scales), "scale"), list(scales), list(each), map[bool]string{true: "request", false: "requests"}[one],
		w.scaled, map[bool]string{true: "was", false: "were"}[one], cpu, w.scaled)
}

func appendUniqueString(xs []string, x string) []string {
	if slices.Contains(xs, x) {
		return xs
	}
	return append(xs, x)
}

// capText words a concurrency cap: its size and how it was found, what
// the scaled service could have taken, the CPU that rules CPU out, and the
// service that likely holds it.
func (w *writer) capText(s analysis.Step, l analysis.Constraint, verdict func(string) string) string {
	var b strings.Builder
	at := fmt.Sprintf("at %d replicas", s.To)
	if s.CapHeld {
		at = fmt.Sprintf("at %d and at %d replicas", s.From, s.To)
	}
	fmt.Fprintf(&b, "about %s requests were in service at once %s (%s); %d %s %s could take %s: a concurrency cap of about %.0f in front of %s (a worker, thread or connection pool) holds throughput at %s rps; no container used more than %s of a core",
		oneDec(l.Cap), at, w.inServiceText(w.st.Scale(s.To).InService), l.Replicas, w.scaled, plural(l.Replicas, "replica"),
		count(float64(l.Replicas)*l.PerReplica), math.Max(1, math.Round(l.Cap)), w.scaled, RPS(l.CapRPS), pct(l.Hottest))
	switch {
	case l.Service == "":
		b.WriteString(". The engine did not show which service receives the load, so the cap's holder is unknown.")
	case len(l.Between) > 0:
		names := append([]string{w.esc(l.Service)}, w.escAll(l.Between)...)
		fmt.Fprintf(&b, ". The load enters through %s and reaches %s through %s: the cap is in one of them, so the bottleneck moved to %s.",
			names[0], w.scaled, list(names[1:]), strings.Join(names, " or "))
	case l.Likely:
		fmt.Fprintf(&b, ". The load enters through %s: %s", w.esc(l.Service), verdict(w.esc(l.Service)))
	default:
		fmt.Fprintf(&b, ". The load enters through %s, the likely holder of the cap.", w.esc(l.Service))
	}
	return b.String()
}

// inServiceText is how the requests in service add up: "12.8 predict/s ×
// 155 ms unloaded, plus 4.3 index/s × 4.1 ms", largest share first.
func (w *writer) inServiceText(n analysis.InService) string {
	parts := slices.Clone(n.Parts)
	slices.SortStableFunc(parts, func(x, y analysis.InServicePart) int {
		return cmp.Compare(y.X*y.R0.Seconds(), x.X*x.R0.Seconds())
	})
	var out []string
	for _, p := range parts {
		if p.X <= 0 {
			continue
		}
		out = append(out, fmt.Sprintf("%s %s/s × %s unloaded", RPS(p.X), w.esc(p.Endpoint), dur(p.R0)))
	}
	return strings.Join(out, ", plus ")
}

// hostText is the machine's CPU and who used it.
func (w *writer) hostText(l analysis.Constraint) string {
	h := l.Host
	parts := []string{fmt.Sprintf("the project's containers %s", coresText(h.Stack)),
		fmt.Sprintf("the load generator %s", coresText(h.Generator))}
	if h.Measured && h.Other >= 0.05 {
		parts = append(parts, fmt.Sprintf("other processes %s", coresText(h.Other)))
	}
	busiest := ""
	if l.Top.Service != "" {
		busiest = fmt.Sprintf("; busiest: %s at %s cores", w.esc(l.Top.Service), coresText(l.Top.CPU/100))
	}
	if !h.Shared {
		return fmt.Sprintf("the Docker host's %s cores were saturated (%s busy with the project's containers%s)", coresText(h.Cores), coresText(h.Busy), busiest)
	}
	return fmt.Sprintf("the machine's %s cores were saturated (%s busy: %s%s)", coresText(h.Cores), coresText(h.Busy), list(parts), busiest)
}

func (w *writer) escAll(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = w.esc(x)
	}
	return out
}

// oneDec formats a count of requests with one decimal: "2.0", "3.9".
func oneDec(x float64) string { return fmt.Sprintf("%.1f", x) }

// count formats a count that is usually whole: "5", "5.2".
func count(x float64) string {
	if math.Abs(x-math.Round(x)) < 0.05 {
		return fmt.Sprintf("%.0f", x)
	}
	return oneDec(x)
}

// cpuText is a service's CPU use against its ceiling: "97% CPU" for one
// container allowed one core, "22% of its 2-core ceiling" for one allowed
// more, "41% of its 5 containers' 5-core ceiling" for several.
func cpuText(s analysis.ServiceLoad) string {
	switch {
	case s.Ceiling <= 0:
		return fmt.Sprintf("%s cores", coresText(s.CPU/100))
	case s.Containers <= 1 && s.Ceiling == 100:
		return pct(s.Utilization) + " CPU"
	case s.Containers <= 1:
		return fmt.Sprintf("%s of its %s-core ceiling", pct(s.Utilization), coresText(s.Ceiling/100))
	}
	return fmt.Sprintf("%s of its %d containers' %s-core ceiling", pct(s.Utilization), s.Containers, coresText(s.Ceiling/100))
}

// coresText formats a number of cores: "0.42", "1.9", "2", "12".
func coresText(c float64) string {
	switch {
	case c == math.Trunc(c):
		return fmt.Sprintf("%.0f", c)
	case c >= 10:
		return fmt.Sprintf("%.0f", c)
	case c >= 1:
		return fmt.Sprintf("%.1f", c)
	}
	return fmt.Sprintf("%.2f", c)
}

func (w *writer) efficiency() {
	st := w.st
	if st.Linear || len(st.Scales) < 2 {
		return
	}
	first, last := st.Scales[0], st.Scales[len(st.Scales)-1]
	w.add("At %d replicas %s delivers %s of linear scaling: %s the throughput of %d %s for %s the replicas.",
		last.Scale, w.scaled, pct(last.Efficiency), factor(last.Speedup), first.Scale, plural(first.Scale, "replica"),
		factor(float64(last.Scale)/float64(first.Scale)))
}

func (w *writer) usl() {
	u := w.st.USL
	if u == nil {
		return
	}
	caveat := ""
	if u.Indicative {
		caveat = fmt.Sprintf(" This is indicative only: %d scales fit 3 parameters; measure at least 4.", u.Points)
	}
	last := float64(w.st.Scales[len(w.st.Scales)-1].Scale)
	switch {
	case math.IsInf(u.BestScale, 1) && u.Sigma > 0:
		w.add("A Universal Scalability Law fit (σ=%.3f, κ=0) finds contention but no coherency cost: throughput approaches %s rps as replicas grow.%s",
			u.Sigma, RPS(u.Lambda/u.Sigma), caveat)
	case math.IsInf(u.BestScale, 1):
		w.add("A Universal Scalability Law fit finds neither contention nor coherency cost (σ=0, κ=0): throughput grows in proportion to replicas.%s", caveat)
	default:
		where := "within the scales tested"
		if u.BestScale > last*1.05 {
			where = "beyond the scales tested"
		}
		w.add("A Universal Scalability Law fit (σ=%.3f, κ=%.4f) puts the best scale near %.0f replicas (%s) at about %s rps.%s",
			u.Sigma, u.Kappa, math.Round(u.BestScale), where, RPS(u.BestRPS), caveat)
	}
}

func (w *writer) knees() {
	st := w.st
	u := unit(st)
	type group struct {
		load   float64
		scales []analysis.Scale
	}
	var groups []group
	for _, s := range st.Scales {
		if s.Knee < 0 {
			continue
		}
		load := s.Levels[s.Knee].Load
		found := false
		for i := range groups {
			if groups[i].load == load {
				groups[i].scales = append(groups[i].scales, s)
				found = true
			}
		}
		if !found {
			groups = append(groups, group{load, []analysis.Scale{s}})
		}
	}
	for _, g := range groups {
		var names, plateaus []string
		for _, s := range g.scales {
			names = append(names, fmt.Sprint(s.Scale))
			lo, hi := math.Inf(1), 0.0
			for _, i := range s.Capacity.Levels {
				lo, hi = math.Min(lo, s.Levels[i].RPS), math.Max(hi, s.Levels[i].RPS)
			}
			flat := RPS(lo) + " rps"
			if RPS(lo) != RPS(hi) {
				flat = RPS(lo) + "–" + RPS(hi) + " rps"
			}
			plateaus = append(plateaus, flat)
		}
		flat := plateaus[0]
		if len(plateaus) > 1 {
			// Each scale has its own plateau: one range across scales
			// would read as a single flat line.
			for i := range plateaus {
				plateaus[i] = names[i] + ": " + plateaus[i]
			}
			flat = strings.Join(plateaus, "; ")
		}
		// Latency growth of the group's first scale, lowest to highest load.
		s := g.scales[0]
		first, last := s.Levels[0], s.Levels[len(s.Levels)-1]
		growth := fmt.Sprintf("the median response time grows %s and p95 %s from %s to %s %s",
			factor(s.P50Growth), factor(s.P95Growth), num(first.Load), num(last.Load), u)
		if len(g.scales) > 1 {
			growth = fmt.Sprintf("(with scale %d) %s", s.Scale, growth)
		}
		w.add("Beyond %s %s throughput stays flat with %s %s (%s) while %s.",
			num(g.load), u, plural(len(names), "scale"), list(names), flat, growth)
	}
	for _, s := range st.Scales {
		top := s.Levels[len(s.Levels)-1]
		switch {
		case len(s.Levels) < 2:
		case !s.Saturated:
			w.add("With scale %d throughput was still rising at %s %s (%s rps): its peak lies beyond the load tested.",
				s.Scale, num(top.Load), u, RPS(top.RPS))
		case s.Knee < 0:
			p := s.PeakLevel()
			w.add("With scale %d throughput peaks at %s %s (%s rps) and falls beyond it.", s.Scale, num(p.Load), u, RPS(p.RPS))
		}
	}
}

func (w *writer) failures() {
	st := w.st
	u := unit(st)
	var onsets, clean []string
	for _, s := range st.Scales {
		if s.FailureOnset >= 0 {
			lv := s.Levels[s.FailureOnset]
			onsets = append(onsets, fmt.Sprintf("at %s %s with scale %d (%s)", num(lv.Load), u, s.Scale, pct(lv.FailRate)))
		} else {
			clean = append(clean, fmt.Sprint(s.Scale))
		}
	}
	limit := num(st.Thresholds.FailRate*100) + "%"
	switch {
	case len(onsets) == 0:
		w.add("No level failed more than %s of its requests.", limit)
	case len(clean) == 0:
		w.add("Failures (over %s of requests) start %s.", limit, list(onsets))
	default:
		w.add("Failures (over %s of requests) start %s; %s %s %s below %s throughout.", limit, list(onsets),
			plural(len(clean), "scale"), list(clean), map[bool]string{true: "stays", false: "stay"}[len(clean) == 1], limit)
	}
}

// degraded says first which cells lost their target or a container during
// the load, and whether their numbers count.
func (w *writer) degraded() {
	var parts []string
	for _, f := range w.st.Flags {
		if f.Kind == analysis.FlagDegraded {
			parts = append(parts, fmt.Sprintf("in %s %s", w.esc(f.Cell), w.esc(cmp.Or(f.Detail, "no reason recorded"))))
		}
	}
	if len(parts) == 0 {
		return
	}
	their := map[bool]string{true: "its", false: "their"}[len(parts) == 1]
	use := "so " + their + " numbers are left out of what follows (report --include-degraded uses them)"
	if w.st.Thresholds.IncludeDegraded {
		use = "and " + their + " numbers are used below, as asked: read the verdicts with care"
	}
	w.add("%d %s degraded: something went away during the load (%s), %s.", len(parts),
		map[bool]string{true: "cell is", false: "cells are"}[len(parts) == 1], strings.Join(parts, "; "), use)
}

// doubts are the conditions that weaken the evidence.
func (w *writer) doubts() {
	var gen, little, broken []string
	for _, f := range w.st.Flags {
		switch f.Kind {
		case analysis.FlagGenerator:
			gen = append(gen, w.esc(f.Cell))
		case analysis.FlagLittle:
			little = append(little, w.esc(f.Cell))
		case analysis.FlagFailed, analysis.FlagAborted:
			broken = append(broken, w.esc(f.Cell))
		}
	}
	if len(gen) > 0 {
		w.add("The load generator, not the target, limited %d %s (%s): %s throughput is a floor, not the target's limit.",
			len(gen), plural(len(gen), "cell"), list(gen), map[bool]string{true: "its", false: "their"}[len(gen) == 1])
	}
	if len(little) > 0 {
		w.add("Little's law does not hold in %d %s (%s): the measured throughput and times disagree with the users running; see the warnings.",
			len(little), plural(len(little), "cell"), list(little))
	}
	if len(broken) > 0 {
		w.add("%d %s failed or %s aborted and %s left out (%s); see the warnings.", len(broken), plural(len(broken), "cell"),
			map[bool]string{true: "was", false: "were"}[len(broken) == 1], map[bool]string{true: "is", false: "are"}[len(broken) == 1], list(broken))
	}
	for _, sc := range w.st.Scales {
		h := sc.Limit.Host
		if h.Measured && h.Saturated(w.st.Thresholds.NearCeiling) && h.Other >= 0.25*h.Cores {
			w.add("The machine was busy with other work at scale %d: other processes used %s of its %s cores, so latencies may be higher than on a quiet machine.",
				sc.Scale, coresText(h.Other), coresText(h.Cores))
			break
		}
	}
	if missing := w.st.Planned - w.st.Finished; missing > 0 {
		w.add("%d of %d planned cells have no results: the conclusions cover only what ran.", missing, w.st.Planned)
	}
}

// capitalize upper-cases the first letter of s.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToUpper(string(r[0])) + string(r[1:])
}
