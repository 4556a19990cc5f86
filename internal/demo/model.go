package demo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// labels are the classes the simulated model picks from.
var labels = [...]string{"dog", "cat", "bird", "horse", "fish", "rabbit", "fox", "owl"}

// Model is one model worker: it long-polls the api for a job, infers, posts
// the result, and repeats. Create it with NewModel and start it with Run.
type Model struct {
	cfg    ModelConfig
	client *http.Client
	log    *log.Logger

	ready  atomic.Bool
	served atomic.Int64
}

// NewModel returns a worker configured by cfg that logs to logw.
func NewModel(cfg ModelConfig, logw io.Writer) *Model {
	return &Model{
		cfg:    cfg,
		client: &http.Client{},
		log:    log.New(logw, "model: ", log.LstdFlags|log.Lmicroseconds),
	}
}

// Served is the number of jobs whose result the api accepted.
func (m *Model) Served() int64 { return m.served.Load() }

// Run serves jobs until ctx is done. A stop never loses a job: the poll in
// flight is allowed to finish (at most PollWait) and a job it brings is
// served. Run returns nil once stopped.
func (m *Model) Run(ctx context.Context) error {
	const minBackoff = 100 * time.Millisecond
	backoff := minBackoff
	for ctx.Err() == nil {
		var j *polledJob
		var err error
		if m.ready.Load() {
			j, err = m.poll(ctx)
		} else {
			err = m.ping(ctx)
		}
		if err != nil {
			if m.ready.Swap(false) || backoff == minBackoff {
				m.log.Printf("cannot reach the api at %s (retrying): %v", m.cfg.APIURL, err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		if !m.ready.Swap(true) {
			m.log.Printf("connected to the api at %s", m.cfg.APIURL)
		}
		backoff = minBackoff
		if j != nil {
			m.serve(ctx, j)
		}
	}
	return nil
}

// ping checks that the api answers at all, so that a fresh worker reports
// healthy at once rather than after its first long poll.
func (m *Model) ping(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	u := strings.TrimSuffix(m.cfg.APIURL, "/") + "/health"
	req, err := http.NewRequestWithContext(pctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("API_URL=%q: %w", m.cfg.APIURL, err)
	}
	resp, err := m.client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	return nil
}

// polledJob is a job as a worker receives it.
type polledJob struct {
	id    uint64
	image []byte
}

// poll asks the api for one job; nil when none came within PollWait. It is
// not cut short by ctx, so that a job already handed over is not lost.
func (m *Model) poll(ctx context.Context) (*polledJob, error) {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.cfg.PollWait+5*time.Second)
	defer cancel()
	u := strings.TrimSuffix(m.cfg.APIURL, "/") + "/jobs/next?wait=" + url.QueryEscape(m.cfg.PollWait.String())
	req, err := http.NewRequestWithContext(pctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("API_URL=%q: %w", m.cfg.APIURL, err)
	}
	req.Header.Set(headerWorker, m.cfg.Name)
	resp, err := m.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNoContent:
		return nil, nil
	case http.StatusOK:
	default:
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("GET %s: %s: %s", u, resp.Status, bytes.TrimSpace(b))
	}
	id, err := strconv.ParseUint(resp.Header.Get(headerJobID), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("GET %s: bad %s header %q", u, headerJobID, resp.Header.Get(headerJobID))
	}
	image, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: read job %d: %w", u, id, err)
	}
	return &polledJob{id: id, image: image}, nil
}

// serve infers j and posts the result. It runs to the end even when ctx is
// done, bounded by the service time and a 5 s post timeout.
func (m *Model) serve(ctx context.Context, j *polledJob) {
	start := time.Now()
	d := m.cfg.ServiceTime
	if m.cfg.Jitter > 0 {
		d += time.Duration(rand.Int64N(2*int64(m.cfg.Jitter)+1)) - m.cfg.Jitter
	}
	time.Sleep(d)
	sum := sha256.Sum256(j.image)
	body, _ := json.Marshal(resultBody{
		Label:       labels[int(sum[0])%len(labels)],
		Score:       0.5 + float64(sum[1])/512,
		Worker:      m.cfg.Name,
		InferenceMS: ms(time.Since(start)),
	})
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	u := fmt.Sprintf("%s/jobs/%d/result", strings.TrimSuffix(m.cfg.APIURL, "/"), j.id)
	req, err := http.NewRequestWithContext(pctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		m.log.Printf("job %d: %v", j.id, err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := m.client.Do(req)
	if err != nil {
		m.log.Printf("job %d: post result: %v", j.id, err)
		return
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNoContent:
		m.served.Add(1)
	case http.StatusNotFound:
		m.log.Printf("job %d: the api had given up on it before the result (its client left, or a JOB_TIMEOUT passed)", j.id)
	default:
		m.log.Printf("job %d: post result: %s", j.id, resp.Status)
	}
}

// ServeHTTP serves the worker's GET /health: 200 once it has reached the
// api, 503 while it cannot.
func (m *Model) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/health" {
		http.NotFound(w, r)
		return
	}
	if !m.ready.Load() {
		writeError(w, http.StatusServiceUnavailable, "not connected to the api at "+m.cfg.APIURL)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "worker": m.cfg.Name, "served": m.served.Load()})
}
