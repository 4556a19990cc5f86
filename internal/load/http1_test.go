package load

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// parsed is what respParser made of one input.
type parsed struct {
	status  int
	close   bool
	body    string
	bodyLen int64
	loc     string
	rest    string // bytes after the response, not consumed
	err     error
}

// parseIn feeds in to p in pieces of the given sizes (the last one takes
// what is left) as the event loop does: the unconsumed tail is kept and
// the next piece appended to it. The input's end is the connection's.
func parseIn(t testing.TB, p *respParser, in []byte, head bool, keep int, pieces []int) parsed {
	t.Helper()
	p.reset(head, keep)
	var pending []byte
	res := func(err error) parsed {
		return parsed{status: p.status, close: p.close, body: string(p.body), bodyLen: p.bodyLen,
			loc: string(p.location), rest: string(pending) + string(in), err: err}
	}
	for len(in) > 0 {
		k := len(in)
		if len(pieces) > 0 {
			k, pieces = min(max(pieces[0], 1), k), pieces[1:]
		}
		pending, in = append(pending, in[:k]...), in[k:]
		n, done, err := p.feed(pending)
		if n < 0 || n > len(pending) {
			t.Fatalf("feed consumed %d of %d bytes", n, len(pending))
		}
		pending = pending[n:]
		if err != nil {
			return res(err)
		}
		if done {
			return res(nil)
		}
	}
	done, err := p.eof()
	if err == nil && !done {
		t.Fatal("eof returned neither done nor an error")
	}
	return res(err)
}

// ones is pieces of one byte each.
func ones(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = 1
	}
	return s
}

