package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"runtime"
	"time"
)

// ServeAPI listens on cfg.Listen and serves the api until ctx is done, then
// shuts down gracefully (see API.Serve). listening, when not nil, is called
// with the bound address once the api accepts connections. It logs to logw.
func ServeAPI(ctx context.Context, cfg APIConfig, logw io.Writer, listening func(net.Addr)) error {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("api: listen on %s (LISTEN): %w", cfg.Listen, err)
	}
	a := NewAPI(cfg)
	l := log.New(logw, "api: ", log.LstdFlags|log.Lmicroseconds)
	l.Printf("listening on %s: %s; JOB_TIMEOUT=%s QUEUE_MAX=%d GOMAXPROCS=%d",
		ln.Addr(), describeLimit(a), cfg.JobTimeout, cfg.QueueMax, runtime.GOMAXPROCS(0))
	if listening != nil {
		listening(ln.Addr())
	}
	go func() {
		<-ctx.Done()
		l.Printf("stopping: answering the %d predictions in flight, refusing new ones", a.inflight.Load())
	}()
	err = a.Serve(ctx, ln)
	h := a.health()
	l.Printf("stopped: served %d, timed out %d, rejected %d, canceled %d", h.Served, h.TimedOut, h.Rejected, h.Canceled)
	return err
}

// describeLimit says what bounds a's throughput, for its log.
func describeLimit(a *API) string {
	c := a.cfg
	if a.pool != nil {
		return fmt.Sprintf("API_MODE=pool: %d blocking worker(s), each held by a request for its whole life (%s slept per prediction before the model's time, %s per page)",
			a.pool.size(), c.Cost, c.IndexCost)
	}
	capacity := "unbounded"
	if c.Cost > 0 {
		capacity = fmt.Sprintf("%.1f requests/s", a.Capacity())
	}
	return fmt.Sprintf("API_MODE=cpu: %d slot(s) × %s of CPU per prediction (%s per page) = %s", c.Slots, c.Cost, c.IndexCost, capacity)
}

// ServeModel runs one model worker until ctx is done (see Model.Run), with
// its /health endpoint on cfg.Listen unless that is empty. It logs to logw.
func ServeModel(ctx context.Context, cfg ModelConfig, logw io.Writer) error {
	m := NewModel(cfg, logw)
	m.log.Printf("worker %q taking jobs from %s; inference %s ± %s", cfg.Name, cfg.APIURL, cfg.ServiceTime, cfg.Jitter)
	var srv *http.Server
	errc := make(chan error, 1)
	if cfg.Listen != "" {
		ln, err := net.Listen("tcp", cfg.Listen)
		if err != nil {
			return fmt.Errorf("model: listen on %s (LISTEN; \"off\" serves no /health): %w", cfg.Listen, err)
		}
		srv = &http.Server{Handler: m, ReadHeaderTimeout: 5 * time.Second}
		go func() { errc <- srv.Serve(ln) }()
	}
	err := m.Run(ctx)
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		srv.Shutdown(sctx)
		cancel()
		if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, fmt.Errorf("model: serve /health: %w", serr))
		}
	}
	m.log.Printf("stopped after %d jobs", m.Served())
	return err
}

// Probe GETs url and fails unless it answers 2xx within 2 s. Containers
// built FROM scratch have no shell or curl, so their health checks run
// "demoapp probe <url>".
func Probe(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("probe %q: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("probe %s: %s", url, resp.Status)
	}
	return nil
}
