package demo

import "context"

// workerPool is the api's fixed set of blocking workers in PoolMode, as a
// gunicorn sync server has: each public request holds one for its whole
// life. A request that finds every worker busy waits for one, in arrival
// order (blocked channel senders are woken first in, first out), as
// connections wait in a server's listen backlog.
type workerPool struct {
	// busy holds one token per worker in use.
	busy chan struct{}
}

func newWorkerPool(workers int) *workerPool {
	return &workerPool{busy: make(chan struct{}, max(workers, 1))}
}

// acquire waits for a free worker until ctx is done; false if none came.
// A true acquire must be paired with release.
func (p *workerPool) acquire(ctx context.Context) bool {
	// A done ctx wins over a free worker: select picks at random.
	if ctx.Err() != nil {
		return false
	}
	select {
	case p.busy <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// release frees a worker taken by acquire.
func (p *workerPool) release() { <-p.busy }

// size is the number of workers.
func (p *workerPool) size() int { return cap(p.busy) }

// inUse is the number of workers serving a request now.
func (p *workerPool) inUse() int { return len(p.busy) }
