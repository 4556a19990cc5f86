package analysis

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/scalebench/scalebench/internal/results"
)

// Memory and health: per level, how much memory each service used during
// the load; per cell, the containers whose memory rose steadily (leak
// suspects) and the ones that restarted, were OOM-killed or died.

// MiB is a mebibyte in bytes.
const MiB = 1 << 20

// MemoryThresholds decide when a container's memory counts as a leak
// suspect. A leak suspect needs all of these at once, because each alone
// is met by healthy services:
//
//   - LeakRise (0.10): the straight line fitted through the samples during
//     the load rises by at least 10% of its level at the load's start. A
//     service's working set follows its load by a few percent (buffers,
//     requests in flight); a tenth more within one cell of 30–60 s, kept
//     up, doubles it in minutes.
//   - LeakMinRise (4 MiB): and by at least 4 MiB. Below that, allocator
//     arenas, a garbage collector's heap target and page-sized RSS steps
//     move a small process by that much without leaking, and 10% of a
//     12 MiB Redis is only 1.2 MiB.
//   - LeakR2 (0.8): the line explains at least 80% of the samples'
//     variance. Noisy or saw-toothed memory (collections freeing what
//     requests allocated) fits a line badly even when its trend is up.
//   - LeakMinSamples (10): the fit uses at least 10 samples (10 s at one
//     sample a second); a handful of points fit any line.
//   - LeakPersist (0.5): the second half of the load alone still rises at
//     least half as fast. Caches and pools fill during the ramp and then
//     level off; a leak keeps rising.
type MemoryThresholds struct {
	// LeakRise is the rise over the load, as a fraction of the fitted
	// level at its start, from which a steady rise counts (0.10).
	LeakRise float64
	// LeakMinRise is the smallest rise that counts, in bytes (4 MiB).
	LeakMinRise int64
	// LeakR2 is the smallest coefficient of determination of the
	// least-squares line (0.8).
	LeakR2 float64
	// LeakMinSamples is the fewest samples during the load a fit needs (10).
	LeakMinSamples int
	// LeakPersist is the fraction of the whole load's slope that the
	// second half's own slope must reach (0.5).
	LeakPersist float64
}

// DefaultMemoryThresholds returns the memory thresholds Analyze uses.
func DefaultMemoryThresholds() MemoryThresholds {
	return MemoryThresholds{LeakRise: 0.10, LeakMinRise: 4 * MiB, LeakR2: 0.8, LeakMinSamples: 10, LeakPersist: 0.5}
}

// orDefault fills the zero fields of m from DefaultMemoryThresholds, so a
// Thresholds written without them still finds leaks.
func (m MemoryThresholds) orDefault() MemoryThresholds {
	d := DefaultMemoryThresholds()
	return MemoryThresholds{
		LeakRise:       cmp.Or(m.LeakRise, d.LeakRise),
		LeakMinRise:    cmp.Or(m.LeakMinRise, d.LeakMinRise),
		LeakR2:         cmp.Or(m.LeakR2, d.LeakR2),
		LeakMinSamples: cmp.Or(m.LeakMinSamples, d.LeakMinSamples),
		LeakPersist:    cmp.Or(m.LeakPersist, d.LeakPersist),
	}
}

// Flag kinds of container health (see Flag).
const (
	// FlagLeak marks a container whose memory rose steadily during a
	// cell's load (Flag.Trend, Flag.Slope).
	FlagLeak FlagKind = "memory-leak"
	// FlagReplicaDied marks a container of any service, the scaled one
	// included, that restarted, was OOM-killed or died during a cell
	// (Flag.Death). The cell's numbers stay in its level, which lists it in
	// Level.Died.
	FlagReplicaDied FlagKind = "replica-died"
)

// ServiceMemory is one service's memory use over a level's cells. Every
// size is in bytes; memory is docker stats' use without page cache.
type ServiceMemory struct {
	// Service is the compose (or Swarm) service name.
	Service string
	// Containers is the most containers of it seen in one cell.
	Containers int
	// Peak is the highest sample of any one of its containers during the
	// load; PeakContainer names that container.
	Peak          int64
	PeakContainer string
	// PeakTotal is the highest sum of its containers' samples taken in the
	// same second during the load.
	PeakTotal int64
	// Mean is the mean of that sum over the steady window (over the whole
	// load when no sample falls in it), averaged over the level's cells.
	Mean int64
	// Limit is the highest memory limit of one of its containers; 0 when
	// none has one.
	Limit int64
}

