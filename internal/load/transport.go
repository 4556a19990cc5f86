package load

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/scalebench/scalebench/internal/matrix"
)

// pool is the HTTP client's connections to the target and its round trip:
// fasthttp writes the request and parses the response; the pool keeps the
// keep-alive connections, each with its own buffers and deadline, and is
// what a worker calls directly. The fasthttp.HostClient it belongs to holds
// its settings (address, TLS, dialer, user agent) and sends redirect hops
// through it as its Transport.
//
// fasthttp's own client, per request, read the clock five times (deadlines,
// the pool's idle times), set a write and a read deadline (updates of the
// runtime's timers), locked its pool twice and took the connection's
// buffers from sync.Pools and gave them back: together more of the closed
// loop's user CPU than the request writing and response parsing. Here a
// connection keeps one deadline for both directions and moves it only when
// the request's timeout would end after it, or more than a slack before
// it: a request times out no earlier than its timeout and at most
// deadlineSlack(timeout) later, and a busy connection re-arms its deadline
// once per slack instead of twice per request.
type pool struct {
	hc   *fasthttp.HostClient
	mu   sync.Mutex
	idle []*pconn // most recently used last
}

// newPool returns hc's pool, installed as its Transport.
func newPool(hc *fasthttp.HostClient) *pool {
	p := &pool{hc: hc}
	hc.Transport = p
	return p
}

// poolOf returns the pool of a client made by newClient.
func poolOf(hc *fasthttp.HostClient) *pool {
	if p, ok := hc.Transport.(*pool); ok {
		return p
	}
	return newPool(hc)
}

// pconn is one keep-alive connection and its buffers.
type pconn struct {
	c        net.Conn // the TLS client over the dialed connection, or it
	br       *bufio.Reader
	bw       *bufio.Writer
	deadline time.Time // armed for reads and writes; see arm
}

// Buffer sizes of a connection: a response's headers must fit in the
// reader's (fasthttp's default); requests are written in pieces of the
// writer's.
const (
	readBufferSize  = 4096
	writeBufferSize = 2048
)

// maxDeadlineSlack bounds how late a request may time out.
const maxDeadlineSlack = 100 * time.Millisecond

// deadlineSlack is how much later than its timeout a request may time out:
// a twentieth of the timeout, at most maxDeadlineSlack.
func deadlineSlack(timeout time.Duration) time.Duration {
	return min(timeout/20, maxDeadlineSlack)
}

// do sends req and reads resp, timing out after timeout counted from start
// (zero: now). A request whose reused connection the server had closed
// before any response byte is sent again once on a new connection, as
// every browser does; other failures are returned, never retried.
func (p *pool) do(req *fasthttp.Request, resp *fasthttp.Response, timeout time.Duration, start time.Time) error {
	for attempt := 0; ; attempt++ {
		pc, reused, err := p.get(timeout)
		if err != nil {
			return err
		}
		err = pc.exchange(p.hc, req, resp, timeout, start)
		if err == nil {
			// A connection with bytes beyond the answer (a server that
			// sent more than it framed) cannot carry the next one.
			if req.ConnectionClose() || resp.ConnectionClose() || pc.br.Buffered() > 0 {
				pc.c.Close()
			} else {
				p.put(pc)
			}
			return nil
		}
		pc.c.Close()
		var we writeError
		if errors.As(err, &we) {
			err = we.err
		}
		switch {
		case closedEarly(err):
			if reused && attempt == 0 {
				continue
			}
			err = fasthttp.ErrConnectionClosed
		case we.err != nil && reused && attempt == 0 && (errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)):
			continue // the server closed the idle connection under the write
		}
		return err
	}
}

// RoundTrip is fasthttp's Transport: the HostClient's requests (redirect
// hops) go through the pool too. fasthttp retries as its RetryIfErr says.
func (p *pool) RoundTrip(_ *fasthttp.HostClient, req *fasthttp.Request, resp *fasthttp.Response) (bool, error) {
	err := p.do(req, resp, req.GetTimeOut(), time.Time{})
	return false, err
}

// writeError is a failure to write the request, before anything was read.
type writeError struct{ err error }

func (e writeError) Error() string { return e.err.Error() }
func (e writeError) Unwrap() error { return e.err }

