package analysis

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// SetupKind is what a SetupChange is about.
type SetupKind string

// Setup differences, in the order setupDiffs lists them.
const (
	// SetupMatrix: the sets come from differently named matrices (Old, New
	// are the names).
	SetupMatrix SetupKind = "matrix"
	// SetupService: the scaled service differs (Old, New: "compose project/service", "swarm service" or "none").
	SetupService SetupKind = "service"
	// SetupThink: the scenario's think time differs (Old, New: matrix.Wait).
	SetupThink SetupKind = "think"
	// SetupRequest: a request of the scenario, by Name, is on Side only, or
	// differs in Fields.
	SetupRequest SetupKind = "request"
	// SetupRun: a run of the matrix, by Name, is on Side only, or differs
	// in Fields.
	SetupRun SetupKind = "run"
	// SetupEngine: the Docker engine differs (Old, New: *results.Engine).
	SetupEngine SetupKind = "engine"
	// SetupHost: the load generator's host differs (Old, New: results.Host).
	SetupHost SetupKind = "host"
	// SetupDirty: the application of Side had uncommitted changes (Old: its
	// short commit, "" when unknown).
	SetupDirty SetupKind = "dirty"
)

// SetupChange is one difference in how the two sets were set up that can
// move their numbers: values for the report to word.
type SetupChange struct {
	Kind SetupKind
	// Name is the request's or run's name.
	Name string
	// Side is "old" or "new" for what is on one side only, and for
	// uncommitted changes.
	Side string
	// Old and New are the differing values (see each SetupKind).
	Old, New any
	// Fields are a request's or run's differing fields.
	Fields []SetupField
}

// SetupField is one differing field of a request or a run. Old and New are
// nil for fields compared but not shown (bodies, headers).
type SetupField struct {
	Name     string
	Old, New any
}

// setupDiffs lists the differences between how two runs were set up that
// can move their numbers: the matrix, the scaled service, the scenario, each
// run's timing, the Docker engine and the load generator's host, and
// uncommitted changes in the application. The target URL is not compared:
// it differs between runs of the demo (a free port each time).
func setupDiffs(a, b *results.Run) []SetupChange {
	var out []SetupChange
	ma, mb := &a.Matrix, &b.Matrix
	if ma.Name != mb.Name {
		out = append(out, SetupChange{Kind: SetupMatrix, Old: ma.Name, New: mb.Name})
	}
	if sa, sb := scaledTarget(ma), scaledTarget(mb); sa != sb {
		out = append(out, SetupChange{Kind: SetupService, Old: sa, New: sb})
	}
	out = append(out, scenarioDiffs(&ma.Scenario, &mb.Scenario)...)
	out = append(out, runDiffs(ma.Runs, mb.Runs)...)
	if !sameEngine(a.Engine, b.Engine) {
		out = append(out, SetupChange{Kind: SetupEngine, Old: a.Engine, New: b.Engine})
	}
	if ha, hb := a.Host, b.Host; ha.Hostname != hb.Hostname || ha.CPUs != hb.CPUs {
		out = append(out, SetupChange{Kind: SetupHost, Old: ha, New: hb})
	}
	if a.App.Dirty {
		out = append(out, SetupChange{Kind: SetupDirty, Side: "old", Old: a.App.Short})
	}
	if b.App.Dirty {
		out = append(out, SetupChange{Kind: SetupDirty, Side: "new", Old: b.App.Short})
	}
	return out
}

// scaledTarget is the service a matrix scales: "compose project/service",
// "swarm service" or "none".
func scaledTarget(m *matrix.Matrix) string {
	switch {
	case m.Compose != nil:
		return fmt.Sprintf("compose %s/%s", m.Compose.Project, m.Compose.Service)
	case m.Swarm != nil:
		return "swarm " + m.Swarm.Service
	}
	return "none"
}

// sameEngine compares what the diff shows of two engines: version, CPUs
// and memory to a tenth of a GiB.
func sameEngine(a, b *results.Engine) bool {
	if a == nil || b == nil {
		return a == b
	}
	gib := func(n int64) int64 { return (n*10 + 1<<29) / (1 << 30) }
	return a.Version == b.Version && a.CPUs == b.CPUs && gib(a.MemoryBytes) == gib(b.MemoryBytes)
}

