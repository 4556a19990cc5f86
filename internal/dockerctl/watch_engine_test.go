package dockerctl

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/scalebench/scalebench/internal/results"
)

// TestWatch samples a busy and an idle container, and an idle replica that
// comes and goes while sampling.
func TestWatch(t *testing.T) {
	c := engine(t)
	img := testImage(t, c)
	ctx := ctxTimeout(t, 3*time.Minute)
	p := composeUp(t, c, "stats.yml", "SB_IMAGE="+img)
	idle := p.service("idle", Options{})
	eng, err := c.Engine(ctx)
	if err != nil {
		t.Fatal(err)
	}

	t0 := time.Now()
	stop := c.Watch(ctx, p.name, t0)
	time.Sleep(2500 * time.Millisecond)
	if err := idle.Scale(ctx, 2); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	if err := idle.Scale(ctx, 1); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	series := stop()
	elapsed := time.Since(t0)
	if again := stop(); len(again) != len(series) {
		t.Errorf("second stop() returned %d series, want the same %d", len(again), len(series))
	}

	byKey := map[string]results.ContainerSeries{}
	for _, s := range series {
		byKey[fmt.Sprintf("%s/%d", s.Service, s.Number)] = s
		if s.CPULimit != float64(eng.CPUs) {
			t.Errorf("%s: CPU limit %v, want the engine's %d CPUs", s.Name, s.CPULimit, eng.CPUs)
		}
		for i, x := range s.Samples {
			if x.T < -time.Second || x.T > elapsed+time.Second {
				t.Errorf("%s: sample %d at %v, outside the watch (0..%v)", s.Name, i, x.T, elapsed)
			}
			if i > 0 && x.T <= s.Samples[i-1].T {
				t.Errorf("%s: samples out of order at %d", s.Name, i)
			}
			if x.Memory <= 0 {
				t.Errorf("%s: sample %d has memory %d", s.Name, i, x.Memory)
			}
		}
	}
	busy, idle1, idle2 := byKey["busy/1"], byKey["idle/1"], byKey["idle/2"]
	if len(series) != 3 || len(busy.Samples) < 4 || len(idle1.Samples) < 4 || len(idle2.Samples) < 1 {
		t.Fatalf("series %v, want busy/1 and idle/1 with ≥4 samples, idle/2 with ≥1", keys(series))
	}
	if busy.Name != p.name+"_busy_1" || idle2.Name != p.name+"_idle_2" {
		t.Errorf("names %s, %s", busy.Name, idle2.Name)
	}
	if m := meanCPU(busy); m < 30 {
		t.Errorf("busy container at %.1f%% CPU, want a spinning core (>30%%)", m)
	}
	if m := meanCPU(idle1); m > 10 || m >= meanCPU(busy)/3 {
		t.Errorf("idle container at %.1f%% CPU, busy at %.1f%%", m, meanCPU(busy))
	}
	if idle2.Samples[0].T < 2*time.Second {
		t.Errorf("idle/2 sampled at %v, before it was started (after 2.5 s)", idle2.Samples[0].T)
	}
	if last := idle2.Samples[len(idle2.Samples)-1].T; last > elapsed-time.Second {
		t.Errorf("idle/2 still sampled at %v, after it was removed", last)
	}
}

func meanCPU(s results.ContainerSeries) float64 {
	var sum float64
	for _, x := range s.Samples {
		sum += x.CPU
	}
	return sum / float64(len(s.Samples))
}

func keys(series []results.ContainerSeries) []string {
	var out []string
	for _, s := range series {
		out = append(out, fmt.Sprintf("%s/%d:%d samples", s.Service, s.Number, len(s.Samples)))
	}
	return out
}

