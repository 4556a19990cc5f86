package results

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// toolInfo describes a scalebench binary from its build info bi (nil when
// the binary has none). The revision comes from the VCS stamp of go build
// and go install in a work tree, else from a pseudo-version
// (go install …@commit), else, for go run, which stamps nothing, from git
// in the source tree the binary was compiled from (gitDir, "" when unknown).
func toolInfo(bi *debug.BuildInfo, gitDir string) Tool {
	t := Tool{Version: "devel", GoVersion: runtime.Version()}
	if bi == nil {
		return t
	}
	t.Module = bi.Main.Path
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		t.Version = v
	}
	stamped := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			t.Revision, stamped = s.Value, true
		case "vcs.modified":
			t.Dirty = s.Value == "true"
		}
	}
	if !stamped {
		if m := pseudoRevision.FindStringSubmatch(t.Version); m != nil {
			t.Revision = m[1]
		} else if t.Version == "devel" && gitDir != "" {
			t.Revision, t.Dirty = gitRevision(gitDir)
		}
	}
	if len(t.Revision) > 12 {
		t.Revision = t.Revision[:12]
	}
	if t.Dirty && t.Revision != "" {
		t.Revision += "+dirty"
	}
	return t
}

// pseudoRevision finds the commit in a pseudo-version such as
// v0.0.0-20261130220852-9a7ed1f616fa (+dirty or +incompatible may follow).
var pseudoRevision = regexp.MustCompile(`-\d{14}-([0-9a-f]{12})(\+.*)?$`)

// sourceDir is the folder this file was compiled from: the module's source
// tree under go run and go build, the module cache under go install.
func sourceDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return "" // built with -trimpath: no path to look in
	}
	return filepath.Dir(file)
}

// gitRevision reads the commit and dirty flag of the git work tree holding
// dir; "" when dir is in none (the module cache, a copied binary).
func gitRevision(dir string) (rev string, dirty bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		return "", false
	}
	rev = strings.TrimSpace(string(out))
	st, err := exec.CommandContext(ctx, "git", "-C", dir, "status", "--porcelain", "--untracked-files=no").Output()
	return rev, err == nil && len(strings.TrimSpace(string(st))) > 0
}
