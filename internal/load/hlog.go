package load

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// HlogWriter writes per-second histograms as an HdrHistogram interval log
// (format 1.3), readable by HistogramLogAnalyzer and hdrhistogram's log
// readers: each second, one untagged line for all endpoints and one line
// tagged with each endpoint's name. Values are in microseconds; the interval
// max column is in milliseconds. Feed it from Config.Interval; it is not
// safe for concurrent use.
type HlogWriter struct {
	w     io.Writer
	lw    *hdrhistogram.HistogramLogWriter
	start time.Time
	err   error
	began bool
}

// NewHlogWriter returns an interval log writer on w whose timestamps count
// from start (the load's start).
func NewHlogWriter(w io.Writer, start time.Time) *HlogWriter {
	return &HlogWriter{w: w, lw: hdrhistogram.NewHistogramLogWriter(w), start: start}
}

func (h *HlogWriter) header() {
	if h.began {
		return
	}
	h.began = true
	ms := h.start.UnixMilli()
	h.try(h.lw.OutputLogFormatVersion())
	h.try(h.lw.OutputComment("scalebench load: latency in microseconds, one interval per second, tagged by endpoint"))
	h.try(h.lw.OutputStartTime(ms))
	h.try(h.lw.OutputBaseTime(ms))
	h.try(h.lw.OutputLegend())
}

func (h *HlogWriter) try(err error) {
	if h.err == nil && err != nil {
		h.err = fmt.Errorf("write interval log: %w", err)
	}
}

// Add writes one second's histograms.
func (h *HlogWriter) Add(iv Interval) error {
	h.header()
	from := iv.Start.Sub(h.start).Seconds()
	h.line("", from, iv.Length.Seconds(), iv.Total)
	for _, e := range iv.Endpoints {
		h.line(hlogTag(e.Name), from, iv.Length.Seconds(), e.Histogram)
	}
	return h.err
}

func (h *HlogWriter) line(tag string, from, length float64, hist *hdrhistogram.Histogram) {
	if h.err != nil {
		return
	}
	enc, err := hist.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		h.try(err)
		return
	}
	prefix := ""
	if tag != "" {
		prefix = "Tag=" + tag + ","
	}
	_, err = fmt.Fprintf(h.w, "%s%.3f,%.3f,%.3f,%s\n", prefix, from, length, float64(hist.Max())/1e3, enc)
	h.try(err)
}

// Flush writes the header if nothing was added and returns the first error.
func (h *HlogWriter) Flush() error {
	h.header()
	return h.err
}

// hlogTag makes an endpoint name a valid tag: no commas, spaces or line breaks.
func hlogTag(name string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ',', ' ', '\r', '\n', '\t':
			return '_'
		}
		return r
	}, name)
}
