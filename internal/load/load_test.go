package load

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

func TestWeightsSplitByRatio(t *testing.T) {
	engines(t, func(t *testing.T) {
		srv, _ := echoServer(t)
		a, b := get("a", "/"), get("b", "/?b")
		b.Weight = 3
		rec := mustRun(t, Config{
			Target:   srv.URL,
			Scenario: matrix.Scenario{Requests: []matrix.Request{a, b}},
			Cell:     closedCell(4, 1500*time.Millisecond),
		})
		na, nb := endpointByName(t, rec, "a").Total.Requests, endpointByName(t, rec, "b").Total.Requests
		n := na + nb
		if n < 1000 {
			t.Fatalf("only %d requests: too few to test the split", n)
		}
		share := float64(nb) / float64(n)
		sigma := math.Sqrt(0.75 * 0.25 / float64(n))
		if math.Abs(share-0.75) > 5*sigma {
			t.Errorf("b got %.4f of %d requests, want 0.75 ± %.4f (5σ)", share, n, 5*sigma)
		}
		if rec.Total.Requests != n {
			t.Errorf("total %d ≠ sum of endpoints %d", rec.Total.Requests, n)
		}
	})
}

// connLog records when the server saw each new connection and each request.
type connLog struct {
	mu       sync.Mutex
	start    time.Time
	conns    []time.Duration
	requests []time.Duration
}

func (l *connLog) server(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.requests = append(l.requests, time.Since(l.start))
		l.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			l.mu.Lock()
			l.conns = append(l.conns, time.Since(l.start))
			l.mu.Unlock()
		}
	}
	l.start = time.Now()
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func TestSpawnRateStartsUsersInTurn(t *testing.T) {
	engines(t, func(t *testing.T) {
		var log connLog
		srv := log.server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		cell := closedCell(5, 1200*time.Millisecond)
		cell.SpawnRate = 10 // a user every 100 ms
		rec := mustRun(t, Config{Target: srv.URL, Scenario: matrix.Scenario{
			Requests: []matrix.Request{get("root", "/")}, Wait: matrix.Wait{Min: 20 * time.Millisecond, Max: 20 * time.Millisecond},
		}, Cell: cell})

		log.mu.Lock()
		conns := append([]time.Duration(nil), log.conns...)
		log.mu.Unlock()
		if len(conns) != 5 {
			t.Fatalf("server saw %d connections, want 5 (one per user)", len(conns))
		}
		sort.Slice(conns, func(i, j int) bool { return conns[i] < conns[j] })
		for i := 1; i < len(conns); i++ {
			if gap := conns[i] - conns[i-1]; gap < 40*time.Millisecond || gap > 300*time.Millisecond {
				t.Errorf("user %d started %v after user %d, want about 100ms (spawn rate 10/s)", i+1, gap, i)
			}
		}
		if want := 400 * time.Millisecond; rec.SteadyStart != want {
			t.Errorf("steady start = %v, want %v (ramp (5-1)/10 s, no warm-up)", rec.SteadyStart, want)
		}
		if len(rec.Series) == 0 || rec.Series[0].Users != 5 {
			t.Errorf("series[0].users = %v, want 5 after the first second", rec.Series)
		}
	})
}

func TestWaitTimesSpaceRequests(t *testing.T) {
	engines(t, func(t *testing.T) {
		cases := []struct {
			name     string
			wait     matrix.Wait
			min, max time.Duration // bounds of each gap between requests
			mean     time.Duration
		}{
			// The upper bounds leave room for a busy machine's scheduling delays.
			{"constant 50ms", matrix.Wait{Min: 50 * time.Millisecond, Max: 50 * time.Millisecond}, 50 * time.Millisecond, 200 * time.Millisecond, 50 * time.Millisecond},
			{"uniform 20ms..60ms", matrix.Wait{Min: 20 * time.Millisecond, Max: 60 * time.Millisecond}, 20 * time.Millisecond, 210 * time.Millisecond, 40 * time.Millisecond},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var log connLog
				srv := log.server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
				rec := mustRun(t, Config{Target: srv.URL, Scenario: matrix.Scenario{
					Requests: []matrix.Request{get("root", "/")}, Wait: c.wait,
				}, Cell: closedCell(1, 1500*time.Millisecond)})
				log.mu.Lock()
				reqs := append([]time.Duration(nil), log.requests...)
				log.mu.Unlock()
				if len(reqs) < 10 {
					t.Fatalf("only %d requests in 1.5 s", len(reqs))
				}
				var sum time.Duration
				for i := 1; i < len(reqs); i++ {
					gap := reqs[i] - reqs[i-1]
					sum += gap
					if gap < c.min || gap > c.max {
						t.Errorf("gap %d = %v, want within [%v, %v]", i, gap, c.min, c.max)
					}
				}
				// The mean of ~30 uniform draws varies by a few ms; a constant
				// wait cannot be undercut.
				slack := (c.wait.Max - c.wait.Min) / 4
				if mean := sum / time.Duration(len(reqs)-1); mean < c.mean-slack || mean > c.mean+c.mean/2+5*time.Millisecond {
					t.Errorf("mean gap = %v, want about %v", mean, c.mean)
				}
				if mw := rec.Check.MeanWait; mw < c.mean-slack || mw > c.mean+slack {
					t.Errorf("check mean wait = %v, want about %v", mw, c.mean)
				}
			})
		}
	})
}

