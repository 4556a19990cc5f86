package matrix

import (
	"encoding/json"
	"strings"
	"testing"
)

const envMatrix = `name: env-study
target: ${ENVT_TARGET:-http://127.0.0.1:8000}
compose: {project: p, service: s}
scenario:
  requests:
    - name: index
      path: /items?key=${ENVT_KEY}
      headers:
        Authorization: Bearer ${ENVT_TOKEN}
        X-Literal: "$${NOT_A_VAR} costs $5"
      json: {token: "${ENVT_TOKEN}", n: 1}
runs:
  - {name: run1, scale: ["${ENVT_SCALE}"], users: [1], duration: 30s}
`

func TestEnvExpansion(t *testing.T) {
	t.Setenv("ENVT_KEY", "k3y")
	t.Setenv("ENVT_TOKEN", "s3cr3t-t0ken")
	t.Setenv("ENVT_SCALE", "4")
	m, err := Parse("env.yaml", []byte(envMatrix), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := m.Scenario.Requests[0]
	if m.Target != "http://127.0.0.1:8000" {
		t.Errorf("target from the default = %q", m.Target)
	}
	if r.Path != "/items?key=k3y" || r.Headers["Authorization"] != "Bearer s3cr3t-t0ken" {
		t.Errorf("path %q headers %v", r.Path, r.Headers)
	}
	if r.Headers["X-Literal"] != "${NOT_A_VAR} costs $5" {
		t.Errorf("escaped ${ = %q", r.Headers["X-Literal"])
	}
	if r.JSON != `{"n":1,"token":"s3cr3t-t0ken"}` {
		t.Errorf("json = %s", r.JSON)
	}
	if m.Runs[0].Scale[0] != 4 {
		t.Errorf("scale from the environment = %v", m.Runs[0].Scale)
	}
	if got := strings.Join(m.Env, ","); got != "ENVT_KEY,ENVT_SCALE,ENVT_TOKEN" {
		t.Errorf("Env = %s", got)
	}

	// Saved: names, never values; numbers stay numbers.
	b, err := json.Marshal(struct{ M Matrix }{*m})
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"s3cr3t-t0ken", "k3y"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("saved matrix holds %q:\n%s", secret, b)
		}
	}
	for _, want := range []string{`"Authorization":"Bearer ${ENVT_TOKEN}"`, `"path":"/items?key=${ENVT_KEY}"`, `"scale":[4]`, `"target":"http://127.0.0.1:8000"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("saved matrix lacks %s:\n%s", want, b)
		}
	}
	if m.Scenario.Requests[0].Headers["Authorization"] != "Bearer s3cr3t-t0ken" {
		t.Error("saving changed the matrix in use")
	}
	// A text changed after parsing (run --target) is saved as it is now.
	over := *m
	over.Target = "http://127.0.0.1:9999"
	if b, _ := json.Marshal(over); !strings.Contains(string(b), `"target":"http://127.0.0.1:9999"`) || strings.Contains(string(b), "s3cr3t") {
		t.Errorf("overridden target not saved, or the secret saved:\n%s", b)
	}

	// A rotated secret is the same matrix; read back, it runs with the
	// environment of now.
	h := m.Hash()
	var back Matrix
	if err := json.Unmarshal(b[len(`{"M":`):len(b)-1], &back); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ENVT_TOKEN", "rotated")
	again, err := back.Reload(envMatrix)
	if err != nil {
		t.Fatal(err)
	}
	if again.Hash() != h {
		t.Error("the hash changed with the secret's value")
	}
	if got := again.Scenario.Requests[0].Headers["Authorization"]; got != "Bearer rotated" {
		t.Errorf("reloaded header = %q", got)
	}
	if strings.Contains(h, "s3cr3t") || h == "" {
		t.Errorf("hash = %q", h)
	}
}

func TestEnvErrors(t *testing.T) {
	t.Setenv("ENVT_SET", "x")
	for _, tc := range []struct{ name, yaml, want string }{
		{"unset", "name: a\ntarget: http://h:1\nx: \"abc ${ENVT_UNSET_1}\"\n",
			"e.yaml:3:9: environment variable ENVT_UNSET_1 is not set (export ENVT_UNSET_1=..., or write ${ENVT_UNSET_1:-default} for a default)"},
		{"second on a line", "name: ${ENVT_SET}-${ENVT_UNSET_2}\n",
			"e.yaml:1:19: environment variable ENVT_UNSET_2 is not set"},
		{"unterminated", "name: a\ntarget: http://h:1/${ENVT_SET\n",
			"e.yaml:2:20: unterminated ${ (close it with }, or write $${ for a literal ${)"},
		{"bad name", "name: ${1x}\n", "e.yaml:1:7: ${1x} is not a variable reference"},
		{"block scalar", "name: a\nbody: |\n  line one\n  and ${ENVT_UNSET_3}\n", "e.yaml:4:7: environment variable ENVT_UNSET_3 is not set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("e.yaml", []byte(tc.yaml), t.TempDir())
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error:\n got %v\nwant %s...", err, tc.want)
			}
			if err != nil && strings.Count(err.Error(), "\n") > 0 {
				t.Errorf("an unset variable must be the only error, got:\n%v", err)
			}
		})
	}
}

func TestEnvEmptyTakesDefault(t *testing.T) {
	t.Setenv("ENVT_EMPTY", "")
	m, err := Parse("e.yaml", []byte(strings.Replace(envMatrix, "${ENVT_KEY}", "${ENVT_EMPTY:-dflt}", 1)+"# ${ENVT_TOKEN} in a comment is no reference\n"), t.TempDir())
	if err == nil {
		t.Fatalf("want the unset ENVT_TOKEN reported, got %+v", m)
	}
	t.Setenv("ENVT_TOKEN", "t")
	t.Setenv("ENVT_SCALE", "1")
	m, err = Parse("e.yaml", []byte(strings.Replace(envMatrix, "${ENVT_KEY}", "${ENVT_EMPTY:-dflt}", 1)), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if p := m.Scenario.Requests[0].Path; p != "/items?key=dflt" {
		t.Errorf("path = %q", p)
	}
}
