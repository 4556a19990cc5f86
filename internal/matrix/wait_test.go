package matrix_test

import (
	"errors"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
)

// ParseWait reads what a matrix's wait: and load --wait take, and says how
// to fix what it refuses.
func TestParseWait(t *testing.T) {
	for _, tt := range []struct {
		in       string
		min, max time.Duration
		fix      string
	}{
		{in: ""},
		{in: "0s"},
		{in: " 1s ", min: time.Second, max: time.Second},
		{in: "1s..3s", min: time.Second, max: 3 * time.Second},
		{in: "500ms .. 2s", min: 500 * time.Millisecond, max: 2 * time.Second},
		{in: "3s..1s", fix: "write 1s..3s"},
		{in: "soon", fix: `write "0s", "1s" or a uniform range "1s..3s"`},
		{in: "-1s", fix: `write "0s", "1s" or a uniform range "1s..3s"`},
		{in: "1s..x", fix: `write "0s", "1s" or a uniform range "1s..3s"`},
	} {
		w, err := matrix.ParseWait(tt.in)
		if tt.fix != "" {
			var we *matrix.WaitError
			if !errors.As(err, &we) || we.Fix != tt.fix {
				t.Errorf("%q: error %v, want the fix %q", tt.in, err, tt.fix)
			}
			continue
		}
		if err != nil || w.Min != tt.min || w.Max != tt.max {
			t.Errorf("%q: %v %v, want %v..%v", tt.in, w, err, tt.min, tt.max)
		}
	}
}
