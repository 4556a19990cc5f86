package load

import (
	"net"
	"time"

	"github.com/valyala/fasthttp"
)

// transport is the HTTP client's round trip: fasthttp's own, but for how
// it arms deadlines. fasthttp sets a write and a read deadline on every
// request, each a clock read and an update of the runtime's timers; here a
// connection keeps one deadline for both directions and moves it only when
// the request's timeout would end after it, or more than a slack before
// it. A request therefore times out no earlier than its timeout and at
// most deadlineSlack(timeout) later, and a busy connection re-arms its
// deadline once per slack instead of twice per request.
//
// It also reads a HEAD response's headers without a body every time (the
// default transport leaves a reused response skipping bodies after one
// HEAD request), and does not look up the connection's addresses, which
// nothing here reads.
type transport struct{}

// roundTrip is what a request tells the transport, as its user value under
// roundTripKey: its timeout, and when its timing started (read from the
// clock just before). The client sends it without fasthttp's own timeout,
// which would read the clock twice more per request; a request sent with
// one (DoTimeout) keeps that.
type roundTrip struct {
	timeout time.Duration
	start   time.Time
}

type roundTripKey struct{}

// maxDeadlineSlack bounds how late a request may time out.
const maxDeadlineSlack = 100 * time.Millisecond

// deadlineSlack is how much later than its timeout a request may time out:
// a twentieth of the timeout, at most maxDeadlineSlack.
func deadlineSlack(timeout time.Duration) time.Duration {
	return min(timeout/20, maxDeadlineSlack)
}

// RoundTrip sends req on a pooled connection and reads resp. It reports
// retry when the request may be sent again on another connection; the
// client's RetryIfErr decides whether it is.
func (transport) RoundTrip(hc *fasthttp.HostClient, req *fasthttp.Request, resp *fasthttp.Response) (bool, error) {
	if resp.StreamBody || req.IsBodyStream() {
		// Streams hand the connection back later; fasthttp knows how.
		return fasthttp.DefaultTransport.RoundTrip(hc, req, resp)
	}
	timeout, start := req.GetTimeOut(), time.Time{}
	if rt, ok := req.UserValue(roundTripKey{}).(*roundTrip); ok && timeout <= 0 {
		timeout, start = rt.timeout, rt.start
	}
	cc, err := hc.AcquireConn(timeout, req.ConnectionClose())
	if err != nil {
		return false, err
	}
	conn := cc.Conn()
	if err := armDeadline(conn, timeout, start); err != nil {
		hc.CloseConn(cc)
		return true, err
	}

	bw := hc.AcquireWriter(conn)
	err = req.Write(bw)
	if err == nil {
		err = bw.Flush()
	}
	hc.ReleaseWriter(bw)
	if err != nil {
		hc.CloseConn(cc)
		if isTimeout(err) {
			err = fasthttp.ErrTimeout
		}
		return true, err
	}

	resp.SkipBody = req.Header.IsHead()
	if hc.DisableHeaderNamesNormalizing {
		resp.Header.DisableNormalizing()
	}
	br := hc.AcquireReader(conn)
	err = resp.ReadLimitBody(br, hc.MaxResponseBodySize)
	hc.ReleaseReader(br)
	if err != nil {
		hc.CloseConn(cc)
		// The same request would meet the same limit again.
		return err != fasthttp.ErrBodyTooLarge, err
	}
	if req.ConnectionClose() || resp.ConnectionClose() {
		hc.CloseConn(cc)
	} else {
		hc.ReleaseConn(cc)
	}
	return false, nil
}

// armDeadline makes sure conn's deadline falls within deadlineSlack after
// timeout from now (start, or the clock when start is zero), moving it only
// when it does not. A timeout ≤ 0 clears the deadline.
func armDeadline(conn net.Conn, timeout time.Duration, now time.Time) error {
	tc := trackedOf(conn)
	if timeout <= 0 {
		if tc != nil {
			if tc.deadline.IsZero() {
				return nil
			}
			tc.deadline = time.Time{}
		}
		return conn.SetDeadline(time.Time{})
	}
	if now.IsZero() {
		now = time.Now()
	}
	want := now.Add(timeout)
	if tc == nil {
		return conn.SetDeadline(want)
	}
	slack := deadlineSlack(timeout)
	if !tc.deadline.Before(want) && !tc.deadline.After(want.Add(slack)) {
		return nil
	}
	d := want.Add(slack)
	if err := conn.SetDeadline(d); err != nil {
		return err
	}
	tc.deadline = d
	return nil
}

// trackedOf returns the trackedConn under conn (itself, or the connection a
// TLS client runs over), or nil for one that did not come from our dialer.
func trackedOf(conn net.Conn) *trackedConn {
	switch c := conn.(type) {
	case *trackedConn:
		return c
	case interface{ NetConn() net.Conn }:
		tc, _ := c.NetConn().(*trackedConn)
		return tc
	}
	return nil
}

func isTimeout(err error) bool {
	t, ok := err.(interface{ Timeout() bool })
	return ok && t.Timeout()
}
