package runner

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// Progress shows a suite as it runs. Methods are called from the runner's
// goroutine, Live also from the load engine's progress callback.
type Progress interface {
	// Begin announces the suite: its directory, cells to run, cells kept
	// from an earlier attempt, and the estimated time.
	Begin(dir string, todo, kept int, eta time.Duration)
	// CellStart announces cell i of the cells to run, and the time left.
	CellStart(i int, c matrix.Cell, eta time.Duration)
	// Live is the load engine's once-per-second view.
	Live(p load.Progress)
	// CellEnd reports a finished cell.
	CellEnd(i int, c *results.Cell)
	// Logf reports an event (rescale, retry, restore).
	Logf(format string, args ...any)
}

// NewPlainProgress writes timestamped lines, for logs and CI: one per event
// and a live line every 10 seconds of load.
func NewPlainProgress(w io.Writer) Progress {
	return &plain{w: w, every: 10 * time.Second}
}

// NewTTYProgress keeps a live status line at the bottom of a terminal.
func NewTTYProgress(w io.Writer) Progress {
	return &tty{plain: plain{w: w}}
}

type plain struct {
	mu      sync.Mutex
	w       io.Writer
	every   time.Duration
	todo    int
	begun   time.Time
	eta     time.Duration
	cur     matrix.Cell
	curIdx  int
	lastLiv time.Duration
	rate    okRate
}

// okRate turns the load engine's once-per-second view into the throughput
// of successful requests, as the report defines rps: the second's
// completions less its failures (from the cumulative failure count).
type okRate struct {
	failures int64
	elapsed  time.Duration
}

// next returns the successful requests per second of the second l reports.
func (o *okRate) next(l load.Progress) float64 {
	if l.Elapsed < o.elapsed || l.Failures < o.failures { // a new cell
		*o = okRate{}
	}
	dt := (l.Elapsed - o.elapsed).Seconds()
	failed := float64(l.Failures - o.failures)
	o.failures, o.elapsed = l.Failures, l.Elapsed
	if dt <= 0 {
		return max(l.RPS, 0)
	}
	return max(l.RPS-failed/dt, 0)
}

func (p *plain) line(format string, args ...any) {
	fmt.Fprintf(p.w, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func (p *plain) Begin(dir string, todo, kept int, eta time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.todo, p.begun = todo, time.Now()
	msg := fmt.Sprintf("%d cells to run, about %s of load", todo, eta.Round(time.Second))
	if kept > 0 {
		msg += fmt.Sprintf(" (%d kept from the interrupted run)", kept)
	}
	p.line("results in %s: %s", dir, msg)
}

func (p *plain) CellStart(i int, c matrix.Cell, eta time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cur, p.curIdx, p.eta, p.lastLiv, p.rate = c, i, eta, 0, okRate{}
	p.line("cell %d/%d %s: scale %d, %s, %s (elapsed %s, ETA %s)", i+1, p.todo, c.ID, c.Scale, c.Level(), c.Duration,
		time.Since(p.begun).Round(time.Second), eta.Round(time.Second))
}

func (p *plain) Live(l load.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ok := p.rate.next(l)
	if l.Elapsed-p.lastLiv < p.every {
		return
	}
	p.lastLiv = l.Elapsed
	p.line("  %s: %3.0fs users %d, %.1f rps ok, p95 %s, %d failures", p.cur.ID, l.Elapsed.Seconds(), l.Users, ok, fmtMS(l.P95), l.Failures)
}

func (p *plain) CellEnd(i int, c *results.Cell) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.line("%s", cellLine(i, p.todo, c))
}

func (p *plain) Logf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.line(format, args...)
}

// cellLine is a finished cell's one-line result.
func cellLine(i, n int, c *results.Cell) string {
	head := fmt.Sprintf("cell %d/%d %s %s", i+1, n, c.Cell.ID, c.Status)
	if c.Load != nil {
		st := c.Load.Steady
		head += fmt.Sprintf(": %.1f rps, p50 %s, p95 %s, %.1f%% failures (steady state, %d requests)",
			st.RPS, fmtMS(st.Latency.P50), fmtMS(st.Latency.P95), 100*st.FailRate, st.Requests)
	}
	if c.Error != "" {
		head += ": " + c.Error
	}
	return head
}

func fmtMS(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.0fs", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	default:
		return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond))
	}
}

// tty rewrites one status line in place; events scroll above it.
type tty struct {
	plain
	status string
}

func (t *tty) clear()  { fmt.Fprint(t.w, "\r\033[K") }
func (t *tty) redraw() { fmt.Fprint(t.w, t.status) }

func (t *tty) CellStart(i int, c matrix.Cell, eta time.Duration) {
	t.mu.Lock()
	t.cur, t.curIdx, t.eta, t.rate = c, i, eta, okRate{}
	t.status = fmt.Sprintf("[%d/%d] %s scale %d %s: starting (elapsed %s, ETA %s)", i+1, t.todo, c.ID, c.Scale, c.Level(),
		time.Since(t.begun).Round(time.Second), eta.Round(time.Second))
	t.clear()
	t.redraw()
	t.mu.Unlock()
}

func (t *tty) Live(l load.Progress) {
	t.mu.Lock()
	defer t.mu.Unlock()
	left := t.eta - l.Elapsed
	t.status = fmt.Sprintf("[%d/%d] %s scale %d: %3.0fs/%s users %d  %.1f rps ok  p95 %s  %d failures  (elapsed %s, ETA %s)",
		t.curIdx+1, t.todo, t.cur.ID, t.cur.Scale, l.Elapsed.Seconds(), t.cur.Duration, l.Users, t.rate.next(l), fmtMS(l.P95), l.Failures,
		time.Since(t.begun).Round(time.Second), max(left, 0).Round(time.Second))
	t.clear()
	t.redraw()
}

func (t *tty) CellEnd(i int, c *results.Cell) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.clear()
	t.line("%s", cellLine(i, t.todo, c))
	t.status = ""
}

func (t *tty) Logf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.clear()
	t.line(format, args...)
	t.redraw()
}
