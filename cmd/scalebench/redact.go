package main

import "github.com/scalebench/scalebench/internal/matrix"

// redactedError is err with the values of the matrix's secrets replaced by
// ${NAME} in its message; errors.As and exitCode still see err.
type redactedError struct {
	err error
	msg string
}

func (r redactedError) Error() string { return r.msg }
func (r redactedError) Unwrap() error { return r.err }

// redactError returns err as it may be printed: without a secret's value.
func redactError(err error, secrets []matrix.Secret) error {
	if err == nil {
		return nil
	}
	if msg := matrix.Redact(err.Error(), secrets); msg != err.Error() {
		return redactedError{err: err, msg: msg}
	}
	return err
}
