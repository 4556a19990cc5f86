package demo

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// slowModels is a fake model service: n pollers that take jobs at once and
// answer each after a fixed time, counting the jobs they hold at once.
type slowModels struct {
	holding, peak, answered atomic.Int64
}

func startSlowModels(t *testing.T, apiURL string, n int, service time.Duration) *slowModels {
	t.Helper()
	m := &slowModels{}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			for ctx.Err() == nil {
				m.serveOne(ctx, apiURL, fmt.Sprintf("slow%d", i), service)
			}
		})
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
	return m
}

func (m *slowModels) serveOne(ctx context.Context, apiURL, name string, service time.Duration) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, apiURL+"/jobs/next?wait=200ms", nil)
	req.Header.Set(headerWorker, name)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return
	}
	n := m.holding.Add(1)
	for p := m.peak.Load(); n > p && !m.peak.CompareAndSwap(p, n); p = m.peak.Load() {
	}
	time.Sleep(service)
	// Let go of the count before answering: the api frees the prediction's
	// worker only once the answer is in, so no new job can be taken before.
	m.holding.Add(-1)
	body := fmt.Sprintf(`{"label":"owl","score":0.9,"worker":%q,"inference_ms":%d}`, name, service.Milliseconds())
	post, _ := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost,
		apiURL+"/jobs/"+resp.Header.Get(headerJobID)+"/result", strings.NewReader(body))
	if resp, err := http.DefaultClient.Do(post); err == nil {
		resp.Body.Close()
		m.answered.Add(1)
	}
}

// poolAPI serves a pool-mode api of 2 workers with the defaults changed by
// mut.
func poolAPI(t *testing.T, mut func(*APIConfig)) (*API, string) {
	t.Helper()
	a, srv := testAPI(t, func(c *APIConfig) {
		c.Mode, c.Workers = PoolMode, 2
		if mut != nil {
			mut(c)
		}
	})
	return a, srv.URL
}

// TestPoolBoundsPublicRequests: with 2 workers, 8 clients and 5 idle
// models, no more than 2 predictions are ever with the models, since each
// holds its worker until its answer; pages take workers too.
func TestPoolBoundsPublicRequests(t *testing.T) {
	_, url := poolAPI(t, func(c *APIConfig) { c.Cost, c.IndexCost = 2*time.Millisecond, 10*time.Millisecond })
	models := startSlowModels(t, url, 5, 40*time.Millisecond)

	var busyPeak atomic.Int64
	stopSampling := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		for {
			select {
			case <-stopSampling:
				return
			case <-time.After(5 * time.Millisecond):
			}
			h := health(t, url)
			if h.Mode != "pool" || h.Workers != 2 {
				t.Errorf("health %+v: want mode pool with 2 workers", h)
				return
			}
			if int64(h.Busy) > busyPeak.Load() {
				busyPeak.Store(int64(h.Busy))
			}
		}
	})

	var clients sync.WaitGroup
	for c := range 8 {
		clients.Go(func() {
			for i := range 4 {
				if (c+i)%4 == 0 {
					if a := get(t, url+"/"); a.status != http.StatusOK {
						t.Errorf("GET /: status %d", a.status)
					}
					continue
				}
				if a := predict(t, url, testImage); a.status != http.StatusOK {
					t.Errorf("POST /predict: status %d %s", a.status, a.body)
				}
			}
		})
	}
	clients.Wait()
	close(stopSampling)
	sampler.Wait()

	if p := models.peak.Load(); p != 2 {
		t.Errorf("at most %d predictions were with the 5 models at once, want exactly 2: the pool of 2 workers must bound them (and 8 clients fill it)", p)
	}
	if p := busyPeak.Load(); p > 2 || p < 1 {
		t.Errorf("health reported up to %d workers busy, want 1 or 2 of 2", p)
	}
	// A model counts its answer once the api acknowledged it, which can be
	// just after the api answered the prediction.
	waitFor(t, "the models to count 24 answers", func() bool { return models.answered.Load() == 24 })
}

