package results

import (
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
)

// TidyFile is the run's tidy CSV, in the run directory: one row per cell and
// endpoint, for pandas, spreadsheets and Grafana's CSV data source.
const TidyFile = "results.csv"

// TidyAggregate is the endpoint column of a cell's row for all endpoints
// together (Locust's name for it).
const TidyAggregate = "Aggregated"

// tidyColumns are the fixed columns of TidyFile; per-service CPU and memory
// columns follow them.
var tidyColumns = []string{
	"run_id", "cell", "run", "scale", "mode", "users", "rate", "repeat", "status",
	"endpoint", "method", "steady_s", "requests", "failures", "failure_rate", "rps", "ok_rps",
	"mean_ms", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms",
}

// TidyColumns is TidyFile's header for s: the fixed columns, then for each
// service seen in any cell (sorted) cpu_pct_<service>, the mean CPU of its
// containers added up over the steady window in percent of one core (as
// docker stats shows it), and mem_mib_<service>, the peak of their memory
// added up, in MiB.
func TidyColumns(s *Set) []string {
	cols := append([]string(nil), tidyColumns...)
	for _, svc := range tidyServices(s) {
		cols = append(cols, "cpu_pct_"+svc, "mem_mib_"+svc)
	}
	return cols
}

// WriteTidyCSV writes s as TidyFile's content: per cell, one row per
// endpoint (scenario order) and an Aggregated row, with the steady-state
// statistics of successful requests' latency. A cell without a load record
// (it failed before the load) has one row with its status and no numbers.
func WriteTidyCSV(w io.Writer, s *Set) error {
	cw := csv.NewWriter(w)
	services := tidyServices(s)
	cw.Write(TidyColumns(s))
	for i := range s.Cells {
		c := &s.Cells[i]
		resources := tidyResources(c, services)
		if c.Load == nil {
			cw.Write(append(tidyCell(s, c, TidyAggregate, "", nil), resources...))
			continue
		}
		for _, e := range c.Load.Endpoints {
			cw.Write(append(tidyCell(s, c, e.Name, e.Method, &e.Steady), resources...))
		}
		cw.Write(append(tidyCell(s, c, TidyAggregate, "", &c.Load.Steady), resources...))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write %s: %w", TidyFile, err)
	}
	return nil
}

func tidyCell(s *Set, c *Cell, endpoint, method string, st *Stats) []string {
	cell := c.Cell
	users, rate := "", ""
	if cell.Mode == matrix.Open {
		rate = fmtFloat(cell.Rate)
	} else {
		users = strconv.Itoa(cell.Users)
	}
	row := []string{s.Run.ID, cell.ID, cell.Run, strconv.Itoa(cell.Scale), string(cell.Mode), users, rate,
		strconv.Itoa(cell.Repeat), string(c.Status), endpoint, method}
	if st == nil {
		return append(row, make([]string, len(tidyColumns)-len(row))...)
	}
	okRPS := 0.0
	if secs := st.Window.Seconds(); secs > 0 {
		okRPS = float64(st.Requests-st.Failures) / secs
	}
	l := st.Latency
	return append(row, fmtFloat(st.Window.Seconds()), strconv.FormatInt(st.Requests, 10), strconv.FormatInt(st.Failures, 10),
		fmtFloat(st.FailRate), fmtFloat(st.RPS), fmtFloat(okRPS),
		msec(l.Mean), msec(l.P50), msec(l.P90), msec(l.P95), msec(l.P99), msec(l.P999), msec(l.Max))
}

// tidyResources are a cell's cpu_pct_ and mem_mib_ values per service.
func tidyResources(c *Cell, services []string) []string {
	from, to := time.Duration(0), time.Duration(1<<62)
	if c.Load != nil {
		from, to = c.Load.SteadyStart, c.Load.Elapsed
	}
	cpu := map[string]float64{}
	mem := map[string]map[time.Duration]int64{} // service -> second -> bytes
	seen := map[string]bool{}
	for _, cs := range c.Containers {
		var sum float64
		n := 0
		for _, smp := range cs.Samples {
			if smp.T < from || smp.T > to {
				continue
			}
			sum += smp.CPU
			n++
			if mem[cs.Service] == nil {
				mem[cs.Service] = map[time.Duration]int64{}
			}
			mem[cs.Service][smp.T.Round(time.Second)] += smp.Memory
		}
		if n > 0 {
			cpu[cs.Service] += sum / float64(n) // the mean of a sum is the sum of the means
			seen[cs.Service] = true
		}
	}
	var out []string
	for _, svc := range services {
		if !seen[svc] {
			out = append(out, "", "")
			continue
		}
		var peak int64
		for _, b := range mem[svc] {
			peak = max(peak, b)
		}
		out = append(out, strconv.FormatFloat(cpu[svc], 'f', 2, 64), strconv.FormatFloat(float64(peak)/(1<<20), 'f', 1, 64))
	}
	return out
}

// tidyServices are the services with containers in any cell, sorted.
func tidyServices(s *Set) []string {
	seen := map[string]bool{}
	for _, c := range s.Cells {
		for _, cs := range c.Containers {
			if cs.Service != "" {
				seen[cs.Service] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for svc := range seen {
		out = append(out, svc)
	}
	sort.Strings(out)
	return out
}

func msec(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 3, 64) }

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
