package report

import (
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/results"
)

// Every kind of setup difference is worded with its values.
func TestSetupText(t *testing.T) {
	for _, tt := range []struct {
		c    analysis.SetupChange
		want string
	}{
		{analysis.SetupChange{Kind: analysis.SetupMatrix, Old: "seed", New: "demo"}, `matrix "seed" → "demo": the sets come from different experiment files`},
		{analysis.SetupChange{Kind: analysis.SetupRequest, Name: "index", Side: "new"}, `scenario: request "index" only in new`},
		{analysis.SetupChange{Kind: analysis.SetupRequest, Name: "predict", Fields: []analysis.SetupField{
			{Name: "weight", Old: 3, New: 1}, {Name: "body"}, {Name: "headers"}}}, `scenario: request "predict": weight 3 → 1, body differs, headers differ`},
		{analysis.SetupChange{Kind: analysis.SetupRun, Name: "run2", Side: "old"}, "run run2 only in old"},
		{analysis.SetupChange{Kind: analysis.SetupRun, Name: "run1", Fields: []analysis.SetupField{{Name: "warm-up", Old: time.Second, New: 5 * time.Second}}}, "run run1: warm-up 1s → 5s"},
		{analysis.SetupChange{Kind: analysis.SetupEngine, Old: (*results.Engine)(nil), New: &results.Engine{Version: "28.1", CPUs: 4, MemoryBytes: 8 << 30}}, "Docker engine none → 28.1 (4 CPUs, 8.0 GiB)"},
		{analysis.SetupChange{Kind: analysis.SetupHost, Old: results.Host{Hostname: "a", CPUs: 2}, New: results.Host{Hostname: "b", CPUs: 8}}, "load generator host a (2 CPUs) → b (8 CPUs)"},
		{analysis.SetupChange{Kind: analysis.SetupDirty, Side: "old", Old: ""}, "old: the application had uncommitted changes (commit unknown is not all that ran)"},
	} {
		if got := setupText(tt.c); got != tt.want {
			t.Errorf("got  %q\nwant %q", got, tt.want)
		}
	}
}
