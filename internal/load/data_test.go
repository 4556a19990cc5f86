package load

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
)

// received is what a counting server saw, per request, in order.
type received struct {
	mu   sync.Mutex
	seen []map[string]string
}

func (rc *received) server(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := map[string]string{"path": r.URL.Path, "q": r.URL.Query().Get("q"), "token": r.Header.Get("X-Token"), "conn": r.RemoteAddr}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			if err := r.ParseMultipartForm(1 << 20); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			got["label"] = r.FormValue("label")
			if f, h, err := r.FormFile("image"); err == nil {
				b, _ := io.ReadAll(f)
				got["file"], got["content"] = h.Filename, string(b)
			}
		} else if r.Method == http.MethodPost {
			var body struct{ Name string }
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
				http.Error(w, "bad json: "+err.Error(), http.StatusBadRequest)
				return
			}
			got["name"] = body.Name
		}
		rc.mu.Lock()
		rc.seen = append(rc.seen, got)
		rc.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (rc *received) values(key string) []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []string
	for _, s := range rc.seen {
		out = append(out, s[key])
	}
	return out
}

const dataCSV = "id,name,token\n" +
	"1,plain,t1\n" +
	"2,\"with \"\"quotes\"\" and a space\",t2\n" +
	"3,é/ü?&,t3\n"

var dataNames = []string{"plain", `with "quotes" and a space`, "é/ü?&"}

// TestDataRows fills path, query, header and JSON body from the rows of
// a CSV file, sent to a real server that records what it received, in the
// three modes.
func TestDataRows(t *testing.T) {
	engines(t, func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "rows.csv")
		if err := os.WriteFile(file, []byte(dataCSV), 0o644); err != nil {
			t.Fatal(err)
		}
		req := matrix.Request{
			Name: "item", Method: http.MethodPost, Weight: 1,
			Path:    "/items/{{name}}?q={{name}}",
			Headers: map[string]string{"X-Token": "{{token}}"},
			JSON:    `{"Name":"{{name}}"}`,
		}
		for _, mode := range []matrix.DataMode{matrix.DataSequential, matrix.DataRandom, matrix.DataPerUser} {
			t.Run(string(mode), func(t *testing.T) {
				var rc received
				srv := rc.server(t)
				users := 1
				if mode == matrix.DataPerUser {
					users = 3
				}
				rec := mustRun(t, Config{
					Target:   srv.URL,
					Scenario: matrix.Scenario{Requests: []matrix.Request{req}, Data: &matrix.Data{File: file, Mode: mode}},
					Cell:     closedCell(users, 300*time.Millisecond),
				})
				if rec.Total.Requests < 6 || rec.Total.Failures != 0 {
					t.Fatalf("%d requests, failures %+v", rec.Total.Requests, rec.Errors)
				}
				names, paths, qs, tokens := rc.values("name"), rc.values("path"), rc.values("q"), rc.values("token")
				for i, n := range names {
					k := slices.Index(dataNames, n)
					if k < 0 || paths[i] != "/items/"+n || qs[i] != n || tokens[i] != []string{"t1", "t2", "t3"}[k] {
						t.Fatalf("request %d: name %q path %q q %q token %q: not one row", i, n, paths[i], qs[i], tokens[i])
					}
				}
				switch mode {
				case matrix.DataSequential:
					for i, n := range names {
						if n != dataNames[i%3] {
							t.Fatalf("request %d took %q, want the rows in order: %q", i, n, names[:min(6, len(names))])
						}
					}
				case matrix.DataRandom:
					// 30 random picks miss one of 3 rows with odds of 1 in 60,000.
					if len(names) >= 30 && len(rc.rowsSeen()) < 3 {
						t.Errorf("%d random requests took only %v", len(names), rc.rowsSeen())
					}
				case matrix.DataPerUser:
					byConn := map[string]map[string]bool{}
					for i, c := range rc.values("conn") {
						if byConn[c] == nil {
							byConn[c] = map[string]bool{}
						}
						byConn[c][names[i]] = true
					}
					rows := map[string]bool{}
					for c, ns := range byConn {
						if len(ns) != 1 {
							t.Errorf("user on %s sent rows %v, want one", c, ns)
						}
						for n := range ns {
							rows[n] = true
						}
					}
					if len(byConn) != 3 || len(rows) != 3 {
						t.Errorf("3 users took rows %v over %d connections, want each its own", rows, len(byConn))
					}
				}
			})
		}
	})
}

