package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// RunApp is the demo app's command line: "api", "model" or "probe <url>",
// configured by the environment variables getenv finds (os.Getenv when
// nil). It returns when ctx is done (the caller maps SIGTERM to that) or on
// error.
func RunApp(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	const usage = "usage: demoapp api | model | probe <url> (configured by environment variables: see the scalebench demo README)"
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "api":
		cfg, err := APIConfigFromEnv(getenv)
		if err != nil {
			return fmt.Errorf("api: %w", err)
		}
		return ServeAPI(ctx, cfg, stderr, nil)
	case "model":
		cfg, err := ModelConfigFromEnv(getenv)
		if err != nil {
			return fmt.Errorf("model: %w", err)
		}
		return ServeModel(ctx, cfg, stderr)
	case "probe":
		if len(args) != 2 {
			return errors.New("usage: demoapp probe <url>")
		}
		return Probe(ctx, args[1])
	default:
		return fmt.Errorf("unknown role %q; %s", args[0], usage)
	}
}
