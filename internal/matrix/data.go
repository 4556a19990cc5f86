package matrix

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Data files.
//
// A scenario may name a data file, CSV with a header row or JSON Lines with
// one object per line, whose rows vary what is sent: {{field}} in a path, a
// header value, a body, a json body's strings or a form's values (and
// "@{{field}}" to upload the file a row names) takes the field's value from
// one row per request. The syntax is {{field}}, not ${row.field}: ${...} is
// the environment's, expanded once when the file is read, and a row changes
// with every request; two syntaxes that cannot be mistaken for each other
// keep a secret from the environment from ever being read as a field name,
// and a value from a row from ever being expanded as a variable.

// DataMode says which row a request takes.
type DataMode string

const (
	// DataSequential takes the rows in file order, one per request, across
	// all users, wrapping around at the end.
	DataSequential DataMode = "sequential"
	// DataRandom takes a uniformly random row per request.
	DataRandom DataMode = "random"
	// DataPerUser gives each user (each open-loop slot) one row for the
	// whole cell: user k takes row k, wrapping around.
	DataPerUser DataMode = "per_user"
)

var dataModes = []string{string(DataSequential), string(DataRandom), string(DataPerUser)}

// Data is a scenario's data file.
type Data struct {
	// File is the data file's absolute path; relative upload paths in its
	// rows are relative to its directory.
	File string `json:"file"`
	// Mode is how requests take rows (default sequential).
	Mode DataMode `json:"mode"`
	// Fields are the field names: the CSV header, or the first JSON line's keys.
	Fields []string `json:"fields"`
}

// Rows are a data file's values: Values[i][j] is row i's field Fields[j];
// Lines[i] is row i's line in the file.
type Rows struct {
	Fields []string
	Values [][]string
	Lines  []int
}

// MaxDataRows bounds a data file: it is held in memory by the load engine.
const MaxDataRows = 1_000_000

// ReadData reads a data file: CSV with a header row, or JSON Lines (".jsonl"
// or ".ndjson") with one object per line, whose string values are taken as
// written and other values as JSON text. Errors name the file and line.
func ReadData(path string) (*Rows, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data file: %w", err)
	}
	defer f.Close()
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson":
		return readJSONLines(path, f)
	case ".csv":
		return readCSV(path, f)
	}
	return nil, fmt.Errorf("data file %s: unknown format %q (name it .csv with a header row, or .jsonl with one JSON object per line)", path, filepath.Ext(path))
}

func readCSV(path string, r io.Reader) (*Rows, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("data file %s is empty (write a header row of field names, then one row per request)", path)
		}
		return nil, fmt.Errorf("data file %s: %w", path, err)
	}
	rows := &Rows{Fields: header}
	if err := checkFields(path, 1, header); err != nil {
		return nil, err
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("data file %s: %w (every row needs the header's %d fields)", path, err, len(header))
		}
		line, _ := cr.FieldPos(0)
		if err := rows.add(path, line, rec); err != nil {
			return nil, err
		}
	}
	return rows.done(path)
}

func readJSONLines(path string, r io.Reader) (*Rows, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64<<20)
	rows := &Rows{}
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		keys, vals, err := jsonObject(text)
		if err != nil {
			return nil, fmt.Errorf("data file %s:%d: %v (write one JSON object per line)", path, line, err)
		}
		if rows.Fields == nil {
			if err := checkFields(path, line, keys); err != nil {
				return nil, err
			}
			rows.Fields = keys
		}
		rec := make([]string, len(rows.Fields))
		for j, f := range rows.Fields {
			v, ok := vals[f]
			if !ok {
				return nil, fmt.Errorf("data file %s:%d: the row has no field %q (every line needs the fields of the first: %s)", path, line, f, strings.Join(rows.Fields, ", "))
			}
			rec[j] = v
		}
		if err := rows.add(path, line, rec); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("data file %s: %w", path, err)
	}
	return rows.done(path)
}

// jsonObject decodes one JSON object, keys in their order, values as text.
func jsonObject(b []byte) ([]string, map[string]string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, nil, err
	}
	vals := make(map[string]string, len(raw))
	for k, v := range raw {
		var s string
		if json.Unmarshal(v, &s) == nil {
			vals[k] = s
		} else {
			vals[k] = string(v)
		}
	}
	// Keys in file order: decode again as a token stream.
	dec := json.NewDecoder(bytes.NewReader(b))
	var keys []string
	dec.Token() // {
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		keys = append(keys, t.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, nil, err
		}
	}
	return keys, vals, nil
}

