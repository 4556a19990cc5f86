package load

import (
	"bytes"
	"fmt"

	"github.com/valyala/fasthttp"
)

// Redirects: a 3xx answer with a Location is followed, as Locust's HTTP
// session does, up to the scenario's count, on the target's host and
// scheme only: the load goes to the target and nowhere else. 303, and 301
// or 302 to a request that is not GET or HEAD, become a GET without a body
// (what browsers and Python's requests do); 307 and 308 resend the request
// as it was. Each hop is bounded by the request's timeout; the latency
// recorded covers them all. Nothing here runs unless the answer is a 3xx.

// redirectError is a redirect that was not followed, with what to do.
type redirectError string

func (e redirectError) Error() string { return string(e) }

func isRedirect(status int) bool {
	switch status {
	case fasthttp.StatusMovedPermanently, fasthttp.StatusFound, fasthttp.StatusSeeOther,
		fasthttp.StatusTemporaryRedirect, fasthttp.StatusPermanentRedirect:
		return true
	}
	return false
}

// follow follows the redirects of first's answer in c.resp, leaving the
// last answer there. first is not changed: the hops use a request of
// their own.
func (c *conn) follow(first *fasthttp.Request, e *endpoint) error {
	if c.hop == nil {
		c.hop = new(fasthttp.Request)
	}
	hop := c.hop
	first.CopyTo(hop)
	scheme := append([]byte(nil), first.URI().Scheme()...)
	host := append([]byte(nil), first.URI().Host()...)
	for n := 0; ; n++ {
		ok, err := nextHop(hop, c.resp.StatusCode(), c.resp.Header.Peek(fasthttp.HeaderLocation), n, e, scheme, host)
		if !ok || err != nil {
			return err
		}
		if err := c.hc.DoTimeout(hop, c.resp, e.timeout); err != nil {
			return err
		}
	}
}

// nextHop turns hop, the request that got an answer with status and
// Location loc after n redirects already followed, into the next hop's
// request. It returns false when the answer is not a redirect to follow
// (it is the final answer), and an error for a redirect that may not be
// followed: one too many, or to another host or scheme than the target's.
func nextHop(hop *fasthttp.Request, status int, loc []byte, n int, e *endpoint, scheme, host []byte) (bool, error) {
	if !isRedirect(status) || len(loc) == 0 {
		return false, nil
	}
	if n == e.redirects {
		return false, redirectError(fmt.Sprintf("stopped after %d redirects (raise scenario.redirects, or set it to 0 to take a 3xx as the answer)", e.redirects))
	}
	hop.URI().UpdateBytes(loc)
	if !bytes.Equal(hop.URI().Host(), host) || !bytes.Equal(hop.URI().Scheme(), scheme) {
		return false, redirectError(fmt.Sprintf("redirect to %s://%s not followed: the load goes to the target only (set scenario.redirects: 0 to take the 3xx as the answer)", hop.URI().Scheme(), hop.URI().Host()))
	}
	m := hop.Header.Method()
	if status == fasthttp.StatusSeeOther || (status <= fasthttp.StatusFound && !bytes.Equal(m, []byte("GET")) && !bytes.Equal(m, []byte("HEAD"))) {
		hop.Header.SetMethod(fasthttp.MethodGet)
		hop.ResetBody()
		hop.Header.Del(fasthttp.HeaderContentType)
		hop.Header.SetContentLength(0)
	}
	return true, nil
}
