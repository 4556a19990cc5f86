package main

import (
	"errors"
)

// Exit codes. A diff regression has its own code so CI can tell it from a
// broken run.
const (
	exitOK         = 0
	exitFailure    = 1
	exitUsage      = 2
	exitRegression = 3
	exitAborted    = 130
)

// usageError is a mistake in the command line (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }
func (e usageError) ExitCode() int { return exitUsage }

// regressionError is a significant regression beyond a --fail-on threshold (exit 3).
type regressionError struct{ err error }

func (e regressionError) Error() string { return e.err.Error() }
func (e regressionError) Unwrap() error { return e.err }
func (e regressionError) ExitCode() int { return exitRegression }

// abortedError is a run stopped by a signal (exit 130).
type abortedError struct{ err error }

func (e abortedError) Error() string { return e.err.Error() }
func (e abortedError) Unwrap() error { return e.err }
func (e abortedError) ExitCode() int { return exitAborted }

// silentError has already been reported (by flag parsing, say); main prints nothing more.
type silentError struct{ err error }

func (e silentError) Error() string { return e.err.Error() }
func (e silentError) Unwrap() error { return e.err }

// errHelp is -h: usage was printed, exit 0.
var errHelp = silentError{errors.New("help requested")}

func exitCode(err error) int {
	if err == nil || errors.Is(err, errHelp) {
		return exitOK
	}
	var c interface{ ExitCode() int }
	if errors.As(err, &c) {
		return c.ExitCode()
	}
	return exitFailure
}

func isSilent(err error) bool {
	var s silentError
	return errors.As(err, &s)
}