func TestFailureClasses(t *testing.T) {
	engines(t, func(t *testing.T) {
		srv, _ := echoServer(t)
		reset := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			c.(*net.TCPConn).SetLinger(0) // close with RST
			c.Close()
		}))
		t.Cleanup(reset.Close)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		refusedURL := "http://" + ln.Addr().String()
		ln.Close()

		cases := []struct {
			name    string
			target  string
			req     matrix.Request
			class   results.Class
			message string
		}{
			{"timeout", srv.URL, matrix.Request{Name: "slow", Path: "/delay?ms=500", Timeout: 50 * time.Millisecond}, results.ClassTimeout, "timeout after 50ms"},
			{"refused", refusedURL, get("any", "/"), results.ClassRefused, "connection refused"},
			{"reset", reset.URL, get("any", "/"), results.ClassReset, ""},
			{"status", srv.URL, get("err", "/status?code=503"), results.ClassStatus, "HTTP 503"},
			{"status not expected", srv.URL, matrix.Request{Name: "root", Path: "/", Expect: matrix.Expect{Status: []int{201}}}, results.ClassStatus, "HTTP 200"},
			{"expectation", srv.URL, matrix.Request{Name: "root", Path: "/", Expect: matrix.Expect{BodyContains: "nope"}}, results.ClassExpect, `body does not contain "nope"`},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				rec := mustRun(t, Config{Target: c.target, Scenario: matrix.Scenario{
					Requests: []matrix.Request{c.req}, Wait: matrix.Wait{Min: 10 * time.Millisecond, Max: 10 * time.Millisecond},
				}, Cell: closedCell(1, 400*time.Millisecond)})
				st := rec.Total
				if st.Requests == 0 {
					t.Fatal("no request recorded")
				}
				if st.Failures != st.Requests || st.FailuresByClass[c.class] != st.Requests {
					t.Errorf("failures = %d by class %v of %d requests, want all %s", st.Failures, st.FailuresByClass, st.Requests, c.class)
				}
				if len(rec.Errors) == 0 || rec.Errors[0].Class != c.class {
					t.Fatalf("errors = %+v, want a %s group", rec.Errors, c.class)
				}
				if c.message != "" && rec.Errors[0].Message != c.message {
					t.Errorf("message = %q, want %q", rec.Errors[0].Message, c.message)
				}
				if rec.Errors[0].Count != st.Failures {
					t.Errorf("error group counts %d, want %d", rec.Errors[0].Count, st.Failures)
				}
			})
		}
	})
}

// TestOpenLoopShowsStall is the coordinated-omission case: the target stalls
// for 1 s. Measured from the intended send time, the open loop's p99 shows
// the stall; a closed loop with one user sends nothing during the stall, so
// only one request sees it and its p99 hides it.
func TestOpenLoopShowsStall(t *testing.T) {
	engines(t, func(t *testing.T) {
		run := func(t *testing.T, cell matrix.Cell) *results.Load {
			t.Helper()
			srv, echo := echoServer(t)
			go func() {
				time.Sleep(time.Second)
				echo.Stall(time.Second)
			}()
			return mustRun(t, Config{Target: srv.URL, Scenario: matrix.Scenario{Requests: []matrix.Request{get("root", "/")}}, Cell: cell})
		}
		t.Run("open loop", func(t *testing.T) {
			rec := run(t, matrix.Cell{Mode: matrix.Open, Rate: 200, MaxInFlight: 50, Duration: 3 * time.Second})
			if p99 := rec.Total.Latency.P99; p99 < 700*time.Millisecond {
				t.Errorf("open-loop p99 = %v, want ≥ 700ms: the 1 s stall must show", p99)
			}
			if p50 := rec.Total.Latency.P50; p50 > 200*time.Millisecond {
				t.Errorf("open-loop p50 = %v, want small: two thirds of the run had no stall", p50)
			}
			if rec.Late == 0 {
				t.Errorf("no late sends recorded, yet 200 req/s met 50 slots stalled for 1 s")
			}
			if n := rec.Total.Requests; n < 500 || n > 610 {
				t.Errorf("open loop sent %d requests in 3 s at 200/s, want about 600", n)
			}
		})
		t.Run("closed loop hides it", func(t *testing.T) {
			rec := run(t, closedCell(1, 3*time.Second))
			if rec.Total.Latency.Max < 700*time.Millisecond {
				t.Errorf("closed-loop max = %v, want the stall (≥ 700ms)", rec.Total.Latency.Max)
			}
			if p99 := rec.Total.Latency.P99; p99 > 100*time.Millisecond {
				t.Errorf("closed-loop p99 = %v: expected the stall hidden by coordinated omission", p99)
			}
		})
	})
}

