package dockerctl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// commandConn is a net.Conn over a command's standard input and output,
// as the docker CLI's connection helpers use. When the command ends, a
// read returns why, with the last of its standard error.
type commandConn struct {
	cmd    *exec.Cmd
	stdin  *os.File // our end of its standard input
	stdout *os.File // our end of its standard output
	stderr *tailBuffer
	done   chan struct{} // closed when the command has exited
	err    error         // cmd.Wait's, set before done closes
	// wrap dresses the error of a command that failed.
	wrap func(error) error

	closeOnce sync.Once
}

// newCommandConn starts name with args. The command outlives ctx: it
// belongs to the connection, which the HTTP client keeps and closes.
func newCommandConn(ctx context.Context, name string, args ...string) (*commandConn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	c := &commandConn{stdin: inW, stdout: outR, stderr: &tailBuffer{max: 4096}, done: make(chan struct{}), wrap: func(e error) error { return e }}
	c.cmd = exec.Command(name, args...)
	c.cmd.Stdin, c.cmd.Stdout, c.cmd.Stderr = inR, outW, c.stderr
	ownProcessGroup(c.cmd)
	err = c.cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("run %s: %w", name, err)
	}
	go func() {
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

// Read reads the command's output. At its end it returns the command's
// failure, if it failed, rather than io.EOF.
func (c *commandConn) Read(p []byte) (int, error) {
	n, err := c.stdout.Read(p)
	if errors.Is(err, io.EOF) {
		return n, c.exitError()
	}
	return n, err
}

// exitError waits (briefly) for the command to exit and says why it did.
func (c *commandConn) exitError() error {
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		return io.EOF
	}
	msg := strings.TrimSpace(c.stderr.String())
	if c.err == nil && msg == "" {
		return io.EOF
	}
	cause := c.err
	if cause == nil {
		cause = errors.New("exited")
	}
	if msg != "" {
		// The last line is the one that says what went wrong.
		lines := strings.Split(msg, "\n")
		msg = strings.TrimSpace(lines[len(lines)-1])
		return c.wrap(fmt.Errorf("%w: %s", cause, msg))
	}
	return c.wrap(cause)
}

func (c *commandConn) Write(p []byte) (int, error) {
	n, err := c.stdin.Write(p)
	if err != nil {
		select {
		case <-c.done:
			if e := c.exitError(); e != io.EOF {
				return n, e
			}
		default:
		}
	}
	return n, err
}

// Close ends the command and waits (at most a few seconds) for it.
func (c *commandConn) Close() error {
	c.closeOnce.Do(func() {
		c.stdin.Close()
		select {
		case <-c.done:
		case <-time.After(100 * time.Millisecond):
			c.cmd.Process.Kill()
		}
		select {
		case <-c.done:
		case <-time.After(5 * time.Second):
		}
		c.stdout.Close()
	})
	return nil
}

func (c *commandConn) LocalAddr() net.Addr  { return dummyAddr{} }
func (c *commandConn) RemoteAddr() net.Addr { return dummyAddr{} }

// Deadlines are not supported by pipes to a process; the HTTP client's
// contexts bound each request instead.
func (c *commandConn) SetDeadline(time.Time) error      { return nil }
func (c *commandConn) SetReadDeadline(time.Time) error  { return nil }
func (c *commandConn) SetWriteDeadline(time.Time) error { return nil }

type dummyAddr struct{}

func (dummyAddr) Network() string { return "command" }
func (dummyAddr) String() string  { return "command" }

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - b.max; over > 0 {
		b.buf.Next(over)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