// TestPoolPageWaitsForAWorker: a GET / arriving while both workers wait
// for a model waits until one is free.
func TestPoolPageWaitsForAWorker(t *testing.T) {
	a, url := poolAPI(t, func(c *APIConfig) { c.IndexCost = 0 })
	var holders sync.WaitGroup
	for range 2 {
		holders.Go(func() {
			if got := predict(t, url, testImage); got.status != http.StatusOK {
				t.Errorf("prediction holding a worker: status %d %s", got.status, got.body)
			}
		})
	}
	waitFor(t, "both workers busy", func() bool { return a.pool.inUse() == 2 })

	page := make(chan answer, 1)
	go func() { page <- get(t, url+"/") }()
	select {
	case got := <-page:
		t.Fatalf("GET / answered %d while both workers were busy", got.status)
	case <-time.After(150 * time.Millisecond):
	}
	startModel(t, url, "late", nil)
	if got := <-page; got.status != http.StatusOK {
		t.Errorf("GET / once a worker was free: status %d", got.status)
	}
	holders.Wait()
}

// TestPoolJobsEndpointsNeedNoWorker: the models' /jobs endpoints and
// /health are served while every worker is held by a prediction waiting
// for a model; had they needed a worker, nothing would ever be answered.
func TestPoolJobsEndpointsNeedNoWorker(t *testing.T) {
	a, url := poolAPI(t, nil)
	answers := make(chan answer, 3)
	for range 2 {
		go func() { answers <- predict(t, url, testImage) }()
	}
	waitFor(t, "both workers busy", func() bool { return a.pool.inUse() == 2 })
	go func() { answers <- predict(t, url, testImage) }() // waits in the backlog
	waitFor(t, "a third prediction in the api", func() bool { return a.inflight.Load() == 3 })

	h := health(t, url)
	if h.Mode != "pool" || h.Workers != 2 || h.Busy != 2 || h.Queued != 2 || h.InFlight != 3 {
		t.Errorf("health with both workers busy and one prediction waiting for a worker: %+v, want mode pool, workers 2, busy 2, queued 2, in flight 3", h)
	}
	for i := range 3 {
		start := time.Now()
		req, _ := http.NewRequest(http.MethodGet, url+"/jobs/next?wait=2s", nil)
		req.Header.Set(headerWorker, "manual")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || time.Since(start) > time.Second {
			t.Fatalf("poll %d with every worker busy: status %d after %s, want a job at once", i+1, resp.StatusCode, time.Since(start))
		}
		result := `{"label":"owl","score":0.75,"worker":"manual","inference_ms":1}`
		if got := post(t, url+"/jobs/"+resp.Header.Get(headerJobID)+"/result", "application/json", strings.NewReader(result)); got.status != http.StatusNoContent {
			t.Fatalf("POST result %d with every worker busy: status %d %s, want 204", i+1, got.status, got.body)
		}
		if got := <-answers; got.status != http.StatusOK {
			t.Errorf("prediction %d: status %d %s, want 200", i+1, got.status, got.body)
		}
	}
	waitFor(t, "every worker free", func() bool { return a.pool.inUse() == 0 })
}

// TestPoolTimesOutWaitingForAWorker: a request that finds every worker
// busy waits in the backlog until JOB_TIMEOUT from its arrival, then gets
// 504 naming the wait; the requests holding the workers are not disturbed.
func TestPoolTimesOutWaitingForAWorker(t *testing.T) {
	const timeout = 150 * time.Millisecond
	a, url := poolAPI(t, func(c *APIConfig) { c.JobTimeout, c.IndexCost = timeout, 600*time.Millisecond })
	var holders sync.WaitGroup
	for range 2 {
		holders.Go(func() {
			if got := get(t, url+"/"); got.status != http.StatusOK {
				t.Errorf("slow page holding a worker: status %d", got.status)
			}
		})
	}
	waitFor(t, "both workers busy", func() bool { return a.pool.inUse() == 2 })

	for _, tt := range []struct {
		name string
		send func() answer
	}{
		{"prediction", func() answer { return predict(t, url, testImage) }},
		{"page", func() answer { return get(t, url+"/") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			got := tt.send()
			el := time.Since(start)
			if got.status != http.StatusGatewayTimeout || !strings.Contains(got.errorText(), "waiting for an api worker") {
				t.Errorf("status %d %q, want 504 waiting for an api worker", got.status, got.errorText())
			}
			if el < timeout {
				t.Errorf("answered after %s, before JOB_TIMEOUT (%s)", el, timeout)
			}
		})
	}
	holders.Wait()
	if h := health(t, url); h.TimedOut != 2 || h.Busy != 0 || h.InFlight != 0 {
		t.Errorf("health after: %+v, want timed_out 2, workers_busy 0, in_flight 0", h)
	}
}
