package matrix

import (
	"fmt"
	"strings"
	"testing"
)

// TestMaxRequests: a scenario of more than MaxRequests entries is refused
// at the first entry past the limit, with the fix; one at the limit passes.
func TestMaxRequests(t *testing.T) {
	doc := func(n int) []byte {
		var b strings.Builder
		b.WriteString("name: m\ntarget: http://127.0.0.1:8000\ncompose: {project: p, service: s}\nscenario:\n  requests:\n")
		for i := range n {
			fmt.Fprintf(&b, "    - {name: r%d, path: /r/%d}\n", i, i)
		}
		b.WriteString("runs:\n  - {name: r, scale: [1], users: [1], duration: 1s}\n")
		return []byte(b.String())
	}
	for _, tc := range []struct {
		name    string
		entries int
		want    string // "" when the matrix is valid
	}{
		{"at the limit", MaxRequests, ""},
		{"one past", MaxRequests + 1, fmt.Sprintf("m.yaml:%d:7: the scenario has %d requests, more than the limit of %d (keep at most %d entries", 6+MaxRequests, MaxRequests+1, MaxRequests, MaxRequests)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse("m.yaml", doc(tc.entries), t.TempDir())
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if len(m.Scenario.Requests) != tc.entries {
					t.Fatalf("requests = %d, want %d", len(m.Scenario.Requests), tc.entries)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}
