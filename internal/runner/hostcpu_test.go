package runner

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/results"
)

const procStat1 = `cpu  20914 10 4550 72267 505 0 120 20 0 0
cpu0 10320 5 2256 36262 263 0 42 11 0 0
cpu1 10594 5 2294 36005 242 0 77 9 0 0
intr 654723 0 0 0
ctxt 1234567
btime 1700000000
processes 4242
procs_running 2
procs_blocked 0
softirq 100 0 0
`

func TestParseProcStat(t *testing.T) {
	for _, tc := range []struct {
		name, text  string
		busy, total uint64
		cpus        int
		err         string
	}{
		{name: "current kernel", text: procStat1,
			// busy: user 20914 + nice 10 + system 4550 + irq 0 + softirq 120 + steal 20;
			// total adds idle 72267 and iowait 505.
			busy: 25614, total: 25614 + 72267 + 505, cpus: 2},
		{name: "guest time is not counted twice", text: "cpu  100 0 50 800 0 0 0 0 40 10\ncpu0 100 0 50 800 0 0 0 0 40 10\n",
			busy: 150, total: 950, cpus: 1},
		{name: "old kernel with four counters", text: "cpu 10 20 30 40\ncpu0 10 20 30 40\ncpu1 0 0 0 0\ncpu2 0 0 0 0\n",
			busy: 60, total: 100, cpus: 3},
		{name: "no cpu line", text: "intr 1 2 3\n", err: "no cpu line"},
		{name: "too few counters", text: "cpu 1 2 3\n", err: "at least 4"},
		{name: "not a number", text: "cpu 1 2 x 4 5\n", err: "counter 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseProcStat(strings.NewReader(tc.text))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.busy != tc.busy || got.total != tc.total || got.cpus != tc.cpus {
				t.Errorf("parseProcStat = busy %d total %d cpus %d, want %d %d %d", got.busy, got.total, got.cpus, tc.busy, tc.total, tc.cpus)
			}
		})
	}
}

