package report_test

import (
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/analysis/analysistest"
	"github.com/scalebench/scalebench/internal/report"
	"github.com/scalebench/scalebench/internal/results"
)

// unhealthy is the seed study where a model replica is OOM-killed and
// restarted, the api leaks memory in one cell and restarts in two others,
// and redis dies for good in one.
func unhealthy() *results.Set {
	set := analysistest.Seed()
	model := analysistest.Container(set.Cell("run1-s5-u20-r1"), "model", 3)
	model.MemoryLimit = 512 << 20
	analysistest.Restart(model, 12*time.Second, 137, true)
	analysistest.SetMemory(analysistest.Container(set.Cell("run1-s3-u10-r1"), "api", 1), func(t time.Duration) int64 {
		return 38<<20 + int64(max(t, 0).Seconds()*1.2*(1<<20))
	})
	analysistest.Die(analysistest.Container(set.Cell("run2-s3-u50-r1"), "redis", 1), 20*time.Second, 1)
	return set
}

func TestHealthConclusions(t *testing.T) {
	apiRestarts := func() *results.Set {
		set := unhealthy()
		for _, id := range []string{"run1-s1-u1-r1", "run2-s5-u20-r1"} {
			analysistest.Restart(analysistest.Container(set.Cell(id), "api", 1), 3*time.Second, 2, false)
		}
		return set
	}
	tests := []struct {
		name string
		set  func() *results.Set
		want []string
		not  []string
	}{
		{"healthy", analysistest.Seed, nil, []string{"leak", "restarted", "died", "OOM"}},
		{"unhealthy", unhealthy, []string{
			"A model replica restarted during run1-s5-u20-r1 (exit 137, OOM-killed): that cell's numbers are marked.",
			"A redis container died and did not come back during run2-s3-u50-r1 (exit 1): that cell's numbers are marked.",
			"Memory of api rose steadily during run1-s3-u10-r1 (+1.2 MiB/s, 38→73 MiB over 29 s): a leak suspect.",
		}, nil},
		{"restarts in several cells", apiRestarts, []string{
			"Containers of api restarted or died 2 times in 2 cells: assignment_api_1 in run1-s1-u1-r1 (restarted, exit 2) and assignment_api_1 in run2-s5-u20-r1 (restarted, exit 2); those cells' numbers are marked.",
		}, []string{"An api container"}},
		{"a model replica leaks", func() *results.Set {
			set := analysistest.Seed()
			analysistest.Leak(analysistest.Container(set.Cell("run2-s5-u50-r1"), "model", 2), 400<<20, 2<<20)
			return set
		}, []string{"Memory of model container assignment_model_2 rose steadily during run2-s5-u50-r1 (+2.0 MiB/s, 400→518 MiB over 59 s): a leak suspect."}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkConclusions(t, tt.set(), tt.want, tt.not)
		})
	}
}

// The run's memory table, the tables of deaths and leak suspects and the
// memory charts of the cells concerned.
func TestGoldenHealth(t *testing.T) {
	golden(t, "health.md", markdown(unhealthy()))
}

// Service and container names come from the engine: they stay text in the
// conclusions and the tables.
func TestHealthNamesEscaped(t *testing.T) {
	set := unhealthy()
	for _, id := range []string{"run1-s3-u10-r1", "run1-s5-u20-r1"} {
		for i := range set.Cell(id).Containers {
			cs := &set.Cell(id).Containers[i]
			switch cs.Service {
			case "api":
				cs.Service = "api<gw>"
			case "model":
				cs.Name = "m|<img src=x onerror=\"window.__pwned=3\">"
			}
		}
	}
	page, err := report.HTMLPage("t", markdown(set))
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	for _, want := range []string{"Memory of api&lt;gw&gt; rose steadily", "api&lt;gw&gt;/assignment_api_1", "m|&lt;img src=x onerror="} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"<gw>", "<img src=x"} {
		if strings.Contains(html, bad) {
			t.Errorf("page contains %q: a name became markup", bad)
		}
	}
}
