package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/scalebench/scalebench/internal/results"
)

func runVersion(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "version", "", "Print scalebench's module version, module path, VCS revision (with +dirty when the\nsource had uncommitted changes) and Go version, as run.json records them.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("version takes no arguments, got %q", fs.Args())}
	}
	t := results.ToolInfo()
	fmt.Fprintf(e.stdout, "scalebench %s\n", t.Version)
	if t.Module != "" {
		fmt.Fprintf(e.stdout, "module:   %s\n", t.Module)
	}
	rev := t.Revision
	switch {
	case rev == "":
		rev = "unknown (built outside a git work tree, or with -buildvcs=false)"
	case t.Dirty:
		rev += " (uncommitted changes)"
	}
	fmt.Fprintf(e.stdout, "revision: %s\n", rev)
	fmt.Fprintf(e.stdout, "go:       %s %s/%s\n", t.GoVersion, runtime.GOOS, runtime.GOARCH)
	return nil
}
