// Command demoapp is scalebench's demo application as a small static binary
// for FROM scratch images: "demoapp api", "demoapp model" or
// "demoapp probe <url>", configured by environment variables (see package
// github.com/scalebench/scalebench/internal/demo). SIGTERM and SIGINT stop it gracefully.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/scalebench/scalebench/internal/demo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := demo.RunApp(ctx, os.Args[1:], os.Getenv, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demoapp:", err)
		os.Exit(1)
	}
}
