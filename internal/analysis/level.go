package analysis

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/scalebench/scalebench/internal/results"
)

// level pools cells run at one (scale, load).
func (a *analyzer) level(cells []*results.Cell) Level {
	first := &cells[0].Cell
	lv := Level{Scale: first.Scale, Load: LoadOf(first)}
	var perCell, all []float64
	for _, c := range cells {
		lv.Runs = appendUnique(lv.Runs, c.Cell.Run)
		lv.Cells = append(lv.Cells, c.Cell.ID)
		st := headline(c.Load)
		perCell = append(perCell, st.RPS*(1-st.FailRate))
		all = append(all, st.RPS)
		lv.Requests += c.Load.Total.Requests
		lv.Failures += c.Load.Total.Failures
		lv.seconds = append(lv.seconds, steadySeconds(c)...)
		if c.Load.Check.GeneratorBound {
			lv.GeneratorBound = true
		}
	}
	lv.RPS, lv.AllRPS = mean(perCell), mean(all)
	if lv.Requests > 0 {
		lv.FailRate = float64(lv.Failures) / float64(lv.Requests)
	}
	if len(cells) >= a.th.MinRepeats {
		lv.Samples, lv.SampleKind = perCell, SamplesRepeats
	} else {
		lv.Samples, lv.SampleKind = lv.seconds, SamplesSeconds
	}
	if n := len(lv.Samples); n >= 2 {
		lv.SE = stddev(lv.Samples) / math.Sqrt(float64(n))
		lv.RPSHalfWidth = tQuantile975(n-1) * lv.SE
	}
	a.latency(&lv, cells)
	lv.Services = a.services(cells)
	lv.Memory, lv.Died = memoryOf(cells)
	return lv
}

// headline is the steady-state statistics, or the whole cell's when no
// steady window was recorded.
func headline(l *results.Load) results.Stats {
	if l.Steady.Requests > 0 || l.Steady.Window > 0 {
		return l.Steady
	}
	return l.Total
}

// steadySeconds is the per-second throughput of successful requests over
// whole seconds of the cell's steady window.
func steadySeconds(c *results.Cell) []float64 {
	var out []float64
	for _, s := range c.Load.Series {
		start := time.Duration(s.T) * time.Second
		if start >= c.Load.SteadyStart && start+time.Second <= c.Load.Elapsed {
			out = append(out, float64(s.Requests-s.Failures))
		}
	}
	return out
}

// latency fills the level's percentiles from the merged steady histograms,
// falling back to the cells' summaries (averaged) when none decode.
func (a *analyzer) latency(lv *Level, cells []*results.Cell) {
	h, err := SteadyHistogram(cells)
	if err != nil {
		a.warnf("level scale %d load %g: %v; percentiles are averaged from the cells' summaries", lv.Scale, lv.Load, err)
	}
	if err == nil && h.TotalCount() > 0 {
		lv.P50, lv.P95, lv.P99 = results.Quantile(h, 0.50), results.Quantile(h, 0.95), results.Quantile(h, 0.99)
		lv.Max = time.Duration(h.Max()) * time.Microsecond
		return
	}
	var p50, p95, p99 time.Duration
	for _, c := range cells {
		l := headline(c.Load).Latency
		p50 += l.P50
		p95 += l.P95
		p99 += l.P99
		lv.Max = max(lv.Max, l.Max)
	}
	n := time.Duration(len(cells))
	lv.P50, lv.P95, lv.P99 = p50/n, p95/n, p99/n
}

// services is the mean CPU use per service over the cells' steady windows,
// busiest (by utilization of its ceiling) first.
func (a *analyzer) services(cells []*results.Cell) []ServiceLoad {
	acc := map[string]*ServiceLoad{}
	var order []string
	for _, c := range cells {
		perCell := map[string]*ServiceLoad{}
		for _, cs := range c.Containers {
			cpu, ok := steadyCPU(cs, c.Load)
			if !ok {
				continue
			}
			limit := cs.CPULimit
			if limit <= 0 {
				limit = a.cores
			}
			sl := perCell[cs.Service]
			if sl == nil {
				sl = &ServiceLoad{Service: cs.Service}
				perCell[cs.Service] = sl
			}
			sl.Containers++
			sl.CPU += cpu
			sl.Ceiling += limit * 100
			if limit > 0 {
				sl.Hottest = max(sl.Hottest, cpu/(limit*100))
			}
			sl.HottestCores = max(sl.HottestCores, cpu/100)
		}
		for name, sl := range perCell {
			t := acc[name]
			if t == nil {
				t = &ServiceLoad{Service: name}
				acc[name] = t
				order = append(order, name)
			}
			t.Containers = max(t.Containers, sl.Containers)
			t.CPU += sl.CPU / float64(len(cells))
			t.Ceiling = max(t.Ceiling, sl.Ceiling)
			t.Hottest = max(t.Hottest, sl.Hottest)
			t.HottestCores = max(t.HottestCores, sl.HottestCores)
		}
	}
	out := make([]ServiceLoad, 0, len(order))
	for _, name := range order {
		s := *acc[name]
		// Containers without limits share the host's cores: five of them on
		// a 2-core host have 2 cores, not 10.
		if host := a.cores * 100; host > 0 {
			s.Limited = s.Ceiling < host-0.5
			s.Ceiling = min(s.Ceiling, host)
		}
		if s.Ceiling > 0 {
			s.Utilization = s.CPU / s.Ceiling
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(x, y ServiceLoad) int {
		return cmp.Or(cmp.Compare(y.Utilization, x.Utilization), cmp.Compare(y.CPU, x.CPU), cmp.Compare(x.Service, y.Service))
	})
	return out
}

// steadyCPU is a container's mean CPU percent over the load's steady window
// (over every sample during the load when none falls in it).
func steadyCPU(cs results.ContainerSeries, l *results.Load) (float64, bool) {
	var steady, during []float64
	for _, s := range cs.Samples {
		if s.T >= 0 && s.T <= l.Elapsed {
			during = append(during, s.CPU)
			if s.T >= l.SteadyStart {
				steady = append(steady, s.CPU)
			}
		}
	}
	switch {
	case len(steady) > 0:
		return mean(steady), true
	case len(during) > 0:
		return mean(during), true
	}
	return 0, false
}
