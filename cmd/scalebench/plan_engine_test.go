package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/scalebench/scalebench/internal/dockerctl"
)

// TestServiceChecks: plan and run check the matrix's service against the
// engine; a project, service or scale it does not have is exit 2 at its
// place in the matrix, with the fix, and a container that only looks like
// a replica is a warning. Nothing is started: the project is two created
// containers of a FROM-scratch image.
func TestServiceChecks(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dc := dockerEngine(t)
	b := make([]byte, 4)
	rand.Read(b)
	project := "sbplan" + hex.EncodeToString(b)
	dir := t.TempDir()
	file := filepath.Join(dir, "x")
	if err := os.WriteFile(file, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	img := project + ":latest"
	if err := dc.BuildScratch(ctx, dockerctl.ScratchImage{Tag: img, Files: map[string]string{"/x": file}, Entrypoint: []string{"/x"}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dc.RemoveImage(context.Background(), img) })
	for _, c := range []struct {
		name, number, hash string
	}{{project + "_api_1", "1", "abc"}, {project + "_api_9", "9", ""}} {
		labels := map[string]string{dockerctl.LabelProject: project, dockerctl.LabelService: "api", dockerctl.LabelOneoff: "False", dockerctl.LabelNumber: c.number}
		if c.hash != "" {
			labels[dockerctl.LabelConfigHash] = c.hash
		}
		made, err := dc.API().ContainerCreate(ctx, &container.Config{Image: img, Labels: labels}, nil, nil, nil, c.name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { dc.API().ContainerRemove(context.Background(), made.ID, container.RemoveOptions{Force: true}) })
	}
	matrixFile := func(t *testing.T, project, service, scale string) string {
		path := filepath.Join(t.TempDir(), "m.yaml")
		src := fmt.Sprintf("name: m\ntarget: http://127.0.0.1:9\ncompose: {project: %s, service: %s}\nscenario: {requests: [{name: a, path: /}]}\nruns:\n  - {scale: %s, users: [1], duration: 30s}\n", project, service, scale)
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct {
		name                    string
		cmd                     string
		project, service, scale string
		code                    int
		want                    []string // in the error (code 2) or stdout (0)
	}{
		{name: "plan: no such project", cmd: "plan", project: project + "x", service: "api", scale: "[1]", code: 2,
			want: []string{"m.yaml:3:20: compose project \"" + project + "x\" not found", "docker-compose -p " + project + "x up -d"}},
		{name: "run: no such project", cmd: "run", project: project + "x", service: "api", scale: "[1]", code: 2,
			want: []string{"m.yaml:3:20: compose project \"" + project + "x\" not found"}},
		{name: "plan: no such service", cmd: "plan", project: project, service: "web", scale: "[1]", code: 2,
			want: []string{"m.yaml:3:" + fmt.Sprint(len("compose: {project: "+project+", service: ")+1) + ": compose project \"" + project + "\" has no service \"web\"", "its services are: api"}},
		{name: "plan: no running replica to copy", cmd: "plan", project: project, service: "api", scale: "[1, 3]", code: 2,
			want: []string{"m.yaml:6:17: scale " + project + "/api to 3", "no replica of api is running", "docker-compose -p " + project + " up -d api"}},
		{name: "plan: found, look-alike warned", cmd: "plan", project: project, service: "api", scale: "[1]", code: 0,
			want: []string{"engine: compose service " + project + "/api on ", "1 replica; scaling it to 1 passed the checks",
				"container " + project + "_api_9 is labelled as a replica of " + project + "/api but compose did not create it"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := matrixFile(t, tt.project, tt.service, tt.scale)
			args := []string{tt.cmd, path}
			if tt.cmd == "run" {
				args = []string{"run", "--out", t.TempDir(), path}
			}
			var stdout, stderr bytes.Buffer
			err := run(ctx, args, &stdout, &stderr)
			if code := exitCode(err); code != tt.code {
				t.Fatalf("exit %d, want %d: %v\n%s%s", code, tt.code, err, stdout.String(), stderr.String())
			}
			got := stdout.String()
			if err != nil {
				got = err.Error()
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q does not contain %q", got, w)
				}
			}
		})
	}
}
