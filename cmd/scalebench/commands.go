package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// A command is one subcommand. Each owns its FlagSet, built fresh per call.
type command struct {
	name    string
	summary string
	hidden  bool
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what a subcommand may touch of the outside world.
type env struct {
	stdout, stderr io.Writer
}

func commands() []command {
	return []command{
		{name: "plan", summary: "list a matrix's cells, their order and the estimated wall time", run: runPlan},
		{name: "run", summary: "run a matrix unattended: scale, load, record, report", run: runRun},
		{name: "load", summary: "run one load test against a URL, no Docker", run: runLoad},
		{name: "report", summary: "render charts, report.md and index.html from a results directory", run: runReport},
		{name: "diff", summary: "compare two result sets and say which changes are significant", run: runDiff},
		{name: "publish", summary: "build a static site of every run under a results root", run: runPublish},
		{name: "demo", summary: "run the whole loop on the built-in demo application", run: runDemo},
		{name: "version", summary: "print the version", run: runVersion},
		{name: "sut", summary: "serve a built-in system under test (echo, api, model)", hidden: true, run: runSUT},
	}
}

// run is the whole program: it parses args, dispatches, and returns an error
// whose type carries the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	e := &env{stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		usage(stderr)
		return usageError{errors.New("no command given")}
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return nil
	case "-version", "--version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, e, args[1:])
		}
	}
	return usageError{fmt.Errorf("unknown command %q (run 'scalebench help' for the list)", name)}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "scalebench: how does a compose application behave as one service is scaled under growing load?")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: scalebench <command> [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	cs := commands()
	for _, c := range cs {
		if !c.hidden {
			fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'scalebench <command> -h' for a command's flags.")
}

// newFlags returns a FlagSet for a subcommand whose usage names its arguments.
func newFlags(e *env, name, argsUsage, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: scalebench %s [flags] %s\n\n%s\n", name, argsUsage, summary)
		var b strings.Builder
		fs.SetOutput(&b)
		fs.PrintDefaults()
		fs.SetOutput(e.stderr)
		if b.Len() > 0 {
			fmt.Fprintf(fs.Output(), "\nFlags:\n%s", b.String())
		}
	}
	return fs
}

// parseFlags parses args into fs; -h returns errHelp (exit 0), a bad flag a
// usage error (exit 2).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageError{silentError{err}}
	}
	return nil
}
