package load

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// The event loops' HTTP/1.x response parser. It owns the framing of one
// response at a time: status line, the four headers that decide framing and
// redirects (Content-Length, Transfer-Encoding, Connection, Location), and
// the body, fed in whatever pieces the socket's reads returned. It neither
// reads nor writes a connection, starts no goroutine and allocates nothing
// per response once its buffers have grown. It follows RFC 9112 and, where
// the RFC leaves room, what net/http's ReadResponse accepts; bytes of the
// headers it does not interpret are skipped unchecked.

// errNothingRead is eof's answer when the connection ended before the
// first byte of the response: a request on a reused connection may then
// be sent again on a new one.
var errNothingRead = errors.New("server closed the connection before answering")

// maxHeaderBytes bounds a response's header block (status line and headers).
const maxHeaderBytes = 64 << 10

// maxChunkLine bounds a chunk-size line with its extensions, as net/http does.
const maxChunkLine = 4 << 10

var (
	errHeaderTooBig  = errors.New("response headers larger than 64 KiB")
	errTrailerTooBig = errors.New("chunked body's trailer larger than 64 KiB")
	errChunkLine     = errors.New("chunk-size line longer than 4 KiB")
	errUpgrade       = errors.New("status 101 Switching Protocols: protocol upgrades are not supported")
)

// parseState is where in a response the parser is.
type parseState uint8

const (
	stHead      parseState = iota // waiting for the whole header block
	stLength                      // a Content-Length body: left bytes to go
	stChunkSize                   // waiting for a whole chunk-size line
	stChunkData                   // left bytes of the current chunk to go
	stChunkEnd                    // the CRLF after a chunk's data
	stTrailer                     // trailer lines until an empty one
	stUntilEOF                    // a body delimited by the connection's end
	stDone                        // the response is complete
)

// respParser reads one HTTP/1.x response from bytes fed to it as they arrive.
type respParser struct {
	// Results, valid once feed or eof reported done:
	status   int    // final status code (interim 1xx responses are skipped)
	close    bool   // the connection cannot carry another request after this response
	location []byte // the Location header's value (reused buffer; set for any status, empty when absent)
	body     []byte // the first `keep` bytes of the decoded body (reused buffer)
	bodyLen  int64  // the decoded body's whole length

	head    bool       // the request was HEAD: no body
	keep    int        // how many body bytes to keep in body
	state   parseState // what the next bytes are
	seen    bool       // a byte of the response was fed since reset
	http10  bool       // the status line said HTTP/1.0
	scan    int        // offset in the header block of the first line not yet scanned
	seek    int        // leading unconsumed bytes already searched for a LF in vain
	hdrs    int        // offset in the header block of the first header line
	left    int64      // bytes to go in the Content-Length body or the current chunk
	trailer int        // trailer bytes consumed so far
	fold    []byte     // an interpreted header's value joined from folded lines (reused)
	badCL   []byte     // the invalid Content-Length value, reported if it is used (reused)
}

// headers is what the header lines of one response said about framing.
type headers struct {
	hasCL, badCL         bool  // a Content-Length was given; one was invalid or they differ
	cl                   int64 // the Content-Length
	te, chunked          bool  // a Transfer-Encoding was given; its last coding is chunked
	connClose, keepAlive bool  // Connection tokens
	hasLoc               bool  // a Location was given
}

// field is a header the parser interprets.
type field uint8

const (
	fOther field = iota
	fContentLength
	fTransferEncoding
	fConnection
	fLocation
)

// reset prepares p for the response to a new request. head: the request was HEAD
// (no body follows whatever the headers say). keep: how many decoded body bytes to keep in p.body.
func (p *respParser) reset(head bool, keep int) {
	*p = respParser{head: head, keep: keep,
		location: p.location[:0], body: p.body[:0], fold: p.fold[:0], badCL: p.badCL[:0]}
}

// feed parses buf, the bytes received and not yet consumed (the caller keeps the
// unconsumed tail, appends the next read to it and calls feed again). It returns
// how many bytes it consumed and done when the response is complete. Bytes after a
// complete response are not consumed. It consumes header bytes only once the whole
// header block is in buf, and a chunk-size line only once it is whole; body bytes
// are consumed as they come. err is a malformed or unsupported response.
func (p *respParser) feed(buf []byte) (n int, done bool, err error) {
	if len(buf) > 0 {
		p.seen = true
	}
	for {
		b := buf[n:]
		var m int
		switch p.state {
		case stDone:
			return n, true, nil
		case stHead:
			m, err = p.readHead(b)
		case stLength, stChunkData:
			m = p.data(b)
			if p.left == 0 && p.state == stLength {
				p.state = stDone
			} else if p.left == 0 {
				p.state = stChunkEnd
			}
		case stUntilEOF:
			p.left = int64(len(b))
			m = p.data(b)
		case stChunkSize:
			m, err = p.chunkSize(b)
		case stChunkEnd:
			m, err = p.chunkEnd(b)
		case stTrailer:
			m, err = p.trailerLine(b)
		}
		n += m
		if err != nil {
			return n, false, err
		}
		if m == 0 {
			return n, p.state == stDone, nil
		}
		p.seek = 0
	}
}

