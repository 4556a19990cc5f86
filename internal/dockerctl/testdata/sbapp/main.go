// Command sbapp is the tiny service the dockerctl tests and bench/scale.sh
// run in FROM-scratch containers. It is configured by its arguments and
// environment:
//
//	sbapp [serve]        serve HTTP on :8080 (GET /healthz, GET /)
//	sbapp health         exit 0 when http://127.0.0.1:8080/healthz answers 200
//	sbapp resolve NAME   print NAME's IP addresses, sorted, one per line
//
// SB_MODE selects how serve behaves: "" (plain), "busy" (one goroutine
// spins), "unhealthy" (/healthz always answers 503), "exit-if-marker" (the
// first container to start creates /data/marker; later ones find it, log
// and exit 3), "oom" (after SB_OOM_AFTER, a Go duration, it allocates and
// touches 1 MiB every 10 ms and never frees it, until the kernel kills it
// for lack of memory). SB_HEALTHY_AFTER delays /healthz answering 200 (a Go
// duration).
package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"
)

func main() {
	cmd := "serve"
	if len(os.Args) > 1 {
		cmd = os.Args[1]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve()
	case "health":
		err = health()
	case "resolve":
		if len(os.Args) != 3 {
			err = fmt.Errorf("usage: sbapp resolve NAME")
			break
		}
		err = resolve(os.Args[2])
	default:
		err = fmt.Errorf("unknown command %q", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sbapp:", err)
		os.Exit(1)
	}
}

func serve() error {
	mode := os.Getenv("SB_MODE")
	var after time.Duration
	if s := os.Getenv("SB_HEALTHY_AFTER"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("SB_HEALTHY_AFTER: %w", err)
		}
		after = d
	}
	if mode == "exit-if-marker" {
		f, err := os.OpenFile("/data/marker", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Println("sbapp: starting in exit-if-marker mode")
			fmt.Println("sbapp: /data/marker exists: another replica owns the data")
			fmt.Fprintln(os.Stderr, "sbapp: refusing to start a second replica")
			os.Exit(3)
		}
		f.Close()
	}
	start := time.Now()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if mode == "busy" {
		go func() {
			x := 0
			for ctx.Err() == nil {
				for i := 0; i < 1_000_000; i++ {
					x += i
				}
			}
			_ = x
		}()
	}
	if mode == "oom" {
		var wait time.Duration
		if s := os.Getenv("SB_OOM_AFTER"); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil {
				return fmt.Errorf("SB_OOM_AFTER: %w", err)
			}
			wait = d
		}
		go hog(ctx, wait)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case mode == "unhealthy":
			http.Error(w, "not ready: mode unhealthy", http.StatusServiceUnavailable)
		case time.Since(start) < after:
			http.Error(w, "warming up", http.StatusServiceUnavailable)
		default:
			fmt.Fprintln(w, "ok")
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h, _ := os.Hostname()
		fmt.Fprintln(w, h)
	})
	srv := &http.Server{Addr: ":8080", Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	fmt.Println("sbapp: serving on :8080, mode", mode)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// hog waits, then allocates and touches 1 MiB every 10 ms, keeping it all,
// until ctx ends or the process is killed.
func hog(ctx context.Context, wait time.Duration) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(wait):
	}
	var kept [][]byte
	for ctx.Err() == nil {
		b := make([]byte, 1<<20)
		for i := range b {
			b[i] = byte(i)
		}
		kept = append(kept, b)
		time.Sleep(10 * time.Millisecond)
	}
	_ = kept
}

func health() error {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://127.0.0.1:8080/healthz")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	buf := make([]byte, 200)
	n, _ := resp.Body.Read(buf)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: HTTP %d: %s", resp.StatusCode, buf[:n])
	}
	return nil
}

func resolve(name string) error {
	addrs, err := net.LookupHost(name)
	if err != nil {
		return err
	}
	sort.Strings(addrs)
	for _, a := range addrs {
		fmt.Println(a)
	}
	return nil
}