func checkFields(path string, line int, fields []string) error {
	seen := map[string]bool{}
	for _, f := range fields {
		switch {
		case !validField(f):
			return fmt.Errorf("data file %s:%d: field name %q is not usable as {{%s}} (use letters, digits, _ and -)", path, line, f, f)
		case seen[f]:
			return fmt.Errorf("data file %s:%d: field %q is named twice", path, line, f)
		}
		seen[f] = true
	}
	return nil
}

func (r *Rows) add(path string, line int, rec []string) error {
	if len(r.Values) >= MaxDataRows {
		return fmt.Errorf("data file %s has more than %d rows (split it, or sample it)", path, MaxDataRows)
	}
	r.Values = append(r.Values, rec)
	r.Lines = append(r.Lines, line)
	return nil
}

func (r *Rows) done(path string) (*Rows, error) {
	if len(r.Values) == 0 {
		return nil, fmt.Errorf("data file %s has no rows (one row per request, after the header for CSV)", path)
	}
	return r, nil
}

func validField(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '-' || c == '.' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// Template is a text with {{field}} references, split into parts.
type Template struct {
	// Parts alternate literal text and field references.
	Parts []TemplatePart
}

// TemplatePart is literal text, or a field reference when Field is set.
type TemplatePart struct {
	Text  string
	Field string
}

// ParseTemplate splits s at its {{field}} references (spaces inside the
// braces are allowed). It returns nil when s has none.
func ParseTemplate(s string) *Template {
	if !strings.Contains(s, "{{") {
		return nil
	}
	var t Template
	rest := s
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			break
		}
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			break
		}
		name := strings.TrimSpace(rest[i+2 : i+2+j])
		if !validField(name) {
			t.Parts = append(t.Parts, TemplatePart{Text: rest[:i+2]})
			rest = rest[i+2:]
			continue
		}
		if i > 0 {
			t.Parts = append(t.Parts, TemplatePart{Text: rest[:i]})
		}
		t.Parts = append(t.Parts, TemplatePart{Field: name})
		rest = rest[i+2+j+2:]
	}
	if rest != "" {
		t.Parts = append(t.Parts, TemplatePart{Text: rest})
	}
	for _, p := range t.Parts {
		if p.Field != "" {
			return &t
		}
	}
	return nil
}

// Fields lists the fields t refers to.
func (t *Template) Fields() []string {
	var out []string
	for _, p := range t.Parts {
		if p.Field != "" && !slices.Contains(out, p.Field) {
			out = append(out, p.Field)
		}
	}
	return out
}

// EscapeValue percent-encodes what a URL cannot hold as written in s, as
// EscapePath does, for a value placed in a path (query false) or a query.
func EscapeValue(s string, query bool) string { return escapeWith(s, query) }

// escapeTemplated is EscapePath for a path with {{field}} references (and,
// while the saved text is decoded, ${NAME} references), left as written.
func escapeTemplated(p string, keepEnv bool) string {
	var b strings.Builder
	query := false
	for len(p) > 0 {
		i := nextRef(p, keepEnv)
		lit := p[:i]
		if !query {
			if q := strings.IndexByte(lit, '?'); q >= 0 {
				b.WriteString(escapeWith(lit[:q], false))
				b.WriteByte('?')
				lit, query = lit[q+1:], true
			}
		}
		b.WriteString(escapeWith(lit, query))
		p = p[i:]
		if p == "" {
			break
		}
		end := strings.Index(p, "}") + 1
		if strings.HasPrefix(p, "{{") {
			end = strings.Index(p, "}}") + 2
		}
		b.WriteString(p[:end])
		p = p[end:]
	}
	return b.String()
}

// nextRef is the offset of the next {{field}} (or ${NAME} with keepEnv)
// reference in s, len(s) when there is none.
func nextRef(s string, keepEnv bool) int {
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "{{"):
			if j := strings.Index(s[i+2:], "}}"); j >= 0 && validField(strings.TrimSpace(s[i+2:i+2+j])) {
				return i
			}
		case keepEnv && strings.HasPrefix(s[i:], "${"):
			if j := strings.IndexByte(s[i:], '}'); j >= 0 && validEnvName(s[i+2:i+j]) {
				return i
			}
		}
	}
	return len(s)
}