// eof tells p that the connection ended (read returned 0). done: this completed a
// body delimited by the connection's end. Otherwise err is errNothingRead when no
// byte of the response had been fed since reset (the caller then may resend on a
// new connection), or io.ErrUnexpectedEOF.
func (p *respParser) eof() (done bool, err error) {
	switch {
	case p.state == stUntilEOF || p.state == stDone:
		p.state = stDone
		return true, nil
	case !p.seen:
		return false, errNothingRead
	}
	return false, io.ErrUnexpectedEOF
}

// readHead parses the header block at the start of b once it is whole and
// returns its length, or 0 while it is not. An interim 1xx response is
// consumed and leaves p waiting for the next header block.
func (p *respParser) readHead(b []byte) (int, error) {
	tooBig := len(b) >= maxHeaderBytes
	b = b[:min(len(b), maxHeaderBytes)]
	var h headers
	var end int
	var err error
	if p.hdrs == 0 {
		// Commonly the whole head came in one read: one pass parses it.
		if err = p.findStatusLine(b); err == nil && p.hdrs > 0 {
			end, err = p.headerLines(b, p.hdrs, &h)
			p.scan = p.hdrs
		}
	} else if end = p.headEnd(b); end > 0 {
		end, err = p.headerLines(b, p.hdrs, &h)
	}
	if err != nil || end == 0 {
		if err == nil && tooBig {
			err = errHeaderTooBig
		}
		return 0, err
	}
	p.scan, p.hdrs = 0, 0
	if p.status/100 == 1 {
		if p.status == 101 {
			return 0, errUpgrade
		}
		p.location = p.location[:0]
		return end, nil
	}
	return end, p.startBody(&h)
}

// findStatusLine parses the status line at the start of b once it is
// whole and sets p.hdrs to the offset of the line after it. Bytes that
// cannot start a status line fail at once.
func (p *respParser) findStatusLine(b []byte) error {
	i := p.indexLF(b, 0)
	if i < 0 {
		if k := min(len(b), 7); string(b[:k]) != "HTTP/1."[:k] {
			return malformed("HTTP status line", b)
		}
		return nil
	}
	if err := p.statusLine(trimCR(b[:i])); err != nil {
		return err
	}
	p.hdrs = i + 1
	return nil
}

// headEnd returns the length of the header block at the start of b, or 0
// while its empty line has not arrived. Across calls it scans each line
// once, from p.scan.
func (p *respParser) headEnd(b []byte) int {
	for {
		i := p.indexLF(b, p.scan)
		if i < 0 {
			return 0
		}
		if len(trimCR(b[p.scan:i])) == 0 {
			return i + 1
		}
		p.scan = i + 1
	}
}

// statusLine parses "HTTP/1.x SSS reason": spaces before the code are
// skipped and the reason may be empty or missing, as net/http allows.
func (p *respParser) statusLine(line []byte) error {
	if len(line) < len("HTTP/1.x ") || string(line[:7]) != "HTTP/1." || !isDigit(line[7]) || line[8] != ' ' {
		return malformed("HTTP status line", line)
	}
	code := bytes.TrimLeft(line[9:], " ")
	if len(code) < 3 || len(code) > 3 && code[3] != ' ' || !isDigit(code[0]) || !isDigit(code[1]) || !isDigit(code[2]) {
		return malformed("HTTP status line", line)
	}
	p.status = int(code[0]-'0')*100 + int(code[1]-'0')*10 + int(code[2]-'0')
	p.http10 = line[7] == '0'
	return nil
}

// headerLines interprets the header lines of b from offset at, and
// returns the offset after the empty line that ends them, or 0 when b ends
// first. A line starting with a space or tab continues the previous one
// (obsolete folding, joined with a space as net/http does).
func (p *respParser) headerLines(b []byte, at int, h *headers) (int, error) {
	for first := true; ; first = false {
		i := bytes.IndexByte(b[at:], '\n')
		if i < 0 {
			return 0, nil
		}
		line := trimCR(b[at : at+i])
		at += i + 1
		if len(line) == 0 {
			return at, nil
		}
		colon, err := fieldColon(line, first)
		if err != nil {
			return 0, err
		}
		f := fOther
		if colon > 0 {
			f = fieldOf(line[:colon])
		}
		if f == fOther {
			continue
		}
		value := trimOWS(line[colon+1:])
		if at < len(b) && isOWS(b[at]) {
			if value, at = p.unfold(value, b, at); at == 0 {
				return 0, nil
			}
		}
		p.apply(f, value, h)
	}
}

