package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/scalebench/scalebench/internal/matrix"
)

func TestRedactErrorKeepsExitCode(t *testing.T) {
	secrets := []matrix.Secret{{Name: "TOKEN", Value: "s3cr3t-v4l"}}
	err := redactError(usageError{fmt.Errorf("target https://u:s3cr3t-v4l@h: refused")}, secrets)
	if err.Error() != "target https://u:${TOKEN}@h: refused" || exitCode(err) != exitUsage {
		t.Errorf("got %q, exit %d", err, exitCode(err))
	}
	var u usageError
	if !errors.As(err, &u) || redactError(nil, secrets) != nil {
		t.Error("the redacted error hides its cause")
	}
}
