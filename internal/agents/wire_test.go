package agents

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestWireRoundTrip(t *testing.T) {
	big := synth{started: t0, fails: make([]int, 40)}
	for range 40 {
		big.seconds = append(big.seconds, ms(1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233))
	}
	rep := big.report(t, 1)
	defer func(n int) { chunkSize = n }(chunkSize)
	chunkSize = 200
	var a, b bytes.Buffer
	if err := NewWriter(&a, 0).Hello(t0); err != nil {
		t.Fatal(err)
	}
	if err := NewWriter(&b, 1).Report(rep); err != nil {
		t.Fatal(err)
	}
	if err := NewWriter(&a, 0).Fail("dial tcp: refused\nsecond line"); err != nil {
		t.Fatal(err)
	}
	// Interleave the two agents' lines, with noise, as service logs do.
	la, lb := lines(a.String()), lines(b.String())
	if len(lb) < 2 {
		t.Fatalf("a record of 40 seconds took %d line(s); the test wants several", len(lb))
	}
	var all []string
	for i := 0; i < max(len(la), len(lb)); i++ {
		if i < len(la) {
			all = append(all, "2026-11-30T12:00:00Z "+la[i])
		}
		all = append(all, "unrelated output")
		if i < len(lb) {
			all = append(all, lb[i])
		}
	}
	r := NewReader()
	var got []Message
	for _, l := range all {
		m, ok, err := r.Line(l)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			got = append(got, m)
		}
	}
	if len(got) != 3 {
		t.Fatalf("%d messages, want hello, report, fail: %+v", len(got), got)
	}
	if got[0].Kind != "hello" || !got[0].Clock.Equal(t0) {
		t.Errorf("hello %+v", got[0])
	}
	var rm, fm Message
	for _, m := range got[1:] {
		if m.Kind == "report" {
			rm = m
		} else {
			fm = m
		}
	}
	if rm.Report == nil || rm.Index != 1 || rm.Report.Load.Total.Requests != rep.Load.Total.Requests || len(rm.Report.Seconds) != 40 {
		t.Errorf("report did not survive: %+v", rm)
	}
	if fm.Kind != "fail" || fm.Text != "dial tcp: refused second line" {
		t.Errorf("fail %+v", fm)
	}
	if !rm.Report.Load.Started.Equal(t0) {
		t.Errorf("started %s", rm.Report.Load.Started)
	}
	_ = time.Second
}

func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}
