package matrix

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Environment variables in a matrix.
//
// ${NAME} and ${NAME:-default} in any text of the file (keys and values)
// take the value of the environment variable NAME; ${NAME:-default} falls
// back to default when NAME is unset or empty. $${ is a literal ${. A bare
// $NAME is left alone, so bodies and paths with a $ in them keep their
// meaning. Expansion happens on the parsed YAML tree, scalar by scalar,
// before decoding: errors keep the line and column of the text as written,
// and a value from the environment never changes the file's structure.
//
// Values taken from the environment are secrets until proven otherwise:
// the matrix saved in run.json (and everything hashed or rendered from it)
// holds the text as written, ${NAME}, wherever text came from the
// environment, and Env lists the variables' names. Numbers stay numbers.

// envRef is one ${...} found in a scalar.
type envRef struct {
	start, end int // byte offsets of "${" and just past "}"
	name       string
	def        string
	hasDef     bool
}

// envLookup returns a variable's value and whether it is set.
type envLookup func(string) (string, bool)

// scanEnv finds the ${...} references in s. $${ is an escape and yields no
// reference. A malformed reference is an error naming its offset.
func scanEnv(s string) ([]envRef, int, error) {
	var refs []envRef
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			continue
		}
		if s[i+1] == '$' && i+2 < len(s) && s[i+2] == '{' {
			i += 2 // $${ is a literal ${
			continue
		}
		if s[i+1] != '{' {
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return nil, i, fmt.Errorf("unterminated ${ (close it with }, or write $${ for a literal ${)")
		}
		body := s[i+2 : i+end]
		name, def, hasDef := strings.Cut(body, ":-")
		if !validEnvName(name) {
			return nil, i, fmt.Errorf("${%s} is not a variable reference (write ${NAME} or ${NAME:-default} with NAME in letters, digits and _, or $${ for a literal ${)", body)
		}
		refs = append(refs, envRef{start: i, end: i + end + 1, name: name, def: def, hasDef: hasDef})
		i += end
	}
	return refs, 0, nil
}

func validEnvName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// expandText substitutes refs in s. With keep set, a value that comes from
// the environment is written back as ${NAME}, the text to save; defaults
// are substituted either way. used collects the names of variables whose
// value came from the environment.
func expandText(s string, refs []envRef, lookup envLookup, keep bool, used map[string]bool) (string, []envRef) {
	var b strings.Builder
	var unset []envRef
	last := 0
	for _, r := range refs {
		b.WriteString(unescapeEnv(s[last:r.start]))
		last = r.end
		v, ok := lookup(r.name)
		switch {
		case ok && (v != "" || !r.hasDef):
			used[r.name] = true
			if keep {
				b.WriteString("${" + r.name + "}")
			} else {
				b.WriteString(v)
			}
		case r.hasDef:
			b.WriteString(r.def)
		default:
			unset = append(unset, r)
		}
	}
	b.WriteString(unescapeEnv(s[last:]))
	return b.String(), unset
}

// unescapeEnv turns $${ into ${ in text between references.
func unescapeEnv(s string) string {
	if !strings.Contains(s, "$${") {
		return s
	}
	return strings.ReplaceAll(s, "$${", "${")
}

// expandEnv substitutes environment variables in every scalar under root,
// reporting malformed references and unset variables at their place in src.
// With keep, values from the environment are written as ${NAME} instead
// (the text saved in run.json). It returns the names of the variables
// whose value came from the environment.
func (p *parser) expandEnv(root *yaml.Node, src []byte, lookup envLookup, keep bool) []string {
	used := map[string]bool{}
	seen := map[*yaml.Node]bool{}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		for _, c := range n.Content {
			walk(c)
		}
		if n.Kind != yaml.ScalarNode || !strings.Contains(n.Value, "${") {
			return
		}
		refs, at, err := scanEnv(n.Value)
		if err != nil {
			p.envError(n, src, n.Value[at:], err.Error(), "")
			return
		}
		if len(refs) == 0 {
			n.Value = unescapeEnv(n.Value)
			return
		}
		v, unset := expandText(n.Value, refs, lookup, keep, used)
		for _, r := range unset {
			p.envError(n, src, n.Value[r.start:r.end], fmt.Sprintf("environment variable %s is not set", r.name),
				fmt.Sprintf("export %s=..., or write ${%s:-default} for a default", r.name, r.name))
		}
		n.Value = v
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
			n.Tag = "" // a plain scalar's type follows its new text: ${N} may be a number
		}
	}
	walk(root)
	names := make([]string, 0, len(used))
	for k := range used {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// envError reports a problem with the reference text ref inside scalar n,
// at the reference's own line and column when src shows it.
func (p *parser) envError(n *yaml.Node, src []byte, ref, msg, fix string) {
	line, col := locate(src, n.Line, n.Column, ref)
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Col: col, Msg: msg, Fix: fix})
}

// locate finds text in src at or after line:col (1-based, col in
// characters) and returns where it starts; line:col when it is not found.
func locate(src []byte, line, col int, text string) (int, int) {
	l, c := 1, 1
	start := -1
	for i, r := range string(src) {
		if l == line && c == col || l > line {
			start = i
			break
		}
		if r == '\n' {
			l, c = l+1, 1
		} else {
			c++
		}
	}
	if start < 0 || text == "" {
		return line, col
	}
	k := strings.Index(string(src[start:]), text)
	if k < 0 {
		return line, col
	}
	for _, r := range string(src[start : start+k]) {
		if r == '\n' {
			l, c = l+1, 1
		} else {
			c++
		}
	}
	return l, c
}

// osLookup is the process environment.
func osLookup(name string) (string, bool) { return os.LookupEnv(name) }

// redactedCopy returns a copy of m for saving: numbers, durations and
// lists from m, and every text still as the file gave it taken from the
// matrix decoded with ${NAME} kept. A text changed since (run --target)
// is m's own. Without values from the environment it is m itself.
func (m Matrix) redactedCopy() Matrix {
	if m.saved == nil {
		return m
	}
	out, parsed := m, m.parsed
	if parsed == nil { // no copy: every text is saved as the file gave it
		parsed = &m
	}
	mergeText(reflect.ValueOf(&out).Elem(), reflect.ValueOf(parsed).Elem(), reflect.ValueOf(m.saved).Elem())
	out.File, out.Env = m.File, m.Env
	return out
}

// mergeText puts into dst the text of saved wherever dst still holds the
// text of parsed, walking the three alike. Where their shapes differ (a
// list of another length, a nil pointer) dst keeps its own.
func mergeText(dst, parsed, saved reflect.Value) {
	switch dst.Kind() {
	case reflect.String:
		if dst.String() == parsed.String() {
			dst.SetString(saved.String())
		}
	case reflect.Struct:
		for i := 0; i < dst.NumField(); i++ {
			if dst.Type().Field(i).IsExported() {
				mergeText(dst.Field(i), parsed.Field(i), saved.Field(i))
			}
		}
	case reflect.Pointer:
		if !dst.IsNil() && !parsed.IsNil() && !saved.IsNil() {
			c := reflect.New(dst.Type().Elem())
			c.Elem().Set(dst.Elem())
			mergeText(c.Elem(), parsed.Elem(), saved.Elem())
			dst.Set(c)
		}
	case reflect.Slice:
		if n := dst.Len(); n == parsed.Len() && n == saved.Len() && !dst.IsNil() {
			c := reflect.MakeSlice(dst.Type(), n, n)
			reflect.Copy(c, dst)
			for i := 0; i < n; i++ {
				mergeText(c.Index(i), parsed.Index(i), saved.Index(i))
			}
			dst.Set(c)
		}
	case reflect.Map:
		// Header names may hold ${NAME} too: a map of texts is taken whole.
		if dst.Type().Elem().Kind() == reflect.String && reflect.DeepEqual(dst.Interface(), parsed.Interface()) {
			dst.Set(saved)
		}
	}
}

// snapshot is a deep copy of m's exported fields.
func snapshot(m *Matrix) *Matrix {
	type plain Matrix
	b, err := json.Marshal((*plain)(m))
	if err != nil {
		return nil
	}
	var c plain
	if json.Unmarshal(b, &c) != nil {
		return nil
	}
	out := Matrix(c)
	return &out
}

// savedMatrix decodes data again with ${NAME} kept where the environment
// gave a value: the text run.json holds. Its own errors do not count (a
// ${N} where a number goes is no number); only its texts are used.
func savedMatrix(name string, data []byte, dir string) *Matrix {
	p := &parser{file: name, dir: dir, keep: true}
	root := p.document(data)
	if root == nil {
		return nil
	}
	return p.matrix(root)
}

// MarshalJSON writes the matrix as run.json saves it: wherever a text came
// from the environment it holds ${NAME} instead of the value.
func (m Matrix) MarshalJSON() ([]byte, error) {
	type plain Matrix
	return json.Marshal(plain(m.redactedCopy()))
}

// Reload returns the matrix to run again from one read back from run.json
// with source, the matrix file's text: when the file took values from the
// environment, the saved matrix holds their names only, and the file is
// parsed again with the environment of now.
func (m *Matrix) Reload(source string) (*Matrix, error) {
	if len(m.Env) == 0 {
		return m, nil
	}
	m2, err := Parse(m.File, []byte(source), filepath.Dir(m.File))
	if err != nil {
		return nil, err
	}
	m2.File = m.File
	return m2, nil
}
