package results

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// ToolInfo describes the running scalebench binary: its module, version,
// VCS revision and dirty flag (see toolInfo).
func ToolInfo() Tool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return toolInfo(bi, sourceDir())
}

// HostInfo describes this machine.
func HostInfo() Host {
	name, _ := os.Hostname()
	return Host{Hostname: name, OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU()}
}

// AppInfo reads the git state of dir: commit, short commit and dirty flag.
// Outside a git work tree (or without git) it returns App{Dir: dir} and no
// error: an app need not be versioned.
func AppInfo(ctx context.Context, dir string) App {
	a := App{Dir: dir}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	git := func(args ...string) (string, bool) {
		cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err == nil
	}
	commit, ok := git("rev-parse", "HEAD")
	if !ok {
		return a
	}
	a.Commit = commit
	a.Short, _ = git("rev-parse", "--short", "HEAD")
	if st, ok := git("status", "--porcelain", "--untracked-files=no"); ok && st != "" {
		a.Dirty = true
	}
	return a
}