func TestBusyCores(t *testing.T) {
	for _, tc := range []struct {
		name      string
		prev, cur cpuTimes
		want      float64
	}{
		// 4 CPUs, 1 s at 100 ticks/s: 400 ticks passed, 150 busy: 1.5 cores.
		{"one and a half of four", cpuTimes{busy: 1000, total: 5000, cpus: 4}, cpuTimes{busy: 1150, total: 5400, cpus: 4}, 1.5},
		{"idle", cpuTimes{busy: 1000, total: 5000, cpus: 4}, cpuTimes{busy: 1000, total: 5400, cpus: 4}, 0},
		{"all busy", cpuTimes{busy: 1000, total: 5000, cpus: 8}, cpuTimes{busy: 1800, total: 5800, cpus: 8}, 8},
		{"no time passed", cpuTimes{busy: 1000, total: 5000, cpus: 2}, cpuTimes{busy: 1000, total: 5000, cpus: 2}, 0},
		// iowait may go backwards: the total can grow less than busy.
		{"counter went backwards", cpuTimes{busy: 1000, total: 5000, cpus: 2}, cpuTimes{busy: 1300, total: 5100, cpus: 2}, 2},
		{"busy went backwards", cpuTimes{busy: 1000, total: 5000, cpus: 2}, cpuTimes{busy: 990, total: 5100, cpus: 2}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := busyCores(tc.prev, tc.cur); math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("busyCores = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestProcStatSamples runs the real sampler for about two seconds.
func TestProcStatSamples(t *testing.T) {
	if _, err := os.Stat("/proc/stat"); err != nil {
		t.Skipf("SKIPPED: no /proc/stat on %s: %v", runtime.GOOS, err)
	}
	t0 := time.Now()
	stop := ProcStat{}.SampleHost(context.Background(), t0)
	time.Sleep(2200 * time.Millisecond)
	h := stop()
	elapsed := time.Since(t0)
	if h == nil {
		t.Fatal("no host series from /proc/stat")
	}
	if again := stop(); again != h {
		t.Error("a second stop() returned another series")
	}
	if h.CPUs < 1 {
		t.Errorf("CPUs = %d", h.CPUs)
	}
	if len(h.Samples) != 2 {
		t.Errorf("%d samples in %v, want 2 (one a second)", len(h.Samples), elapsed)
	}
	for i, s := range h.Samples {
		if s.Busy < 0 || s.Busy > float64(h.CPUs) {
			t.Errorf("sample %d: busy %v cores, want 0..%d", i, s.Busy, h.CPUs)
		}
		if want := time.Duration(i+1) * time.Second; s.T < want-100*time.Millisecond || s.T > want+500*time.Millisecond {
			t.Errorf("sample %d at %v, want about %v", i, s.T, want)
		}
	}
}

func TestProcStatUnreadable(t *testing.T) {
	stop := ProcStat{Path: filepath.Join(t.TempDir(), "missing")}.SampleHost(context.Background(), time.Now())
	if h := stop(); h != nil {
		t.Errorf("series from a missing file: %+v", h)
	}
	bad := filepath.Join(t.TempDir(), "stat")
	os.WriteFile(bad, []byte("nothing here\n"), 0o644)
	stop = ProcStat{Path: bad, Interval: time.Millisecond}.SampleHost(context.Background(), time.Now())
	time.Sleep(5 * time.Millisecond)
	if h := stop(); h != nil {
		t.Errorf("series from a file without a cpu line: %+v", h)
	}
}

func TestProcStatStopsWithContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stat")
	if err := os.WriteFile(path, []byte(procStat1), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stop := ProcStat{Path: path, Interval: 10 * time.Millisecond}.SampleHost(ctx, time.Now())
	time.Sleep(100 * time.Millisecond)
	cancel()
	// Stopped long after the context ended: a sampler that went on would
	// hold about 60 samples, one that stopped about 10.
	time.Sleep(500 * time.Millisecond)
	h := stop()
	if h == nil || len(h.Samples) == 0 || h.CPUs != 2 {
		t.Fatalf("series %+v, want samples of 2 CPUs", h)
	}
	for _, s := range h.Samples {
		if s.Busy != 0 { // the counters never moved
			t.Errorf("busy %v with unchanged counters", s.Busy)
		}
	}
	if n := len(h.Samples); n > 30 {
		t.Errorf("%d samples: sampling went on after the context ended", n)
	}
}

// TestRunnerRecordsHost checks that the sampler runs with each cell's load
// and shares its t0, and that nil results are kept out of the cells.
func TestRunnerRecordsHost(t *testing.T) {
	sc := newFakeScaler(1)
	r := newTestRunner(t, sc)
	var t0s []time.Time
	var running bool
	calls := 0
	r.HostCPU = HostSamplerFunc(func(ctx context.Context, t0 time.Time) func() *results.HostSeries {
		t0s = append(t0s, t0)
		running = true
		calls++
		if calls == 2 {
			return nil // a sampler may have nothing to stop
		}
		return func() *results.HostSeries {
			running = false
			if calls == 3 {
				return nil
			}
			return &results.HostSeries{CPUs: 4, Samples: []results.HostSample{{T: time.Second, Busy: float64(calls)}}}
		}
	})
	r.Load = func(ctx context.Context, cfg load.Config) (*results.Load, bool, error) {
		if !running && calls != 2 {
			t.Errorf("cell %s: load ran without the host sampler", cfg.Cell.ID)
		}
		return fakeLoad(ctx, cfg)
	}
	s, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(t0s) != 5 {
		t.Fatalf("sampler started %d times, want once per cell (5)", len(t0s))
	}
	set, err := results.ReadSet(s.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range set.Cells {
		switch i {
		case 1, 2:
			if c.Host != nil {
				t.Errorf("cell %d (%s): host %+v, want none", i, c.Cell.ID, c.Host)
			}
		default:
			if c.Host == nil || c.Host.CPUs != 4 || len(c.Host.Samples) != 1 || c.Host.Samples[0].Busy != float64(i+1) {
				t.Errorf("cell %d (%s): host %+v, want the sampler's series", i, c.Cell.ID, c.Host)
			}
		}
	}
}
