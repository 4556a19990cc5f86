package dockerctl

import (
	"fmt"
	"time"
)

// DefaultReadyTimeout bounds the wait for replicas to be running, healthy
// and ready after a rescale when Options.ReadyTimeout is zero.
const DefaultReadyTimeout = 2 * time.Minute

// Options tune a Scaler.
type Options struct {
	// ReadyURL, when set, is polled with GET after every rescale, once every
	// replica is running and healthy, until it answers 2xx.
	ReadyURL string
	// ReadyTimeout bounds the whole wait after a rescale: replicas running,
	// healthchecks healthy, ReadyURL answering. Zero means DefaultReadyTimeout.
	ReadyTimeout time.Duration
	// Log, when set, receives one line per step (container created, started,
	// stopped, ...). It may be called from several goroutines at once.
	Log func(format string, args ...any)
}

func (o Options) readyTimeout() time.Duration {
	if o.ReadyTimeout > 0 {
		return o.ReadyTimeout
	}
	return DefaultReadyTimeout
}

func (o Options) logf(format string, args ...any) {
	if o.Log != nil {
		o.Log(format, args...)
	}
}

func (o Options) validate() error {
	if o.ReadyTimeout < 0 {
		return fmt.Errorf("ready timeout %v is negative; use 0 for the default %v", o.ReadyTimeout, DefaultReadyTimeout)
	}
	return nil
}
