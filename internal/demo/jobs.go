package demo

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// A job is one prediction waiting for, or being served by, a model worker.
type job struct {
	id       uint64
	image    []byte
	enqueued time.Time
	// done receives the result once; buffered so a late model never blocks.
	done chan prediction
	// taken is closed when a model first takes the job.
	taken     chan struct{}
	takenOnce sync.Once
	// abandoned is set when the waiting request gave up: workers skip it.
	abandoned atomic.Bool
}

// prediction is what a model worker returns for a job.
type prediction struct {
	Label  string  `json:"label"`
	Score  float64 `json:"score"`
	Worker string  `json:"worker"`
	// Inference is the model's own time for the job.
	Inference time.Duration `json:"-"`
}

// jobQueue hands jobs to long-polling workers in arrival order and routes
// their results back. Its channel is sized by the api's admission bound, so
// a push never blocks.
type jobQueue struct {
	pending chan *job
	nextID  atomic.Uint64

	mu       sync.Mutex
	assigned map[uint64]*job
}

func newJobQueue(capacity int) *jobQueue {
	return &jobQueue{pending: make(chan *job, capacity), assigned: map[uint64]*job{}}
}

// push enqueues image and returns its job; false when the queue is full.
func (q *jobQueue) push(image []byte, now time.Time) (*job, bool) {
	j := &job{id: q.nextID.Add(1), image: image, enqueued: now, done: make(chan prediction, 1), taken: make(chan struct{})}
	select {
	case q.pending <- j:
		return j, true
	default:
		return nil, false
	}
}

// next waits until a live job is pending, ctx is done or stop is closed,
// and marks the job assigned. Abandoned jobs are dropped on the way.
func (q *jobQueue) next(ctx context.Context, stop <-chan struct{}) (*job, bool) {
	for {
		select {
		case j := <-q.pending:
			if j.abandoned.Load() {
				continue
			}
			q.mu.Lock()
			q.assigned[j.id] = j
			q.mu.Unlock()
			j.takenOnce.Do(func() { close(j.taken) })
			return j, true
		case <-ctx.Done():
			return nil, false
		case <-stop:
			return nil, false
		}
	}
}

// requeue puts back a job whose worker could not be told about it.
func (q *jobQueue) requeue(j *job) {
	q.mu.Lock()
	delete(q.assigned, j.id)
	q.mu.Unlock()
	select {
	case q.pending <- j:
	default: // cannot happen: admission bounds the queue; the waiter times out
	}
}

// complete delivers p to the job with id; false when the job is unknown,
// already answered or given up.
func (q *jobQueue) complete(id uint64, p prediction) bool {
	q.mu.Lock()
	j, ok := q.assigned[id]
	delete(q.assigned, id)
	q.mu.Unlock()
	if !ok || j.abandoned.Load() {
		return false
	}
	j.done <- p
	return true
}

// abandon marks j given up by its requester.
func (q *jobQueue) abandon(j *job) {
	j.abandoned.Store(true)
	q.mu.Lock()
	delete(q.assigned, j.id)
	q.mu.Unlock()
}

// queued is the number of jobs waiting for a worker (abandoned included).
func (q *jobQueue) queued() int { return len(q.pending) }
