package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/scalebench/scalebench/internal/results"
)

// Failure classes, in the order the record counts them.
const (
	classOK uint8 = iota
	classTimeout
	classRefused
	classReset
	classStatus
	classExpect
	classOther
	classTLS
	numClasses
)

var classNames = [numClasses]results.Class{
	classOK:      "",
	classTimeout: results.ClassTimeout,
	classRefused: results.ClassRefused,
	classReset:   results.ClassReset,
	classStatus:  results.ClassStatus,
	classExpect:  results.ClassExpect,
	classOther:   results.ClassOther,
	classTLS:     results.ClassTLS,
}

// clientName is the user agent sent when the scenario sets none.
const clientName = "scalebench"

// maxSample bounds a failure's saved detail.
const maxSample = 512

// failure is the detail of one failed request.
type failure struct {
	message string
	sample  string
}

// tracker knows every open connection of a run, so that stopping closes
// them all and requests in flight return at once. It is touched on dial and
// close only, never per request.
type tracker struct {
	mu      sync.Mutex
	conns   map[*trackedConn]struct{}
	stopped bool
}

type trackedConn struct {
	net.Conn
	t    *tracker
	once sync.Once
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.t.mu.Lock()
		delete(c.t.conns, c)
		c.t.mu.Unlock()
	})
	return err
}

func (t *tracker) add(nc net.Conn) (net.Conn, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		nc.Close()
		return nil, errStopped
	}
	c := &trackedConn{Conn: nc, t: t}
	if t.conns == nil {
		t.conns = map[*trackedConn]struct{}{}
	}
	t.conns[c] = struct{}{}
	return c, nil
}

