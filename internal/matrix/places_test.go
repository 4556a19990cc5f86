package matrix

import (
	"strings"
	"testing"
)

const placesSrc = `name: t
target: http://127.0.0.1:1
compose: {project: shop, service: api}
scenario: {requests: [{name: a, path: "/a b?q=1 2&x=é"}]}
runs:
  - {name: a, scale: [1, 3], users: [1], duration: 30s}
  - {name: b, scale: [3, 5], users: [1], duration: 30s}
`

// TestScaleCeiling: a scale above the ceiling is refused at its place,
// with the fix; max_scale raises the ceiling, up to MaxScaleLimit.
func TestScaleCeiling(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // error fragments; none: accepted
	}{
		{"default ceiling", "runs:\n  - {scale: [1, 1000000], users: [1], duration: 30s}\n",
			[]string{"t.yaml:7:17: scale 1000000 is above the ceiling of 100 replicas", "set max_scale: 10000 at the top level"}},
		{"one value", "runs:\n  - {scale: 101, users: [1], duration: 30s}\n", []string{"t.yaml:7:13: scale 101 is above the ceiling of 100"}},
		{"at the default", "runs:\n  - {scale: [100], users: [1], duration: 30s}\n", nil},
		{"raised", "max_scale: 200\nruns:\n  - {scale: [150], users: [1], duration: 30s}\n", nil},
		{"raised, still above", "runs:\n  - {scale: [250], users: [1], duration: 30s}\nmax_scale: 200\n",
			[]string{"t.yaml:7:14: scale 250 is above the ceiling of 200 replicas"}},
		{"max_scale too high", "max_scale: 20000\nruns:\n  - {scale: [1], users: [1], duration: 30s}\n",
			[]string{"t.yaml:6:12: max_scale 20000 is above", "use at most 10000"}},
	}
	head := "name: t\ntarget: http://127.0.0.1:1\ncompose: {project: p, service: s}\nscenario: {requests: [{name: a, path: /}]}\ndefaults: {warmup: 0s}\n"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(head+tt.src), t.TempDir())
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestErrorAt: problems found after parsing are placed at the value.
func TestErrorAt(t *testing.T) {
	m, err := Parse("shop.yaml", []byte(placesSrc), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key, want string
	}{
		{AtComposeProject, "shop.yaml:3:20: boom (fix it)"},
		{AtComposeService, "shop.yaml:3:35: boom (fix it)"},
		{AtScale(3), "shop.yaml:6:26: boom (fix it)"},
		{AtScale(5), "shop.yaml:7:26: boom (fix it)"},
		{AtSwarmService, "shop.yaml: boom (fix it)"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := m.ErrorAt(tt.key, "fix it", "boom").Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if c := m.Ceiling(); c != DefaultMaxScale {
		t.Errorf("ceiling %d, want the default %d", c, DefaultMaxScale)
	}
	if m.MaxScale != 0 {
		t.Errorf("MaxScale %d without max_scale: in the file; the matrix hash of older runs would change", m.MaxScale)
	}
}

// TestEscapePath: a path and its query are sent encoded, once.
func TestEscapePath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/a b?q=1 2", "/a%20b?q=1%202"},
		{"/a%20b?q=1%202", "/a%20b?q=1%202"},
		{"/x?a=1&b=2+3&c=/d?e", "/x?a=1&b=2+3&c=/d?e"},
		{"/caf\u00e9?q=\u00e9", "/caf%C3%A9?q=%C3%A9"},
		{`/q?s="x"<y>`, "/q?s=%22x%22%3Cy%3E"},
		{"/100%?p=50%", "/100%25?p=50%25"},
		{"/a?b?c", "/a?b?c"},
		{"/", "/"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := EscapePath(tt.in); got != tt.want {
				t.Errorf("EscapePath(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	m, err := Parse("shop.yaml", []byte(placesSrc), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Scenario.Requests[0].Path, "/a%20b?q=1%202&x=%C3%A9"; got != want {
		t.Errorf("parsed path %q, want %q", got, want)
	}
	_, err = Parse("t.yaml", []byte(strings.Replace(placesSrc, "/a b?q=1 2&x=é", "/a#top", 1)), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "t.yaml:4:39: path \"/a#top\" has a fragment") {
		t.Errorf("a fragment: %v", err)
	}
}
