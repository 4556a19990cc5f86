package agents

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/scalebench/scalebench/internal/results"
)

// secondAcc is one second of the merged series.
type secondAcc struct {
	users              int
	requests, failures int64
	eps                map[string]*secondEndpoint
}

type secondEndpoint struct {
	requests, failures int64
	ok                 *hdrhistogram.Histogram
}

// addSeries adds an agent's series, moved by shift seconds, with its
// per-second histograms.
func (m *merger) addSeries(rep *Report, rec *results.Load, shift int) error {
	hists := map[int][]string{}
	for _, s := range rep.Seconds {
		hists[s.T] = s.OK
	}
	names := make([]string, len(rec.Endpoints))
	for i, e := range rec.Endpoints {
		names[i] = e.Name
	}
	for _, s := range rec.Series {
		acc := m.seconds[s.T+shift]
		if acc == nil {
			acc = &secondAcc{eps: map[string]*secondEndpoint{}}
			m.seconds[s.T+shift] = acc
		}
		acc.users += s.Users
		acc.requests += s.Requests
		acc.failures += s.Failures
		h := hists[s.T]
		for i, name := range names {
			se := s.Endpoints[name]
			e := acc.eps[name]
			if e == nil {
				e = &secondEndpoint{}
				acc.eps[name] = e
			}
			e.requests += se.Requests
			e.failures += se.Failures
			if i >= len(h) || h[i] == "" {
				if se.Requests > se.Failures {
					return fmt.Errorf("second %d: endpoint %s has %d successful requests but no histogram", s.T, name, se.Requests-se.Failures)
				}
				continue
			}
			dec, err := results.DecodeHistogram(h[i])
			if err != nil {
				return fmt.Errorf("second %d: endpoint %s: %w", s.T, name, err)
			}
			if e.ok == nil {
				e.ok = results.NewHistogram()
			}
			e.ok.Merge(dec)
		}
	}
	return nil
}

// series is the merged series, one entry per second from the shared start;
// a second no agent recorded (an agent started late) counts nothing.
func (m *merger) series() []results.Second {
	if len(m.seconds) == 0 {
		return nil
	}
	var ts []int
	for t := range m.seconds {
		ts = append(ts, t)
	}
	sort.Ints(ts)
	var out []results.Second
	for _, t := range ts {
		acc := m.seconds[t]
		s := results.Second{T: t, Users: acc.users, Requests: acc.requests, Failures: acc.failures,
			Endpoints: map[string]results.SecondEndpoint{}}
		total := results.NewHistogram()
		for name, e := range acc.eps {
			s.Endpoints[name] = results.SecondEndpoint{Requests: e.requests, Failures: e.failures,
				P50: results.Quantile(e.ok, 0.50), P95: results.Quantile(e.ok, 0.95)}
			if e.ok != nil {
				total.Merge(e.ok)
			}
		}
		s.P50, s.P95, s.P99 = results.Quantile(total, 0.50), results.Quantile(total, 0.95), results.Quantile(total, 0.99)
		s.Max = results.MaxLatency(total)
		out = append(out, s)
	}
	return out
}

// checkAcc rebuilds the generator check from the agents' checks: users,
// throughput and CPU add up; response and wait are weighted by throughput.
type checkAcc struct {
	users, x, xr, xw, cpu, cpuPerReq float64
	bound                            []string
}

func (c *checkAcc) add(name string, k results.Check) {
	c.users += k.Users
	c.x += k.Throughput
	c.xr += k.Throughput * float64(k.MeanResponse)
	c.xw += k.Throughput * float64(k.MeanWait)
	c.cpu += k.GeneratorCPU
	c.cpuPerReq += k.Throughput * float64(k.GeneratorCPUPerRequest)
	if k.GeneratorBound {
		c.bound = append(c.bound, fmt.Sprintf("%s: %s", name, k.Reason))
	}
}

func (c *checkAcc) result() results.Check {
	k := results.Check{Users: c.users, Throughput: c.x, GeneratorCPU: c.cpu}
	if c.x > 0 {
		k.MeanResponse = time.Duration(c.xr / c.x)
		k.MeanWait = time.Duration(c.xw / c.x)
		k.GeneratorCPUPerRequest = time.Duration(c.cpuPerReq / c.x)
	}
	if c.users > 0 {
		k.Ratio = c.x * (k.MeanResponse + k.MeanWait).Seconds() / c.users
	}
	if len(c.bound) > 0 {
		k.GeneratorBound = true
		k.Reason = "load agents were the limit: " + strings.Join(c.bound, "; ")
	}
	return k
}