// closeAll closes every connection and refuses new ones.
func (t *tracker) closeAll() {
	t.mu.Lock()
	t.stopped = true
	conns := make([]*trackedConn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	for _, c := range conns {
		c.Conn.Close()
	}
}

var errStopped = errors.New("load stopped")

// newClient returns an HTTP client for t, with its pool of keep-alive
// connections (see pool), reusing the most recently used first. A worker
// holds at most one connection at a time, so a pool holds at most one per
// worker sharing it: maxConns, kept as the HostClient's setting.
func newClient(ctx context.Context, t target, maxConns int, tr *tracker) *fasthttp.HostClient {
	dialer := &net.Dialer{}
	hc := &fasthttp.HostClient{
		Addr:                      t.addr,
		IsTLS:                     t.isTLS,
		MaxConns:                  maxConns,
		ConnPoolStrategy:          fasthttp.LIFO,
		MaxIdemponentCallAttempts: 1, // the pool retries, see pool.do
		Name:                      clientName,
		// Send paths and header names exactly as the scenario writes them.
		DisablePathNormalizing:        true,
		DisableHeaderNamesNormalizing: true,
		DialTimeout: func(addr string, timeout time.Duration) (net.Conn, error) {
			dctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			nc, err := dialer.DialContext(dctx, "tcp", addr)
			if err != nil {
				return nil, err
			}
			return tr.add(nc)
		},
	}
	if t.isTLS {
		hc.TLSConfig = t.tls
	}
	newPool(hc)
	return hc
}

// prebuiltEndpoints is the most endpoints for which every worker keeps a
// request built once per endpoint (about 1 KiB each). Past it a worker
// keeps one request and rebuilds it when the endpoint changes, so that
// memory does not grow as workers × endpoints (10,000 users × 1,000 entries
// would be 10 GB).
const prebuiltEndpoints = 16

// conn is one worker's side of the HTTP client: its requests and its
// response. One goroutine uses it.
type conn struct {
	hc   *fasthttp.HostClient
	pool *pool // hc's
	eps  []endpoint
	reqs []fasthttp.Request // one per endpoint, or one rebuilt as needed
	cur  int                // with one rebuilt request: the endpoint it holds, -1 for none
	resp *fasthttp.Response
	fill fillState         // data file rows: see prepare
	hop  *fasthttp.Request // redirects: see follow
}

func newConn(hc *fasthttp.HostClient, eps []endpoint) *conn {
	c := &conn{hc: hc, pool: poolOf(hc), eps: eps, resp: new(fasthttp.Response), cur: -1}
	if len(eps) > prebuiltEndpoints {
		c.reqs = make([]fasthttp.Request, 1)
		return c
	}
	c.reqs = make([]fasthttp.Request, len(eps))
	for i := range eps {
		eps[i].build(&c.reqs[i])
	}
	return c
}

// request returns endpoint i's request, built.
func (c *conn) request(i int) *fasthttp.Request {
	if len(c.eps) <= prebuiltEndpoints {
		return &c.reqs[i]
	}
	if c.cur != i {
		c.eps[i].build(&c.reqs[0])
		c.cur = i
	}
	return &c.reqs[0]
}

// outcome is what one request produced.
type outcome struct {
	status int
	bytes  int64
	class  uint8
	fail   *failure
}

// do sends endpoint i, whose timing started at sent (zero: not read), and
// reads the whole response.
func (c *conn) do(i int, e *endpoint, sent time.Time) outcome {
	resp := c.resp
	req := c.prepare(i, e)
	err := c.pool.do(req, resp, e.timeout, sent)
	if err == nil && e.redirects > 0 && isRedirect(resp.StatusCode()) {
		err = c.follow(req, e)
	}
	if err != nil {
		return failed(err, e.timeout)
	}
	body := resp.Body()
	o := judge(e, resp.StatusCode(), body, int64(len(body)))
	if cap(body) > maxKeptBody {
		// Do not keep a large body's buffer between requests.
		c.resp = new(fasthttp.Response)
	}
	return o
}

// keepBody is how much of a response body judge needs for e: its
// expectation's window, or a failure's sample.
func keepBody(e *endpoint) int {
	if len(e.needle) > 0 {
		return maxKeptBody
	}
	return maxSample
}

// judge is the outcome of an answer to e with status and a body of n
// bytes, whose first bytes (at least keepBody(e) of them, or all) are body.
func judge(e *endpoint, status int, body []byte, n int64) outcome {
	o := outcome{status: status, bytes: n}
	switch {
	case !e.expect.Accepts(status):
		o.class = classStatus
		o.fail = &failure{message: fmt.Sprintf("HTTP %d", status), sample: string(body[:min(len(body), maxSample)])}
	case len(e.needle) > 0 && !bytes.Contains(body[:min(len(body), maxKeptBody)], e.needle):
		o.class = classExpect
		o.fail = &failure{message: fmt.Sprintf("body does not contain %q", truncate(string(e.needle), 100)), sample: string(body[:min(len(body), maxSample)])}
	}
	return o
}

// failed is the outcome of a request that err ended, timeout its timeout.
func failed(err error, timeout time.Duration) outcome {
	cl, msg := classify(err, timeout)
	return outcome{class: cl, fail: &failure{message: msg, sample: truncate(err.Error(), maxSample)}}
}

// classify maps a transport error to a failure class and a message that
// groups well (no ports, no addresses).
func classify(err error, timeout time.Duration) (uint8, string) {
	if msg, ok := classifyTLS(err); ok {
		return classTLS, msg
	}
	var re redirectError
	if errors.As(err, &re) {
		return classOther, string(re)
	}
	var ne net.Error
	switch {
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout),
		errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return classTimeout, fmt.Sprintf("timeout after %s", timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		return classRefused, "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return classReset, "connection reset by peer"
	case errors.Is(err, syscall.EPIPE):
		return classReset, "broken pipe"
	case errors.Is(err, fasthttp.ErrConnectionClosed), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return classReset, "server closed the connection"
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return classOther, oe.Op + ": " + oe.Err.Error()
	}
	return classOther, truncate(err.Error(), 200)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
