//go:build !linux

package load

import (
	"context"
	"errors"
	"sync"
)

// evLoopsSupported reports whether this system has the event loops: only
// Linux does (evloop_linux.go); elsewhere every user and slot is a
// goroutine.
const evLoopsSupported = false

type evGroup struct{}

func newEvGroup(context.Context, *loop, target, int) (*evGroup, error) {
	return nil, errors.New("no event loops on this system")
}

func (*evGroup) rings() []*ring                       { return nil }
func (*evGroup) run(*sync.WaitGroup, <-chan struct{}) {}
func (*evGroup) wake()                                {}
func (*evGroup) close()                               {}
func (*evGroup) err() error                           { return nil }
func (*evGroup) inFlight() int                        { return 0 }
func (*evGroup) sent() int64                          { return 0 }
func (*evGroup) failure() <-chan struct{}             { return nil }
