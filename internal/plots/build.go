package plots

import (
	"fmt"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/results"
)

// RunCharts are the charts of one run (nil where there was nothing to draw).
type RunCharts struct {
	// Run is the run's name.
	Run string
	// RPS, P95, Failures, Percentiles are the run's level charts; CPU is the
	// container CPU of its heaviest cell.
	RPS, P95, Failures, Percentiles, CPU *Chart
}

// All lists the run's non-nil charts in display order.
func (r *RunCharts) All() []*Chart {
	var out []*Chart
	for _, c := range []*Chart{r.RPS, r.P95, r.Failures, r.Percentiles, r.CPU} {
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}

// Charts are every chart of a study.
type Charts struct {
	// Scaling is capacity against replicas (nil without any scale).
	Scaling *Chart
	// SLO is the capacity at the matrix's SLO against replicas (nil
	// without an SLO).
	SLO *Chart
	// Bounds are the asymptotic-bounds charts, one per scale in order.
	Bounds []*Chart
	// Runs are per-run charts, in the study's run order.
	Runs []RunCharts
	// Cells are the per-cell timelines by cell id.
	Cells map[string]*Chart
	// Problems are the charts that could not be built, as errors naming them.
	Problems []error
	// Memory are the per-cell memory charts by cell id: each run's heaviest
	// cell and every cell flagged as a leak suspect or with a dead replica.
	Memory map[string]*Chart
}

// All lists every chart built, scaling first, then runs, then cells in the
// set's order.
func (cs *Charts) All(set *results.Set) []*Chart {
	var out []*Chart
	if cs.Scaling != nil {
		out = append(out, cs.Scaling)
	}
	if cs.SLO != nil {
		out = append(out, cs.SLO)
	}
	out = append(out, cs.Bounds...)
	for i := range cs.Runs {
		out = append(out, cs.Runs[i].All()...)
	}
	for i := range set.Cells {
		if c := cs.Cells[set.Cells[i].Cell.ID]; c != nil {
			out = append(out, c)
		}
	}
	out = append(out, cs.memoryCharts(set)...)
	return out
}

// Build builds (but does not render) every chart of the study. A chart that
// cannot be built is left out and named in Problems.
func Build(st *analysis.Study, set *results.Set) *Charts {
	cs := &Charts{Cells: map[string]*Chart{}}
	keep := func(c *Chart, err error) *Chart {
		if err != nil {
			cs.Problems = append(cs.Problems, err)
			return nil
		}
		return c
	}
	if len(st.Scales) > 0 {
		cs.Scaling = keep(CapacityVsScale(st))
	}
	if caps := analysis.SLOCapacities(set, st.Thresholds); len(caps) > 0 {
		cs.SLO = keep(CapacityAtSLO(caps, *set.Run.Matrix.SLO))
	}
	for i := range st.Scales {
		if c := keep(Bounds(st, &st.Scales[i])); c != nil {
			cs.Bounds = append(cs.Bounds, c)
		}
	}
	for i := range st.Runs {
		run := &st.Runs[i]
		rc := RunCharts{Run: run.Name}
		rc.RPS = keep(RPSVsLoad(st, run))
		rc.P95 = keep(P95VsLoad(st, run))
		rc.Failures = keep(FailureHeatmap(st, run))
		rc.Percentiles = keep(LatencyPercentiles(st, run, set))
		if c := set.Cell(run.Heaviest); c != nil && len(c.Containers) > 0 {
			rc.CPU = keep(ContainerCPU(st, c))
		}
		cs.Runs = append(cs.Runs, rc)
	}
	for i := range set.Cells {
		c := &set.Cells[i]
		if c.Load == nil || len(c.Load.Series) == 0 {
			continue
		}
		if ch := keep(CellTimeline(c)); ch != nil {
			cs.Cells[c.Cell.ID] = ch
		}
	}
	cs.addMemory(st, set)
	return cs
}

// Run returns the charts of the named run, or nil.
func (cs *Charts) Run(name string) *RunCharts {
	for i := range cs.Runs {
		if cs.Runs[i].Run == name {
			return &cs.Runs[i]
		}
	}
	return nil
}

// String summarises the charts (for logs).
func (cs *Charts) String() string {
	n := len(cs.Cells)
	for i := range cs.Runs {
		n += len(cs.Runs[i].All())
	}
	if cs.Scaling != nil {
		n++
	}
	n += len(cs.Bounds) + len(cs.Memory)
	return fmt.Sprintf("%d charts, %d problems", n, len(cs.Problems))
}
