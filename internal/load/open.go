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
// seconds, from MaxInFlight slots. One pacer goroutine waits for each
// send's time and hands it to the slot that has been free longest; when
// every slot is busy the send waits for one to free up and leaves late.
// Latency counts from the intended time, so a stalled target shows in the
// percentiles instead of slowing the sends down (no coordinated omission).
//
// A pacer rather than a timer per slot: a thousand slots each re-arming
// its own timer per request kept a thousand timers in the runtime's heaps,
// and their upkeep showed in profiles; now one timer paces, and a slot
// waits on its own channel, which only the pacer and the stop send to.
func (l *loop) runOpen(wg *sync.WaitGroup, begin <-chan struct{}) {
	interval := float64(time.Second) / l.cell.Rate
	free := make(chan *worker, len(l.workers))
	for _, w := range l.workers {
		w.tickets = make(chan ticket, 1)
		free <- w
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-begin
			l.slot(w, free)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-begin
		l.pace(interval, free)
	}()
}

// ticket is one send handed to a slot.
type ticket struct {
	due  time.Duration // intended send time, from the start
	late bool          // the slot that takes it was free only after lateAfter past due
}

// pace hands send n to a free slot at n·interval, until the cell's
// duration or the stop.
func (l *loop) pace(interval float64, free <-chan *worker) {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for n := int64(0); ; n++ {
		due := time.Duration(float64(n) * interval)
		if due >= l.cell.Duration || !l.sleep(t, due-time.Since(l.start)) {
			return
		}
		var w *worker
		select {
		case w = <-free:
		case <-l.stopCh:
			return
		}
		// Late when it was due before the slot that takes it was free: a
		// timer that wakes the pacer a little late does not make it late.
		tk := ticket{due: due, late: w.freeAt-due > lateAfter}
		select {
		case w.tickets <- tk:
		default:
			return // the stop's wake-up took the slot's place: stopping
		}
	}
}

// slot sends the tickets it is handed, records them and frees itself.
func (l *loop) slot(w *worker, free chan<- *worker) {
	rng := rand.New(rand.NewPCG(uint64(l.start.UnixNano()), uint64(w.id)))
	for {
		tk := <-w.tickets
		if l.stopped.Load() {
			return
		}
		i := l.pick.pick(rng)
		e := &l.eps[i]
		w.busy.Store(true)
		w.sent++
		sent := time.Since(l.start) // the monotonic clock alone, as in request
		o := w.conn.do(i, e, l.start.Add(sent))
		end := time.Since(l.start)
		w.busy.Store(false)
		if l.stopped.Load() {
			return
		}
		s := sample{
			end: end, latency: end - tk.due,
			bytes: o.bytes, ep: int32(i), class: o.class, fail: o.fail,
			late: tk.late,
		}
		if !w.ring.push(s, l.stopped) {
			return
		}
		w.freeAt = s.end
		free <- w // never blocks: it holds every slot
	}
}

// wake ends a slot waiting for a ticket, once the load has stopped.
func (w *worker) wake() {
	if w.tickets == nil {
		return
	}
	select {
	case w.tickets <- ticket{}:
	default: // a ticket is waiting: the slot sees the stop when it takes it
	}
}
