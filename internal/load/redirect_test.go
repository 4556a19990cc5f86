package load

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
)

// TestRedirects follows redirects on a real local server: by default, up
// to the scenario's count, as the right method, never to another host;
// and not at all with redirects: 0.
func TestRedirects(t *testing.T) {
	engines(t, func(t *testing.T) {
		var mu sync.Mutex
		hits := map[string]int{}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hits[r.Method+" "+r.URL.Path]++
			mu.Unlock()
			switch r.URL.Path {
			case "/old":
				http.Redirect(w, r, "/new", http.StatusFound)
			case "/form":
				http.Redirect(w, r, "/done", http.StatusSeeOther)
			case "/keep":
				http.Redirect(w, r, "/done", http.StatusTemporaryRedirect)
			case "/loop":
				http.Redirect(w, r, "/loop", http.StatusFound)
			case "/away": // never followed: the load goes to the target only
				http.Redirect(w, r, "http://other.invalid/x", http.StatusFound)
			default:
				w.Write([]byte("final"))
			}
		}))
		defer srv.Close()
		post := func(name, path string) matrix.Request {
			return matrix.Request{Name: name, Method: http.MethodPost, Path: path, Weight: 1, Body: "x=1"}
		}
		for _, tc := range []struct {
			name      string
			redirects int
			req       matrix.Request
			want      []string // requests the server saw, each at least once
			never     []string
			failure   string // in the message; "" for success
		}{
			{"followed by default", 0, get("a", "/old"), []string{"GET /old", "GET /new"}, nil, ""},
			{"303 becomes GET", 0, post("a", "/form"), []string{"POST /form", "GET /done"}, []string{"POST /done"}, ""},
			{"307 keeps the method", 0, post("a", "/keep"), []string{"POST /keep", "POST /done"}, []string{"GET /done"}, ""},
			{"not followed", matrix.NoRedirects, get("a", "/old"), []string{"GET /old"}, []string{"GET /new"}, ""},
			{"bounded", 3, get("a", "/loop"), []string{"GET /loop"}, nil, "stopped after 3 redirects"},
			{"other host", 0, get("a", "/away"), []string{"GET /away"}, nil, "redirect to http://other.invalid not followed"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				mu.Lock()
				clear(hits)
				mu.Unlock()
				body := "final"
				if tc.redirects == matrix.NoRedirects {
					body = ""
				}
				tc.req.Expect.BodyContains = body
				rec := mustRun(t, Config{
					Target:   srv.URL,
					Scenario: matrix.Scenario{Requests: []matrix.Request{tc.req}, Redirects: tc.redirects},
					Cell:     closedCell(1, 200*time.Millisecond),
				})
				mu.Lock()
				defer mu.Unlock()
				for _, w := range tc.want {
					if hits[w] == 0 {
						t.Errorf("the server never saw %s: %v", w, hits)
					}
				}
				for _, w := range tc.never {
					if hits[w] != 0 {
						t.Errorf("the server saw %s: %v", w, hits)
					}
				}
				// A request cut short by the end of the cell is not recorded but
				// may have sent some of its hops.
				if n := hits["GET /loop"]; tc.name == "bounded" && (n < 4*int(rec.Total.Requests) || n > 4*int(rec.Total.Requests)+4) {
					t.Errorf("%d requests sent %d to /loop, want 4 each (1 + 3 redirects)", rec.Total.Requests, n)
				}
				switch {
				case rec.Total.Requests == 0:
					t.Fatal("no request completed")
				case tc.failure == "" && rec.Total.Failures != 0:
					t.Errorf("failures: %+v", rec.Errors)
				case tc.failure != "" && (len(rec.Errors) != 1 || !strings.Contains(rec.Errors[0].Message, tc.failure) || rec.Total.Failures != rec.Total.Requests):
					t.Errorf("want every request failed with %q, got %d/%d %+v", tc.failure, rec.Total.Failures, rec.Total.Requests, rec.Errors)
				}
			})
		}
	})
}