// data decodes a scenario's data: {file, mode}.
func (p *parser) data(n *yaml.Node) *Data {
	d := &Data{Mode: DataSequential}
	var fileNode *yaml.Node
	p.fields(n, "data", map[string]func(*yaml.Node){
		"file": func(v *yaml.Node) {
			fileNode = v
			if f := p.str(v, "data.file"); f != "" {
				if !filepath.IsAbs(f) {
					f = filepath.Join(p.dir, f)
				}
				d.File = f
			}
		},
		"mode": func(v *yaml.Node) {
			d.Mode = DataMode(p.str(v, "data.mode"))
			if d.Mode != "" && !slices.Contains(dataModes, string(d.Mode)) {
				p.errorf(v, "use one of "+strings.Join(dataModes, ", "), "unknown data mode %q", d.Mode)
			}
		},
	})
	if n.Kind != yaml.MappingNode {
		return nil
	}
	if fileNode == nil {
		p.errorf(n, "write data: {file: rows.csv, mode: sequential}", "data has no file")
		return nil
	}
	if d.File == "" || p.keep {
		return d
	}
	if _, err := os.Stat(d.File); err != nil {
		p.errorf(fileNode, fmt.Sprintf("give its path relative to the matrix file; looked for %s", p.shown(d.File)), "data file %q does not exist", fileNode.Value)
		return nil
	}
	rows, err := ReadData(d.File)
	if err != nil {
		p.errorf(fileNode, "", "%s", strings.ReplaceAll(err.Error(), d.File, p.shown(d.File)))
		return nil
	}
	d.Fields, p.rows = rows.Fields, rows
	return d
}

// escapePath is EscapePath, leaving {{field}} references (and ${NAME} ones
// in the saved text) as written.
func (p *parser) escapePath(s string) string {
	if p.keep || (p.dataFile != nil && ParseTemplate(s) != nil) {
		return escapeTemplated(s, p.keep)
	}
	return EscapePath(s)
}

// rowFiles reports whether an upload path holds {{field}} references to
// the data file, and checks that the file each row names exists.
func (p *parser) rowFiles(n *yaml.Node, path string) bool {
	t := ParseTemplate(path)
	if t == nil || p.dataFile == nil {
		return false
	}
	if p.rows == nil || p.keep {
		return true
	}
	for i, row := range p.rows.Values {
		f := RowPath(p.dataFile, t.Fill(p.rows.Fields, row))
		if st, err := os.Stat(f); err != nil || st.IsDir() {
			p.errorf(n, fmt.Sprintf("paths in rows are relative to the data file's folder; fix line %d of %s", p.rows.Lines[i], p.shown(p.dataFile.File)),
				"upload file %s of data row %d does not exist", p.shown(f), i+1)
			return true
		}
	}
	return true
}

// RowPath is where an upload path taken from a row of d points: relative
// paths are relative to the data file's folder.
func RowPath(d *Data, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(filepath.Dir(d.File), path)
}

// Fill returns t with each field replaced by its value in row (whose
// fields are named by fields).
func (t *Template) Fill(fields, row []string) string {
	var b strings.Builder
	for _, part := range t.Parts {
		if part.Field == "" {
			b.WriteString(part.Text)
		} else if j := slices.Index(fields, part.Field); j >= 0 {
			b.WriteString(row[j])
		}
	}
	return b.String()
}

// redirects reads scenario.redirects: how many are followed, 0 for none.
func (p *parser) redirects(n *yaml.Node) int {
	v, ok := p.integer(n, "redirects")
	switch {
	case !ok:
		return 0
	case v < 0 || v > MaxRedirectsLimit:
		p.errorf(n, fmt.Sprintf("write 0 to not follow redirects, or a count up to %d", MaxRedirectsLimit), "redirects must be 0 to %d, found %d", MaxRedirectsLimit, v)
		return 0
	case v == 0:
		return NoRedirects
	}
	return v
}

// checkTemplate reports {{field}} references in s, written at n, that
// name no field of the scenario's data file. Without a data file {{...}}
// is plain text.
func (p *parser) checkTemplate(n *yaml.Node, s string) {
	d := p.dataFile
	if d == nil || len(d.Fields) == 0 {
		return
	}
	t := ParseTemplate(s)
	if t == nil {
		return
	}
	for _, f := range t.Fields() {
		if !slices.Contains(d.Fields, f) {
			fix := "fields: " + strings.Join(d.Fields, ", ")
			if near := nearest(f, d.Fields); near != "" {
				fix = fmt.Sprintf("did you mean {{%s}}? fields: %s", near, strings.Join(d.Fields, ", "))
			}
			p.errorf(n, fix, "{{%s}} names no field of data file %s", f, filepath.Base(d.File))
		}
	}
}
