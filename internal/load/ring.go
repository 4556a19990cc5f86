package load

import (
	"sync/atomic"
	"time"
)

// sample is one finished request, as a worker hands it to the collector.
type sample struct {
	end     time.Duration // completion, from the load's start
	latency time.Duration // from send (closed loop) or intended send (open loop)
	wait    time.Duration // think time drawn after this request (closed loop)
	bytes   int64
	ep      int32
	class   uint8
	late    bool // open loop: left more than lateAfter after its intended time
	fail    *failure
}

// ring is a single-producer, single-consumer queue of samples: the worker
// that owns it pushes, the collector drains. Neither side takes a lock; each
// side writes only its own index.
type ring struct {
	buf  []sample
	mask uint64
	head atomic.Uint64 // next slot to write; written by the producer only
	_    [56]byte      // keep head and tail on separate cache lines
	tail atomic.Uint64 // next slot to read; written by the consumer only
	_    [56]byte
}

func newRing(size int) *ring {
	n := 1
	for n < size {
		n <<= 1
	}
	return &ring{buf: make([]sample, n), mask: uint64(n - 1)}
}

// push adds s, waiting for the collector while the ring is full (it drains
// every collectEvery, so a full ring means a worker outran it briefly). It
// gives up and returns false when stop is set.
func (r *ring) push(s sample, stop *atomic.Bool) bool {
	h := r.head.Load()
	for h-r.tail.Load() >= uint64(len(r.buf)) {
		if stop.Load() {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	r.buf[h&r.mask] = s
	r.head.Store(h + 1)
	return true
}

// full reports whether a push would wait for the collector. The producer
// alone may ask.
func (r *ring) full() bool {
	return r.head.Load()-r.tail.Load() >= uint64(len(r.buf))
}

// drain calls f for every sample pushed since the last drain.
func (r *ring) drain(f func(*sample)) {
	t := r.tail.Load()
	h := r.head.Load()
	for ; t < h; t++ {
		s := &r.buf[t&r.mask]
		f(s)
		s.fail = nil
	}
	r.tail.Store(t)
}

// ringSize picks a ring length so that a worker rarely waits: few workers
// each run fast and need room, many workers each run slowly. The rings
// share a budget of 8192 samples (about 0.5 MB) so that they stay in the
// caches: a worker writing into a ring line that was evicted since it last
// wrapped paid a cache miss per request (5% of the closed loop's user CPU
// at 64 users with a budget of 65536). A ring of 128 samples, 64 users'
// share, holds 20 ms of 6,400 requests per second from one user.
func ringSize(workers int) int {
	return max(16, min(4096, 8192/max(1, workers)))
}
