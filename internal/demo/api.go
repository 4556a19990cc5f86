package demo

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// maxPollWait caps the wait a worker may ask of GET /jobs/next.
const maxPollWait = 30 * time.Second

// modelWindow is how long a worker counts as connected after its last poll.
const modelWindow = 10 * time.Second

// API is the demo api as an http.Handler. Create it with NewAPI; serve it
// with Serve (or any http.Server), then Drain and Close it.
type API struct {
	cfg APIConfig
	mux *http.ServeMux
	// pool is the worker pool in PoolMode; nil in CPUMode.
	pool *workerPool
	// slots holds CPUMode's free preprocessing slots, each carrying the
	// time its last request ended.
	slots chan time.Time
	jobs  *jobQueue

	inflight atomic.Int64
	draining atomic.Bool
	stop     chan struct{}
	stopOnce sync.Once

	served, timedOut, rejected, canceled atomic.Int64

	workers workerSet
}

// NewAPI returns an api configured by cfg. Any mode but CPUMode (the
// empty one included) is PoolMode.
func NewAPI(cfg APIConfig) *API {
	if cfg.Mode != CPUMode {
		cfg.Mode = PoolMode
	}
	cfg.Slots = max(cfg.Slots, 1)
	cfg.Workers = max(cfg.Workers, 1)
	if cfg.QueueMax < 1 {
		cfg.QueueMax = 1
	}
	a := &API{
		cfg:     cfg,
		mux:     http.NewServeMux(),
		slots:   make(chan time.Time, cfg.Slots),
		jobs:    newJobQueue(cfg.QueueMax),
		stop:    make(chan struct{}),
		workers: workerSet{seen: map[string]*workerSeen{}},
	}
	for range cfg.Slots {
		a.slots <- time.Time{}
	}
	if cfg.Mode == PoolMode {
		a.pool = newWorkerPool(cfg.Workers)
	}
	a.mux.HandleFunc("GET /{$}", a.handleIndex)
	a.mux.HandleFunc("POST /predict", a.handlePredict)
	a.mux.HandleFunc("GET /health", a.handleHealth)
	a.mux.HandleFunc("GET /jobs/next", a.handleNext)
	a.mux.HandleFunc("POST /jobs/{id}/result", a.handleResult)
	return a
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// Capacity is the api's largest request rate in CPUMode, in requests per
// second: Slots/Cost (+Inf when Cost is 0). It is +Inf in PoolMode, whose
// rate depends on how long the models keep each worker waiting.
func (a *API) Capacity() float64 {
	if a.pool != nil {
		return math.Inf(1)
	}
	return float64(a.cfg.Slots) / a.cfg.Cost.Seconds()
}

// Where a request was when its deadline passed waiting for its turn.
const (
	waitWorker = "waiting for an api worker"
	waitSlot   = "waiting for an api slot"
)

const indexHTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>scalebench demo</title></head>
<body>
<h1>scalebench demo</h1>
<p>Upload an image; a model worker will classify it.</p>
<form action="/predict" method="post" enctype="multipart/form-data">
<input type="file" name="file" accept="image/*"> <button type="submit">Predict</button>
</form>
</body></html>
`

func (a *API) handleIndex(w http.ResponseWriter, r *http.Request) {
	// Rendering the page takes a worker or a slot too: the api's limit
	// bounds every public request it serves, not only predictions.
	start := time.Now()
	ctx, cancel := context.WithDeadline(r.Context(), start.Add(a.cfg.JobTimeout))
	defer cancel()
	if a.pool != nil {
		if !a.pool.acquire(ctx) {
			a.fail(w, r, start, waitWorker)
			return
		}
		defer a.pool.release()
		time.Sleep(a.cfg.IndexCost)
	} else if _, ok := a.burnInSlot(ctx, []byte(indexHTML), a.cfg.IndexCost); !ok {
		a.fail(w, r, start, waitSlot)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, indexHTML)
}

// predictResponse is POST /predict's answer.
type predictResponse struct {
	Label  string  `json:"label"`
	Score  float64 `json:"score"`
	Worker string  `json:"worker"`
	Job    uint64  `json:"job"`
	// Milliseconds spent waiting for a worker (PoolMode) or a slot
	// (CPUMode), reading and preprocessing the upload, queued for a model,
	// inferring, and in total.
	SlotWaitMS  float64 `json:"slot_wait_ms"`
	PreprocMS   float64 `json:"preprocess_ms"`
	QueuedMS    float64 `json:"queued_ms"`
	InferenceMS float64 `json:"inference_ms"`
	TotalMS     float64 `json:"total_ms"`
}

func (a *API) handlePredict(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if a.draining.Load() {
		a.rejected.Add(1)
		writeError(w, http.StatusServiceUnavailable, "the api is shutting down")
		return
	}
	if n := a.inflight.Add(1); n > int64(a.cfg.QueueMax) {
		a.inflight.Add(-1)
		a.rejected.Add(1)
		writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("queue full: %d predictions already in the api (QUEUE_MAX=%d)", n-1, a.cfg.QueueMax))
		return
	}
	defer a.inflight.Add(-1)

	ctx, cancel := context.WithDeadline(r.Context(), start.Add(a.cfg.JobTimeout))
	defer cancel()

	// In PoolMode the prediction holds a worker from here to its answer,
	// reading the upload included, as a sync worker does: the pool bounds
	// how many predictions are in service at once.
	if a.pool != nil {
		if !a.pool.acquire(ctx) {
			a.fail(w, r, start, waitWorker)
			return
		}
		defer a.pool.release()
	}
	slotAt := time.Now()

	image, err := readUpload(w, r, a.cfg.MaxUploadBytes)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}

	if a.pool != nil {
		time.Sleep(a.cfg.Cost)
	} else {
		// Preprocess in one of the api's slots: this is its finite
		// capacity, whatever the models do.
		var ok bool
		if slotAt, ok = a.burnInSlot(ctx, image, a.cfg.Cost); !ok {
			a.fail(w, r, start, waitSlot)
			return
		}
	}
	queuedAt := time.Now()

	j, ok := a.jobs.push(image, queuedAt)
	if !ok {
		a.rejected.Add(1)
		writeError(w, http.StatusServiceUnavailable, "job queue full")
		return
	}
	p, where, ok := a.await(ctx, r.Context(), j)
	if !ok {
		a.jobs.abandon(j)
		a.fail(w, r, start, where)
		return
	}
	done := time.Now()
	a.served.Add(1)
	writeJSON(w, http.StatusOK, predictResponse{
		Label: p.Label, Score: p.Score, Worker: p.Worker, Job: j.id,
		SlotWaitMS:  ms(slotAt.Sub(start)),
		PreprocMS:   ms(queuedAt.Sub(slotAt)),
		QueuedMS:    ms(done.Sub(queuedAt) - p.Inference),
		InferenceMS: ms(p.Inference),
		TotalMS:     ms(done.Sub(start)),
	})
}

// await waits for j's result. Until a model takes the job, the wait ends
// with queueCtx (the JOB_TIMEOUT deadline); once a model has it, the api
// waits for its answer up to another JOB_TIMEOUT, so that work in progress
// is not thrown away. On failure it says where the prediction was.
func (a *API) await(queueCtx, reqCtx context.Context, j *job) (prediction, string, bool) {
	select {
	case p := <-j.done:
		return p, "", true
	case <-j.taken:
	case <-queueCtx.Done():
		return prediction{}, fmt.Sprintf("waiting for a model (%d jobs queued)", a.jobs.queued()), false
	}
	t := time.NewTimer(a.cfg.JobTimeout)
	defer t.Stop()
	select {
	case p := <-j.done:
		return p, "", true
	case <-t.C:
		return prediction{}, "waiting for the answer of the model that took it", false
	case <-reqCtx.Done():
		return prediction{}, "", false
	}
}

// fail answers a prediction whose deadline passed (504), or notes that its
// client went away.
func (a *API) fail(w http.ResponseWriter, r *http.Request, start time.Time, where string) {
	if r.Context().Err() != nil {
		a.canceled.Add(1)
		return
	}
	a.timedOut.Add(1)
	writeError(w, http.StatusGatewayTimeout, fmt.Sprintf("request timed out after %s %s (JOB_TIMEOUT=%s)",
		time.Since(start).Round(time.Millisecond), where, a.cfg.JobTimeout))
}

// readUpload returns the content of multipart field "file".
func readUpload(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	const want = `POST /predict wants a multipart/form-data body with the image in field "file"`
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "multipart/form-data" {
		return nil, errors.New(want)
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", want, err)
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil, errors.New(want + `: no field "file"`)
		}
		if err != nil {
			return nil, fmt.Errorf("read multipart body: %v", err)
		}
		if p.FormName() != "file" {
			continue
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return nil, fmt.Errorf("read field \"file\": %v", err)
		}
		if len(b) == 0 {
			return nil, errors.New(`field "file" is empty: upload an image`)
		}
		return b, nil
	}
}

// burnInSlot waits for a free CPUMode slot until ctx is done, burns cost
// of CPU in it hashing data, and frees it. It returns when it got the slot;
// false if it got none.
func (a *API) burnInSlot(ctx context.Context, data []byte, cost time.Duration) (time.Time, bool) {
	if ctx.Err() != nil {
		return time.Time{}, false
	}
	var prevEnd time.Time
	select {
	case prevEnd = <-a.slots:
	case <-ctx.Done():
		return time.Time{}, false
	}
	at := time.Now()
	until := slotStart(at, prevEnd, cost).Add(cost)
	burnUntil(data, until)
	a.slots <- until
	return at, true
}

// maxHandOff bounds the gap between one prediction leaving a slot and the
// next entering it that slotStart treats as scheduling delay.
const maxHandOff = 50 * time.Millisecond

// slotStart is when a prediction entering a slot at now, whose previous
// prediction ended at prevEnd, starts its cost. A short hand-off gap
// (under half the cost, at most maxHandOff) is taken for the scheduler's
// delay in waking the next waiter, not idle time: counting from prevEnd
// keeps the capacity at API_SLOTS/API_COST on a busy machine. It can never
// raise it: a start is never before the previous end.
func slotStart(now, prevEnd time.Time, cost time.Duration) time.Time {
	if gap := now.Sub(prevEnd); gap >= 0 && gap < min(cost/2, maxHandOff) {
		return prevEnd
	}
	return now
}

// burnUntil keeps one CPU busy until t hashing image: the api's
// preprocessing.
func burnUntil(image []byte, t time.Time) {
	if !time.Now().Before(t) {
		return
	}
	sum := sha256.Sum256(image)
	var block [4096]byte
	copy(block[:], image)
	for time.Now().Before(t) {
		copy(block[:], sum[:])
		sum = sha256.Sum256(block[:])
	}
}

// healthResponse is GET /health's answer.
type healthResponse struct {
	Status string `json:"status"`
	// Mode is the api's mode: "pool" or "cpu".
	Mode string `json:"mode"`
	// Workers is how many public requests the api serves at once:
	// API_WORKERS in pool mode, API_SLOTS in cpu mode.
	Workers int `json:"workers"`
	// Busy is how many of those workers or slots are in use now.
	Busy int `json:"workers_busy"`
	// Models is the number of workers that polled in the last 10 s.
	Models   int   `json:"models"`
	Queued   int   `json:"queued"`
	InFlight int64 `json:"in_flight"`
	Served   int64 `json:"served"`
	TimedOut int64 `json:"timed_out"`
	Rejected int64 `json:"rejected"`
	Canceled int64 `json:"canceled"`
	// Capacity is API_SLOTS/API_COST in requests per second in cpu mode;
	// absent when unbounded (API_COST 0) and in pool mode, whose rate
	// depends on the models.
	Capacity float64 `json:"capacity,omitempty"`
}

func (a *API) health() healthResponse {
	h := healthResponse{
		Status:   "ok",
		Mode:     string(a.cfg.Mode),
		Models:   a.workers.count(time.Now()),
		Queued:   a.jobs.queued(),
		InFlight: a.inflight.Load(),
		Served:   a.served.Load(),
		TimedOut: a.timedOut.Load(),
		Rejected: a.rejected.Load(),
		Canceled: a.canceled.Load(),
	}
	if a.pool != nil {
		h.Workers, h.Busy = a.pool.size(), a.pool.inUse()
	} else {
		h.Workers, h.Busy = a.cfg.Slots, a.cfg.Slots-len(a.slots)
		if a.cfg.Cost > 0 {
			h.Capacity = a.Capacity()
		}
	}
	if a.draining.Load() {
		h.Status = "draining"
	}
	return h
}

func (a *API) handleHealth(w http.ResponseWriter, r *http.Request) {
	h := a.health()
	status := http.StatusOK
	if h.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, h)
}

// Job hand-over headers of GET /jobs/next.
const (
	headerJobID  = "X-Job-Id"
	headerWorker = "X-Worker"
)

// handleNext is the workers' long poll: 200 with the image and X-Job-Id, or
// 204 when no job came within ?wait= (default 2s).
func (a *API) handleNext(w http.ResponseWriter, r *http.Request) {
	wait := 2 * time.Second
	if v := r.URL.Query().Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("wait=%q: want a duration such as 2s", v))
			return
		}
		wait = min(d, maxPollWait)
	}
	worker := r.Header.Get(headerWorker)
	if worker == "" {
		worker = r.RemoteAddr
	}
	a.workers.begin(worker, time.Now())
	defer func() { a.workers.end(worker, time.Now()) }()

	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	j, ok := a.jobs.next(ctx, a.stop)
	if !ok {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.Context().Err() != nil {
		a.jobs.requeue(j)
		return
	}
	w.Header().Set(headerJobID, strconv.FormatUint(j.id, 10))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(j.image)))
	if _, err := w.Write(j.image); err != nil {
		a.jobs.requeue(j)
	}
}

// resultBody is what a worker posts to /jobs/{id}/result.
type resultBody struct {
	Label       string  `json:"label"`
	Score       float64 `json:"score"`
	Worker      string  `json:"worker"`
	InferenceMS float64 `json:"inference_ms"`
}

func (a *API) handleResult(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("job id %q is not a number", r.PathValue("id")))
		return
	}
	var b resultBody
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&b); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("result of job %d: bad JSON: %v", id, err))
		return
	}
	a.workers.touch(b.Worker, time.Now())
	p := prediction{Label: b.Label, Score: b.Score, Worker: b.Worker,
		Inference: time.Duration(b.InferenceMS * float64(time.Millisecond))}
	if !a.jobs.complete(id, p) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("job %d is unknown, already answered or timed out", id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Drain stops admitting predictions (they get 503) and waits until those in
// flight are answered or ctx is done. Workers are still served meanwhile.
func (a *API) Drain(ctx context.Context) error {
	a.draining.Store(true)
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for a.inflight.Load() > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("drain api: %d predictions still in flight: %w", a.inflight.Load(), ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// Close releases every waiting long poll (they answer 204). Call it after
// Drain, before shutting the server down.
func (a *API) Close() { a.stopOnce.Do(func() { close(a.stop) }) }

// Serve serves the api on ln until ctx is done, then shuts down gracefully:
// Drain (bounded by twice JOB_TIMEOUT plus a second, the longest a
// prediction can take), Close, and server shutdown.
func (a *API) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: a, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve api on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*a.cfg.JobTimeout+time.Second)
	defer cancel()
	srv.SetKeepAlivesEnabled(false)
	derr := a.Drain(dctx)
	a.Close()
	serr := srv.Shutdown(dctx)
	if serr != nil {
		srv.Close()
		serr = fmt.Errorf("shut down api server: %w", serr)
	}
	<-errc
	return errors.Join(derr, serr)
}

// workerSet remembers which workers polled recently.
type workerSet struct {
	mu   sync.Mutex
	seen map[string]*workerSeen
}

type workerSeen struct {
	polling int
	last    time.Time
}

func (s *workerSet) get(name string) *workerSeen {
	w := s.seen[name]
	if w == nil {
		w = &workerSeen{}
		s.seen[name] = w
	}
	return w
}

func (s *workerSet) begin(name string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.get(name)
	w.polling++
	w.last = now
}

func (s *workerSet) end(name string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.get(name)
	w.polling--
	w.last = now
}

func (s *workerSet) touch(name string, now time.Time) {
	if name == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.get(name).last = now
}

// count returns the workers polling now or within modelWindow, forgetting
// older ones.
func (s *workerSet) count(now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for name, w := range s.seen {
		switch {
		case w.polling > 0 || now.Sub(w.last) < modelWindow:
			n++
		default:
			delete(s.seen, name)
		}
	}
	return n
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// errorResponse is the body of every error answer.
type errorResponse struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorResponse{Error: msg})
}
