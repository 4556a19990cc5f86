package plots_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/analysis/analysistest"
	"github.com/scalebench/scalebench/internal/plots"
)

// The memory charts: each run's heaviest cell, plus the cells flagged as a
// leak suspect or with a replica that died, one line per container and a
// mark where one died.
func TestMemoryCharts(t *testing.T) {
	set := analysistest.Seed()
	leaky, dead := set.Cell("run1-s3-u10-r1"), set.Cell("run1-s5-u20-r1")
	analysistest.Leak(analysistest.Container(leaky, "api", 1), 38<<20, 5<<20/4)
	model := analysistest.Container(dead, "model", 3)
	model.MemoryLimit = 512 << 20
	analysistest.Restart(model, 12*time.Second, 137, true)
	st := analysis.Analyze(set)
	cs := plots.Build(st, set)
	if len(cs.Problems) > 0 {
		t.Fatalf("problems: %v", cs.Problems)
	}
	var ids []string
	for id := range cs.Memory {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	want := []string{"run1-s3-u10-r1", "run1-s5-u20-r1", "run2-s5-u100-r1"} // leak, death and run1's heaviest, run2's heaviest
	if !slices.Equal(ids, want) {
		t.Fatalf("memory charts of %v, want %v", ids, want)
	}
	tests := []struct {
		name   string
		cell   string
		series []string
	}{
		{"leak", "run1-s3-u10-r1", []string{"model/assignment_model_1", "model/assignment_model_2", "model/assignment_model_3",
			"api/assignment_api_1", "redis/assignment_redis_1"}},
		{"death", "run1-s5-u20-r1", []string{"model/assignment_model_1", "model/assignment_model_2",
			"model/assignment_model_3 (limit 512 MiB, restarted 1×, OOM-killed)", "model limit",
			"assignment_model_3 died (exit 137, OOM) at 12 s", "model/assignment_model_4", "model/assignment_model_5",
			"api/assignment_api_1", "redis/assignment_redis_1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cs.Memory[tt.cell]
			if c.File != plots.MemoryFile(tt.cell) || !strings.Contains(c.Title, "memory per container") {
				t.Errorf("file %q title %q", c.File, c.Title)
			}
			if got := names(c); !slices.Equal(got, tt.series) {
				t.Errorf("series\n got %q\nwant %q", got, tt.series)
			}
			render(t, c)
		})
	}
	files := map[string]bool{}
	for _, c := range cs.All(set) {
		if files[c.File] {
			t.Errorf("two charts write %s", c.File)
		}
		files[c.File] = true
	}
	for _, id := range want {
		if !files[plots.MemoryFile(id)] {
			t.Errorf("All lacks the memory chart of %s", id)
		}
	}
}

func TestContainerMemoryWithoutContainers(t *testing.T) {
	set := analysistest.Seed()
	c := &set.Cells[0]
	c.Containers = nil
	if _, err := plots.ContainerMemory(analysis.Analyze(set), c); err == nil {
		t.Error("memory chart of a cell without containers: no error")
	}
}
