package runner

import (
	"fmt"

	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// Secrets in what is saved and printed: a value the matrix took from the
// environment is sent (a token in a header, a key in a query), and a
// server may echo it back in an error body, a redirect or a message that
// quotes the URL. Before a cell is saved every such value is replaced by
// ${NAME} in the texts a cell holds (its error and fault, its error
// groups' messages and samples, the load agents' errors), and the run's
// progress lines are redacted the same way.

// redactCell replaces the secrets' values in c's texts, in place.
func redactCell(c *results.Cell, secrets []matrix.Secret) {
	if c == nil || len(secrets) == 0 {
		return
	}
	c.Error = matrix.Redact(c.Error, secrets)
	if c.Fault != nil {
		c.Fault.Cause = matrix.Redact(c.Fault.Cause, secrets)
	}
	RedactLoad(c.Load, secrets)
}

// RedactLoad replaces the secrets' values in l's error groups and agents'
// errors, in place.
func RedactLoad(l *results.Load, secrets []matrix.Secret) {
	if l == nil || len(secrets) == 0 {
		return
	}
	for i := range l.Errors {
		e := &l.Errors[i]
		e.Message = matrix.Redact(e.Message, secrets)
		e.Sample = matrix.Redact(e.Sample, secrets)
	}
	for i := range l.Agents {
		l.Agents[i].Error = matrix.Redact(l.Agents[i].Error, secrets)
	}
}

// redactProgress is a Progress whose event lines and cells are redacted.
type redactProgress struct {
	Progress
	secrets []matrix.Secret
}

// WithRedaction wraps p so that what it prints holds no secret's value; p
// itself when there is none.
func WithRedaction(p Progress, secrets []matrix.Secret) Progress {
	if len(secrets) == 0 {
		return p
	}
	return &redactProgress{Progress: p, secrets: secrets}
}

func (p *redactProgress) Logf(format string, args ...any) {
	p.Progress.Logf("%s", matrix.Redact(fmt.Sprintf(format, args...), p.secrets))
}

func (p *redactProgress) CellEnd(i int, c *results.Cell) {
	redactCell(c, p.secrets)
	p.Progress.CellEnd(i, c)
}