func (rc *received) rowsSeen() map[string]bool {
	out := map[string]bool{}
	for _, n := range rc.values("name") {
		out[n] = true
	}
	return out
}

// TestDataUploads sends a file per row of a JSON Lines file as a
// multipart upload, the path relative to the data file.
func TestDataUploads(t *testing.T) {
	engines(t, func(t *testing.T) {
		dir := t.TempDir()
		os.Mkdir(filepath.Join(dir, "img"), 0o755)
		for _, n := range []string{"a", "b"} {
			os.WriteFile(filepath.Join(dir, "img", n+".png"), []byte("content of "+n), 0o644)
		}
		file := filepath.Join(dir, "rows.jsonl")
		os.WriteFile(file, []byte(`{"image": "img/a.png", "label": "cat", "n": 1}`+"\n\n"+`{"image": "img/b.png", "label": "dog", "n": 2}`+"\n"), 0o644)
		var rc received
		srv := rc.server(t)
		rec := mustRun(t, Config{
			Target: srv.URL,
			Scenario: matrix.Scenario{
				Requests: []matrix.Request{{Name: "predict", Method: http.MethodPost, Path: "/predict", Weight: 1,
					Form: []matrix.FormField{{Name: "image", File: "{{image}}"}, {Name: "label", Value: "{{label}}-{{n}}"}}}},
				Data: &matrix.Data{File: file, Mode: matrix.DataSequential},
			},
			Cell: closedCell(1, 300*time.Millisecond),
		})
		if rec.Total.Requests < 4 || rec.Total.Failures != 0 {
			t.Fatalf("%d requests, failures %+v", rec.Total.Requests, rec.Errors)
		}
		files, contents, labels := rc.values("file"), rc.values("content"), rc.values("label")
		for i := range files {
			want := [][3]string{{"a.png", "content of a", "cat-1"}, {"b.png", "content of b", "dog-2"}}[i%2]
			if got := [3]string{files[i], contents[i], labels[i]}; got != want {
				t.Fatalf("upload %d = %q, want %q", i, got, want)
			}
		}
	})
}

// TestDataErrors: what cannot be sent is refused before any request.
func TestDataErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "rows.csv")
	os.WriteFile(good, []byte("id,h\n1,\"two\nlines\"\n"), 0o644)
	for _, tc := range []struct {
		name string
		req  matrix.Request
		file string
		want string
	}{
		{"missing file", get("a", "/{{id}}"), filepath.Join(dir, "none.csv"), "no such file"},
		{"unknown field", get("a", "/{{nope}}"), good, `{{nope}} names no field of data file`},
		{"line break in a header", matrix.Request{Name: "a", Path: "/", Headers: map[string]string{"X": "{{h}}"}}, good, `rows.csv:2: field "h" holds a line break`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Run(t.Context(), Config{
				Target:   "http://127.0.0.1:9",
				Scenario: matrix.Scenario{Requests: []matrix.Request{tc.req}, Data: &matrix.Data{File: tc.file, Mode: matrix.DataSequential}},
				Cell:     closedCell(1, time.Second),
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// BenchmarkRequestPathData is BenchmarkRequestPath for a request that
// takes its path, a header and a JSON body from a data file row, next to
// the same request without references: the cost of filling, per request.
// allocs/op should be 0 for both.
func BenchmarkRequestPathData(b *testing.B) {
	file := filepath.Join(b.TempDir(), "rows.csv")
	if err := os.WriteFile(file, []byte(dataCSV), 0o644); err != nil {
		b.Fatal(err)
	}
	filled := matrix.Request{Name: "item", Method: http.MethodPost, Weight: 1, Path: "/items/{{id}}?q={{name}}",
		Headers: map[string]string{"X-Token": "{{token}}"}, JSON: `{"Name":"{{name}}"}`}
	plain := matrix.Request{Name: "item", Method: http.MethodPost, Weight: 1, Path: "/items/1?q=plain",
		Headers: map[string]string{"X-Token": "t1"}, JSON: `{"Name":"plain"}`}
	for _, bc := range []struct {
		name string
		sc   matrix.Scenario
	}{
		{"plain", matrix.Scenario{Requests: []matrix.Request{plain}}},
		{"data-row", matrix.Scenario{Requests: []matrix.Request{filled}, Data: &matrix.Data{File: file, Mode: matrix.DataSequential}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			requestPath(b, bc.sc)
		})
	}
}
