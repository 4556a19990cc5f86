package matrix

import (
	"net/url"
	"os"
	"sort"
	"strings"
)

// MinSecretLen is the shortest value from the environment that Redact
// replaces: shorter ones ("1", "on") would turn ordinary text into ${NAME}.
const MinSecretLen = 4

// Secret is a value the matrix took from the environment (${NAME}).
type Secret struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Secrets are the values of the variables the matrix took from the
// environment (Env), at least MinSecretLen bytes long, longest first so
// that a value holding another is replaced whole. Nil when it took none.
func (m *Matrix) Secrets() []Secret {
	var out []Secret
	for _, name := range m.Env {
		if v, ok := os.LookupEnv(name); ok && len(v) >= MinSecretLen {
			out = append(out, Secret{Name: name, Value: v})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].Value) > len(out[j].Value) })
	return out
}

// Redact replaces every occurrence of each secret's value in s with
// ${NAME}, the text the matrix file holds there; the value as a URL's path
// or query holds it (percent-encoded) too, since a server may echo the URL.
func Redact(s string, secrets []Secret) string {
	for _, sec := range secrets {
		if sec.Value == "" {
			continue
		}
		for _, v := range []string{sec.Value, url.PathEscape(sec.Value), url.QueryEscape(sec.Value), EscapeValue(sec.Value, true)} {
			if strings.Contains(s, v) {
				s = strings.ReplaceAll(s, v, "${"+sec.Name+"}")
			}
		}
	}
	return s
}

// Masked returns a copy of m whose texts are as run.json saves them:
// ${NAME} wherever the text came from the environment. It is what plan and
// run print.
func (m *Matrix) Masked() Matrix { return m.redactedCopy() }
