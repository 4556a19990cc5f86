package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
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
	// probe, when set, makes the command stop once its flags are parsed
	// and hand them over (see inspect).
	probe func(*flag.FlagSet)
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
		{name: "completion", summary: "print a bash, zsh or fish completion script", run: runCompletion},
		{name: "sut", summary: "serve a built-in system under test (echo, api, model)", hidden: true, run: runSUT},
		{name: "agent", summary: "run one load agent's share of a cell (in a Swarm task)", hidden: true, run: runAgent},
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
			fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'scalebench <command> -h' for a command's flags. Flags may come before or")
	fmt.Fprintln(w, "after the arguments; -- ends them.")
}

// newFlags returns a FlagSet for a subcommand whose usage names its arguments.
func newFlags(e *env, name, argsUsage, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	if e.probe != nil {
		probes.Store(fs, e.probe)
	}
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

// parseFlags parses args into fs, flags before and after the positional
// arguments alike ("run m.yaml --out r/" as "run --out r/ m.yaml"); "--"
// ends the flags, and what follows it is positional even when it starts
// with "-". Afterwards fs.Args() holds the positional arguments in order.
// -h returns errHelp (exit 0), a bad flag a usage error (exit 2). A FlagSet
// made by newFlags for inspect is not run: its probe gets the result and
// parseFlags returns errProbed.
func parseFlags(fs *flag.FlagSet, args []string) error {
	probe, probed := probes.LoadAndDelete(fs)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return errHelp
			}
			return usageError{silentError{err}}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			pos = append(pos, rest...) // everything after -- is positional
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	// Parsing "--" alone leaves the flags as they are and sets fs.Args().
	if err := fs.Parse(append([]string{"--"}, pos...)); err != nil {
		return usageError{err}
	}
	if probed {
		probe.(func(*flag.FlagSet))(fs)
		return errProbed
	}
	return nil
}

// probes maps the FlagSets that inspect made to the functions that receive
// them once parsed.
var probes sync.Map

// errProbed is what a command returns when inspect stopped it after parsing.
var errProbed = errors.New("flags parsed; command not run")

// inspect parses args with the flags of the command name, exactly as the
// command would, without running it, and returns the parsed FlagSet:
// fs.Args() are the positional arguments. It relies on every command calling
// newFlags and parseFlags before doing anything else.
func inspect(ctx context.Context, name string, args []string) (*flag.FlagSet, error) {
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		var got *flag.FlagSet
		var stderr strings.Builder
		e := &env{stdout: io.Discard, stderr: &stderr, probe: func(fs *flag.FlagSet) { got = fs }}
		err := c.run(ctx, e, args)
		switch {
		case errors.Is(err, errProbed):
			return got, nil
		case err == nil:
			return nil, fmt.Errorf("%s: the command ran without parsing its flags", name)
		case isSilent(err):
			return nil, fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
		}
		return nil, err
	}
	return nil, fmt.Errorf("unknown command %q", name)
}
