package results

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestToolInfo(t *testing.T) {
	main := debug.Module{Path: "github.com/scalebench/scalebench"}
	stamped := func(version, rev, modified string) *debug.BuildInfo {
		m := main
		m.Version = version
		return &debug.BuildInfo{Main: m, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}}
	}
	plain := func(version string) *debug.BuildInfo {
		m := main
		m.Version = version
		return &debug.BuildInfo{Main: m}
	}
	tests := []struct {
		name            string
		bi              *debug.BuildInfo
		version, rev    string
		dirty, noModule bool
	}{
		{"go build, clean", stamped("v0.3.0", "7ab49d6521815d81e2ca5d716257e7d6896f5aab", "false"), "v0.3.0", "7ab49d652181", false, false},
		{"go build, dirty", stamped("v0.3.0+dirty", "7ab49d6521815d81e2ca5d716257e7d6896f5aab", "true"), "v0.3.0+dirty", "7ab49d652181+dirty", true, false},
		{"go install @commit", plain("v0.0.0-20261130220852-9a7ed1f616fa"), "v0.0.0-20261130220852-9a7ed1f616fa", "9a7ed1f616fa", false, false},
		{"go install @tag", plain("v1.2.0"), "v1.2.0", "", false, false},
		{"no build info", nil, "devel", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := toolInfo(tt.bi, "")
			if got.Version != tt.version || got.Revision != tt.rev || got.Dirty != tt.dirty || (got.Module == "") != tt.noModule {
				t.Errorf("got %+v, want version %s revision %q dirty %v", got, tt.version, tt.rev, tt.dirty)
			}
		})
	}
}

// TestToolInfoGoRun: go run stamps no revision; it is read with git from
// the source tree, dirty flag included.
func TestToolInfoGoRun(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	os.WriteFile(filepath.Join(dir, "a.go"), []byte("package a\n"), 0o644)
	git("add", "a.go")
	git("commit", "-q", "-m", "a")
	head := git("rev-parse", "HEAD")
	bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/scalebench/scalebench", Version: "(devel)"}}

	got := toolInfo(bi, dir)
	if got.Revision != head[:12] || got.Dirty {
		t.Errorf("clean tree: %+v, want revision %s", got, head[:12])
	}
	os.WriteFile(filepath.Join(dir, "a.go"), []byte("package a // changed\n"), 0o644)
	got = toolInfo(bi, dir)
	if got.Revision != head[:12]+"+dirty" || !got.Dirty {
		t.Errorf("changed tree: %+v, want revision %s+dirty", got, head[:12])
	}
	if got := toolInfo(bi, t.TempDir()); got.Revision != "" {
		t.Errorf("outside git: revision %q, want none", got.Revision)
	}
}

// TestToolInfoOfThisBinary: the test binary's own build info names the
// module, as run.json's tool records it.
func TestToolInfoOfThisBinary(t *testing.T) {
	if got := ToolInfo(); got.Module != "github.com/scalebench/scalebench" || got.GoVersion == "" {
		t.Errorf("ToolInfo() = %+v, want module github.com/scalebench/scalebench and a Go version", got)
	}
}
