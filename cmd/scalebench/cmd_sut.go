package main

import (
	"context"
	"fmt"
	"net"

	"github.com/scalebench/scalebench/internal/demo"
	"github.com/scalebench/scalebench/internal/echo"
)

// runSUT serves one of the built-in systems under test until interrupted.
// The first argument names it; each has its own flags.
func runSUT(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError{fmt.Errorf("sut: name the target to serve: scalebench sut echo --addr 127.0.0.1:8089")}
	}
	switch args[0] {
	case "echo":
		return runSUTEcho(ctx, e, args[1:])
	case "api":
		return runSUTAPI(ctx, e, args[1:])
	case "model":
		return runSUTModel(ctx, e, args[1:])
	case "app":
		// The demo image's entrypoint when it is made from this binary:
		// the demo app's command line, configured by the environment.
		return demo.RunApp(ctx, args[1:], nil, e.stderr)
	default:
		return usageError{fmt.Errorf("sut: unknown target %q (known: echo, api, model, app)", args[0])}
	}
}

func runSUTEcho(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "sut echo", "", "Serve the echo target: / at once, /delay?ms=N, /status?code=N, /bytes?n=N, /stall?ms=N, /count.")
	addr := fs.String("addr", "127.0.0.1:8089", "`host:port` to listen on (port 0 picks a free one)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("sut echo: unexpected argument %q", fs.Arg(0))}
	}
	return echo.Serve(ctx, *addr, func(a net.Addr) {
		fmt.Fprintf(e.stdout, "echo target listening on http://%s/\n", a)
	})
}
