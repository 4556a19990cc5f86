package load

import (
	"math/rand/v2"
	"sync"
	"time"
)

// runClosed starts the users at the cell's spawn rate (user k at k/rate
// seconds; all at once when the rate is not positive), each in its own
// goroutine, as Locust does.
func (l *loop) runClosed(wg *sync.WaitGroup, begin <-chan struct{}) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-begin
		t := time.NewTimer(time.Hour)
		defer t.Stop()
		for k, w := range l.workers {
			if l.cell.SpawnRate > 0 && k > 0 {
				due := time.Duration(float64(k) / l.cell.SpawnRate * float64(time.Second))
				if !l.sleep(t, due-time.Since(l.start)) {
					return
				}
			}
			if l.stopped.Load() {
				return
			}
			wg.Add(1)
			l.spawned.Add(1)
			go func() {
				defer wg.Done()
				l.user(w)
			}()
		}
	}()
}

// user is one virtual user's loop: pick a request by weight, send it, record
// it, wait; until the load stops. A request cut short by the stop is not
// recorded, as in Locust.
func (l *loop) user(w *worker) {
	rng := newUserRand(l.start, w.id)
	for !l.stopped.Load() {
		think, ok := l.request(w, rng)
		if !ok || !w.sleep(l, think) {
			return
		}
	}
}

// request is one closed-loop request: pick an endpoint, send it, record it.
// It returns the think time to wait next, and false when the load stopped.
func (l *loop) request(w *worker, rng *rand.Rand) (time.Duration, bool) {
	i := l.pick.pick(rng)
	e := &l.eps[i]
	// Times from the start read the monotonic clock alone: half the cost
	// of time.Now, which reads the wall clock too.
	sent := time.Since(l.start)
	o := w.conn.do(i, e, l.start.Add(sent))
	end := time.Since(l.start)
	if l.stopped.Load() {
		return 0, false
	}
	think := l.wait.Pick(rng)
	s := sample{
		end: end, latency: end - sent, wait: think,
		bytes: o.bytes, ep: int32(i), class: o.class, fail: o.fail,
	}
	return think, w.ring.push(s, l.stopped)
}

// newUserRand is user id's random source for a load started at start.
func newUserRand(start time.Time, id int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(start.UnixNano()), uint64(id)))
}