// closedEarly reports whether the server closed the connection before any
// byte of the response: fasthttp then returns io.EOF itself, unwrapped
// (a header cut short later comes wrapped).
func closedEarly(err error) bool {
	var nothing fasthttp.ErrNothingRead
	return err == io.EOF || errors.As(err, &nothing) || errors.Is(err, fasthttp.ErrConnectionClosed)
}

// get returns an idle connection (reused) or a new one.
func (p *pool) get(timeout time.Duration) (pc *pconn, reused bool, err error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		pc = p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
	}
	p.mu.Unlock()
	if pc != nil {
		return pc, true, nil
	}
	pc, err = p.dial(timeout)
	return pc, false, err
}

func (p *pool) put(pc *pconn) {
	p.mu.Lock()
	p.idle = append(p.idle, pc)
	p.mu.Unlock()
}

// dial connects, and shakes hands for TLS, within timeout.
func (p *pool) dial(timeout time.Duration) (*pconn, error) {
	if timeout <= 0 {
		timeout = matrix.DefaultTimeout
	}
	c, err := p.hc.DialTimeout(p.hc.Addr, timeout)
	if err != nil {
		return nil, err
	}
	if p.hc.IsTLS {
		tc := tls.Client(c, p.hc.TLSConfig)
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			c.Close()
			return nil, err
		}
		c = tc
	}
	return &pconn{c: c, br: bufio.NewReaderSize(c, readBufferSize), bw: bufio.NewWriterSize(c, writeBufferSize)}, nil
}

// exchange writes req and reads resp on pc.
func (pc *pconn) exchange(hc *fasthttp.HostClient, req *fasthttp.Request, resp *fasthttp.Response, timeout time.Duration, start time.Time) error {
	if err := pc.arm(timeout, start); err != nil {
		return err
	}
	finishRequest(req, hc.Name)
	err := req.Write(pc.bw)
	if err == nil {
		err = pc.bw.Flush()
	}
	if err != nil {
		pc.bw.Reset(pc.c)
		return writeError{err}
	}
	head := req.Header.IsHead()
	err = pc.read(resp, head, hc.MaxResponseBodySize)
	if err != nil && pc.br.Size() < maxHeaderBytes && smallBuffer(err) {
		// A header block larger than the buffer, which fasthttp peeked
		// at without consuming: read it again through a larger one, up
		// to the bound the event loops have too.
		pc.br = bufio.NewReaderSize(pc.br, maxHeaderBytes)
		err = pc.read(resp, head, hc.MaxResponseBodySize)
	}
	return err
}

// smallBuffer reports whether err is fasthttp's header block outgrowing
// the reader's buffer.
func smallBuffer(err error) bool {
	var small *fasthttp.ErrSmallBuffer
	return errors.As(err, &small)
}

// read parses a response from pc into resp.
func (pc *pconn) read(resp *fasthttp.Response, head bool, limit int) error {
	resp.Reset()
	resp.SkipBody = head
	resp.Header.DisableNormalizing()
	return resp.ReadLimitBody(pc.br, limit)
}

// finishRequest readies req to be written: paths go out exactly as the
// scenario writes them, and the user agent is name unless the scenario set
// one.
func finishRequest(req *fasthttp.Request, name string) {
	req.URI().DisablePathNormalizing = true
	if len(req.Header.UserAgent()) == 0 {
		req.Header.SetUserAgent(name)
	}
}

// arm makes sure pc's deadline falls within deadlineSlack after timeout
// from now (start, or the clock when start is zero), moving it only when it
// does not. A timeout ≤ 0 clears the deadline.
func (pc *pconn) arm(timeout time.Duration, now time.Time) error {
	if timeout <= 0 {
		if pc.deadline.IsZero() {
			return nil
		}
		pc.deadline = time.Time{}
		return pc.c.SetDeadline(time.Time{})
	}
	if now.IsZero() {
		now = time.Now()
	}
	want := now.Add(timeout)
	if !pc.deadline.Before(want) && !pc.deadline.After(want.Add(deadlineSlack(timeout))) {
		return nil
	}
	d := want.Add(deadlineSlack(timeout))
	if err := pc.c.SetDeadline(d); err != nil {
		return err
	}
	pc.deadline = d
	return nil
}