func TestOpenLoopKeepsRate(t *testing.T) {
	engines(t, func(t *testing.T) {
		srv, _ := echoServer(t)
		rec := mustRun(t, Config{Target: srv.URL, Scenario: matrix.Scenario{Requests: []matrix.Request{get("root", "/")}},
			Cell: matrix.Cell{Mode: matrix.Open, Rate: 100, Duration: 2 * time.Second}})
		if n := rec.Total.Requests; n < 190 || n > 201 {
			t.Errorf("sent %d requests in 2 s at 100/s, want 190..200", n)
		}
		if rec.Dropped != 0 || rec.Late > 5 {
			t.Errorf("late %d, dropped %d against an idle target, want about 0", rec.Late, rec.Dropped)
		}
		if rec.Mode != matrix.Open {
			t.Errorf("mode = %q, want %q", rec.Mode, matrix.Open)
		}
	})
}

func TestRecordIsConsistent(t *testing.T) {
	engines(t, func(t *testing.T) {
		srv, echo := echoServer(t)
		a, b := get("a", "/"), get("b", "/delay?ms=2")
		cell := closedCell(8, 2500*time.Millisecond)
		cell.Warmup = time.Second
		var intervals []Interval
		rec := mustRun(t, Config{Target: srv.URL, Scenario: matrix.Scenario{Requests: []matrix.Request{a, b}}, Cell: cell,
			Interval: func(iv Interval) { intervals = append(intervals, iv) }})

		if len(rec.Series) != 3 {
			t.Fatalf("series has %d seconds for a 2.5 s run, want 3", len(rec.Series))
		}
		var sum, perEP int64
		for i, s := range rec.Series {
			if s.T != i {
				t.Errorf("series[%d].T = %d", i, s.T)
			}
			sum += s.Requests
			for _, e := range s.Endpoints {
				perEP += e.Requests
			}
		}
		if sum != rec.Total.Requests || perEP != sum {
			t.Errorf("series sums to %d (per endpoint %d), total is %d", sum, perEP, rec.Total.Requests)
		}
		if len(intervals) != len(rec.Series) {
			t.Errorf("Interval called %d times, want %d", len(intervals), len(rec.Series))
		}
		if got := echo.Requests(); got < rec.Total.Requests {
			t.Errorf("server served %d requests, fewer than the %d recorded", got, rec.Total.Requests)
		}
		if rec.Steady.Requests == 0 || rec.Steady.Requests >= rec.Total.Requests {
			t.Errorf("steady %d of total %d requests: want a proper part", rec.Steady.Requests, rec.Total.Requests)
		}
		if rec.SteadyStart != time.Second || rec.Steady.Window < 1400*time.Millisecond || rec.Steady.Window > 1600*time.Millisecond {
			t.Errorf("steady window from %v for %v, want from 1s for 1.5s", rec.SteadyStart, rec.Steady.Window)
		}
		h, err := results.DecodeHistogram(rec.Total.Histogram)
		if err != nil {
			t.Fatal(err)
		}
		if h.TotalCount() != rec.Total.Requests {
			t.Errorf("total histogram holds %d values, want %d", h.TotalCount(), rec.Total.Requests)
		}
		ck := rec.Check
		if ck.Users != 8 || ck.Ratio < 0.5 || ck.Ratio > 1.2 {
			t.Errorf("check = %+v, want 8 users and a ratio near 1", ck)
		}
		if ck.GeneratorCPU <= 0 || ck.GeneratorCPUPerRequest <= 0 {
			t.Errorf("generator CPU = %v cores, %v per request; want both > 0", ck.GeneratorCPU, ck.GeneratorCPUPerRequest)
		}
	})
}

