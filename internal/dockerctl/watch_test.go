package dockerctl

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
)

func TestSampleOf(t *testing.T) {
	tests := []struct {
		file   string
		ok     bool
		cpu    float64 // percent of one core
		memory int64   // bytes
	}{
		// 1.013 s of CPU in 2 s of system time on 2 CPUs: one core busy.
		{file: "busy-cgroup1.json", ok: true, cpu: 101.298, memory: 1703936},
		// cgroup v1 prefers total_inactive_file over inactive_file.
		{file: "idle-cache-cgroup1.json", ok: true, cpu: 2, memory: 6000000},
		// cgroup v2 has inactive_file only; online_cpus missing: count percpu.
		{file: "cgroup2-no-online.json", ok: true, cpu: 200, memory: 30000000},
		// The first frame of a stream has no previous reading.
		{file: "first-frame.json", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			st := readStats(t, tt.file)
			t0 := st.Read.Add(-3 * time.Second)
			s, ok := sampleOf(st, t0)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if math.Abs(s.CPU-tt.cpu) > 0.01 {
				t.Errorf("CPU = %.3f%%, want %.3f%%", s.CPU, tt.cpu)
			}
			if s.Memory != tt.memory {
				t.Errorf("Memory = %d, want %d", s.Memory, tt.memory)
			}
			if s.T != 3*time.Second {
				t.Errorf("T = %v, want 3s (read time - t0)", s.T)
			}
		})
	}
}

func readStats(t *testing.T, name string) container.StatsResponse {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "stats", name))
	if err != nil {
		t.Fatal(err)
	}
	var st container.StatsResponse
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return st
}

func TestCPULimit(t *testing.T) {
	tests := []struct {
		name string
		r    container.Resources
		want float64
	}{
		{"none: engine CPUs", container.Resources{}, 2},
		{"nano cpus", container.Resources{NanoCPUs: 1_500_000_000}, 1.5},
		{"cfs quota", container.Resources{CPUQuota: 50000, CPUPeriod: 100000}, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cpuLimit(tt.r, 2); got != tt.want {
				t.Errorf("cpuLimit = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTaskSlot(t *testing.T) {
	tests := map[string]int{
		"web.3.kq1l2c7qg1tznhkxmwdsx4fpf":     3,
		"my.svc.12.kq1l2c7qg1tznhkxmwdsx4fpf": 12,
		"web":                                 0,
		"web.x.id":                            0,
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			if got := taskSlot(name); got != want {
				t.Errorf("taskSlot(%q) = %d, want %d", name, got, want)
			}
		})
	}
}