// fieldColon returns the index of the colon that ends a header or trailer
// line's name, or -1 for a folded line. It rejects what net/http rejects in
// a line's framing: a missing colon or name, or folding on the first line.
func fieldColon(line []byte, first bool) (int, error) {
	if isOWS(line[0]) {
		if first {
			return 0, malformed("header line (folded first line)", line)
		}
		return -1, nil
	}
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return 0, malformed("header line", line)
	}
	return colon, nil
}

// unfold joins value with the folded lines of b from offset at into p.fold
// and returns it with the offset after them, or 0 when b ends first.
func (p *respParser) unfold(value, b []byte, at int) ([]byte, int) {
	p.fold = append(p.fold[:0], value...)
	for at < len(b) && isOWS(b[at]) {
		i := bytes.IndexByte(b[at:], '\n')
		if i < 0 {
			return nil, 0
		}
		p.fold = append(p.fold, ' ')
		p.fold = append(p.fold, trimOWS(trimCR(b[at:at+i]))...)
		at += i + 1
	}
	return trimOWS(p.fold), at
}

// apply records what header f with value says.
func (p *respParser) apply(f field, value []byte, h *headers) {
	switch f {
	case fContentLength:
		n, ok := contentLength(value)
		if ok && h.hasCL && n != h.cl {
			ok = false
		}
		if !ok && !h.badCL {
			h.badCL = true
			p.badCL = append(p.badCL[:0], excerpt(value)...)
		}
		h.hasCL, h.cl = true, n
	case fTransferEncoding:
		h.te = true
		i := bytes.LastIndexByte(value, ',')
		h.chunked = asciiEqualFold(trimOWS(value[i+1:]), "chunked")
	case fConnection:
		for len(value) > 0 {
			var tok []byte
			tok, value = nextToken(value)
			h.connClose = h.connClose || asciiEqualFold(tok, "close")
			h.keepAlive = h.keepAlive || asciiEqualFold(tok, "keep-alive")
		}
	case fLocation:
		if !h.hasLoc {
			h.hasLoc = true
			p.location = append(p.location[:0], value...)
		}
	}
}

// startBody decides, from the final response's headers, how its body is
// delimited (RFC 9112 section 6.3).
func (p *respParser) startBody(h *headers) error {
	p.close = h.connClose || p.http10 && !h.keepAlive
	if h.te && p.http10 { // faulty framing: net/http ignores it; the connection is not reused
		h.te, p.close = false, true
	}
	switch {
	case p.head || p.status == 204 || p.status == 304:
		p.state = stDone
	case h.te && h.chunked:
		p.state = stChunkSize
	case h.te: // a coding other than chunked last: the body runs to the connection's end
		p.state, p.close = stUntilEOF, true
	case h.badCL:
		return fmt.Errorf("invalid Content-Length %q: want one decimal length, or a list of equal ones", p.badCL)
	case h.hasCL && h.cl == 0:
		p.state = stDone
	case h.hasCL:
		p.state, p.left = stLength, h.cl
	default:
		p.state, p.close = stUntilEOF, true
	}
	return nil
}

// data takes up to p.left body bytes from b and returns how many.
func (p *respParser) data(b []byte) int {
	b = b[:min(int64(len(b)), p.left)]
	if k := p.keep - len(p.body); k > 0 {
		p.body = append(p.body, b[:min(k, len(b))]...)
	}
	p.bodyLen += int64(len(b))
	p.left -= int64(len(b))
	return len(b)
}

// chunkSize parses a whole chunk-size line "HEX[;ext]CRLF" at the start of
// b, or returns 0 while it is not whole.
func (p *respParser) chunkSize(b []byte) (int, error) {
	i := p.indexLF(b[:min(len(b), maxChunkLine)], 0)
	if i < 0 {
		if len(b) >= maxChunkLine {
			return 0, errChunkLine
		}
		return 0, nil
	}
	line := b[:i]
	// Only CRLF ends a chunk line (net/http, RFC 9112 errata 7633).
	if i == 0 || bytes.IndexByte(line, '\r') != i-1 {
		return 0, malformed("chunk-size line", line)
	}
	size := line[:i-1]
	if semi := bytes.IndexByte(size, ';'); semi >= 0 {
		size = size[:semi]
	}
	n, ok := parseHex(trimOWS(size))
	if !ok || isOWS(size[0]) {
		return 0, malformed("chunk-size line", line)
	}
	if n == 0 {
		p.state = stTrailer
	} else {
		p.state, p.left = stChunkData, n
	}
	return i + 1, nil
}

