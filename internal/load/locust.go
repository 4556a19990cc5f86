package load

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/scalebench/scalebench/internal/results"
)

// locustPercentiles are Locust 2.x's PERCENTILES_TO_REPORT.
var locustPercentiles = []float64{0.50, 0.66, 0.75, 0.80, 0.90, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0}

// percentileColumns are the percentile column names Locust derives from them.
var percentileColumns = []string{"50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%"}

// LocustStatsColumns is the header of Locust 2.x's <prefix>_stats.csv.
var LocustStatsColumns = append([]string{
	"Type", "Name", "Request Count", "Failure Count", "Median Response Time",
	"Average Response Time", "Min Response Time", "Max Response Time",
	"Average Content Size", "Requests/s", "Failures/s",
}, percentileColumns...)

// LocustHistoryColumns is the header of Locust 2.x's <prefix>_stats_history.csv.
var LocustHistoryColumns = append(append([]string{
	"Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s",
}, percentileColumns...),
	"Total Request Count", "Total Failure Count", "Total Median Response Time",
	"Total Average Response Time", "Total Min Response Time", "Total Max Response Time",
	"Total Average Content Size")

// LocustFailuresColumns is the header of Locust 2.x's <prefix>_failures.csv.
var LocustFailuresColumns = []string{"Method", "Name", "Error", "Occurrences"}

// newLocustCSV writes CSV as Python's csv module does (CRLF line ends).
func newLocustCSV(w io.Writer) *csv.Writer {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return cw
}

// ms formats a duration in milliseconds as Locust's float columns do.
func ms(d time.Duration) string {
	return strconv.FormatFloat(math.Round(float64(d)/1e3)/1e3, 'f', -1, 64)
}

