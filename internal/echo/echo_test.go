package echo

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestEchoRoutes(t *testing.T) {
	e := &Server{}
	srv := httptest.NewServer(e)
	defer srv.Close()
	cases := []struct {
		name     string
		method   string
		path     string
		body     string
		status   int
		contains string
		minTime  time.Duration
		bodyLen  int
	}{
		{name: "root", path: "/", status: 200, contains: "ok"},
		{name: "delay", path: "/delay?ms=60", status: 200, minTime: 60 * time.Millisecond},
		{name: "status", path: "/status?code=503", status: 503, contains: "503"},
		{name: "bad status", path: "/status?code=abc", status: 400},
		{name: "bytes", path: "/bytes?n=100000", status: 200, bodyLen: 100000},
		{name: "too many bytes", path: "/bytes?n=999999999999", status: 400},
		{name: "echo", method: "POST", path: "/echo", body: "hello", status: 200, contains: "5 bytes"},
		{name: "unknown", path: "/nope", status: 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			method := c.method
			if method == "" {
				method = http.MethodGet
			}
			req, _ := http.NewRequest(method, srv.URL+c.path, strings.NewReader(c.body))
			start := time.Now()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Errorf("status %d, want %d (%s)", resp.StatusCode, c.status, b)
			}
			if !strings.Contains(string(b), c.contains) {
				t.Errorf("body %q lacks %q", b, c.contains)
			}
			if took := time.Since(start); took < c.minTime {
				t.Errorf("answered after %v, want ≥ %v", took, c.minTime)
			}
			if c.bodyLen > 0 && len(b) != c.bodyLen {
				t.Errorf("body has %d bytes, want %d", len(b), c.bodyLen)
			}
		})
	}
	if got, want := e.Requests(), int64(len(cases)); got != want {
		t.Errorf("Requests() = %d, want %d", got, want)
	}
}

func TestEchoStallHoldsOtherRequests(t *testing.T) {
	srv := httptest.NewServer(&Server{})
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/stall?ms=300")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	start := time.Now()
	resp, err = http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if took := time.Since(start); took < 250*time.Millisecond {
		t.Errorf("request during a 300ms stall answered after %v", took)
	}
	start = time.Now()
	resp, _ = http.Get(srv.URL + "/")
	resp.Body.Close()
	if took := time.Since(start); took > 200*time.Millisecond {
		t.Errorf("request after the stall took %v", took)
	}
}

func TestServeEchoCountsAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	addrCh := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, "127.0.0.1:0", func(a net.Addr) { addrCh <- a }) }()
	addr := <-addrCh
	for i := 0; i < 3; i++ {
		resp, err := http.Get("http://" + addr.String() + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := http.Get("http://" + addr.String() + "/count")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.TrimSpace(string(b)) != `{"requests":3}` {
		t.Errorf("/count = %s, want 3 requests", b)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve after cancel: %v", err)
		}
	case <-time.After(6 * time.Second):
		t.Fatal("Serve did not return after its context was cancelled")
	}
	if err := Serve(context.Background(), addr.String()+"x", nil); err == nil {
		t.Error("Serve on a bad address: no error")
	}
}
