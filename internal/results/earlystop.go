package results

import "time"

// EarlyStop records that a cell's load was stopped before its duration
// because its SLO verdict was already decided (package slo's rule). The
// cell's statistics cover the load up to At.
type EarlyStop struct {
	// At is the offset from the load's start at which it stopped.
	At time.Duration `json:"at_ns"`
	// Reason says which limit was surely broken, with its figures
	// ("p95 1.9s ≥ 1.5 × 500ms over 12 s").
	Reason string `json:"reason"`
}
