package matrix

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Cells expands m into cells in execution order. The order minimises
// rescaling: scales in the order they first appear in the file, and for each
// scale every run's cells at that scale; within a scale, repeats are the
// outer loop (so repeats are spread in time, as benchmark practice wants),
// then runs in file order, then load levels in list order.
func (m *Matrix) Cells() []Cell {
	var scales []int
	for _, r := range m.Runs {
		for _, s := range r.Scale {
			if !contains(scales, s) {
				scales = append(scales, s)
			}
		}
	}
	maxRepeat := 0
	for _, r := range m.Runs {
		maxRepeat = max(maxRepeat, r.Repeat)
	}
	var cells []Cell
	for _, s := range scales {
		for rep := 1; rep <= maxRepeat; rep++ {
			for _, r := range m.Runs {
				if !contains(r.Scale, s) || rep > r.Repeat {
					continue
				}
				for _, u := range r.Users {
					cells = append(cells, r.cell(s, Closed, u, 0, rep))
				}
				for _, q := range r.Rate {
					cells = append(cells, r.cell(s, Open, 0, q, rep))
				}
			}
		}
	}
	for i := range cells {
		cells[i].Index = i
	}
	return cells
}

func (r Run) cell(scale int, mode Mode, users int, rate float64, rep int) Cell {
	c := Cell{
		Run: r.Name, Title: r.Title, Scale: scale, Mode: mode, Users: users, Rate: rate,
		Repeat: rep, Duration: r.Duration, SpawnRate: r.SpawnRate, Warmup: r.Warmup,
		Settle: r.Settle, Cooldown: r.Cooldown, MaxInFlight: r.MaxInFlight,
	}
	if d, ok := r.DurationFor[users]; ok && mode == Closed {
		c.Duration = d
	}
	if s, ok := r.SpawnRateFor[users]; ok && mode == Closed {
		c.SpawnRate = s
	}
	if mode == Open {
		c.SpawnRate = 0
	}
	c.ID = CellID(r.Name, scale, mode, users, rate, rep)
	return c
}

// CellID names a cell: "run1-s3-u20-r1" for 20 users at scale 3, repeat 1,
// or "run1-s3-q50-r1" for an open-loop rate of 50 requests/s.
func CellID(run string, scale int, mode Mode, users int, rate float64, repeat int) string {
	return fmt.Sprintf("%s-r%d", cellKey(run, scale, mode, users, rate), repeat)
}

func cellKey(run string, scale int, mode Mode, users int, rate float64) string {
	level := "u" + strconv.Itoa(users)
	if mode == Open {
		level = "q" + strconv.FormatFloat(rate, 'f', -1, 64)
	}
	return fmt.Sprintf("%s-s%d-%s", run, scale, level)
}

// Key identifies a cell across repeats and result sets: run, scale and load
// level ("run1-s3-u20"). Diffs match cells by it.
func (c Cell) Key() string { return cellKey(c.Run, c.Scale, c.Mode, c.Users, c.Rate) }

// Hash is a fingerprint of what the matrix asks for (its file path
// excluded), so a resumed run can refuse a changed matrix.
func (m *Matrix) Hash() string {
	c := *m
	c.File = ""
	b, err := json.Marshal(c)
	if err != nil { // a Matrix always encodes; keep the zero hash distinct
		return "unencodable"
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// MinSteady is the shortest steady-state window plan accepts without a
// warning.
const MinSteady = 10 * time.Second

// Warnings says where a cell cannot do what it says: users not all started
// before the duration ends, or a steady state shorter than MinSteady.
func (c Cell) Warnings() []string {
	if c.Mode == Open {
		if c.Steady() < MinSteady {
			return []string{fmt.Sprintf("%s: steady state is %s after a %s warm-up, under %s: lengthen duration", c.ID, c.Steady().Round(100*time.Millisecond), c.Warmup, MinSteady)}
		}
		return nil
	}
	ramp := c.RampTime()
	if ramp >= c.Duration {
		reached := min(c.Users, 1+int(c.Duration.Seconds()*c.SpawnRate))
		need := ramp + c.Warmup + MinSteady
		return []string{fmt.Sprintf("%s: %d users at %g/s cannot all start within %s (about %d will): raise duration to %s or spawn_rate",
			c.ID, c.Users, c.SpawnRate, c.Duration, reached, need.Round(time.Second))}
	}
	if st := c.Steady(); st < MinSteady {
		return []string{fmt.Sprintf("%s: steady state is %s (ramp %s + warm-up %s of %s), under %s: raise spawn_rate or duration",
			c.ID, max(st, 0).Round(100*time.Millisecond), ramp.Round(100*time.Millisecond), c.Warmup, c.Duration, MinSteady)}
	}
	return nil
}

// Schedule estimates when each cell starts, from the suite's start, and the
// suite's total wall time: rescale (an estimate of one rescale and readiness
// wait) and settle after each change of scale, then each cell's load and
// cooldown.
func Schedule(cells []Cell, rescale time.Duration) (starts []time.Duration, total time.Duration) {
	starts = make([]time.Duration, len(cells))
	for i, c := range cells {
		if i == 0 || c.Scale != cells[i-1].Scale {
			total += rescale + c.Settle
		}
		starts[i] = total
		total += c.Duration + c.Cooldown
	}
	return starts, total
}
