package agents

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// Share is what the coordinator knows of one agent when it merges.
type Share struct {
	// Cell is the agent's share of the cell.
	Cell matrix.Cell
	// Name and Node name the agent and where it ran.
	Name, Node string
	// Report is its record; nil when it sent none.
	Report *Report
	// Status is results.AgentOK with a report, else AgentFailed or
	// AgentLate with Error saying why.
	Status, Error string
	// Offset is its clock minus the coordinator's (see results.Agent).
	Offset time.Duration
}

// ErrNoRecord is returned by Merge when no agent sent a record.
var ErrNoRecord = errors.New("no agent sent its record")

// Merge merges the agents' records of cell c, whose load started at start
// (coordinator's clock), into one record: histograms added, series summed
// second by second on the shared clock, errors regrouped, the generator
// check recomputed from its parts. Load.Agents gets one entry per share,
// failed ones included.
func Merge(c matrix.Cell, start time.Time, shares []Share) (*results.Load, error) {
	m := newMerger(c, start)
	for i := range shares {
		if err := m.add(&shares[i]); err != nil {
			return nil, err
		}
	}
	if m.n == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoRecord, failures(shares))
	}
	return m.result()
}

// failures lists why each agent sent nothing.
func failures(shares []Share) string {
	var out []string
	for _, s := range shares {
		if s.Report == nil {
			out = append(out, fmt.Sprintf("%s: %s", s.Name, s.Error))
		}
	}
	if len(out) == 0 {
		return "no agent ran"
	}
	return strings.Join(out, "; ")
}

type merger struct {
	cell    matrix.Cell
	start   time.Time
	n       int
	elapsed time.Duration
	steady  time.Duration // longest steady window
	total   *stats
	steadyS *stats
	eps     []endpointAcc
	seconds map[int]*secondAcc
	errs    map[errKey]*results.ErrorGroup
	order   []errKey
	late    int64
	dropped int64
	check   checkAcc
	agents  []results.Agent
}

type endpointAcc struct {
	name, method  string
	total, steady *stats
}

type errKey struct {
	endpoint, method string
	class            results.Class
	message          string
}

func newMerger(c matrix.Cell, start time.Time) *merger {
	return &merger{
		cell: c, start: start, total: &stats{}, steadyS: &stats{},
		seconds: map[int]*secondAcc{}, errs: map[errKey]*results.ErrorGroup{},
	}
}

func (m *merger) add(s *Share) error {
	a := results.Agent{
		Name: s.Name, Node: s.Node, Users: s.Cell.Users, Rate: s.Cell.Rate,
		Status: s.Status, Error: s.Error, ClockOffset: s.Offset,
	}
	if a.Status == "" {
		a.Status = results.AgentOK
	}
	if s.Report == nil {
		if a.Status == results.AgentOK {
			a.Status = results.AgentFailed
		}
		m.agents = append(m.agents, a)
		return nil
	}
	rec := s.Report.Load
	shift := int(math.Round(rec.Started.Add(-s.Offset).Sub(m.start).Seconds()))
	a.Requests, a.RPS, a.GeneratorCPU = rec.Total.Requests, rec.Steady.RPS, rec.Check.GeneratorCPU
	a.Started, a.Shift = rec.Started, shift
	m.agents = append(m.agents, a)
	m.n++
	m.elapsed = max(m.elapsed, time.Duration(shift)*time.Second+rec.Elapsed)
	m.steady = max(m.steady, rec.Steady.Window)
	if err := m.total.add(rec.Total); err != nil {
		return fmt.Errorf("%s: %w", s.Name, err)
	}
	if err := m.steadyS.add(rec.Steady); err != nil {
		return fmt.Errorf("%s: %w", s.Name, err)
	}
	for _, e := range rec.Endpoints {
		acc := m.endpoint(e.Name, e.Method)
		if err := acc.total.add(e.Total); err != nil {
			return fmt.Errorf("%s: endpoint %s: %w", s.Name, e.Name, err)
		}
		if err := acc.steady.add(e.Steady); err != nil {
			return fmt.Errorf("%s: endpoint %s: %w", s.Name, e.Name, err)
		}
	}
	if err := m.addSeries(s.Report, rec, shift); err != nil {
		return fmt.Errorf("%s: %w", s.Name, err)
	}
	m.addErrors(rec.Errors, time.Duration(shift)*time.Second)
	m.late += rec.Late
	m.dropped += rec.Dropped
	m.check.add(s.Name, rec.Check)
	return nil
}

func (m *merger) endpoint(name, method string) *endpointAcc {
	for i := range m.eps {
		if m.eps[i].name == name && m.eps[i].method == method {
			return &m.eps[i]
		}
	}
	m.eps = append(m.eps, endpointAcc{name: name, method: method, total: &stats{}, steady: &stats{}})
	return &m.eps[len(m.eps)-1]
}

