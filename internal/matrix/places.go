package matrix

import (
	"fmt"
	"strings"
)

// Keys of Matrix.ErrorAt: the places of values that are checked against
// the Docker engine after the file was read.
const (
	AtComposeProject = "compose.project"
	AtComposeService = "compose.service"
	AtSwarmService   = "swarm.service"
)

// AtScale is the ErrorAt key of the first place the file lists scale n.
func AtScale(n int) string { return fmt.Sprintf("scale %d", n) }

// places remembers where a matrix's values were written.
type places struct {
	file string // as given to Load or Parse
	pos  map[string][2]int
}

// ErrorAt is a problem with the value at key (AtComposeProject,
// AtComposeService, AtSwarmService, AtScale(n)) found after parsing, e.g.
// against the engine, located at the value's line and column. Without a
// place (a matrix read back from run.json, or a key the file does not
// have) it names the file alone.
func (m *Matrix) ErrorAt(key, fix, format string, args ...any) *Error {
	e := &Error{File: m.File, Msg: fmt.Sprintf(format, args...), Fix: fix}
	if m.at != nil {
		e.File = m.at.file
		if p, ok := m.at.pos[key]; ok {
			e.Line, e.Col = p[0], p[1]
		}
	}
	return e
}

// EscapePath percent-encodes what a request line cannot carry as written:
// spaces, quotes, control and non-ASCII characters and the like, in the
// path and in the query alike. What is already encoded ("%20") and the
// characters URLs allow ("/", "?", "&", "=", "+", ...) are kept, so
// EscapePath is idempotent.
func EscapePath(p string) string {
	path, query, hasQuery := strings.Cut(p, "?")
	out := escapeWith(path, false)
	if hasQuery {
		out += "?" + escapeWith(query, true)
	}
	return out
}

func escapeWith(s string, query bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if allowed(c, query) || (c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2])) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// allowed reports whether c may stand as itself in a URL's path (or query):
// RFC 3986's unreserved and sub-delims characters, ':' and '@', '/' and,
// in a query, '?'.
func allowed(c byte, query bool) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	case strings.IndexByte("-._~!$&'()*+,;=:@/", c) >= 0:
		return true
	case c == '?':
		return query
	}
	return false
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}