func TestRespParserRules(t *testing.T) {
	const next = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"
	bigHeader := "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", maxHeaderBytes) + "\r\n\r\n"
	cases := []struct {
		name    string
		in      string
		head    bool
		keep    int // 0: 1 MiB
		want    parsed
		wantErr string // a part of the error's text
	}{
		{name: "content length", in: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello" + next,
			want: parsed{status: 200, body: "hello", bodyLen: 5, rest: next}},
		{name: "empty content length", in: "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n" + next,
			want: parsed{status: 404, rest: next}},
		{name: "keep truncates body", in: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", keep: 4,
			want: parsed{status: 200, body: "0123", bodyLen: 10}},
		{name: "chunked with extensions and trailers",
			in:   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=val\r\nhello\r\nA ; x\r\n, world!!!\r\n0;last\r\nX-Trailer: 1\r\nX-Other: 2\r\n\r\n" + next,
			want: parsed{status: 200, body: "hello, world!!!", bodyLen: 15, rest: next}},
		{name: "chunked last coding wins over content length",
			in:   "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: gzip, CHUNKED\r\n\r\n3\r\nabc\r\n0\r\n\r\n" + next,
			want: parsed{status: 200, body: "abc", bodyLen: 3, rest: next}},
		{name: "coding other than chunked runs to the end", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 1\r\n\r\nabcdef",
			want: parsed{status: 200, close: true, body: "abcdef", bodyLen: 6}},
		{name: "interim responses skipped",
			in:   "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\nLocation: /early\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok" + next,
			want: parsed{status: 201, body: "ok", bodyLen: 2, rest: next}},
		{name: "101 is an error", in: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", wantErr: "101"},
		{name: "head has no body", in: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n" + next, head: true,
			want: parsed{status: 200, rest: next}},
		{name: "head with chunked has no body", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + next, head: true,
			want: parsed{status: 200, rest: next}},
		{name: "204 has no body", in: "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n" + next,
			want: parsed{status: 204, rest: next}},
		{name: "304 has no body", in: "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n" + next,
			want: parsed{status: 304, rest: next}},
		{name: "content length list", in: "HTTP/1.1 200 OK\r\nContent-Length: 3, 3,3\r\nContent-Length: 003\r\n\r\nabc",
			want: parsed{status: 200, body: "abc", bodyLen: 3}},
		{name: "differing content lengths", in: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
			wantErr: `invalid Content-Length "4"`},
		{name: "differing content length list", in: "HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\nabcd",
			wantErr: `invalid Content-Length "3, 4"`},
		{name: "invalid content length", in: "HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\nabc", wantErr: "invalid Content-Length"},
		{name: "empty content length", in: "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\nabc", wantErr: "invalid Content-Length"},
		{name: "invalid content length unused with chunked", in: "HTTP/1.1 200 OK\r\nContent-Length: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
			want: parsed{status: 200}},
		{name: "invalid content length unused on 204", in: "HTTP/1.1 204 No Content\r\nContent-Length: x\r\n\r\n",
			want: parsed{status: 204}},
		{name: "name with a space before the colon is another header", in: "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nabc",
			want: parsed{status: 200, close: true, body: "abc", bodyLen: 3}},
		{name: "connection close", in: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx",
			want: parsed{status: 200, close: true, body: "x", bodyLen: 1}},
		{name: "close token in a list", in: "HTTP/1.1 200 OK\r\nConnection: Keep-Alive\r\nconnection: upgrade , CLOSE\r\nContent-Length: 0\r\n\r\n",
			want: parsed{status: 200, close: true}},
		{name: "closed is not close", in: "HTTP/1.1 200 OK\r\nConnection: closed, xclose\r\nContent-Length: 0\r\n\r\n",
			want: parsed{status: 200}},
		{name: "folded connection", in: "HTTP/1.1 200 OK\r\nConnection: keep-alive,\r\n  close\r\nContent-Length: 0\r\n\r\n",
			want: parsed{status: 200, close: true}},
		{name: "http/1.0 closes", in: "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nab" + next,
			want: parsed{status: 200, close: true, body: "ab", bodyLen: 2, rest: next}},
		{name: "http/1.0 keep-alive", in: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nab" + next,
			want: parsed{status: 200, body: "ab", bodyLen: 2, rest: next}},
		{name: "http/1.0 until the end", in: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nabc",
			want: parsed{status: 200, close: true, body: "abc", bodyLen: 3}},
		{name: "http/1.0 ignores transfer-encoding", in: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n" + next,
			want: parsed{status: 200, close: true, body: "0\r\n", bodyLen: 3, rest: next}},
		{name: "no length runs to the end", in: "HTTP/1.1 500 Internal Server Error\r\nServer: x\r\n\r\nboom",
			want: parsed{status: 500, close: true, body: "boom", bodyLen: 4}},
		{name: "no length and no body", in: "HTTP/1.1 200 OK\r\n\r\n", want: parsed{status: 200, close: true}},
		{name: "bare LF", in: "HTTP/1.1 302 Found\nLocation:  /next \nContent-Length: 2\n\nok" + next,
			want: parsed{status: 302, loc: "/next", body: "ok", bodyLen: 2, rest: next}},
		{name: "first location of two", in: "HTTP/1.1 301 Moved\r\nlocation: /a\r\nLocation: /b\r\nContent-Length: 0\r\n\r\n",
			want: parsed{status: 301, loc: "/a"}},
		{name: "no reason and extra spaces", in: "HTTP/1.1   200\r\nContent-Length: 0\r\n\r\n", want: parsed{status: 200}},
		{name: "huge header", in: bigHeader, wantErr: "larger than 64 KiB"},
		{name: "garbage", in: "<html>hello</html>", wantErr: `malformed HTTP status line "<`},
		{name: "http/2 status line", in: "HTTP/2 200\r\n\r\n", wantErr: "malformed HTTP status line"},
		{name: "short status code", in: "HTTP/1.1 20 OK\r\n\r\n", wantErr: "malformed HTTP status line"},
		{name: "long status code", in: "HTTP/1.1 2000\r\n\r\n", wantErr: "malformed HTTP status line"},
		{name: "letters in status code", in: "HTTP/1.1 2x0 OK\r\n\r\n", wantErr: "malformed HTTP status line"},
		{name: "header without colon", in: "HTTP/1.1 200 OK\r\nContent-Length 2\r\n\r\nok", wantErr: `malformed header line "Content-Length 2"`},
		{name: "header without name", in: "HTTP/1.1 200 OK\r\n: 2\r\n\r\nok", wantErr: "malformed header line"},
		{name: "folded first header", in: "HTTP/1.1 200 OK\r\n Content-Length: 2\r\n\r\nok", wantErr: "malformed header line"},
		{name: "bad chunk size", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", wantErr: `malformed chunk-size line "zz\r"`},
		{name: "chunk size with bare LF", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nok\r\n0\r\n\r\n", wantErr: "malformed chunk-size line"},
		{name: "chunk size too long", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", wantErr: "malformed chunk-size line"},
		{name: "chunk line over 4 KiB", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + strings.Repeat("e", maxChunkLine), wantErr: "longer than 4 KiB"},
		{name: "chunk data without CRLF", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n0\r\n\r\n", wantErr: "want CRLF after chunk data"},
		{name: "malformed trailer", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nnot a header\r\n\r\n", wantErr: "malformed header line"},
		{name: "body cut short", in: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", wantErr: io.ErrUnexpectedEOF.Error()},
		{name: "chunked cut short", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", wantErr: io.ErrUnexpectedEOF.Error()},
		{name: "headers cut short", in: "HTTP/1.1 200 OK\r\nContent-Le", wantErr: io.ErrUnexpectedEOF.Error()},
		{name: "nothing read", in: "", wantErr: errNothingRead.Error()},
	}
	var p respParser // one parser for all: reuse must not leak state
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			keep := cmp.Or(c.keep, 1<<20)
			for _, pieces := range [][]int{nil, ones(len(c.in)), {7, 3, 40, 1, 1, 2}} {
				got := parseIn(t, &p, []byte(c.in), c.head, keep, pieces)
				if c.wantErr != "" {
					if got.err == nil || !strings.Contains(got.err.Error(), c.wantErr) {
						t.Fatalf("pieces %v: error %v, want one containing %q", pieces, got.err, c.wantErr)
					}
					continue
				}
				if got != c.want {
					t.Fatalf("pieces %v:\n got %+v\nwant %+v", pieces, got, c.want)
				}
			}
		})
	}
}

func TestRespParserSentinelErrors(t *testing.T) {
	var p respParser
	if got := parseIn(t, &p, nil, false, 0, nil); !errors.Is(got.err, errNothingRead) {
		t.Errorf("nothing fed: %v, want errNothingRead", got.err)
	}
	if got := parseIn(t, &p, []byte("H"), false, 0, nil); !errors.Is(got.err, io.ErrUnexpectedEOF) {
		t.Errorf("one byte fed: %v, want io.ErrUnexpectedEOF", got.err)
	}
	// Header bytes are consumed only once the block is whole.
	p.reset(false, 0)
	if n, done, err := p.feed([]byte("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n")); n != 0 || done || err != nil {
		t.Errorf("partial head: feed = %d, %v, %v; want 0, false, nil", n, done, err)
	}
}

// TestRespParserNoAllocs: a reused parser allocates nothing per response.
func TestRespParserNoAllocs(t *testing.T) {
	for name, raw := range benchResponses {
		var p respParser
		allocs := testing.AllocsPerRun(100, func() {
			p.reset(false, 512)
			if _, done, err := p.feed(raw); !done || err != nil {
				t.Fatalf("%s: done %v, err %v", name, done, err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per response, want 0", name, allocs)
		}
	}
}

var benchResponses = map[string][]byte{
	"small": []byte("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Date: Mon, 02 Jan 2006 15:04:05 GMT\r\n\r\nok\n"),
	"chunked": []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Mon, 02 Jan 2006 15:04:05 GMT\r\n" +
		"Transfer-Encoding: chunked\r\n\r\n10\r\n{\"status\":\"ok\",\"\r\n12\r\nitems\":[1,2,3,4]}\n\r\n0\r\n\r\n"),
}

// genResponse writes a random well-formed response to w and says whether
// it is delimited by the connection's end and whether the request was HEAD.
func genResponse(r *rand.Rand, w *bytes.Buffer) (untilEOF, head bool) {
	http10 := r.IntN(4) == 0
	eol := "\r\n"
	if r.IntN(10) == 0 {
		eol = "\n"
	}
	proto := "HTTP/1.1"
	if http10 {
		proto = "HTTP/1.0"
	}
	if r.IntN(5) == 0 {
		fmt.Fprintf(w, "%s 100 Continue%s", proto, eol)
		if r.IntN(2) == 0 {
			fmt.Fprintf(w, "X-Interim: %d%s", r.IntN(100), eol)
		}
		w.WriteString(eol)
	}
	statuses := []int{200, 201, 204, 301, 302, 304, 404, 500, 503}
	status := statuses[r.IntN(len(statuses))]
	head = r.IntN(8) == 0
	fmt.Fprintf(w, "%s %d %s%s", proto, status, http.StatusText(status), eol)
	names := []string{"Content-Type", "Date", "Server", "X-Request-Id", "Set-Cookie", "Cache-Control", "Vary"}
	header := func(name, value string) {
		if r.IntN(3) == 0 {
			name = strings.ToLower(name)
		}
		fmt.Fprintf(w, "%s:%s%s%s", name, strings.Repeat(" ", r.IntN(3)), value, eol)
	}
	for range r.IntN(6) {
		header(names[r.IntN(len(names))], fmt.Sprintf("v%d; q=%d", r.Uint32(), r.IntN(9)))
	}
	switch r.IntN(4) {
	case 1:
		header("Connection", "close")
	case 2:
		header("Connection", "keep-alive")
	case 3:
		header("Connection", "Keep-Alive, Close")
	}
	if status/100 == 3 && status != 304 {
		header("Location", "/next")
	}
	body := make([]byte, r.IntN(20<<10+1))
	for i := range body {
		body[i] = byte(r.Uint32())
	}
	noBody := head || status == 204 || status == 304
	framing := r.IntN(3)
	if http10 && framing == 1 {
		framing = 0 // chunked needs HTTP/1.1
	}
	switch framing {
	case 0:
		header("Content-Length", fmt.Sprint(len(body)))
		w.WriteString(eol)
		if !noBody {
			w.Write(body)
		}
	case 1:
		header("Transfer-Encoding", "chunked")
		w.WriteString(eol)
		if noBody {
			return false, head
		}
		writeChunked(r, w, body)
	default:
		w.WriteString(eol)
		if !noBody {
			w.Write(body)
			return true, head
		}
	}
	return false, head
}

// writeChunked writes body in chunks of random sizes, with extensions and
// trailers now and then.
func writeChunked(r *rand.Rand, w *bytes.Buffer, body []byte) {
	for len(body) > 0 {
		k := min(len(body), 1+r.IntN(3000))
		fmt.Fprintf(w, "%x", k)
		if r.IntN(4) == 0 {
			fmt.Fprintf(w, ";ext%d=v", r.IntN(9))
		}
		w.WriteString("\r\n")
		w.Write(body[:k])
		w.WriteString("\r\n")
		body = body[k:]
	}
	w.WriteString("0\r\n")
	for range r.IntN(3) {
		fmt.Fprintf(w, "X-Trailer-%d: %d\r\n", r.IntN(9), r.IntN(1000))
	}
	w.WriteString("\r\n")
}

// errOtherStatusLine: net/http read a status line that respParser refuses.
var errOtherStatusLine = errors.New("status line outside HTTP/1.x with three digits, or 101")

// netHTTP parses in with net/http as its Transport would: interim 1xx
// responses skipped, the body read whole. rest is what follows the response.
func netHTTP(in []byte, head bool) (resp *http.Response, body []byte, rest []byte, err error) {
	br := bufio.NewReader(bytes.NewReader(in))
	req := &http.Request{Method: http.MethodGet}
	if head {
		req.Method = http.MethodHead
	}
	for {
		resp, err = http.ReadResponse(br, req)
		if err != nil {
			return nil, nil, nil, err
		}
		if !sameStatusLine(resp) {
			return nil, nil, nil, errOtherStatusLine
		}
		if resp.StatusCode/100 != 1 || resp.StatusCode == 101 {
			break
		}
	}
	body, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, nil, nil, err
	}
	rest, _ = io.ReadAll(br)
	return resp, body, rest, nil
}

// randomPieces splits n bytes at random points; one time in four into
// pieces of one byte.
func randomPieces(r *rand.Rand, n int) []int {
	if r.IntN(4) == 0 {
		return ones(n)
	}
	var s []int
	for n > 0 {
		k := 1 + r.IntN(min(n, 1+r.IntN(4096)))
		s, n = append(s, k), n-k
	}
	return s
}

// TestRespParserMatchesNetHTTP parses thousands of random well-formed
// responses, fed in random pieces, and compares with net/http.
func TestRespParserMatchesNetHTTP(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 500
	}
	const second = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond"
	var p respParser
	var w bytes.Buffer
	for seed := range uint64(n) {
		r := rand.New(rand.NewPCG(seed, 16))
		w.Reset()
		untilEOF, head := genResponse(r, &w)
		if !untilEOF {
			w.WriteString(second)
		}
		in := w.Bytes()
		resp, wantBody, wantRest, err := netHTTP(in, head)
		if err != nil {
			t.Fatalf("seed %d: net/http: %v\n%q", seed, err, in)
		}
		keep := 1 << 20
		if r.IntN(4) == 0 {
			keep = r.IntN(100)
		}
		got := parseIn(t, &p, in, head, keep, randomPieces(r, len(in)))
		want := parsed{status: resp.StatusCode, close: resp.Close, body: string(wantBody[:min(keep, len(wantBody))]),
			bodyLen: int64(len(wantBody)), loc: resp.Header.Get("Location"), rest: string(wantRest)}
		if got != want {
			t.Fatalf("seed %d: got %v\nwant %v\ninput %q", seed, brief(got), brief(want), in[:min(len(in), 600)])
		}
		if !untilEOF && got.rest != second {
			t.Fatalf("seed %d: rest %q, want the second response", seed, got.rest)
		}
	}
}

// brief prints a parsed result with its body cut short.
func brief(p parsed) string {
	p.body = p.body[:min(len(p.body), 40)]
	p.rest = p.rest[:min(len(p.rest), 80)]
	return fmt.Sprintf("%+v (error %v)", p, p.err)
}

// FuzzRespParser: arbitrary bytes in random pieces never make the parser
// panic or consume more than it was fed, and what net/http reads cleanly
// the parser reads the same.
func FuzzRespParser(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), uint16(3), false)
	f.Add([]byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\nT: 1\r\n\r\n"), uint16(40), false)
	f.Add([]byte("HTTP/1.0 200 OK\nConnection: keep-alive\n\nbody"), uint16(0), false)
	f.Add([]byte("HTTP/1.1 304 Not Modified\r\nContent-Length: 3\r\n\r\n"), uint16(9), true)
	f.Add([]byte("HTTP/1.1 200 OK\r\nConnection: a,\r\n close\r\nContent-Length: 3, 3\r\n\r\nabc"), uint16(1), false)
	for _, raw := range benchResponses {
		f.Add(raw, uint16(20), false)
	}
	var p respParser
	f.Fuzz(func(t *testing.T, in []byte, split uint16, head bool) {
		pieces := []int{int(split) % (len(in) + 1)}
		if split%7 == 0 {
			pieces = ones(len(in))
		}
		got := parseIn(t, &p, in, head, 1<<20, pieces)
		resp, body, _, err := netHTTP(in, head)
		if err != nil || len(in) >= maxHeaderBytes {
			return
		}
		if got.err != nil || got.status != resp.StatusCode || got.body != string(body) || got.bodyLen != int64(len(body)) {
			t.Fatalf("input %q\ngot %v\nnet/http: status %d, body %q", in, brief(got), resp.StatusCode, body)
		}
	})
}

// sameStatusLine says whether net/http read resp from a status line that
// respParser accepts too: HTTP/1.x, three digits, not an upgrade
// (net/http also takes "HTTP/2.0", "+20" or "-00" there).
func sameStatusLine(resp *http.Response) bool {
	c := resp.Status
	return resp.ProtoMajor == 1 && len(c) >= 3 && isDigit(c[0]) && isDigit(c[1]) && isDigit(c[2]) &&
		resp.StatusCode != 101
}

// BenchmarkRespParser: CPU per response of respParser, and of fasthttp's and
// net/http's readers on the same bytes for comparison.
func BenchmarkRespParser(b *testing.B) {
	for _, name := range []string{"small", "chunked"} {
		raw := benchResponses[name]
		b.Run(name+"/respParser", func(b *testing.B) {
			var p respParser
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				p.reset(false, 512)
				if n, done, err := p.feed(raw); n != len(raw) || !done || err != nil {
					b.Fatalf("feed = %d, %v, %v", n, done, err)
				}
			}
		})
		b.Run(name+"/fasthttp", func(b *testing.B) {
			var resp fasthttp.Response
			rd := bytes.NewReader(raw)
			br := bufio.NewReader(rd)
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				rd.Reset(raw)
				br.Reset(rd)
				resp.Reset()
				if err := resp.Read(br); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/net-http", func(b *testing.B) {
			rd := bytes.NewReader(raw)
			br := bufio.NewReader(rd)
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				rd.Reset(raw)
				br.Reset(rd)
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}
