package analysis

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/scalebench/scalebench/matrix"
	"github.com/scalebench/scalebench/results"
)

// setupDiffs lists the differences between how two runs were set up that
// can move their numbers: the matrix, the scaled service, the scenario, each
// run's timing, the Docker engine and the load generator's host, and
// uncommitted changes in the application. The target URL is not compared:
// it differs between runs of the demo (a free port each time).
func setupDiffs(a, b *results.Run) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	ma, mb := &a.Matrix, &b.Matrix
	if ma.Name != mb.Name {
		add("matrix %q → %q: the sets come from different experiment files", ma.Name, mb.Name)
	}
	if sa, sb := scaledTarget(ma), scaledTarget(mb); sa != sb {
		add("scaled service %s → %s", sa, sb)
	}
	out = append(out, scenarioDiffs(&ma.Scenario, &mb.Scenario)...)
	out = append(out, runDiffs(ma.Runs, mb.Runs)...)
	ea, eb := engineText(a.Engine), engineText(b.Engine)
	if ea != eb {
		add("Docker engine %s → %s", ea, eb)
	}
	if ha, hb := hostText(a.Host), hostText(b.Host); ha != hb {
		add("load generator host %s → %s", ha, hb)
	}
	if a.App.Dirty {
		add("old: the application had uncommitted changes (commit %s is not all that ran)", orUnknown(a.App.Short))
	}
	if b.App.Dirty {
		add("new: the application had uncommitted changes (commit %s is not all that ran)", orUnknown(b.App.Short))
	}
	return out
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func scaledTarget(m *matrix.Matrix) string {
	switch {
	case m.Compose != nil:
		return fmt.Sprintf("compose %s/%s", m.Compose.Project, m.Compose.Service)
	case m.Swarm != nil:
		return "swarm " + m.Swarm.Service
	}
	return "none"
}

func engineText(e *results.Engine) string {
	if e == nil {
		return "none"
	}
	return fmt.Sprintf("%s (%d CPUs, %.1f GiB)", e.Version, e.CPUs, float64(e.MemoryBytes)/(1<<30))
}

func hostText(h results.Host) string {
	return fmt.Sprintf("%s (%d CPUs)", h.Hostname, h.CPUs)
}

// scenarioDiffs compares the think time and the requests, by name.
func scenarioDiffs(a, b *matrix.Scenario) []string {
	var out []string
	if a.Wait != b.Wait {
		out = append(out, fmt.Sprintf("scenario: think time %s → %s", a.Wait, b.Wait))
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
			out = append(out, fmt.Sprintf("scenario: request %q only in new", n))
		case !inB:
			out = append(out, fmt.Sprintf("scenario: request %q only in old", n))
		default:
			if what := requestDiffs(x, y); len(what) > 0 {
				out = append(out, fmt.Sprintf("scenario: request %q: %s", n, strings.Join(what, ", ")))
			}
		}
	}
	return out
}

// requestDiffs names what differs between two requests of the same name.
// Uploaded files are compared by name, not path: the same matrix run from
// two checkouts has different absolute paths.
func requestDiffs(a, b matrix.Request) []string {
	var out []string
	diff := func(what string, x, y any) {
		if fmt.Sprint(x) != fmt.Sprint(y) {
			out = append(out, fmt.Sprintf("%s %v → %v", what, x, y))
		}
	}
	diff("method", a.Method, b.Method)
	diff("path", a.Path, b.Path)
	diff("weight", a.Weight, b.Weight)
	diff("timeout", a.Timeout, b.Timeout)
	diff("expected status", a.Expect.Status, b.Expect.Status)
	if a.Expect.BodyContains != b.Expect.BodyContains {
		out = append(out, "expected body text differs")
	}
	if a.Body != b.Body || a.JSON != b.JSON || formText(a.Form) != formText(b.Form) {
		out = append(out, "body differs")
	}
	if !maps.Equal(a.Headers, b.Headers) {
		out = append(out, "headers differ")
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
func runDiffs(a, b []matrix.Run) []string {
	var out []string
	rb := map[string]matrix.Run{}
	for _, r := range b {
		rb[r.Name] = r
	}
	seen := map[string]bool{}
	for _, x := range a {
		seen[x.Name] = true
		y, ok := rb[x.Name]
		if !ok {
			out = append(out, fmt.Sprintf("run %s only in old", x.Name))
			continue
		}
		var what []string
		diff := func(name string, p, q any) {
			if fmt.Sprint(p) != fmt.Sprint(q) {
				what = append(what, fmt.Sprintf("%s %v → %v", name, p, q))
			}
		}
		diff("duration", x.Duration, y.Duration)
		diff("duration overrides", durations(x.DurationFor), durations(y.DurationFor))
		diff("spawn rate", x.SpawnRate, y.SpawnRate)
		diff("spawn rate overrides", rates(x.SpawnRateFor), rates(y.SpawnRateFor))
		diff("warm-up", x.Warmup, y.Warmup)
		diff("mode", runMode(x), runMode(y))
		if len(what) > 0 {
			out = append(out, fmt.Sprintf("run %s: %s", x.Name, strings.Join(what, ", ")))
		}
	}
	for _, y := range b {
		if !seen[y.Name] {
			out = append(out, fmt.Sprintf("run %s only in new", y.Name))
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
