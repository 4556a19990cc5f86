// Command scalecmd is bench/scale.sh's scalebench side: it scales a compose
// service through package dockerctl, exactly as the runner will, so its wall
// time can be set against docker-compose's.
//
//	scalecmd scale -project P -service S -n N [-ready-timeout 2m] [-v]
//	scalecmd build-image -tag T -binary PATH
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/scalebench/scalebench/internal/dockerctl"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "scalecmd:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: scalecmd scale|build-image [flags]")
	}
	fs := flag.NewFlagSet("scalecmd "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	switch args[0] {
	case "scale":
		project := fs.String("project", "", "compose project")
		service := fs.String("service", "", "compose service")
		n := fs.Int("n", -1, "replicas")
		timeout := fs.Duration("ready-timeout", dockerctl.DefaultReadyTimeout, "bound on the wait for ready replicas")
		verbose := fs.Bool("v", false, "print each step")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *n < 0 {
			return errors.New("-n: replica count required")
		}
		opts := dockerctl.Options{ReadyTimeout: *timeout}
		if *verbose {
			start := time.Now()
			opts.Log = func(f string, a ...any) {
				fmt.Fprintf(stderr, "%6.3fs %s\n", time.Since(start).Seconds(), fmt.Sprintf(f, a...))
			}
		}
		c, err := dockerctl.Connect(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		s, err := c.Compose(ctx, *project, *service, opts)
		if err != nil {
			return err
		}
		return s.Scale(ctx, *n)
	case "build-image":
		tag := fs.String("tag", "", "image tag")
		binary := fs.String("binary", "", "static binary to copy to /<its name>")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		c, err := dockerctl.Connect(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		return c.BuildScratchImage(ctx, *tag, *binary, nil, map[string]string{"scalebench.bench": "scale"})
	}
	return fmt.Errorf("unknown command %q: want scale or build-image", args[0])
}
