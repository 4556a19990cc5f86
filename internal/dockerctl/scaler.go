package dockerctl

import (
	"context"

	"github.com/scalebench/scalebench/internal/results"
)

// Scaler is what the runner needs of a scalable service. ComposeService and
// SwarmService implement it.
type Scaler interface {
	// Replicas lists the running replicas of the service, by number.
	Replicas(ctx context.Context) ([]results.Replica, error)
	// Scale sets the number of replicas to n and waits until they are
	// running, healthy and ready (Options.ReadyURL).
	Scale(ctx context.Context, n int) error
	// Original is the replica count found when the Scaler was made.
	Original() int
	// Restore is Scale(Original()).
	Restore(ctx context.Context) error
	// Project is the Watch selector of the containers to sample while the
	// service is loaded: the compose project's name, or for a Swarm
	// service its stack (SwarmStackSelector) or itself
	// (SwarmServiceSelector). Never "".
	Project() string
}

var (
	_ Scaler = (*ComposeService)(nil)
	_ Scaler = (*SwarmService)(nil)
)