// scenarioDiffs compares the think time and the requests, by name.
func scenarioDiffs(a, b *matrix.Scenario) []SetupChange {
	var out []SetupChange
	if a.Wait != b.Wait {
		out = append(out, SetupChange{Kind: SetupThink, Old: a.Wait, New: b.Wait})
	}
	ra, rb := map[string]matrix.Request{}, map[string]matrix.Request{}
	var names []string
	for _, r := range a.Requests {
		ra[r.Name] = r
		names = append(names, r.Name)
	}
	for _, r := range b.Requests {
		rb[r.Name] = r
		if _, ok := ra[r.Name]; !ok {
			names = append(names, r.Name)
		}
	}
	for _, n := range names {
		x, inA := ra[n]
		y, inB := rb[n]
		switch {
		case !inA:
			out = append(out, SetupChange{Kind: SetupRequest, Name: n, Side: "new"})
		case !inB:
			out = append(out, SetupChange{Kind: SetupRequest, Name: n, Side: "old"})
		default:
			if fields := requestDiffs(x, y); len(fields) > 0 {
				out = append(out, SetupChange{Kind: SetupRequest, Name: n, Fields: fields})
			}
		}
	}
	return out
}

// requestDiffs names what differs between two requests of the same name.
// Uploaded files are compared by name, not path: the same matrix run from
// two checkouts has different absolute paths.
func requestDiffs(a, b matrix.Request) []SetupField {
	var out []SetupField
	diff := func(what string, x, y any) {
		if fmt.Sprint(x) != fmt.Sprint(y) {
			out = append(out, SetupField{Name: what, Old: x, New: y})
		}
	}
	diff("method", a.Method, b.Method)
	diff("path", a.Path, b.Path)
	diff("weight", a.Weight, b.Weight)
	diff("timeout", a.Timeout, b.Timeout)
	diff("expected status", a.Expect.Status, b.Expect.Status)
	if a.Expect.BodyContains != b.Expect.BodyContains {
		out = append(out, SetupField{Name: "expected body text"})
	}
	if a.Body != b.Body || a.JSON != b.JSON || formText(a.Form) != formText(b.Form) {
		out = append(out, SetupField{Name: "body"})
	}
	if !maps.Equal(a.Headers, b.Headers) {
		out = append(out, SetupField{Name: "headers"})
	}
	return out
}

func formText(fs []matrix.FormField) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%s=%s@%s;", f.Name, f.Value, filepath.Base(f.File))
	}
	return b.String()
}

// runDiffs compares the matrix runs by name: runs on one side only, and the
// timing of runs on both.
func runDiffs(a, b []matrix.Run) []SetupChange {
	var out []SetupChange
	rb := map[string]matrix.Run{}
	for _, r := range b {
		rb[r.Name] = r
	}
	seen := map[string]bool{}
	for _, x := range a {
		seen[x.Name] = true
		y, ok := rb[x.Name]
		if !ok {
			out = append(out, SetupChange{Kind: SetupRun, Name: x.Name, Side: "old"})
			continue
		}
		var fields []SetupField
		diff := func(name string, p, q any) {
			if fmt.Sprint(p) != fmt.Sprint(q) {
				fields = append(fields, SetupField{Name: name, Old: p, New: q})
			}
		}
		diff("duration", x.Duration, y.Duration)
		diff("duration overrides", durations(x.DurationFor), durations(y.DurationFor))
		diff("spawn rate", x.SpawnRate, y.SpawnRate)
		diff("spawn rate overrides", rates(x.SpawnRateFor), rates(y.SpawnRateFor))
		diff("warm-up", x.Warmup, y.Warmup)
		diff("mode", runMode(x), runMode(y))
		if len(fields) > 0 {
			out = append(out, SetupChange{Kind: SetupRun, Name: x.Name, Fields: fields})
		}
	}
	for _, y := range b {
		if !seen[y.Name] {
			out = append(out, SetupChange{Kind: SetupRun, Name: y.Name, Side: "new"})
		}
	}
	return out
}

func runMode(r matrix.Run) matrix.Mode {
	if len(r.Rate) > 0 {
		return matrix.Open
	}
	return matrix.Closed
}

// durations and rates format per-level overrides in key order.
func durations(m map[int]time.Duration) string {
	if len(m) == 0 {
		return "none"
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "%d:%s ", k, m[k])
	}
	return strings.TrimSpace(b.String())
}

func rates(m map[int]float64) string {
	if len(m) == 0 {
		return "none"
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "%d:%g ", k, m[k])
	}
	return strings.TrimSpace(b.String())
}
