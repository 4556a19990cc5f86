package runner

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// fakeScaler is a service whose replicas exist only in memory.
type fakeScaler struct {
	mu       sync.Mutex
	n, orig  int
	next     int
	replicas []results.Replica
	calls    []int // every Scale(n) that changed the count
	failN    map[int]int
	restored bool
}

func newFakeScaler(n int) *fakeScaler {
	s := &fakeScaler{orig: n, failN: map[int]int{}}
	s.set(n)
	return s
}

func (s *fakeScaler) set(n int) {
	for len(s.replicas) < n {
		s.next++
		s.replicas = append(s.replicas, results.Replica{Name: fmt.Sprintf("p_svc_%d", s.next), ID: fmt.Sprintf("id%d", s.next), Number: s.next, State: "running"})
	}
	s.replicas = s.replicas[:n]
	s.n = n
}

func (s *fakeScaler) Replicas(ctx context.Context) ([]results.Replica, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]results.Replica(nil), s.replicas...), nil
}

func (s *fakeScaler) Scale(ctx context.Context, n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failN[n] > 0 {
		s.failN[n]--
		return errors.New("engine said no")
	}
	if n != s.n {
		s.calls = append(s.calls, n)
		s.restored = n == s.orig
	}
	s.set(n)
	return nil
}

func (s *fakeScaler) Original() int   { return s.orig }
func (s *fakeScaler) Project() string { return "" }

// fakeLoad returns a record whose throughput grows with the scale.
func fakeLoad(ctx context.Context, cfg load.Config) (*results.Load, bool, error) {
	rps := float64(cfg.Cell.Scale * 10)
	n := int64(rps * cfg.Cell.Duration.Seconds())
	return &results.Load{
		Mode:   cfg.Cell.Mode,
		Total:  results.Stats{Requests: n, RPS: rps},
		Steady: results.Stats{Requests: n, RPS: rps, Latency: results.Latency{P50: 10 * time.Millisecond, P95: 20 * time.Millisecond}},
	}, false, nil
}