// MemoryTrend is the least-squares line through one container's memory
// samples during a cell's load.
type MemoryTrend struct {
	// Slope is the line's rise, bytes/s.
	Slope float64
	// From and To are the line's values at the first and last sample of the
	// load, bytes; Window is the time between those samples.
	From, To int64
	Window   time.Duration
	// R2 is the fit's coefficient of determination (0..1).
	R2 float64
	// Samples is the number of samples fitted.
	Samples int
	// Siblings is the number of containers of the same service in the cell
	// (1 when it was alone), so a sentence can name the container only when
	// it needs to.
	Siblings int
}

// Death is what the engine reported about one container during a cell.
type Death struct {
	// Restarts is how many times the engine restarted it.
	Restarts int
	// OOMKilled is true when the kernel killed it for lack of memory (its
	// OOMKilled state or an "oom" event).
	OOMKilled bool
	// Dies counts its "die" events; ExitCode is the exit code of the first
	// one (0 when none was recorded).
	Dies     int
	ExitCode int
	// At is the offset from the load's start of its first die, oom or
	// restart event; Timed is false when only the counters told.
	At    time.Duration
	Timed bool
	// Gone is true when it died and its samples stop before the load
	// ended: it did not come back during the cell.
	Gone bool
}

// health flags the cell's leak suspects and the containers that died.
func (a *analyzer) health(c *results.Cell) {
	th := a.th.Memory.orDefault()
	for i := range c.Containers {
		cs := &c.Containers[i]
		f := Flag{Cell: c.Cell.ID, Run: c.Cell.Run, Scale: c.Cell.Scale, Load: LoadOf(&c.Cell),
			Service: cs.Service, Container: cs.Name}
		if d := deathOf(cs, c.Load); d != nil {
			f := f
			f.Kind, f.Death = FlagReplicaDied, d
			f.Detail = fmt.Sprintf("%s container %s %s", cs.Service, cs.Name, d.what())
			a.study.Flags = append(a.study.Flags, f)
		}
		if tr := leakOf(cs, c.Load, th); tr != nil {
			for _, o := range c.Containers {
				if o.Service == cs.Service && o.ID != cs.ID {
					tr.Siblings++
				}
			}
			tr.Siblings++
			f.Kind, f.Trend, f.Slope = FlagLeak, tr, tr.Slope
			f.Detail = fmt.Sprintf("memory of %s container %s rose %.1f→%.1f MiB over %s (%+.2f MiB/s, R²=%.2f)",
				cs.Service, cs.Name, float64(tr.From)/MiB, float64(tr.To)/MiB, tr.Window.Round(time.Second), tr.Slope/MiB, tr.R2)
			a.study.Flags = append(a.study.Flags, f)
		}
	}
}

// what says what happened in words for a Flag's Detail.
func (d *Death) what() string {
	s := "died"
	switch {
	case d.Restarts > 0:
		s = fmt.Sprintf("restarted %d×", d.Restarts)
	case d.Gone:
		s = "died and did not come back"
	}
	if d.Dies > 0 {
		s += fmt.Sprintf(", exit %d", d.ExitCode)
	}
	if d.OOMKilled {
		s += ", OOM-killed"
	}
	return s
}

// deathOf is what happened to a container that restarted, was OOM-killed
// or died while it was watched; nil when none of that happened. Kill
// events alone do not count: a kill that works is followed by a die.
func deathOf(cs *results.ContainerSeries, l *results.Load) *Death {
	d := Death{Restarts: cs.Restarts, OOMKilled: cs.OOMKilled}
	for _, e := range cs.Events {
		switch e.Action {
		case "die":
			if d.Dies == 0 {
				d.ExitCode = e.ExitCode
			}
			d.Dies++
		case "oom":
			d.OOMKilled = true
		case "restart":
			d.Restarts = max(d.Restarts, 1)
		default:
			continue
		}
		if !d.Timed || e.T < d.At {
			d.At, d.Timed = e.T, true
		}
	}
	if d.Restarts == 0 && !d.OOMKilled && d.Dies == 0 {
		return nil
	}
	if d.Dies > 0 && d.Restarts == 0 && l != nil && len(cs.Samples) > 0 {
		last := cs.Samples[len(cs.Samples)-1].T
		d.Gone = last < l.Elapsed-2*time.Second
	}
	return &d
}

