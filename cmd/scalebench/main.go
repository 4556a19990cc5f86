// Command scalebench measures how a compose application behaves as one of its
// services is scaled under growing load: plan, run, report, diff, publish.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !isSilent(err) {
			fmt.Fprintln(os.Stderr, "scalebench:", err)
		}
		os.Exit(exitCode(err))
	}
}
