package load

import (
	"bytes"
	"io"
	"net"
	"time"
)

// fakeConn is a connection to a target that answers every request at
// once with the same response, without a network: for benchmarks of the
// per-request CPU of the client and the recording. One goroutine uses it.
type fakeConn struct {
	resp    []byte
	pending []byte
	buf     []byte
}

var (
	fakeLocal  net.Addr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
	fakeRemote net.Addr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8000}
)

var fakeOK = []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\nDate: Mon, 30 Nov 2026 20:00:00 GMT\r\n\r\nok\n")

// Write takes a whole request (fasthttp flushes one per call) and queues
// the response.
func (c *fakeConn) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("\r\n\r\n")) {
		if len(c.pending) == 0 {
			c.pending = c.buf[:0]
		}
		c.pending = append(c.pending, c.resp...)
		c.buf = c.pending[:0]
	}
	return len(p), nil
}

func (c *fakeConn) Read(p []byte) (int, error) {
	if len(c.pending) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

func (c *fakeConn) Close() error                     { return nil }
func (c *fakeConn) LocalAddr() net.Addr              { return fakeLocal }
func (c *fakeConn) RemoteAddr() net.Addr             { return fakeRemote }
func (c *fakeConn) SetDeadline(time.Time) error      { return nil }
func (c *fakeConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fakeConn) SetWriteDeadline(time.Time) error { return nil }
