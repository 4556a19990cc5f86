package dockerctl

import (
	"fmt"
	"testing"
	"time"

	"scalebench/results"
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