func (m *merger) addErrors(groups []results.ErrorGroup, shift time.Duration) {
	for _, g := range groups {
		k := errKey{g.Endpoint, g.Method, g.Class, g.Message}
		cur := m.errs[k]
		if cur == nil {
			c := g
			c.First, c.Last = g.First+shift, g.Last+shift
			m.errs[k] = &c
			m.order = append(m.order, k)
			continue
		}
		cur.Count += g.Count
		cur.First = min(cur.First, g.First+shift)
		cur.Last = max(cur.Last, g.Last+shift)
	}
}

func (m *merger) result() (*results.Load, error) {
	steadyStart := min(max(m.cell.SteadyStart(), 0), m.cell.Duration)
	rec := &results.Load{
		Mode: m.cell.Mode, Started: m.start, Elapsed: m.elapsed, SteadyStart: steadyStart,
		Late: m.late, Dropped: m.dropped, Agents: m.agents,
	}
	if rec.Mode == "" {
		rec.Mode = matrix.Closed
	}
	var err error
	if rec.Total, err = m.total.stats(m.elapsed); err != nil {
		return nil, err
	}
	if rec.Steady, err = m.steadyS.stats(m.steady); err != nil {
		return nil, err
	}
	for _, e := range m.eps {
		out := results.Endpoint{Name: e.name, Method: e.method}
		if out.Total, err = e.total.stats(m.elapsed); err != nil {
			return nil, err
		}
		if out.Steady, err = e.steady.stats(m.steady); err != nil {
			return nil, err
		}
		rec.Endpoints = append(rec.Endpoints, out)
	}
	rec.Series = m.series()
	for _, k := range m.order {
		rec.Errors = append(rec.Errors, *m.errs[k])
	}
	sort.SliceStable(rec.Errors, func(i, j int) bool { return rec.Errors[i].Count > rec.Errors[j].Count })
	rec.Check = m.check.result()
	return rec, nil
}

// stats adds up results.Stats exactly: counts summed, histograms merged,
// means weighted by their counts.
type stats struct {
	ok, fail           *hdrhistogram.Histogram
	requests, failures int64
	bytes              int64
	byClass            map[results.Class]int64
	sumOK, sumFail     float64 // nanoseconds
}

func (a *stats) add(s results.Stats) error {
	if s.Histogram != "" {
		h, err := results.DecodeHistogram(s.Histogram)
		if err != nil {
			return err
		}
		if a.ok == nil {
			a.ok = results.NewHistogram()
		}
		a.ok.Merge(h)
	}
	if s.FailedHistogram != "" {
		h, err := results.DecodeHistogram(s.FailedHistogram)
		if err != nil {
			return err
		}
		if a.fail == nil {
			a.fail = results.NewHistogram()
		}
		a.fail.Merge(h)
	}
	a.requests += s.Requests
	a.failures += s.Failures
	a.bytes += s.Bytes
	for k, v := range s.FailuresByClass {
		if a.byClass == nil {
			a.byClass = map[results.Class]int64{}
		}
		a.byClass[k] += v
	}
	a.sumOK += float64(s.Latency.Mean) * float64(s.Requests-s.Failures)
	if s.FailedLatency != nil {
		a.sumFail += float64(s.FailedLatency.Mean) * float64(s.Failures)
	}
	return nil
}

func (a *stats) stats(window time.Duration) (results.Stats, error) {
	st := results.Stats{
		Window: window, Requests: a.requests, Failures: a.failures, Bytes: a.bytes,
		FailuresByClass: a.byClass,
	}
	if window > 0 {
		st.RPS = float64(a.requests) / window.Seconds()
	}
	if a.requests > 0 {
		st.FailRate = float64(a.failures) / float64(a.requests)
	}
	var mean time.Duration
	if ok := a.requests - a.failures; ok > 0 {
		mean = time.Duration(a.sumOK / float64(ok))
	}
	st.Latency = latencyOf(a.ok, mean)
	var err error
	if st.Histogram, err = results.EncodeHistogram(a.ok); err != nil {
		return st, err
	}
	if a.fail != nil && a.fail.TotalCount() > 0 {
		fl := latencyOf(a.fail, time.Duration(a.sumFail/float64(max(a.failures, 1))))
		st.FailedLatency = &fl
		if st.FailedHistogram, err = results.EncodeHistogram(a.fail); err != nil {
			return st, err
		}
	}
	return st, nil
}

func latencyOf(h *hdrhistogram.Histogram, mean time.Duration) results.Latency {
	return results.Latency{
		Min: results.MinLatency(h), Mean: mean,
		P50: results.Quantile(h, 0.50), P90: results.Quantile(h, 0.90), P95: results.Quantile(h, 0.95),
		P99: results.Quantile(h, 0.99), P999: results.Quantile(h, 0.999), Max: results.MaxLatency(h),
	}
}
