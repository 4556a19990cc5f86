package load

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// WriteTable prints rec as Locust prints its final statistics: one row per
// endpoint and an Aggregated row over the whole run (name, requests,
// failures, median, p90, p95, p99, max in milliseconds, requests per second),
// then the steady-state window, the generator check and the errors.
func WriteTable(w io.Writer, rec *results.Load) error {
	var b strings.Builder
	nameW := len("Aggregated")
	for _, e := range rec.Endpoints {
		nameW = max(nameW, min(len(e.Name), 48))
	}
	head := fmt.Sprintf("%-7s %-*s %9s %16s | %8s %8s %8s %8s %8s | %9s", "Type", nameW, "Name", "# reqs", "# fails",
		"Med", "90%", "95%", "99%", "Max", "req/s")
	sep := strings.Repeat("-", len(head))
	b.WriteString(head + "\n" + sep + "\n")
	row := func(method, name string, st results.Stats) {
		if len(name) > 48 {
			name = name[:45] + "..."
		}
		fails := fmt.Sprintf("%d(%.2f%%)", st.Failures, 100*st.FailRate)
		fmt.Fprintf(&b, "%-7s %-*s %9d %16s | %8s %8s %8s %8s %8s | %9.2f\n", method, nameW, name, st.Requests, fails,
			tableMs(st.Latency.P50), tableMs(st.Latency.P90), tableMs(st.Latency.P95), tableMs(st.Latency.P99),
			tableMs(st.Latency.Max), st.RPS)
	}
	for _, e := range rec.Endpoints {
		row(e.Method, e.Name, e.Total)
	}
	b.WriteString(sep + "\n")
	row("", "Aggregated", rec.Total)
	fmt.Fprintf(&b, "Response times of successful requests, in milliseconds, over the whole run (%s, %s).\n", seconds(rec.Elapsed), rec.Mode)

	st := rec.Steady
	if st.Window > 0 && st.Requests > 0 {
		fmt.Fprintf(&b, "Steady state from %s (%s): %d requests, %.2f req/s, p50 %s ms, p95 %s ms, p99 %s ms, %d failures (%.2f%%).\n",
			seconds(rec.SteadyStart), seconds(st.Window), st.Requests, st.RPS,
			tableMs(st.Latency.P50), tableMs(st.Latency.P95), tableMs(st.Latency.P99), st.Failures, 100*st.FailRate)
	} else if st.Window > 0 {
		fmt.Fprintf(&b, "Steady state from %s (%s): no request completed.\n", seconds(rec.SteadyStart), seconds(st.Window))
	} else {
		fmt.Fprintf(&b, "No steady state: the run ended before spawning and warm-up were over (%s).\n", seconds(rec.SteadyStart))
	}
	ck := rec.Check
	if rec.Mode == matrix.Open {
		fmt.Fprintf(&b, "Check: %.1f in flight, X %.2f req/s, R %s ms: X·R/N = %.2f; late sends %d, dropped %d; generator CPU %.2f cores%s.\n",
			ck.Users, ck.Throughput, tableMs(ck.MeanResponse), ck.Ratio, rec.Late, rec.Dropped, ck.GeneratorCPU, perRequest(ck.GeneratorCPUPerRequest))
	} else {
		fmt.Fprintf(&b, "Check: N %.1f users, X %.2f req/s, R %s ms, Z %s ms: X·(R+Z)/N = %.2f; generator CPU %.2f cores%s.\n",
			ck.Users, ck.Throughput, tableMs(ck.MeanResponse), tableMs(ck.MeanWait), ck.Ratio, ck.GeneratorCPU, perRequest(ck.GeneratorCPUPerRequest))
	}
	if ck.GeneratorBound {
		fmt.Fprintf(&b, "GENERATOR-BOUND: %s. These numbers describe the generator, not the target.\n", ck.Reason)
	}
	if len(rec.Errors) > 0 {
		b.WriteString("Errors:\n")
		for i, g := range rec.Errors {
			if i == 20 {
				fmt.Fprintf(&b, "  ... and %d more\n", len(rec.Errors)-i)
				break
			}
			fmt.Fprintf(&b, "  %8d  %-7s %s  %s: %s\n", g.Count, g.Method, g.Endpoint, g.Class, g.Message)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// perRequest formats the generator's CPU per request, "" when unknown.
func perRequest(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return fmt.Sprintf(", %.1f µs per request", float64(d)/1e3)
}

// tableMs formats a latency in milliseconds with the precision it deserves.
func tableMs(d time.Duration) string {
	v := float64(d) / 1e6
	switch {
	case v == 0:
		return "0"
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	case v < 100:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }
