package matrix

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Built-in defaults, applied where the file says nothing.
const (
	DefaultSpawnRate   = 1.0
	DefaultWarmup      = 5 * time.Second
	DefaultSettle      = 10 * time.Second
	DefaultCooldown    = 5 * time.Second
	DefaultRepeat      = 1
	DefaultMaxInFlight = 1000
	DefaultTimeout     = 30 * time.Second
	// DefaultMaxScale is the highest replica count a matrix may list unless
	// it sets max_scale: scaling a compose service creates one container per
	// replica, and a typo such as 1000000 must not flood the engine.
	DefaultMaxScale = 100
	// MaxScaleLimit bounds max_scale itself.
	MaxScaleLimit = 10000
)

// Load reads and validates the matrix file at path. Upload files named with
// "@file" are resolved relative to the file's directory. On invalid input the
// error is an ErrorList with every problem found.
func Load(path string) (*Matrix, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read matrix: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("read matrix %s: %w", path, err)
	}
	m, err := Parse(path, data, filepath.Dir(abs))
	if m != nil {
		m.File = abs
	}
	return m, err
}

// Parse decodes and validates a matrix. name labels error positions; dir
// resolves relative upload files. It never panics, whatever data holds.
func Parse(name string, data []byte, dir string) (*Matrix, error) {
	p := &parser{file: name, dir: dir, at: &places{file: name, pos: map[string][2]int{}}}
	root := p.document(data)
	if root == nil {
		return nil, p.errs.sorted()
	}
	m := p.matrix(root)
	if len(p.errs) > 0 {
		return nil, p.errs.sorted()
	}
	m.at = p.at
	if len(p.envUsed) > 0 {
		m.Env, m.saved = p.envUsed, savedMatrix(name, data, dir)
		m.parsed = snapshot(m)
	}
	return m, nil
}

// LoadScenario reads only the scenario of a file: either a full matrix's
// `scenario:` block or a file whose top level is a scenario (wait, requests).
func LoadScenario(path string) (Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Scenario{}, fmt.Errorf("read scenario: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return Scenario{}, fmt.Errorf("read scenario %s: %w", path, err)
	}
	p := &parser{file: path, dir: filepath.Dir(abs)}
	root := p.document(data)
	if root == nil {
		return Scenario{}, p.errs.sorted()
	}
	node := root
	if root.Kind == yaml.MappingNode {
		if v := mapValue(root, "scenario"); v != nil {
			node = v
		}
	}
	s := p.scenario(node)
	if len(p.errs) > 0 {
		return Scenario{}, p.errs.sorted()
	}
	return s, nil
}

type parser struct {
	file string // as given, for messages
	dir  string // absolute directory of the file, for uploads
	errs ErrorList
	at   *places // where values were written, kept with the matrix

	lookup  envLookup // the environment for ${NAME}; nil means the process's
	keep    bool      // write ${NAME} back instead of the value (see savedMatrix)
	envUsed []string  // names of the variables the file took from the environment

	dataFile *Data // the scenario's data file, for {{field}} checks
	rows     *Rows // its rows, for checks of files named in rows
}

// mark records where the value at key was written, the first time only.
func (p *parser) mark(key string, n *yaml.Node) {
	if p.at == nil || n == nil {
		return
	}
	if _, ok := p.at.pos[key]; !ok {
		p.at.pos[key] = [2]int{n.Line, n.Column}
	}
}

// shown is path as a message shows it: relative to the directory the file
// was named from, so messages do not depend on where a checkout lives.
func (p *parser) shown(path string) string {
	if rel, err := filepath.Rel(p.dir, path); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.Join(filepath.Dir(p.file), rel)
	}
	return path
}

func (p *parser) errorf(n *yaml.Node, fix, format string, args ...any) {
	e := &Error{File: p.file, Msg: fmt.Sprintf(format, args...), Fix: fix}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	p.errs = append(p.errs, e)
}

// document parses YAML into its root node, reporting syntax errors.
func (p *parser) document(data []byte) (root *yaml.Node) {
	defer func() {
		if r := recover(); r != nil { // yaml.v3 has panicked on hostile input before
			p.errs = append(p.errs, &Error{File: p.file, Msg: fmt.Sprintf("cannot parse YAML: %v", r)})
			root = nil
		}
	}()
	var doc yaml.Node
	if line, col, what, bad := unreadable(data); bad {
		p.errs = append(p.errs, &Error{File: p.file, Line: line, Col: col,
			Msg: what + ": the file is binary or not UTF-8 text, not a YAML matrix", Fix: "give the matrix YAML file, saved as UTF-8 text"})
		return nil
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		// Every error has a place: the line yaml names, else the start.
		e := &Error{File: p.file, Line: 1, Col: 1, Msg: strings.TrimPrefix(err.Error(), "yaml: "), Fix: "fix the YAML syntax"}
		if m := regexp.MustCompile(`^yaml: line (\d+): (.*)$`).FindStringSubmatch(err.Error()); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
			e.Msg = m[2]
		}
		p.errs = append(p.errs, e)
		return nil
	}
	if len(doc.Content) == 0 {
		p.errs = append(p.errs, &Error{File: p.file, Line: 1, Col: 1, Msg: "the file is empty", Fix: "start from experiments/seed.yaml"})
		return nil
	}
	root = doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.errorf(root, "the top level holds keys such as name, target, scenario and runs", "expected a mapping at the top level, found %s", kindName(root))
		return nil
	}
	lookup, before := p.lookup, len(p.errs)
	if lookup == nil {
		lookup = osLookup
	}
	if p.envUsed = p.expandEnv(root, data, lookup, p.keep); len(p.errs) > before {
		return nil // an unset variable would show again as an empty value
	}
	return root
}

// unreadable finds the first byte YAML cannot hold, a control character
// or invalid UTF-8, and says where it is (line and column from 1, the
// column in characters) and what it is.
func unreadable(data []byte) (line, col int, what string, bad bool) {
	line, col = 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return line, col, fmt.Sprintf("byte 0x%02x is not UTF-8", data[i]), true
		case r == '\n':
			line, col = line+1, 1
			i += size
			continue
		case (r < 0x20 && r != '\t' && r != '\r') || r == 0x7f:
			return line, col, fmt.Sprintf("control character 0x%02x", r), true
		}
		col++
		i += size
	}
	return 0, 0, "", false
}

// fields walks a mapping's keys: known keys go to their handler, unknown
// keys are reported with the nearest known key, duplicates are reported.
func (p *parser) fields(n *yaml.Node, what string, handlers map[string]func(v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "", "%s must be a mapping (key: value), found %s", what, kindName(n))
		return
	}
	known := make([]string, 0, len(handlers))
	for k := range handlers {
		known = append(known, k)
	}
	slices.Sort(known)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		h, ok := handlers[k.Value]
		if !ok {
			fix := "valid keys: " + strings.Join(known, ", ")
			if near := nearest(k.Value, known); near != "" {
				fix = fmt.Sprintf("did you mean %q?", near)
			}
			p.errorf(k, fix, "unknown key %q in %s", k.Value, what)
			continue
		}
		if seen[k.Value] {
			p.errorf(k, "keep one", "duplicate key %q in %s", k.Value, what)
			continue
		}
		seen[k.Value] = true
		h(v)
	}
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "a document"
}

// Scalars.

func (p *parser) str(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, "", "%s must be a text value, found %s", what, kindName(n))
		return ""
	}
	return n.Value
}

func (p *parser) integer(n *yaml.Node, what string) (int, bool) {
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, "", "%s must be a whole number, found %s", what, kindName(n))
		return 0, false
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil {
		p.errorf(n, "write a whole number such as 5", "%s must be a whole number, found %q", what, n.Value)
		return 0, false
	}
	return v, true
}

func (p *parser) positiveInt(n *yaml.Node, what string) int {
	v, ok := p.integer(n, what)
	if ok && v <= 0 {
		p.errorf(n, "use 1 or more", "%s must be positive, found %d", what, v)
	}
	return v
}

func (p *parser) positiveFloat(n *yaml.Node, what string) float64 {
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, "", "%s must be a number, found %s", what, kindName(n))
		return 0
	}
	v, err := strconv.ParseFloat(n.Value, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		p.errorf(n, "write a number such as 2 or 0.5", "%s must be a number, found %q", what, n.Value)
		return 0
	}
	if v <= 0 {
		p.errorf(n, "use a value above 0", "%s must be positive, found %g", what, v)
	}
	return v
}

func (p *parser) duration(n *yaml.Node, what string, allowZero bool) time.Duration {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, "write a duration such as 30s or 1m", "%s must be a duration, found %s", what, kindName(n))
		return 0
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil {
		if _, nerr := strconv.ParseFloat(n.Value, 64); nerr == nil {
			p.errorf(n, fmt.Sprintf("add a unit: %ss", n.Value), "%s %q has no unit", what, n.Value)
		} else {
			p.errorf(n, "write a duration such as 30s, 1m30s or 500ms", "%s %q is not a duration", what, n.Value)
		}
		return 0
	}
	if d < 0 || (d == 0 && !allowZero) {
		fix := "use a duration above 0"
		if allowZero {
			fix = "use 0s or more"
		}
		p.errorf(n, fix, "%s must be positive, found %s", what, n.Value)
	}
	return d
}

func (p *parser) intList(n *yaml.Node, what string) []int {
	if n.Kind == yaml.ScalarNode { // a single value is a list of one
		return []int{p.positiveInt(n, what)}
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "write a list such as [1, 3, 5]", "%s must be a list of whole numbers, found %s", what, kindName(n))
		return nil
	}
	if len(n.Content) == 0 {
		p.errorf(n, "list at least one value, e.g. [1, 3, 5]", "%s is empty", what)
		return nil
	}
	out := make([]int, 0, len(n.Content))
	seen := map[int]bool{}
	for _, c := range n.Content {
		v := p.positiveInt(c, what)
		if seen[v] && v > 0 {
			p.errorf(c, "list each value once", "%s lists %d twice", what, v)
		}
		seen[v] = true
		out = append(out, v)
	}
	return out
}

func (p *parser) floatList(n *yaml.Node, what string) []float64 {
	if n.Kind == yaml.ScalarNode {
		return []float64{p.positiveFloat(n, what)}
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "write a list such as [50, 100, 200]", "%s must be a list of numbers, found %s", what, kindName(n))
		return nil
	}
	if len(n.Content) == 0 {
		p.errorf(n, "list at least one value, e.g. [50, 100]", "%s is empty", what)
		return nil
	}
	out := make([]float64, 0, len(n.Content))
	for _, c := range n.Content {
		v := p.positiveFloat(c, what)
		if contains(out, v) && v > 0 {
			p.errorf(c, "list each value once", "%s lists %g twice", what, v)
		}
		out = append(out, v)
	}
	return out
}

// wait parses "0s", "1s" or "1s..3s".
func (p *parser) wait(n *yaml.Node) Wait {
	w, err := ParseWait(p.str(n, "wait"))
	if we, ok := errors.AsType[*WaitError](err); ok {
		p.errorf(n, we.Fix, "%s", we.Msg)
	}
	return w
}

// WaitError is a think time that does not parse: Msg says what is wrong,
// Fix how to write it.
type WaitError struct{ Msg, Fix string }

func (e *WaitError) Error() string { return e.Msg + ": " + e.Fix }

// ParseWait reads a think time as a matrix file writes it: "" or "0s" (no
// wait), "1s", or a uniform range "1s..3s". Its errors are *WaitError.
func ParseWait(s string) (Wait, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Wait{}, nil
	}
	lo, hi, isRange := strings.Cut(s, "..")
	bad := &WaitError{Msg: fmt.Sprintf("wait %q is not a duration or range", s), Fix: `write "0s", "1s" or a uniform range "1s..3s"`}
	a, err := time.ParseDuration(strings.TrimSpace(lo))
	if err != nil || a < 0 {
		return Wait{}, bad
	}
	if !isRange {
		return Wait{Min: a, Max: a}, nil
	}
	b, err := time.ParseDuration(strings.TrimSpace(hi))
	if err != nil || b < 0 {
		return Wait{}, bad
	}
	if b < a {
		return Wait{}, &WaitError{Msg: fmt.Sprintf("wait range %q goes backwards", s), Fix: fmt.Sprintf("write %s..%s", strings.TrimSpace(hi), strings.TrimSpace(lo))}
	}
	return Wait{Min: a, Max: b}, nil
}