// chunkEnd takes the CRLF that ends a chunk's data.
func (p *respParser) chunkEnd(b []byte) (int, error) {
	switch {
	case len(b) >= 2 && b[0] == '\r' && b[1] == '\n':
		p.state = stChunkSize
		return 2, nil
	case len(b) == 0 || len(b) == 1 && b[0] == '\r':
		return 0, nil
	}
	return 0, malformed("chunked body: want CRLF after chunk data, got", b[:min(len(b), 2)])
}

// trailerLine takes one whole trailer line; the empty one ends the response.
func (p *respParser) trailerLine(b []byte) (int, error) {
	i := p.indexLF(b, 0)
	if i < 0 {
		if p.trailer+len(b) >= maxHeaderBytes {
			return 0, errTrailerTooBig
		}
		return 0, nil
	}
	line := trimCR(b[:i])
	if len(line) == 0 {
		p.state = stDone
		return i + 1, nil
	}
	if _, err := fieldColon(line, p.trailer == 0); err != nil {
		return 0, err
	}
	if p.trailer += i + 1; p.trailer >= maxHeaderBytes {
		return 0, errTrailerTooBig
	}
	return i + 1, nil
}

// indexLF returns the index in b of the first LF at or after from, or -1.
// The bytes searched in vain are remembered, so that a line arriving a
// byte at a time is searched once, not once per byte.
func (p *respParser) indexLF(b []byte, from int) int {
	from = max(from, p.seek)
	if i := bytes.IndexByte(b[from:], '\n'); i >= 0 {
		return from + i
	}
	p.seek = len(b)
	return -1
}

// fieldOf names the interpreted header called name, compared without
// case, or fOther. A name with a space before the colon matches none, as
// in net/http.
func fieldOf(name []byte) field {
	switch len(name) {
	case len("location"):
		if asciiEqualFold(name, "location") {
			return fLocation
		}
	case len("connection"):
		if asciiEqualFold(name, "connection") {
			return fConnection
		}
	case len("content-length"):
		if asciiEqualFold(name, "content-length") {
			return fContentLength
		}
	case len("transfer-encoding"):
		if asciiEqualFold(name, "transfer-encoding") {
			return fTransferEncoding
		}
	}
	return fOther
}

// contentLength parses a Content-Length value: a decimal length, or a
// comma list of equal ones (RFC 9110 section 8.6).
func contentLength(v []byte) (int64, bool) {
	n := int64(-1)
	for {
		tok, rest := nextToken(v)
		m, ok := parseDecimal(tok)
		if !ok || n >= 0 && m != n {
			return -1, false
		}
		n = m
		if rest == nil {
			return n, true
		}
		v = rest
	}
}

// nextToken splits v at its first comma: the element before it, trimmed,
// and the rest after it (nil when there is no comma).
func nextToken(v []byte) (tok, rest []byte) {
	for i, c := range v {
		if c == ',' {
			return trimOWS(v[:i]), v[i+1:]
		}
	}
	return trimOWS(v), nil
}

// parseDecimal parses a non-empty run of decimal digits below 2^63.
func parseDecimal(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if !isDigit(c) || n > (1<<63-1-int64(c-'0'))/10 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// parseHex parses a chunk size: 1 to 16 hex digits, below 2^62.
func parseHex(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 16 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		switch {
		case isDigit(c):
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		n = n<<4 | uint64(c)
	}
	return int64(n), n < 1<<62
}

// asciiEqualFold reports whether b equals lower, a lower-case ASCII
// string, ignoring ASCII case only (bytes.EqualFold also folds Unicode).
func asciiEqualFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isOWS(c byte) bool { return c == ' ' || c == '\t' }

// trimOWS trims spaces and tabs from both ends of b.
func trimOWS(b []byte) []byte {
	for len(b) > 0 && isOWS(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isOWS(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// trimCR drops the CR of a CRLF line ending; a bare LF ends a line too.
func trimCR(line []byte) []byte {
	if len(line) > 0 && line[len(line)-1] == '\r' {
		return line[:len(line)-1]
	}
	return line
}

// excerpt is at most 40 bytes of b, for an error message.
func excerpt(b []byte) []byte { return b[:min(len(b), 40)] }

// malformed is the error for a malformed part of a response, quoting it.
func malformed(what string, b []byte) error {
	return fmt.Errorf("malformed %s %q", what, excerpt(b))
}