// msInt formats a duration in whole milliseconds as Locust's percentile
// columns do.
func msInt(d time.Duration) string {
	return strconv.FormatInt(int64(math.Round(float64(d)/1e6)), 10)
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// WriteLocustStats writes rec's whole-run statistics as Locust 2.x's
// <prefix>_stats.csv: one row per endpoint, sorted by name and method as
// Locust sorts them, then the Aggregated row.
func WriteLocustStats(w io.Writer, rec *results.Load) error {
	cw := newLocustCSV(w)
	cw.Write(LocustStatsColumns)
	eps := append([]results.Endpoint(nil), rec.Endpoints...)
	sort.SliceStable(eps, func(i, j int) bool {
		if eps[i].Name != eps[j].Name {
			return eps[i].Name < eps[j].Name
		}
		return eps[i].Method < eps[j].Method
	})
	rows := make([]results.Endpoint, 0, len(eps)+1)
	rows = append(rows, eps...)
	rows = append(rows, results.Endpoint{Name: "Aggregated", Total: rec.Total})
	for _, e := range rows {
		// Locust counts failed requests' times with the others.
		h, err := results.DecodeHistogram(e.Total.Histogram)
		if err != nil {
			return fmt.Errorf("endpoint %q: %w", e.Name, err)
		}
		if e.Total.FailedHistogram != "" {
			f, err := results.DecodeHistogram(e.Total.FailedHistogram)
			if err != nil {
				return fmt.Errorf("endpoint %q failed requests: %w", e.Name, err)
			}
			h.Merge(f)
		}
		st := e.Total
		secs := st.Window.Seconds()
		mean := st.Latency.Mean
		if fl := st.FailedLatency; fl != nil && st.Requests > 0 {
			ok := st.Requests - st.Failures
			mean = (st.Latency.Mean*time.Duration(ok) + fl.Mean*time.Duration(st.Failures)) / time.Duration(st.Requests)
		}
		row := []string{
			e.Method, e.Name, strconv.FormatInt(st.Requests, 10), strconv.FormatInt(st.Failures, 10),
			msInt(results.Quantile(h, 0.5)), ms(mean), ms(results.MinLatency(h)), ms(results.MaxLatency(h)),
			fmtFloat(perReq(st.Bytes, st.Requests)), fmtFloat(per(st.Requests, secs)), fmtFloat(per(st.Failures, secs)),
		}
		row = append(row, locustPercentileFields(h, st.Requests)...)
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

func locustPercentileFields(h *hdrhistogram.Histogram, n int64) []string {
	out := make([]string, len(locustPercentiles))
	for i, q := range locustPercentiles {
		if n == 0 {
			out[i] = "N/A"
			continue
		}
		out[i] = msInt(results.Quantile(h, q))
	}
	return out
}

func per(n int64, secs float64) float64 {
	if secs <= 0 {
		return 0
	}
	return float64(n) / secs
}

func perReq(bytes, n int64) float64 {
	if n == 0 {
		return 0
	}
	return float64(bytes) / float64(n)
}

// WriteLocustFailures writes rec's error groups as Locust 2.x's
// <prefix>_failures.csv, one row per endpoint and error message.
func WriteLocustFailures(w io.Writer, rec *results.Load) error {
	cw := newLocustCSV(w)
	cw.Write(LocustFailuresColumns)
	type key struct{ method, name, msg string }
	counts := map[key]int64{}
	var order []key
	for _, g := range rec.Errors {
		k := key{g.Method, g.Endpoint, string(g.Class) + ": " + g.Message}
		if _, ok := counts[k]; !ok {
			order = append(order, k)
		}
		counts[k] += g.Count
	}
	for _, k := range order {
		cw.Write([]string{k.method, k.name, k.msg, strconv.FormatInt(counts[k], 10)})
	}
	cw.Flush()
	return cw.Error()
}

// LocustHistory writes Locust 2.x's <prefix>_stats_history.csv from the
// per-second intervals of a run, as Locust does with --csv-full-history:
// each second, one row per endpoint (sorted by name) and an Aggregated row.
// The per-second columns describe that second; the Total columns everything
// so far. Feed it from Config.Interval; it is not safe for concurrent use.
type LocustHistory struct {
	cw    *csv.Writer
	cum   map[string]*cumulative // by endpoint name; "" is the aggregate
	wrote bool
}

type cumulative struct {
	hist               *hdrhistogram.Histogram
	requests, failures int64
	bytes              int64
	latency            time.Duration
}

// NewLocustHistory returns a history writer on w.
func NewLocustHistory(w io.Writer) *LocustHistory {
	return &LocustHistory{cw: newLocustCSV(w), cum: map[string]*cumulative{}}
}

// Add writes the rows of one second.
func (l *LocustHistory) Add(iv Interval) error {
	if !l.wrote {
		l.cw.Write(LocustHistoryColumns)
		l.wrote = true
	}
	eps := append([]IntervalEndpoint(nil), iv.Endpoints...)
	sort.SliceStable(eps, func(i, j int) bool { return eps[i].Name < eps[j].Name })
	ts := strconv.FormatInt(iv.Start.Add(iv.Length).Unix(), 10)
	secs := iv.Length.Seconds()
	agg := IntervalEndpoint{Name: "Aggregated", Histogram: iv.Total, Requests: iv.Requests,
		Failures: iv.Failures, Bytes: iv.Bytes, LatencySum: iv.LatencySum}
	for i, e := range append(eps, agg) {
		key := e.Name
		if i == len(eps) {
			key = "" // the aggregate, whatever the endpoints are called
		}
		c := l.cum[key]
		if c == nil {
			// As precise as the histograms it sums: past FineEndpoints
			// entries, 2 digits take a seventh of the memory of 3.
			c = &cumulative{hist: results.NewHistogramDigits(int(e.Histogram.SignificantFigures()))}
			l.cum[key] = c
		}
		c.hist.Merge(e.Histogram)
		c.requests += e.Requests
		c.failures += e.Failures
		c.bytes += e.Bytes
		c.latency += e.LatencySum
		row := []string{ts, strconv.Itoa(iv.Users), e.Method, e.Name,
			fmt.Sprintf("%f", per(e.Requests, secs)), fmt.Sprintf("%f", per(e.Failures, secs))}
		if c.requests == 0 {
			row = append(row, locustPercentileFields(nil, 0)...)
		} else {
			row = append(row, locustPercentileFields(e.Histogram, max(e.Requests, 1))...)
		}
		mean := time.Duration(0)
		if c.requests > 0 {
			mean = c.latency / time.Duration(c.requests)
		}
		row = append(row, strconv.FormatInt(c.requests, 10), strconv.FormatInt(c.failures, 10),
			msInt(results.Quantile(c.hist, 0.5)), ms(mean), ms(results.MinLatency(c.hist)), ms(results.MaxLatency(c.hist)),
			fmtFloat(perReq(c.bytes, c.requests)))
		l.cw.Write(row)
	}
	l.cw.Flush()
	return l.cw.Error()
}

// Flush writes the header if no second was added, and flushes.
func (l *LocustHistory) Flush() error {
	if !l.wrote {
		l.cw.Write(LocustHistoryColumns)
		l.wrote = true
	}
	l.cw.Flush()
	return l.cw.Error()
}
