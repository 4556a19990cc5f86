package dockerctl

import (
	"fmt"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
)

// DefaultReadyTimeout bounds the wait for replicas to be running, healthy
// and ready after a rescale when Options.ReadyTimeout is zero.
const DefaultReadyTimeout = 2 * time.Minute

// DefaultMaxScale is the highest replica count Scale accepts when
// Options.MaxScale is zero: a matrix's default ceiling.
const DefaultMaxScale = matrix.DefaultMaxScale

// Options tune a Scaler.
type Options struct {
	// MaxScale is the highest replica count Scale accepts; a higher one is
	// refused before anything is touched. Zero means DefaultMaxScale.
	MaxScale int
	// ReadyURL, when set, is polled with GET after every rescale, once every
	// replica is running and healthy, until it answers 2xx.
	ReadyURL string
	// ReadyTLS, when set, is how ReadyURL is reached when it is https://:
	// the scenario's CA, client certificate, server name and verification.
	ReadyTLS *matrix.TLS
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

func (o Options) maxScale() int {
	if o.MaxScale > 0 {
		return o.MaxScale
	}
	return DefaultMaxScale
}

// checkScale refuses a replica count that is negative or above MaxScale.
func (o Options) checkScale(n int) error {
	switch {
	case n < 0:
		return fmt.Errorf("replica count %d is negative", n)
	case n > o.maxScale():
		return fmt.Errorf("%d replicas is above the ceiling of %d; lower the scale, or raise the ceiling (max_scale: in the matrix) if the engine can hold that many", n, o.maxScale())
	}
	return nil
}

func (o Options) logf(format string, args ...any) {
	if o.Log != nil {
		o.Log(format, args...)
	}
}

func (o Options) validate() error {
	if o.MaxScale < 0 {
		return fmt.Errorf("max scale %d is negative; use 0 for the default %d", o.MaxScale, DefaultMaxScale)
	}
	if o.ReadyTimeout < 0 {
		return fmt.Errorf("ready timeout %v is negative; use 0 for the default %v", o.ReadyTimeout, DefaultReadyTimeout)
	}
	return nil
}
