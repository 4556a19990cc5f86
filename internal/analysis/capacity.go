package analysis

import (
	"cmp"
	"slices"

	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/slo"
)

// SLOCapacity is one scale's capacity at the matrix's SLO: the highest load
// level that met it below every level that broke it, found by a search run
// or read off a grid run.
type SLOCapacity struct {
	// Run and Title name the run; Search is true for a search run.
	Run, Title string
	Search     bool
	// Scale is the replica count; Mode says whether levels are users or
	// requests/s.
	Scale int
	Mode  matrix.Mode
	// Result is the bracket [Capacity, Above) with its flags (met nowhere,
	// never broken, unsure and non-monotone levels) and the probes run.
	Result slo.Result
	// Throughput is the successful requests/s at the capacity level (0
	// when met nowhere).
	Throughput float64
	// Levels are every level judged, ascending, with its verdict.
	Levels []slo.Tried
	// EarlyStopped counts the cells of this scale that stopped early.
	EarlyStopped int
}

// SLOCapacities judges every run's cells against the matrix's SLO, per run
// and scale, in matrix order; nil without an SLO. Degraded cells count
// only when th says so; failed and aborted cells never do.
func SLOCapacities(set *results.Set, th Thresholds) []SLOCapacity {
	m := &set.Run.Matrix
	if m.SLO == nil {
		return nil
	}
	var out []SLOCapacity
	for _, run := range m.Runs {
		for _, scale := range run.Scale {
			if c, ok := capacityOf(set, th, *m.SLO, run, scale); ok {
				out = append(out, c)
			}
		}
	}
	return out
}

func capacityOf(set *results.Set, th Thresholds, s matrix.SLO, run matrix.Run, scale int) (SLOCapacity, bool) {
	byLevel := map[int][]*results.Cell{}
	c := SLOCapacity{Run: run.Name, Title: run.Title, Search: run.Search != nil, Scale: scale, Mode: matrix.Closed}
	for i := range set.Cells {
		cell := &set.Cells[i]
		if cell.Cell.Run != run.Name || cell.Cell.Scale != scale || cell.Load == nil {
			continue
		}
		if cell.Status != results.CellOK && !(cell.Status == results.CellDegraded && th.IncludeDegraded) {
			continue
		}
		level := cell.Cell.Users
		if cell.Cell.Mode == matrix.Open {
			level, c.Mode = int(cell.Cell.Rate), matrix.Open
		}
		byLevel[level] = append(byLevel[level], cell)
		if cell.EarlyStop != nil {
			c.EarlyStopped++
		}
	}
	if len(byLevel) == 0 {
		return c, false
	}
	for level, cells := range byLevel {
		c.Levels = append(c.Levels, slo.Tried{Level: level, Verdict: slo.Judge(s, cells)})
	}
	slices.SortFunc(c.Levels, func(a, b slo.Tried) int { return cmp.Compare(a.Level, b.Level) })
	bounds := matrix.Search{From: c.Levels[0].Level, Max: c.Levels[len(c.Levels)-1].Level}
	if run.Search != nil {
		bounds = *run.Search
	}
	c.Result = slo.Summarize(bounds, c.Levels)
	// A grid's levels are not a search's bracket: a level that met the SLO
	// above one that broke it is non-monotone there too.
	for _, l := range c.Levels {
		if l.Level == c.Result.Capacity {
			c.Throughput = l.Verdict.Throughput
		}
	}
	return c, true
}
