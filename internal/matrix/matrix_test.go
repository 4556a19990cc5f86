package matrix

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func TestSeedMatrix(t *testing.T) {
	m, err := Load("../../experiments/seed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if m.Compose == nil || m.Compose.Project != "assignment" || m.Compose.Service != "model" {
		t.Errorf("compose = %+v", m.Compose)
	}
	if n := len(m.Scenario.Requests); n != 2 {
		t.Fatalf("requests = %d", n)
	}
	pred := m.Scenario.Requests[1]
	if pred.Method != "POST" || pred.Weight != 3 || len(pred.Form) != 1 || filepath.Base(pred.Form[0].File) != "dog.jpeg" || !filepath.IsAbs(pred.Form[0].File) {
		t.Errorf("predict = %+v", pred)
	}
	if m.Scenario.Requests[0].Weight != 1 || m.Scenario.Wait != (Wait{}) {
		t.Errorf("index/wait = %+v %+v", m.Scenario.Requests[0], m.Scenario.Wait)
	}
	cells := m.Cells()
	if len(cells) != 21 {
		t.Fatalf("cells = %d, want 21", len(cells))
	}
	// Grouped by scale in file order: s1 (5 cells), s3 (run1 5 + run2 3), s5 (8).
	var ids []string
	for _, c := range cells {
		ids = append(ids, c.ID)
	}
	want := "run1-s1-u1-r1 run1-s1-u2-r1 run1-s1-u5-r1 run1-s1-u10-r1 run1-s1-u20-r1 " +
		"run1-s3-u1-r1 run1-s3-u2-r1 run1-s3-u5-r1 run1-s3-u10-r1 run1-s3-u20-r1 run2-s3-u20-r1 run2-s3-u50-r1 run2-s3-u100-r1 " +
		"run1-s5-u1-r1 run1-s5-u2-r1 run1-s5-u5-r1 run1-s5-u10-r1 run1-s5-u20-r1 run2-s5-u20-r1 run2-s5-u50-r1 run2-s5-u100-r1"
	if got := strings.Join(ids, " "); got != want {
		t.Errorf("order:\n got %s\nwant %s", got, want)
	}
	for _, c := range cells {
		wantSpawn, wantDur := 1.0, 30*time.Second
		if c.Run == "run2" {
			wantDur = 60 * time.Second
			if c.Users == 100 {
				wantSpawn = 2
			}
		}
		if c.SpawnRate != wantSpawn || c.Duration != wantDur || c.Warmup != 5*time.Second || c.Settle != 10*time.Second {
			t.Errorf("%s: spawn %g duration %s warmup %s settle %s", c.ID, c.SpawnRate, c.Duration, c.Warmup, c.Settle)
		}
	}
}

func TestCellsRepeatAndRate(t *testing.T) {
	src := `name: t
target: http://127.0.0.1:1
compose: {project: p, service: s}
scenario: {requests: [{name: a, path: /}]}
defaults: {repeat: 2}
runs:
  - {name: a, scale: [2, 1], users: [1, 4], duration: 30s}
  - {name: b, scale: [1], rate: [50, 12.5], duration: 20s, repeat: 1}
`
	m, err := Parse("t.yaml", []byte(src), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range m.Cells() {
		ids = append(ids, c.ID)
	}
	want := "a-s2-u1-r1 a-s2-u4-r1 a-s2-u1-r2 a-s2-u4-r2 a-s1-u1-r1 a-s1-u4-r1 b-s1-q50-r1 b-s1-q12.5-r1 a-s1-u1-r2 a-s1-u4-r2"
	if got := strings.Join(ids, " "); got != want {
		t.Errorf("order:\n got %s\nwant %s", got, want)
	}
	c := m.Cells()[6]
	if c.Mode != Open || c.Rate != 50 || c.SpawnRate != 0 || c.Key() != "b-s1-q50" {
		t.Errorf("open cell = %+v key %s", c, c.Key())
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		name string
		cell Cell
		want string
	}{
		{"fine", Cell{ID: "x", Mode: Closed, Users: 5, SpawnRate: 1, Duration: 30 * time.Second, Warmup: 5 * time.Second}, ""},
		{"never reaches users", Cell{ID: "x", Mode: Closed, Users: 100, SpawnRate: 1, Duration: 60 * time.Second, Warmup: 5 * time.Second}, "cannot all start within 1m0s (about 61 will)"},
		{"short steady state", Cell{ID: "x", Mode: Closed, Users: 20, SpawnRate: 1, Duration: 30 * time.Second, Warmup: 5 * time.Second}, "steady state is 6s"},
		{"open loop short", Cell{ID: "x", Mode: Open, Rate: 10, Duration: 12 * time.Second, Warmup: 5 * time.Second}, "steady state is 7s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(tt.cell.Warnings(), "\n")
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("warnings = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestInvalid checks located errors against golden files: every problem in a
// file is reported at once, each with file:line:col and a fix.
func TestInvalid(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			_, err := Load(f)
			if err == nil {
				t.Fatal("no error for an invalid matrix")
			}
			if _, ok := err.(ErrorList); !ok {
				t.Fatalf("error is %T, want ErrorList: %v", err, err)
			}
			golden(t, strings.TrimSuffix(f, ".yaml")+".errors", err.Error()+"\n")
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		os.WriteFile(path+".got", []byte(got), 0o644)
		t.Errorf("output differs from %s (got in %s.got):\n%s", path, path, got)
	}
}

func TestLoadScenario(t *testing.T) {
	s, err := LoadScenario("../../experiments/seed.yaml")
	if err != nil || len(s.Requests) != 2 {
		t.Fatalf("from a matrix: %v %+v", err, s)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "s.yaml")
	os.WriteFile(path, []byte("wait: 1s..3s\nrequests:\n  - {name: a, path: /x, weight: 2}\n"), 0o644)
	s, err = LoadScenario(path)
	if err != nil || s.Wait.Min != time.Second || s.Wait.Max != 3*time.Second || s.Requests[0].Weight != 2 {
		t.Fatalf("bare scenario: %v %+v", err, s)
	}
	os.WriteFile(path, []byte("requests:\n  - {name: a, path: x, wieght: 2}\n"), 0o644)
	_, err = LoadScenario(path)
	if err == nil || !strings.Contains(err.Error(), `did you mean "weight"`) || !strings.Contains(err.Error(), "s.yaml:2:") {
		t.Fatalf("bad scenario: %v", err)
	}
}

func TestParseFilter(t *testing.T) {
	m, err := Load("../../experiments/seed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		filter string
		want   string // matching ids, or an error fragment after "error: "
	}{
		{"scale=3,users=20", "run1-s3-u20-r1 run2-s3-u20-r1"},
		{"run=run2, scale=3|5, users=100", "run2-s3-u100-r1 run2-s5-u100-r1"},
		{"id=run1-s1-u1-r1", "run1-s1-u1-r1"},
		{"scale=7", ""},
		{"scale=three", "error: takes whole numbers"},
		{"colour=red", "error: unknown key"},
		{"scale", "error: write key=value"},
		{"", "error: empty selection"},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if want, isErr := strings.CutPrefix(tt.want, "error: "); isErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("err = %v, want %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range m.Cells() {
				if f(c) {
					ids = append(ids, c.ID)
				}
			}
			if got := strings.Join(ids, " "); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