func testMatrix(t *testing.T) *matrix.Matrix {
	t.Helper()
	src := `name: t
target: http://127.0.0.1:9
compose: {project: p, service: svc}
scenario: {requests: [{name: a, path: /}]}
defaults: {settle: 3s, cooldown: 1s, warmup: 0s}
runs:
  - {name: r1, scale: [1, 3], users: [1, 2], duration: 2s}
  - {name: r2, scale: [3], users: [4], duration: 2s}
`
	m, err := matrix.Parse("t.yaml", []byte(src), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func noSleep(ctx context.Context, d time.Duration) error { return ctx.Err() }

func newTestRunner(t *testing.T, sc *fakeScaler) *Runner {
	return &Runner{
		Matrix: testMatrix(t), Scaler: sc, Load: fakeLoad, Out: t.TempDir(),
		App: results.App{Short: "abc1234"}, Sleep: noSleep, RetryBackoff: time.Millisecond,
	}
}

func cellIDs(t *testing.T, dir string) []string {
	t.Helper()
	set, err := results.ReadSet(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range set.Cells {
		ids = append(ids, c.Cell.ID+":"+string(c.Status))
	}
	return ids
}

func TestSuite(t *testing.T) {
	sc := newFakeScaler(2)
	r := newTestRunner(t, sc)
	s, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(cellIDs(t, s.Dir), " "), "r1-s1-u1-r1:ok r1-s1-u2-r1:ok r1-s3-u1-r1:ok r1-s3-u2-r1:ok r2-s3-u4-r1:ok"; got != want {
		t.Errorf("cells:\n got %s\nwant %s", got, want)
	}
	// One rescale per scale, then the original scale back.
	if got := fmt.Sprint(sc.calls); got != "[1 3 2]" || sc.n != 2 {
		t.Errorf("scale calls %s, final %d; want [1 3 2] ending at 2", got, sc.n)
	}
	if s.Done != 5 || s.Failed != 0 || s.Run.Status != results.StatusComplete || s.Run.OriginalScale != 2 {
		t.Errorf("summary %+v status %s", s, s.Run.Status)
	}
	if !strings.HasPrefix(filepath.Base(s.Dir), "t-") || !strings.HasSuffix(s.Dir, "-abc1234") {
		t.Errorf("run dir %s, want t-<time>-abc1234", s.Dir)
	}
	set, _ := results.ReadSet(s.Dir)
	c := set.Cell("r1-s3-u2-r1")
	if len(c.Replicas) != 3 || c.Load.Steady.RPS != 30 {
		t.Errorf("cell at scale 3: replicas %v, rps %g", c.Replicas, c.Load.Steady.RPS)
	}
}

func TestSettleOnlyAfterRescale(t *testing.T) {
	sc := newFakeScaler(1)
	r := newTestRunner(t, sc)
	var slept []time.Duration
	r.Sleep = func(ctx context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	// settle 3s before the first cell of each scale, cooldown 1s between cells.
	if got, want := fmt.Sprint(slept), "[3s 1s 1s 3s 1s 1s]"; got != want {
		t.Errorf("sleeps %s, want %s", got, want)
	}
}

func TestFailingScaleRetriesThenGoesOn(t *testing.T) {
	sc := newFakeScaler(2)
	sc.failN[3] = 100 // scale 3 never works
	r := newTestRunner(t, sc)
	s, err := r.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "3 of 5 cells failed") {
		t.Fatalf("err = %v, want a count of failed cells", err)
	}
	got := strings.Join(cellIDs(t, s.Dir), " ")
	if want := "r1-s1-u1-r1:ok r1-s1-u2-r1:ok r1-s3-u1-r1:failed r1-s3-u2-r1:failed r2-s3-u4-r1:failed"; got != want {
		t.Errorf("cells:\n got %s\nwant %s", got, want)
	}
	set, _ := results.ReadSet(s.Dir)
	if e := set.Cell("r1-s3-u1-r1").Error; !strings.Contains(e, "after 3 attempts") || !strings.Contains(e, "engine said no") {
		t.Errorf("failed cell error %q", e)
	}
	if s.Run.Status != results.StatusFailed || len(s.Run.Warnings) != 0 {
		t.Errorf("run status %s warnings %v", s.Run.Status, s.Run.Warnings)
	}
	if !sc.restored || sc.n != 2 {
		t.Errorf("not restored: n=%d", sc.n)
	}
}

func TestScaleRecoversAfterRetry(t *testing.T) {
	sc := newFakeScaler(1)
	sc.failN[3] = 2 // two failures, then it works (Retries defaults to 2)
	r := newTestRunner(t, sc)
	s, err := r.Run(context.Background())
	if err != nil || s.Done != 5 {
		t.Fatalf("err %v, done %d", err, s.Done)
	}
}

// liarScaler claims success but leaves one replica short.
type liarScaler struct{ *fakeScaler }

func (l liarScaler) Scale(ctx context.Context, n int) error {
	return l.fakeScaler.Scale(ctx, max(n-1, 1))
}

func TestRefusesWrongReplicaCount(t *testing.T) {
	sc := newFakeScaler(1)
	r := newTestRunner(t, sc)
	r.Scaler = liarScaler{sc}
	s, _ := r.Run(context.Background())
	set, _ := results.ReadSet(s.Dir)
	c := set.Cell("r1-s3-u1-r1")
	if c.Status != results.CellFailed || !strings.Contains(c.Error, "scale 3 requested but 2 replica(s) are running") {
		t.Errorf("cell %s: %s", c.Status, c.Error)
	}
	if c.Load != nil {
		t.Error("a cell at the wrong scale ran its load")
	}
	if set.Cell("r1-s1-u1-r1").Status != results.CellOK {
		t.Error("scale 1 cells should pass")
	}
}

func TestUnreachableTargetFailsCell(t *testing.T) {
	sc := newFakeScaler(1)
	r := newTestRunner(t, sc)
	r.Load = func(ctx context.Context, cfg load.Config) (*results.Load, bool, error) {
		return &results.Load{Total: results.Stats{Requests: 40, Failures: 40, FailuresByClass: map[results.Class]int64{results.ClassRefused: 40}}}, false, nil
	}
	s, err := r.Run(context.Background())
	if err == nil {
		t.Fatal("no error")
	}
	set, _ := results.ReadSet(s.Dir)
	if c := set.Cells[0]; c.Status != results.CellFailed || !strings.Contains(c.Error, "never answered") || c.Load == nil {
		t.Errorf("cell %s %q (load kept: %v)", c.Status, c.Error, c.Load != nil)
	}
}

func TestAbortSavesPartialCellAndRestores(t *testing.T) {
	sc := newFakeScaler(2)
	r := newTestRunner(t, sc)
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	r.Load = func(lctx context.Context, cfg load.Config) (*results.Load, bool, error) {
		calls++
		if calls == 2 {
			cancel() // Ctrl-C during the second cell's load
			rec, _, _ := fakeLoad(lctx, cfg)
			rec.Elapsed = time.Second
			return rec, true, nil
		}
		return fakeLoad(lctx, cfg)
	}
	s, err := r.Run(ctx)
	if !errors.Is(err, ErrAborted) {
		t.Fatalf("err = %v, want ErrAborted", err)
	}
	if got := strings.Join(cellIDs(t, s.Dir), " "); got != "r1-s1-u1-r1:ok r1-s1-u2-r1:aborted" {
		t.Errorf("cells %s", got)
	}
	if s.Run.Status != results.StatusAborted || !sc.restored || sc.n != 2 {
		t.Errorf("status %s restored %v n %d", s.Run.Status, sc.restored, sc.n)
	}
}

func TestResume(t *testing.T) {
	sc := newFakeScaler(1)
	r := newTestRunner(t, sc)
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	r.Load = func(lctx context.Context, cfg load.Config) (*results.Load, bool, error) {
		if calls++; calls == 3 {
			cancel()
			return nil, true, nil
		}
		return fakeLoad(lctx, cfg)
	}
	s, _ := r.Run(ctx)

	t.Run("changed matrix refused", func(t *testing.T) {
		r2 := newTestRunner(t, newFakeScaler(1))
		r2.Matrix.Runs[0].Users = []int{1, 2, 3}
		r2.Resume = s.Dir
		_, err := r2.Run(context.Background())
		if err == nil || !strings.Contains(err.Error(), "matrix changed") || !strings.Contains(err.Error(), "--force") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("continues", func(t *testing.T) {
		var ran []string
		// The killed attempt left the service at scale 3; the resumed run
		// must put back the scale found before the first attempt.
		sc2 := newFakeScaler(3)
		r2 := newTestRunner(t, sc2)
		r2.Resume = s.Dir
		r2.Load = func(ctx context.Context, cfg load.Config) (*results.Load, bool, error) {
			ran = append(ran, cfg.Cell.ID)
			return fakeLoad(ctx, cfg)
		}
		s2, err := r2.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(ran, " "); got != "r1-s3-u1-r1 r1-s3-u2-r1 r2-s3-u4-r1" {
			t.Errorf("resumed ran %s", got)
		}
		if s2.Kept != 2 || s2.Run.Status != results.StatusComplete {
			t.Errorf("kept %d status %s", s2.Kept, s2.Run.Status)
		}
		if sc2.n != 1 || s2.Run.OriginalScale != 1 {
			t.Errorf("after resume the service is at %d (run says original %d), want 1", sc2.n, s2.Run.OriginalScale)
		}
		if got := len(cellIDs(t, s.Dir)); got != 5 {
			t.Errorf("%d cells after resume, want 5", got)
		}
	})
}

func TestOnly(t *testing.T) {
	r := newTestRunner(t, newFakeScaler(1))
	r.Only = func(c matrix.Cell) bool { return c.Scale == 3 && c.Users == 2 }
	s, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cellIDs(t, s.Dir), " "); got != "r1-s3-u2-r1:ok" {
		t.Errorf("cells %s", got)
	}
}

func TestPlainProgress(t *testing.T) {
	var b strings.Builder
	r := newTestRunner(t, newFakeScaler(1))
	r.Progress = NewPlainProgress(&b)
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"5 cells to run", "cell 1/5 r1-s1-u1-r1: scale 1, 1 user", "cell 5/5 r2-s3-u4-r1 ok: 30.0 rps, p50 10ms, p95 20ms"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress lacks %q:\n%s", want, out)
		}
	}
}