// leakOf fits a line through the container's memory during the load and
// returns it when it is a leak suspect by th; nil otherwise.
func leakOf(cs *results.ContainerSeries, l *results.Load, th MemoryThresholds) *MemoryTrend {
	if l == nil {
		return nil
	}
	var ts, ms []float64
	for _, s := range cs.Samples {
		if s.T >= 0 && s.T <= l.Elapsed {
			ts = append(ts, s.T.Seconds())
			ms = append(ms, float64(s.Memory))
		}
	}
	n := len(ts)
	if n < max(th.LeakMinSamples, 4) {
		return nil
	}
	slope, icept, r2 := fitLine(ts, ms)
	if !(slope > 0) || r2 < th.LeakR2 {
		return nil
	}
	t0, t1 := ts[0], ts[n-1]
	from, to := icept+slope*t0, icept+slope*t1
	rise := to - from
	if rise < float64(th.LeakMinRise) || rise < th.LeakRise*math.Max(from, 0) {
		return nil
	}
	mid := (t0 + t1) / 2
	k := 0
	for k < n && ts[k] < mid {
		k++
	}
	if n-k >= 3 {
		if late, _, _ := fitLine(ts[k:], ms[k:]); late < th.LeakPersist*slope {
			return nil
		}
	}
	return &MemoryTrend{Slope: slope, From: int64(math.Round(from)), To: int64(math.Round(to)),
		Window: time.Duration((t1 - t0) * float64(time.Second)), R2: r2, Samples: n}
}

// fitLine is the least-squares line y = icept + slope·x and its
// coefficient of determination (0 when y does not vary).
func fitLine(xs, ys []float64) (slope, icept, r2 float64) {
	mx, my := mean(xs), mean(ys)
	var sxx, sxy, syy float64
	for i := range xs {
		dx, dy := xs[i]-mx, ys[i]-my
		sxx += dx * dx
		sxy += dx * dy
		syy += dy * dy
	}
	if sxx == 0 {
		return 0, my, 0
	}
	slope = sxy / sxx
	icept = my - slope*mx
	if syy > 0 {
		r2 = sxy * sxy / (sxx * syy)
	}
	return slope, icept, r2
}

// memoryOf is the memory per service of a level's cells, by service name,
// and the ids of the cells in which a container died (see Level.Died).
func memoryOf(cells []*results.Cell) ([]ServiceMemory, []string) {
	acc := map[string]*ServiceMemory{}
	means := map[string][]float64{}
	var died []string
	for _, c := range cells {
		if c.Load == nil {
			continue
		}
		type svc struct {
			n      int
			totals map[int64]int64
			steady map[int64]bool
		}
		per := map[string]*svc{}
		dead := false
		for i := range c.Containers {
			cs := &c.Containers[i]
			if deathOf(cs, c.Load) != nil {
				dead = true
			}
			m := acc[cs.Service]
			if m == nil {
				m = &ServiceMemory{Service: cs.Service}
				acc[cs.Service] = m
			}
			m.Limit = max(m.Limit, cs.MemoryLimit)
			s := per[cs.Service]
			if s == nil {
				s = &svc{totals: map[int64]int64{}, steady: map[int64]bool{}}
				per[cs.Service] = s
			}
			s.n++
			for _, x := range cs.Samples {
				if x.T < 0 || x.T > c.Load.Elapsed {
					continue
				}
				if x.Memory > m.Peak {
					m.Peak, m.PeakContainer = x.Memory, cs.Name
				}
				sec := int64(x.T.Round(time.Second) / time.Second)
				s.totals[sec] += x.Memory
				if x.T >= c.Load.SteadyStart {
					s.steady[sec] = true
				}
			}
		}
		if dead {
			died = append(died, c.Cell.ID)
		}
		for name, s := range per {
			m := acc[name]
			m.Containers = max(m.Containers, s.n)
			var steady, all []float64
			for sec, v := range s.totals {
				m.PeakTotal = max(m.PeakTotal, v)
				all = append(all, float64(v))
				if s.steady[sec] {
					steady = append(steady, float64(v))
				}
			}
			switch {
			case len(steady) > 0:
				means[name] = append(means[name], mean(steady))
			case len(all) > 0:
				means[name] = append(means[name], mean(all))
			}
		}
	}
	out := make([]ServiceMemory, 0, len(acc))
	for name, m := range acc {
		m.Mean = int64(math.Round(mean(means[name])))
		out = append(out, *m)
	}
	slices.SortFunc(out, func(x, y ServiceMemory) int { return cmp.Compare(x.Service, y.Service) })
	return out, died
}
