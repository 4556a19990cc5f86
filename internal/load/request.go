package load

import (
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"mime/multipart"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/scalebench/scalebench/internal/matrix"
)

// maxKeptBody is how much of a response body is examined for an expectation.
const maxKeptBody = 1 << 20

// endpoint is one scenario request, compiled once per cell and shared
// read-only by every user.
type endpoint struct {
	name    string
	method  string
	uri     string // absolute
	headers [][2]string
	body    []byte // shared; never modified
	ctype   string
	timeout time.Duration
	expect  matrix.Expect
	needle  []byte // Expect.BodyContains
	// redirects is the most redirects followed; 0 for none.
	redirects int
	// rows, when set, fills the request from a data file row per request.
	rows *endpointRows
}

// target is the parsed base URL.
type target struct {
	base  *url.URL
	addr  string // host:port
	isTLS bool
	tls   *tls.Config // for https: the scenario's, see tlsConfig
}

func parseTarget(s string) (target, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return target{}, fmt.Errorf("target URL %q: %w (write it as http://127.0.0.1:8000)", s, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return target{}, fmt.Errorf("target URL %q: the scheme must be http or https (write it as http://127.0.0.1:8000)", s)
	case u.Host == "":
		return target{}, fmt.Errorf("target URL %q has no host (write it as http://127.0.0.1:8000)", s)
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	t := target{base: u, addr: u.Hostname() + ":" + port, isTLS: u.Scheme == "https"}
	if t.isTLS {
		t.tls = &tls.Config{ServerName: u.Hostname()}
	}
	return t, nil
}

// join appends a request path (which may carry a query) to the target URL.
func (t target) join(path string) string {
	base := strings.TrimSuffix(t.base.Scheme+"://"+t.base.Host+t.base.Path, "/")
	if path == "" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return base + path
}

// compile turns the scenario's requests into endpoints, reading uploaded
// files once. Defaults: method GET, weight 1, timeout matrix.DefaultTimeout, name
// the path.
func compile(t target, sc matrix.Scenario) ([]endpoint, []int, error) {
	if len(sc.Requests) == 0 {
		return nil, nil, fmt.Errorf("scenario has no requests: list at least one under scenario.requests")
	}
	eps := make([]endpoint, len(sc.Requests))
	weights := make([]int, len(sc.Requests))
	seen := map[string]int{}
	var rows *rowData
	if sc.Data != nil {
		var err error
		if rows, err = newRowData(sc.Data); err != nil {
			return nil, nil, err
		}
	}
	for i, r := range sc.Requests {
		e := endpoint{
			name:    r.Name,
			method:  strings.ToUpper(r.Method),
			uri:     t.join(r.Path),
			timeout: r.Timeout,
			expect:  r.Expect,
			needle:  []byte(r.Expect.BodyContains),
		}
		switch {
		case sc.Redirects == 0:
			e.redirects = matrix.DefaultRedirects
		case sc.Redirects > 0:
			e.redirects = sc.Redirects
		}
		if e.method == "" {
			e.method = fasthttp.MethodGet
		}
		if e.name == "" {
			e.name = r.Path
			if e.name == "" {
				e.name = "/"
			}
		}
		if j, dup := seen[e.name]; dup {
			return nil, nil, fmt.Errorf("scenario requests %d and %d are both named %q: give each a unique name", j+1, i+1, e.name)
		}
		seen[e.name] = i
		if e.timeout <= 0 {
			e.timeout = matrix.DefaultTimeout
		}
		weights[i] = r.Weight
		if weights[i] <= 0 {
			weights[i] = 1
		}
		for k, v := range r.Headers {
			e.headers = append(e.headers, [2]string{k, v})
		}
		n := 0
		for _, set := range []bool{r.Body != "", r.JSON != "", len(r.Form) > 0} {
			if set {
				n++
			}
		}
		if n > 1 {
			return nil, nil, fmt.Errorf("request %q: give at most one of body, json and form", e.name)
		}
		switch {
		case r.Body != "":
			e.body = []byte(r.Body)
		case r.JSON != "":
			e.body = []byte(r.JSON)
			e.ctype = "application/json"
		case len(r.Form) > 0 && rows != nil && formTemplated(r.Form):
			e.ctype = multipart.NewWriter(nil).FormDataContentType() // bodies per row: see compileRows
		case len(r.Form) > 0:
			body, ctype, err := multipartBody(r.Form)
			if err != nil {
				return nil, nil, fmt.Errorf("request %q: %w", e.name, err)
			}
			e.body, e.ctype = body, ctype
		}
		if rows != nil {
			if err := compileRows(&e, r, rows); err != nil {
				return nil, nil, fmt.Errorf("request %q: %w", e.name, err)
			}
		}
		eps[i] = e
	}
	return eps, weights, nil
}

// formTemplated reports whether a form takes a value or a file from a data row.
func formTemplated(form []matrix.FormField) bool {
	for _, f := range form {
		if matrix.ParseTemplate(f.Value) != nil || matrix.ParseTemplate(f.File) != nil {
			return true
		}
	}
	return false
}

// multipartBody builds a multipart/form-data body once; every request of the
// endpoint sends the same bytes.
func multipartBody(fields []matrix.FormField) ([]byte, string, error) {
	return multipartBodyWith(fields, "")
}

func contentTypeOf(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".png":
		return "image/png"
	case ".json":
		return "application/json"
	case ".txt":
		return "text/plain"
	}
	return "application/octet-stream"
}

// build fills req with e; the body is shared, not copied.
func (e *endpoint) build(req *fasthttp.Request) {
	req.Reset()
	// Header names go out as the scenario writes them (Reset turns
	// normalizing back on, and Set would make x-api-key X-Api-Key).
	req.Header.DisableNormalizing()
	req.Header.SetMethod(e.method)
	req.SetRequestURI(e.uri)
	for _, h := range e.headers {
		req.Header.Set(h[0], h[1])
	}
	if e.ctype != "" && len(req.Header.ContentType()) == 0 {
		req.Header.SetContentType(e.ctype)
	}
	if e.body != nil {
		req.SetBodyRaw(e.body)
	}
}

// picker chooses an endpoint index by weight.
type picker struct {
	cum   []int // cumulative weights
	total int
}

func newPicker(weights []int) picker {
	p := picker{cum: make([]int, len(weights))}
	for i, w := range weights {
		p.total += w
		p.cum[i] = p.total
	}
	return p
}

func (p picker) pick(r *rand.Rand) int {
	if len(p.cum) == 1 {
		return 0
	}
	x := r.IntN(p.total)
	for i, c := range p.cum {
		if x < c {
			return i
		}
	}
	return len(p.cum) - 1
}
