package matrix

import (
	"strings"
	"testing"
)

func TestRedactReplacesEveryFormOfASecret(t *testing.T) {
	t.Setenv("MATRIX_REDACT_TOKEN", "tok en/1")
	t.Setenv("MATRIX_REDACT_SHORT", "ab")
	t.Setenv("MATRIX_REDACT_LONG", "tok en/1-and-more")
	src := `name: r
target: http://127.0.0.1:1
compose: {project: p, service: s}
scenario:
  requests:
    - {name: a, path: "/x?k=${MATRIX_REDACT_TOKEN}&s=${MATRIX_REDACT_SHORT}", headers: {X: "${MATRIX_REDACT_LONG}"}}
runs:
  - {name: r, scale: [1], users: [1], duration: 1s}
`
	m, err := Parse("r.yaml", []byte(src), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sec := m.Secrets()
	if len(sec) != 2 || sec[0].Name != "MATRIX_REDACT_LONG" || sec[1].Name != "MATRIX_REDACT_TOKEN" {
		t.Fatalf("secrets %+v: want the two long enough, longest first", sec)
	}
	in := "echo: tok en/1-and-more; raw tok en/1; path tok%20en%2F1; query tok+en%2F1; short ab"
	got := Redact(in, sec)
	want := "echo: ${MATRIX_REDACT_LONG}; raw ${MATRIX_REDACT_TOKEN}; path ${MATRIX_REDACT_TOKEN}; query ${MATRIX_REDACT_TOKEN}; short ab"
	if got != want {
		t.Errorf("Redact:\n got %s\nwant %s", got, want)
	}
	if masked := m.Masked(); !strings.Contains(masked.Scenario.Requests[0].Path, "${MATRIX_REDACT_TOKEN}") || m.Scenario.Requests[0].Path == masked.Scenario.Requests[0].Path {
		t.Errorf("Masked path %q, parsed %q", masked.Scenario.Requests[0].Path, m.Scenario.Requests[0].Path)
	}
}
