package matrix

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func scenarioMatrix(scenario string) string {
	return "name: d\ntarget: https://127.0.0.1:8443\ncompose: {project: p, service: s}\nscenario:\n" + scenario +
		"runs:\n  - {scale: [1], users: [1], duration: 30s}\n"
}

func TestDataAndTLS(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "rows.csv"), []byte("id,name,image\n1,a b,a.png\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "a.png"), []byte("png"), 0o644)
	src := scenarioMatrix(`  data: {file: rows.csv, mode: per_user}
  tls: {insecure_skip_verify: true, server_name: api.test}
  redirects: 0
  requests:
    - {name: a, path: "/items/{{id}} x?q={{ name }}", headers: {X-Id: "{{id}}"}, json: {n: "{{name}}"}}
    - {name: b, method: POST, path: /p, form: {image: "@{{image}}", label: "{{name}}"}}
`)
	m, err := Parse("d.yaml", []byte(src), dir)
	if err != nil {
		t.Fatal(err)
	}
	sc := m.Scenario
	if sc.Data == nil || sc.Data.File != filepath.Join(dir, "rows.csv") || sc.Data.Mode != DataPerUser || strings.Join(sc.Data.Fields, ",") != "id,name,image" {
		t.Errorf("data = %+v", sc.Data)
	}
	if sc.TLS == nil || !sc.TLS.InsecureSkipVerify || sc.TLS.ServerName != "api.test" || sc.Redirects != NoRedirects {
		t.Errorf("tls = %+v, redirects %d", sc.TLS, sc.Redirects)
	}
	if p := sc.Requests[0].Path; p != "/items/{{id}}%20x?q={{ name }}" {
		t.Errorf("path = %q: references kept, the rest escaped", p)
	}
	if f := sc.Requests[1].Form[0]; f.File != "{{image}}" {
		t.Errorf("row upload = %+v", f)
	}
}

func TestDataAndTLSErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "rows.csv"), []byte("id,name,image\n1,a,a.png\n2,b,missing.png\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "a.png"), []byte("png"), 0o644)
	os.WriteFile(filepath.Join(dir, "bad.jsonl"), []byte("{\"a\": 1}\n{\"b\": 2}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "notpem.txt"), []byte("hello"), 0o644)
	for _, tc := range []struct{ name, scenario, want string }{
		{"unknown field", "  data: {file: rows.csv}\n  requests:\n    - {name: a, path: \"/x/{{nmae}}\"}\n",
			`d.yaml:7:23: {{nmae}} names no field of data file rows.csv (did you mean {{name}}? fields: id, name, image)`},
		{"missing data file", "  data: {file: nope.csv}\n  requests: [{name: a, path: /}]\n",
			`d.yaml:5:16: data file "nope.csv" does not exist (give its path relative to the matrix file; looked for nope.csv)`},
		{"data row lacks a field", "  data: {file: bad.jsonl}\n  requests: [{name: a, path: /}]\n",
			`d.yaml:5:16: data file bad.jsonl:2: the row has no field "a" (every line needs the fields of the first: a)`},
		{"unknown mode", "  data: {file: rows.csv, mode: shuffle}\n  requests: [{name: a, path: /}]\n",
			`d.yaml:5:32: unknown data mode "shuffle" (use one of sequential, random, per_user)`},
		{"row upload missing", "  data: {file: rows.csv}\n  requests:\n    - {name: a, path: /, form: {f: \"@{{image}}\"}}\n",
			`d.yaml:7:36: upload file missing.png of data row 2 does not exist (paths in rows are relative to the data file's folder; fix line 3 of rows.csv)`},
		{"ca missing", "  tls: {ca: ca.pem}\n  requests: [{name: a, path: /}]\n",
			`d.yaml:5:13: tls.ca file "ca.pem" does not exist (give its path relative to the matrix file; looked for ca.pem)`},
		{"ca not PEM", "  tls: {ca: notpem.txt}\n  requests: [{name: a, path: /}]\n",
			`d.yaml:5:13: tls.ca notpem.txt holds no PEM certificate`},
		{"cert without key", "  tls: {cert: a.png}\n  requests: [{name: a, path: /}]\n",
			`d.yaml:5:15: tls.cert needs tls.key (add key: the client certificate's private key file)`},
		{"redirects", "  redirects: 1000\n  requests: [{name: a, path: /}]\n",
			`d.yaml:5:14: redirects must be 0 to 100, found 1000`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("d.yaml", []byte(scenarioMatrix(tc.scenario)), dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error:\n got %v\nwant %s", err, tc.want)
			}
		})
	}
}
