package load

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/valyala/fasthttp"

	"github.com/scalebench/scalebench/internal/matrix"
)

// Data files: a request whose path, headers or body hold {{field}} takes
// one row of the scenario's data file per request and sends that row's
// values in place of the references. Everything that can be done once is
// done when the cell starts: the file is read, the values escaped for where
// they go (percent-encoded in a path, query-escaped in a query,
// JSON-escaped in a json body), and multipart bodies built per row. Per
// request, a row is picked and the templated parts are written into the
// worker's request from a buffer it reuses. An endpoint without references
// costs nothing more.

// maxRowBodies bounds the multipart bodies built per row of a data file.
const maxRowBodies = 512 << 20

// escaping says how a value is written where it goes.
type escaping uint8

const (
	escRaw escaping = iota
	escPath
	escQuery
	escJSON
	numEscapings
)

// rowData is a cell's data file, shared read-only by every worker but for
// the sequential cursor.
type rowData struct {
	mode   matrix.DataMode
	file   *matrix.Data
	fields []string
	lines  []int
	// values[esc][row][field]: built for the escapings in use only.
	values [numEscapings][][]string
	next   atomic.Uint64 // sequential: the next row
	users  atomic.Int64  // per_user: users that took a row
}

func newRowData(d *matrix.Data) (*rowData, error) {
	rows, err := matrix.ReadData(d.File)
	if err != nil {
		return nil, err
	}
	rd := &rowData{mode: d.Mode, file: d, fields: rows.Fields, lines: rows.Lines}
	rd.values[escRaw] = rows.Values
	return rd, nil
}

// escaped makes sure the values escaped for esc exist.
func (d *rowData) escaped(esc escaping) [][]string {
	if d.values[esc] != nil {
		return d.values[esc]
	}
	out := make([][]string, len(d.values[escRaw]))
	for i, row := range d.values[escRaw] {
		out[i] = make([]string, len(row))
		for j, v := range row {
			switch esc {
			case escPath:
				out[i][j] = matrix.EscapeValue(v, false)
			case escQuery: // a value, never the query's structure: & = + are escaped too
				out[i][j] = url.QueryEscape(v)
			case escJSON:
				b, _ := json.Marshal(v) // a string always encodes
				out[i][j] = string(b[1 : len(b)-1])
			}
		}
	}
	d.values[esc] = out
	return out
}

// pick chooses the row of one request.
func (d *rowData) pick(st *fillState) int {
	n := len(d.values[escRaw])
	switch d.mode {
	case matrix.DataRandom:
		return rand.IntN(n)
	case matrix.DataPerUser:
		if !st.claimed {
			st.user, st.claimed = int(d.users.Add(1)-1), true
		}
		return st.user % n
	}
	return int((d.next.Add(1) - 1) % uint64(n))
}

// part is literal text, or a field (index into the row) escaped as esc.
type part struct {
	text  string
	field int // -1 for text
	esc   escaping
}

type template []part

// compileTemplate splits s at its {{field}} references, escaping each as
// esc; with pathQuery, as a URL: path escaping before the '?', query
// escaping after. It returns nil when s has no reference.
func (d *rowData) compileTemplate(s string, esc escaping, pathQuery bool) (template, error) {
	t := matrix.ParseTemplate(s)
	if t == nil {
		return nil, nil
	}
	var out template
	for _, p := range t.Parts {
		if p.Field == "" {
			if pathQuery && strings.Contains(p.Text, "?") {
				esc = escQuery
			}
			out = append(out, part{text: p.Text, field: -1})
			continue
		}
		j := slices.Index(d.fields, p.Field)
		if j < 0 {
			return nil, fmt.Errorf("{{%s}} names no field of data file %s (fields: %s)", p.Field, d.file.File, strings.Join(d.fields, ", "))
		}
		d.escaped(esc)
		out = append(out, part{field: j, esc: esc})
	}
	return out, nil
}

// appendRow appends t filled with row to b.
func (t template) appendRow(b []byte, d *rowData, row int) []byte {
	for _, p := range t {
		if p.field < 0 {
			b = append(b, p.text...)
		} else {
			b = append(b, d.values[p.esc][row][p.field]...)
		}
	}
	return b
}

// endpointRows is what an endpoint fills from a row per request.
type endpointRows struct {
	data    *rowData
	uri     template // the absolute URI, or nil
	headers []rowHeader
	body    template // body or json, or nil
	bodies  [][]byte // multipart bodies per row, or nil
}

type rowHeader struct {
	name string
	t    template
}

// fillState is a worker's side of filling requests: its user number for
// per_user rows and a buffer it reuses.
type fillState struct {
	user    int
	claimed bool
	buf     []byte
}