func TestAbortStopsAtOnce(t *testing.T) {
	engines(t, func(t *testing.T) {
		srv, _ := echoServer(t)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(600*time.Millisecond, cancel)
		start := time.Now()
		rec, aborted, err := Run(ctx, Config{Target: srv.URL, Scenario: matrix.Scenario{
			// Mostly fast requests, so some are recorded before every user is
			// stuck in a slow one that the stop must cut short.
			Requests: []matrix.Request{{Name: "fast", Path: "/", Weight: 50}, get("stuck", "/delay?ms=20000")},
		}, Cell: closedCell(4, time.Minute)})
		took := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		if !aborted {
			t.Error("aborted = false after the context was cancelled")
		}
		if took > 1600*time.Millisecond {
			t.Errorf("Run returned %v after start, want within a second of the cancel at 600ms", took)
		}
		if rec.Elapsed > time.Second || rec.Total.Requests == 0 {
			t.Errorf("partial record: elapsed %v, %d requests; want < 1s and some requests", rec.Elapsed, rec.Total.Requests)
		}
	})
}

func TestRunRejectsBadInput(t *testing.T) {
	ok := matrix.Scenario{Requests: []matrix.Request{get("root", "/")}}
	cell := closedCell(1, time.Second)
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no scheme", Config{Target: "127.0.0.1:8000", Scenario: ok, Cell: cell}, "http://127.0.0.1:8000"},
		{"no requests", Config{Target: "http://127.0.0.1:1", Cell: cell}, "no requests"},
		{"missing upload", Config{Target: "http://127.0.0.1:1", Cell: cell, Scenario: matrix.Scenario{Requests: []matrix.Request{
			{Name: "up", Method: "POST", Path: "/", Form: []matrix.FormField{{Name: "file", File: "/nonexistent/dog.jpeg"}}}}}}, "dog.jpeg"},
		{"no users", Config{Target: "http://127.0.0.1:1", Scenario: ok, Cell: closedCell(0, time.Second)}, "users"},
		{"no rate", Config{Target: "http://127.0.0.1:1", Scenario: ok, Cell: matrix.Cell{Mode: matrix.Open, Duration: time.Second}}, "rate"},
		{"duplicate names", Config{Target: "http://127.0.0.1:1", Cell: cell, Scenario: matrix.Scenario{Requests: []matrix.Request{get("a", "/"), get("a", "/x")}}}, "unique"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Run(context.Background(), c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one mentioning %q", err, c.want)
			}
		})
	}
}

func TestMultipartUploadAndJSON(t *testing.T) {
	engines(t, func(t *testing.T) {
		dir := t.TempDir()
		img := filepath.Join(dir, "dog.jpeg")
		content := []byte("\xff\xd8\xff\xe0 not really a jpeg")
		if err := os.WriteFile(img, content, 0o644); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var problems []string
		note := func(format string, args ...any) {
			mu.Lock()
			problems = append(problems, fmt.Sprintf(format, args...))
			mu.Unlock()
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/predict":
				mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
				if err != nil || mt != "multipart/form-data" {
					note("predict: content type %q", r.Header.Get("Content-Type"))
					return
				}
				mr := multipart.NewReader(r.Body, params["boundary"])
				p, err := mr.NextPart()
				if err != nil || p.FormName() != "file" || p.FileName() != "dog.jpeg" {
					note("predict: part %v %v", p, err)
					return
				}
				got, _ := io.ReadAll(p)
				if string(got) != string(content) {
					note("predict: file content %q", got)
				}
				io.WriteString(w, `{"success": true}`)
			case "/json":
				b, _ := io.ReadAll(r.Body)
				if r.Header.Get("Content-Type") != "application/json" || string(b) != `{"a":1}` || r.Header.Get("X-Key") != "k" {
					note("json: %q %q %q", r.Header.Get("Content-Type"), b, r.Header.Get("X-Key"))
				}
			}
		}))
		defer srv.Close()
		rec := mustRun(t, Config{Target: srv.URL, Scenario: matrix.Scenario{Requests: []matrix.Request{
			{Name: "predict", Method: "POST", Path: "/predict", Weight: 3, Form: []matrix.FormField{{Name: "file", File: img}},
				Expect: matrix.Expect{Status: []int{200}, BodyContains: `"success": true`}},
			{Name: "json", Method: "POST", Path: "/json", JSON: `{"a":1}`, Headers: map[string]string{"X-Key": "k"}},
		}}, Cell: closedCell(2, 500*time.Millisecond)})
		if rec.Total.Requests == 0 || rec.Total.Failures != 0 {
			t.Errorf("%d requests, %d failures (%+v), want some and none failed", rec.Total.Requests, rec.Total.Failures, rec.Errors)
		}
		if len(problems) > 0 {
			t.Errorf("server saw bad requests: %v", problems[0])
		}
	})
}

