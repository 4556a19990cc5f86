package main

import (
	"context"
	"fmt"

	"github.com/scalebench/scalebench/results"
)

func runVersion(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "version", "", "Print scalebench's version, revision and Go version.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	t := results.ToolInfo()
	fmt.Fprintf(e.stdout, "scalebench %s", t.Version)
	if t.Revision != "" {
		fmt.Fprintf(e.stdout, " (%s)", t.Revision)
	}
	fmt.Fprintf(e.stdout, " %s\n", t.GoVersion)
	return nil
}
