package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/results"
)

// TestSearchEndToEnd searches the demo stack's capacity at an SLO at model
// scale 1 and 2: every probe is an ordinary cell saved under the run's
// name, and the report has the capacity table, chart and conclusions.
func TestSearchEndToEnd(t *testing.T) {
	_, stack, _ := e2eStack(t)
	// The SLO is written after defaults: e2eMatrix's defaults line.
	path := e2eMatrix(t, stack, "{spawn_rate: 50, warmup: 1s, settle: 0s, cooldown: 0s}\nslo: {p95: 600ms, failures: 1%}",
		"{name: cap, scale: [1, 2], search: {users: {from: 2, max: 24}, growth: 3, resolution: 35%, repeats: 1}, duration: 6s}", "")
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"plan", "--offline", path}, &stdout, &stderr); err != nil {
		t.Fatalf("plan: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "probes per scale") || !strings.Contains(stdout.String(), "worst-case wall time") {
		t.Errorf("plan does not bound the search:\n%s", stdout.String())
	}
	stdout.Reset()
	if err := run(context.Background(), []string{"run", "--out", out, path}, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	dir := onlyRunDir(t, out)
	set, err := results.ReadSet(dir)
	if err != nil {
		t.Fatal(err)
	}
	id := regexp.MustCompile(`^cap-s[12]-u\d+-r1$`)
	scales := map[int]int{}
	for _, c := range set.Cells {
		if !id.MatchString(c.Cell.ID) || c.Status != results.CellOK {
			t.Errorf("probe %s: %s %s", c.Cell.ID, c.Status, c.Error)
		}
		scales[c.Cell.Scale]++
	}
	if scales[1] < 2 || scales[2] < 2 {
		t.Errorf("probes per scale %v, want a bracket at each", scales)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report", "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Capacity at SLO", "charts/capacity-slo.png"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	if !regexp.MustCompile(`With p95 ≤ 600ms, failures ≤ 1%, scale 1 takes \d+ users|At scale 1 the SLO .* is met nowhere`).Match(md) {
		t.Errorf("report.md has no capacity conclusion for scale 1:\n%s", md)
	}
}
