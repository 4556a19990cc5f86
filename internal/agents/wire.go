package agents

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/scalebench/scalebench/internal/results"
)

// Prefix starts every line an agent writes for the coordinator; other lines
// of its output are ignored.
const Prefix = "SCALEBENCH-AGENT"

// chunkSize is the base64 characters per record line, well under the 16 KiB
// at which the engine splits a log line (a variable for tests).
var chunkSize = 8000

// Report is what an agent sends back once its load is over.
type Report struct {
	// Index is the agent's share index.
	Index int `json:"index"`
	// Host is the agent's host name (its container) and Node its node.
	Host string `json:"host,omitempty"`
	Node string `json:"node,omitempty"`
	// Load is its record, as load.Run returned it.
	Load *results.Load `json:"load"`
	// Aborted is true when its load was cut short (stopped, or its deadline).
	Aborted bool `json:"aborted,omitempty"`
	// Seconds are its per-second histograms of successful requests, so the
	// merged series' percentiles are exact.
	Seconds []SecondHistograms `json:"seconds"`
}

// SecondHistograms are one second's histograms of successful requests,
// per endpoint in scenario order, encoded as results.Stats.Histogram is.
type SecondHistograms struct {
	T  int      `json:"t"`
	OK []string `json:"ok"`
}

// Writer writes an agent's lines for the coordinator.
type Writer struct {
	w     io.Writer
	index int
}

// NewWriter returns a Writer of agent index's lines to w.
func NewWriter(w io.Writer, index int) *Writer { return &Writer{w: w, index: index} }

func (w *Writer) line(kind string, fields ...string) error {
	_, err := fmt.Fprintf(w.w, "%s %d %s %s\n", Prefix, w.index, kind, strings.Join(fields, " "))
	return err
}

// Hello writes the agent's clock reading now.
func (w *Writer) Hello(now time.Time) error {
	return w.line("hello", strconv.FormatInt(now.UnixNano(), 10))
}

// Fail writes why the agent cannot run its share.
func (w *Writer) Fail(msg string) error {
	return w.line("fail", strings.ReplaceAll(msg, "\n", " "))
}

// Idle writes that the plan gave the agent no share.
func (w *Writer) Idle() error { return w.line("idle") }

// Report writes r as numbered lines of gzipped JSON in base64.
func (w *Writer) Report(r *Report) error {
	var buf bytes.Buffer
	b64 := base64.NewEncoder(base64.StdEncoding, &buf)
	zw := gzip.NewWriter(b64)
	if err := json.NewEncoder(zw).Encode(r); err != nil {
		return fmt.Errorf("encode record: %w", err)
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := b64.Close(); err != nil {
		return err
	}
	data := buf.String()
	n := (len(data) + chunkSize - 1) / chunkSize
	for i := range n {
		chunk := data[i*chunkSize : min((i+1)*chunkSize, len(data))]
		if err := w.line("part", strconv.Itoa(i+1), strconv.Itoa(n), chunk); err != nil {
			return err
		}
	}
	return nil
}

// Message is one line an agent wrote, as the coordinator read it.
type Message struct {
	// Index is the agent's share index.
	Index int
	// Kind is "hello", "fail", "idle" or "report" (a whole record, once
	// its last part has arrived).
	Kind string
	// Clock is a hello's clock reading; Text a failure's message.
	Clock  time.Time
	Text   string
	Report *Report
}

// Reader reassembles the agents' messages from their interleaved output.
type Reader struct {
	parts map[int][]string
}

// NewReader returns an empty Reader.
func NewReader() *Reader { return &Reader{parts: map[int][]string{}} }

// Line reads one line of output; ok is false for a line that is not an
// agent's message or whose record is not complete yet. A record that does
// not decode is an error naming the agent.
func (r *Reader) Line(line string) (m Message, ok bool, err error) {
	i := strings.Index(line, Prefix+" ")
	if i < 0 {
		return m, false, nil
	}
	f := strings.SplitN(strings.TrimRight(line[i+len(Prefix)+1:], "\r\n"), " ", 3)
	if len(f) < 2 {
		return m, false, nil
	}
	idx, err := strconv.Atoi(f[0])
	if err != nil {
		return m, false, nil
	}
	m.Index, m.Kind = idx, f[1]
	rest := ""
	if len(f) == 3 {
		rest = f[2]
	}
	switch m.Kind {
	case "hello":
		ns, err := strconv.ParseInt(strings.TrimSpace(rest), 10, 64)
		if err != nil {
			return m, false, nil
		}
		m.Clock = time.Unix(0, ns)
		return m, true, nil
	case "fail":
		m.Text = strings.TrimSpace(rest)
		return m, true, nil
	case "idle":
		return m, true, nil
	case "part":
		return r.part(m, rest)
	}
	return m, false, nil
}

func (r *Reader) part(m Message, rest string) (Message, bool, error) {
	f := strings.SplitN(rest, " ", 3)
	if len(f) != 3 {
		return m, false, nil
	}
	seq, err1 := strconv.Atoi(f[0])
	n, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || seq < 1 || n < 1 || seq > n {
		return m, false, nil
	}
	if seq == 1 {
		r.parts[m.Index] = nil
	}
	if len(r.parts[m.Index]) != seq-1 {
		return m, false, fmt.Errorf("agent %d: record part %d of %d arrived out of order", m.Index+1, seq, n)
	}
	r.parts[m.Index] = append(r.parts[m.Index], strings.TrimSpace(f[2]))
	if seq < n {
		return m, false, nil
	}
	data := strings.Join(r.parts[m.Index], "")
	delete(r.parts, m.Index)
	rep, err := decodeReport(data)
	if err != nil {
		return m, false, fmt.Errorf("agent %d: %w", m.Index+1, err)
	}
	m.Kind, m.Report = "report", rep
	return m, true, nil
}

func decodeReport(data string) (*Report, error) {
	zr, err := gzip.NewReader(base64.NewDecoder(base64.StdEncoding, strings.NewReader(data)))
	if err != nil {
		return nil, fmt.Errorf("read record: %w", err)
	}
	var rep Report
	if err := json.NewDecoder(bufio.NewReader(zr)).Decode(&rep); err != nil {
		return nil, fmt.Errorf("read record: %w", err)
	}
	if rep.Load == nil {
		return nil, fmt.Errorf("read record: it holds no load")
	}
	return &rep, nil
}
