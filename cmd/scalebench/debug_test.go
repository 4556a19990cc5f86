package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestServeDebug(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, err := serveDebug(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr.String() + "/debug/goroutines")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err != nil || n < 1 {
		t.Errorf("/debug/goroutines = %q, want a count", b)
	}
	for _, bad := range []string{"0.0.0.0:6060", "192.0.2.1:6060", "6060"} {
		_, err := serveDebug(ctx, bad)
		var u usageError
		if !errors.As(err, &u) {
			t.Errorf("--debug-addr %s: %v, want a usage error", bad, err)
		}
	}
}
