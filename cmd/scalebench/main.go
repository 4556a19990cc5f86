// Command scalebench measures how a compose application behaves as one of its
// services is scaled under growing load: plan, run, report, diff, publish.
//
// This package owns the command line: parsing, dispatch, exit codes and what
// is printed. It must not hold measurement or analysis logic; that lives in
// the packages it calls.
//
// Flags are the standard library's flag package, parsed by parseFlags so
// that they may come before or after the positional arguments ("run m.yaml
// --out r/") and "--" ends them. pflag or cobra would bring that too, but
// pflag reads -out as -o -u -t (breaking every script written with Go's
// single-dash flags) and cobra would mean rewriting every command around
// its own types; with flag, each command keeps its FlagSet, the help text
// stays Go's, and no dependency is added. Shell completion is generated
// from the same FlagSets (inspect parses a command's flags without running
// it), so it cannot drift from them.
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
