package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlanPrintsNoSecret: plan (table and --json) prints a target and a
// run title that came from the environment as ${NAME}, never the values.
func TestPlanPrintsNoSecret(t *testing.T) {
	t.Setenv("PLAN_SECRET_URL", "https://user:pa55-Wq9z@127.0.0.1:9")
	t.Setenv("PLAN_SECRET_TITLE", "title-key-7Hq2")
	src := `name: plansecret
target: ${PLAN_SECRET_URL}
compose: {project: p, service: s}
scenario:
  requests: [{name: a, path: /}]
runs:
  - {name: r, title: "Run ${PLAN_SECRET_TITLE}", scale: [1], users: [1], duration: 10s}
`
	file := filepath.Join(t.TempDir(), "m.yaml")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"plan", "--offline", file}, {"plan", "--offline", "--json", file}} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, &stdout, &stderr); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr.String())
		}
		out := stdout.String() + stderr.String()
		if strings.Contains(out, "pa55-Wq9z") || strings.Contains(out, "title-key-7Hq2") {
			t.Errorf("%v prints a secret:\n%s", args, out)
		}
		if !strings.Contains(out, "${PLAN_SECRET_TITLE}") {
			t.Errorf("%v: want the title as Run ${PLAN_SECRET_TITLE}:\n%s", args, out)
		}
		if len(args) == 3 && !strings.Contains(out, "load to ${PLAN_SECRET_URL}") {
			t.Errorf("want the target as ${PLAN_SECRET_URL}:\n%s", out)
		}
	}
}