func TestBodiesAreReadAndCounted(t *testing.T) {
	engines(t, func(t *testing.T) {
		srv, _ := echoServer(t)
		rec := mustRun(t, Config{Target: srv.URL, Scenario: matrix.Scenario{Requests: []matrix.Request{get("big", "/bytes?n=2000000")}},
			Cell: closedCell(2, 500*time.Millisecond)})
		if rec.Total.Requests == 0 || rec.Total.Bytes != rec.Total.Requests*2_000_000 {
			t.Errorf("%d requests counted %d bytes, want 2000000 each", rec.Total.Requests, rec.Total.Bytes)
		}
	})
}

func TestProgressOncePerSecond(t *testing.T) {
	engines(t, func(t *testing.T) {
		srv, _ := echoServer(t)
		var got []Progress
		mustRun(t, Config{Target: srv.URL, Scenario: matrix.Scenario{Requests: []matrix.Request{get("root", "/")}},
			Cell: closedCell(2, 2*time.Second), Progress: func(p Progress) { got = append(got, p) }})
		if len(got) != 2 {
			t.Fatalf("progress called %d times in 2 s, want 2: %+v", len(got), got)
		}
		if got[0].Users != 2 || got[0].RPS <= 0 || got[1].Requests <= got[0].Requests {
			t.Errorf("progress = %+v, want 2 users, a rate, growing counts", got)
		}
	})
}

// readLines is a helper for format tests.
func readLines(t *testing.T, r io.Reader) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// TestClosedLoopKeepsUsersInFlight: 64 users with zero wait keep 64 requests
// at the target at once, each on its own connection.
func TestClosedLoopKeepsUsersInFlight(t *testing.T) {
	engines(t, func(t *testing.T) {
		var mu sync.Mutex
		inFlight, most := 0, 0
		var log connLog
		srv := log.server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			inFlight++
			most = max(most, inFlight)
			mu.Unlock()
			time.Sleep(30 * time.Millisecond)
			mu.Lock()
			inFlight--
			mu.Unlock()
		}))
		rec := mustRun(t, Config{Target: srv.URL, Scenario: matrix.Scenario{Requests: []matrix.Request{get("root", "/")}},
			Cell: closedCell(64, 800*time.Millisecond)})
		mu.Lock()
		defer mu.Unlock()
		if most != 64 {
			t.Errorf("at most %d requests in flight at the target, want 64", most)
		}
		log.mu.Lock()
		defer log.mu.Unlock()
		if len(log.conns) != 64 {
			t.Errorf("%d connections, want 64 (one per user)", len(log.conns))
		}
		if rec.Total.Requests < 64*10 {
			t.Errorf("%d requests, want ≥ 640 (64 users × 800ms / 30ms)", rec.Total.Requests)
		}
	})
}

// TestOpenLoopFlagsBusySlots: when every in-flight slot is busy the sends
// leave late or never, and the cell says the generator limited it.
func TestOpenLoopFlagsBusySlots(t *testing.T) {
	engines(t, func(t *testing.T) {
		srv, _ := echoServer(t)
		rec := mustRun(t, Config{Target: srv.URL, Scenario: matrix.Scenario{Requests: []matrix.Request{get("slow", "/delay?ms=100")}},
			Cell: matrix.Cell{Mode: matrix.Open, Rate: 100, MaxInFlight: 2, Duration: time.Second}})
		if rec.Late == 0 || rec.Dropped == 0 {
			t.Errorf("late %d, dropped %d: 2 slots of 100 ms cannot send 100/s", rec.Late, rec.Dropped)
		}
		if n := rec.Total.Requests; n > 22 {
			t.Errorf("%d requests from 2 slots of 100 ms in 1 s, want ≤ 20", n)
		}
		if !rec.Check.GeneratorBound || !strings.Contains(rec.Check.Reason, "in-flight slots") {
			t.Errorf("check = %+v, want generator-bound because the slots were busy", rec.Check)
		}
		if p50 := rec.Total.Latency.P50; p50 < 150*time.Millisecond {
			t.Errorf("p50 = %v: latency from the intended send time must include the wait for a slot", p50)
		}
	})
}
