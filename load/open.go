package load

import (
	"math/rand/v2"
	"sync"
	"time"
)

// lateAfter is how far past its intended time a send may be claimed by a
// free slot and still count as on time. A send claimed in time but woken a
// little late by the timer (Go's timers wake up to about 1 ms late) is not
// late: only waiting for a busy slot is. Its latency still counts from the
// intended time either way.
const lateAfter = time.Millisecond

// dropGrace: sends due in the last dropGrace of a cell may still be on their
// way when it stops, and do not count as dropped.
const dropGrace = 10 * time.Millisecond

// dueBefore is how many sends at rate per second are due in [0, d).
func dueBefore(d time.Duration, rate float64) int64 {
	if d <= 0 || rate <= 0 {
		return 0
	}
	x := d.Seconds() * rate
	n := int64(x)
	if float64(n) < x {
		n++
	}
	return n
}

// runOpen sends requests at the cell's rate, send i intended at i/rate
// seconds, from MaxInFlight slots. A free slot claims the next send and
// waits for its time; when every slot is busy the next send waits for one to
// free up and leaves late. Latency counts from the intended time, so a
// stalled target shows in the percentiles instead of slowing the sends down
// (no coordinated omission).
func (l *loop) runOpen(wg *sync.WaitGroup, begin <-chan struct{}) {
	interval := float64(time.Second) / l.cell.Rate
	for _, w := range l.workers {
		// Each slot holds its first send before the clock starts, so waking
		// a thousand slots at once does not make the first sends late.
		first := l.next.Add(1) - 1
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-begin
			l.slot(w, interval, first)
		}()
	}
}

func (l *loop) slot(w *worker, interval float64, n int64) {
	rng := rand.New(rand.NewPCG(uint64(l.start.UnixNano()), uint64(w.id)))
	late := false
	for !l.stopped.Load() {
		due := time.Duration(float64(n) * interval)
		if due >= l.cell.Duration {
			return
		}
		if !w.sleep(l, due-time.Since(l.start)) {
			return
		}
		i := l.pick.pick(rng)
		e := &l.eps[i]
		w.busy.Store(true)
		w.sent++
		o := w.conn.do(i, e, time.Time{})
		end := time.Now()
		w.busy.Store(false)
		if l.stopped.Load() {
			return
		}
		s := sample{
			end: end.Sub(l.start), latency: end.Sub(l.start) - due,
			bytes: o.bytes, status: int32(o.status), ep: int32(i), class: o.class, fail: o.fail,
			late: late,
		}
		if !w.ring.push(s, l.stopped) {
			return
		}
		// Claim the next send; it is late when it was due before this slot
		// was free to take it.
		n = l.next.Add(1) - 1
		late = time.Since(l.start)-time.Duration(float64(n)*interval) > lateAfter
	}
}