// TestWatchRestartsAndOOM watches a replica whose process is SIGKILLed,
// restarted by its restart policy and then removed, one OOM-killed at its
// 8 MiB limit, and one that exits before it can be sampled.
func TestWatchRestartsAndOOM(t *testing.T) {
	c := engine(t)
	img := testImage(t, c)
	ctx := ctxTimeout(t, 2*time.Minute)
	p := composeUp(t, c, "events.yml", "SB_IMAGE="+img)
	crash := p.replicas("crash")[0]
	pid := crash.State.Pid
	if cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err != nil || !strings.Contains(string(cmd), "sbapp") {
		t.Skipf("SKIPPED: the engine's process %d is not visible here (a remote engine?): %v", pid, err)
	}

	t0 := time.Now()
	stop := c.Watch(ctx, p.name, t0)
	time.Sleep(1500 * time.Millisecond)
	// docker kill would stop the restart policy; a signal from outside,
	// like the kernel's, does not.
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill %d: %v", pid, err)
	}
	// A replica that exits at once: it never gives a sample.
	failed, err := c.api.ContainerCreate(ctx, &container.Config{Image: img, Cmd: []string{"no-such-command"}, Labels: map[string]string{
		LabelProject: p.name, LabelService: "fail", LabelNumber: "1", LabelOneoff: "False",
	}}, nil, nil, nil, p.name+"_fail_1")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.api.ContainerStart(ctx, failed.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 20*time.Second, "crash restarted and oom exited", func() bool {
		cr, oom := p.replicas("crash")[0], p.replicas("oom")[0]
		return cr.RestartCount >= 1 && cr.State.Running && !oom.State.Running
	})
	time.Sleep(2 * time.Second) // sample the restarted replica
	// Gone at stop: it keeps the restart it had.
	if err := c.api.ContainerRemove(ctx, crash.ID, container.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	series := stop()
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("stop took %v", d)
	}
	elapsed := time.Since(t0)

	byService := map[string]results.ContainerSeries{}
	for _, s := range series {
		byService[s.Service] = s
		for _, ev := range s.Events {
			if ev.T < 0 || ev.T > elapsed {
				t.Errorf("%s: event %+v outside the watch (0..%v)", s.Name, ev, elapsed)
			}
		}
	}
	t.Run("restarted", func(t *testing.T) {
		s := byService["crash"]
		if s.Restarts < 1 || s.OOMKilled {
			t.Errorf("crash: restarts %d, OOM-killed %v; want ≥1 restart, no OOM kill", s.Restarts, s.OOMKilled)
		}
		// The SIGKILL's die comes first, without a kill event: removing
		// the replica then kills it.
		if len(s.Events) == 0 || s.Events[0].Action != "die" || s.Events[0].ExitCode != 137 {
			t.Fatalf("crash: events %+v, want a die with exit code 137 first", s.Events)
		}
		die := s.Events[0]
		if n := len(s.Samples); n == 0 || s.Samples[n-1].T < die.T {
			t.Errorf("crash: %d samples, none after the die at %v: the restarted replica was not sampled", n, die.T)
		}
	})
	t.Run("oom", func(t *testing.T) {
		s := byService["oom"]
		if !s.OOMKilled || s.Restarts != 0 || s.MemoryLimit != 8<<20 {
			t.Errorf("oom: OOM-killed %v, restarts %d, memory limit %d; want OOM-killed, 0 restarts, 8 MiB", s.OOMKilled, s.Restarts, s.MemoryLimit)
		}
		if die := findEvent(s.Events, "die"); die == nil || die.ExitCode != 137 || findEvent(s.Events, "oom") == nil {
			t.Errorf("oom: events %+v, want oom and a die with exit code 137", s.Events)
		}
		if len(s.Samples) == 0 {
			t.Error("oom: no samples")
		}
	})
	t.Run("exited at once", func(t *testing.T) {
		s, ok := byService["fail"]
		if !ok {
			t.Fatalf("a replica that died is missing: series %v", keys(series))
		}
		if die := findEvent(s.Events, "die"); die == nil || die.ExitCode != 1 || s.Name != p.name+"_fail_1" || s.Number != 1 {
			t.Errorf("fail: %+v, want %s_fail_1, number 1, a die with exit code 1", s, p.name)
		}
	})
}

func findEvent(evs []results.ContainerEvent, action string) *results.ContainerEvent {
	for i := range evs {
		if evs[i].Action == action {
			return &evs[i]
		}
	}
	return nil
}

// waitUntil polls cond every 200 ms until it holds, failing the test after d.
func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not %s after %v", what, d)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