// compileRows prepares e, built from r, to take its values from d; e.rows
// stays nil when r refers to no field.
func compileRows(e *endpoint, r matrix.Request, d *rowData) error {
	er := &endpointRows{data: d}
	var err error
	if er.uri, err = d.compileTemplate(e.uri, escPath, true); err != nil {
		return err
	}
	for _, h := range e.headers {
		t, err := d.compileTemplate(h[1], escRaw, false)
		if err != nil {
			return err
		}
		if t != nil {
			if err := d.headerSafe(t, h[0]); err != nil {
				return err
			}
			er.headers = append(er.headers, rowHeader{name: h[0], t: t})
		}
	}
	switch {
	case r.Body != "":
		er.body, err = d.compileTemplate(r.Body, escRaw, false)
	case r.JSON != "":
		er.body, err = d.compileTemplate(r.JSON, escJSON, false)
	case len(r.Form) > 0:
		er.bodies, err = d.formBodies(r.Form, e.ctype)
	}
	if err != nil {
		return err
	}
	if er.uri != nil || er.headers != nil || er.body != nil || er.bodies != nil {
		e.rows = er
	}
	return nil
}

// headerSafe refuses a row whose value would break a header in two.
func (d *rowData) headerSafe(t template, name string) error {
	for _, p := range t {
		if p.field < 0 {
			continue
		}
		for i, row := range d.values[escRaw] {
			if strings.ContainsAny(row[p.field], "\r\n") {
				return fmt.Errorf("data file %s:%d: field %q holds a line break, which header %s cannot carry", d.file.File, d.lines[i], d.fields[p.field], name)
			}
		}
	}
	return nil
}

// formBodies builds the multipart body of every row, all with the boundary
// of ctype, when a form field refers to a field; nil when none does.
func (d *rowData) formBodies(form []matrix.FormField, ctype string) ([][]byte, error) {
	templated := false
	for _, f := range form {
		templated = templated || matrix.ParseTemplate(f.Value) != nil || matrix.ParseTemplate(f.File) != nil
	}
	if !templated {
		return nil, nil
	}
	_, boundary, _ := strings.Cut(ctype, "boundary=")
	out := make([][]byte, len(d.values[escRaw]))
	total := 0
	for i, row := range d.values[escRaw] {
		fields := make([]matrix.FormField, len(form))
		for k, f := range form {
			fields[k] = f
			if t := matrix.ParseTemplate(f.Value); t != nil {
				fields[k].Value = t.Fill(d.fields, row)
			}
			if t := matrix.ParseTemplate(f.File); t != nil {
				fields[k].File = matrix.RowPath(d.file, t.Fill(d.fields, row))
			}
		}
		body, _, err := multipartBodyWith(fields, boundary)
		if err != nil {
			return nil, fmt.Errorf("data file %s:%d: %w", d.file.File, d.lines[i], err)
		}
		if total += len(body); total > maxRowBodies {
			return nil, fmt.Errorf("data file %s: the uploads of its rows exceed %d MiB, more than is held in memory (use fewer rows or smaller files)", d.file.File, maxRowBodies>>20)
		}
		out[i] = body
	}
	return out, nil
}

// multipartBodyWith builds a multipart/form-data body with the given
// boundary ("" for a random one).
func multipartBodyWith(fields []matrix.FormField, boundary string) ([]byte, string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if boundary != "" {
		if err := w.SetBoundary(boundary); err != nil {
			return nil, "", err
		}
	}
	for _, f := range fields {
		if f.File == "" {
			if err := w.WriteField(f.Name, f.Value); err != nil {
				return nil, "", fmt.Errorf("form field %q: %w", f.Name, err)
			}
			continue
		}
		data, err := os.ReadFile(f.File)
		if err != nil {
			return nil, "", fmt.Errorf("form field %q: read upload file: %w", f.Name, err)
		}
		h := make(textproto.MIMEHeader)
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, f.Name, filepath.Base(f.File)))
		h.Set("Content-Type", contentTypeOf(f.File))
		part, err := w.CreatePart(h)
		if err != nil {
			return nil, "", fmt.Errorf("form field %q: %w", f.Name, err)
		}
		part.Write(data)
	}
	if err := w.Close(); err != nil {
		return nil, "", fmt.Errorf("close multipart body: %w", err)
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

// fill writes one row's values into req, built from e.
func (er *endpointRows) fill(req *fasthttp.Request, st *fillState) {
	d := er.data
	row := d.pick(st)
	if er.uri != nil {
		st.buf = er.uri.appendRow(st.buf[:0], d, row)
		req.SetRequestURIBytes(st.buf)
	}
	for _, h := range er.headers {
		st.buf = h.t.appendRow(st.buf[:0], d, row)
		req.Header.SetBytesV(h.name, st.buf)
	}
	switch {
	case er.body != nil:
		st.buf = er.body.appendRow(st.buf[:0], d, row)
		req.SetBody(st.buf)
	case er.bodies != nil:
		req.SetBodyRaw(er.bodies[row])
	}
}

// prepare returns endpoint i's request, filled from a row when e takes
// values from the data file.
func (c *conn) prepare(i int, e *endpoint) *fasthttp.Request {
	req := c.request(i)
	if e.rows != nil {
		e.rows.fill(req, &c.fill)
	}
	return req
}
