package matrix

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no input makes the parser panic, and that a matrix
// it accepts expands into cells with unique ids.
//
//	go test ./matrix -run '^$' -fuzz FuzzParse -fuzztime 60s
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/invalid/*.yaml")
	seeds = append(seeds, "../../experiments/seed.yaml")
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("name: x\ntarget: http://127.0.0.1:1\ncompose: {project: p, service: s}\nscenario: {requests: [{name: a, path: /}]}\nruns: [{scale: [1], rate: [5, 10], duration: 20s}]\n"))
	f.Add([]byte("runs: &a [*a]\n"))
	f.Add([]byte("spawn_rate: {1: 2}\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse("fuzz.yaml", data, dir)
		if err != nil {
			if _, ok := err.(ErrorList); !ok {
				t.Fatalf("error is %T, want ErrorList", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, c := range m.Cells() {
			if seen[c.ID] {
				t.Fatalf("duplicate cell id %s", c.ID)
			}
			seen[c.ID] = true
			_ = c.Warnings()
		}
	})
}
