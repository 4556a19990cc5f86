package main

import (
	"archive/zip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const modulePath = "github.com/scalebench/scalebench"

// TestGoInstall installs scalebench as a user does, go install
// github.com/scalebench/scalebench/cmd/scalebench@VERSION, from a file://
// module proxy holding this source tree as that version (the other
// modules come from the local module cache: no network), and checks that
// the installed binary names its module, version and revision.
func TestGoInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the whole command from a module proxy (-short)")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cache, err := exec.Command(gobin, "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	const version = "v0.0.0-20261130120000-0123456789ab"
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	writeModuleVersion(t, root, proxy, version)

	modcache := filepath.Join(tmp, "modcache")
	env := append(os.Environ(),
		"GOPROXY=file://"+proxy+",file://"+filepath.Join(strings.TrimSpace(string(cache)), "cache", "download"),
		"GOMODCACHE="+modcache, "GOFLAGS=-modcacherw", "GOSUMDB=off", "GOTOOLCHAIN=local",
		"GOBIN="+filepath.Join(tmp, "bin"), "CGO_ENABLED=0")
	t.Cleanup(func() {
		c := exec.Command(gobin, "clean", "-modcache")
		c.Env = env
		c.Run()
	})
	// -trimpath: the build does not depend on where the module cache is,
	// so the packages compiled by an earlier run are reused.
	install := exec.Command(gobin, "install", "-trimpath", modulePath+"/cmd/scalebench@"+version)
	install.Env, install.Dir = env, tmp
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install: %v\n%s", err, out)
	}
	out, err := exec.Command(filepath.Join(tmp, "bin", "scalebench"), "version").CombinedOutput()
	if err != nil {
		t.Fatalf("scalebench version: %v\n%s", err, out)
	}
	for _, want := range []string{"scalebench " + version + "\n", "module:   " + modulePath + "\n", "revision: 0123456789ab\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("scalebench version printed\n%s\nwant a line %q", out, strings.TrimSpace(want))
		}
	}
}

// writeModuleVersion lays out the module in root as version of modulePath
// in a GOPROXY folder: list, .info, .mod and a module zip of the checkout's
// files (tests and testdata left out).
func writeModuleVersion(t *testing.T, root, proxy, version string) {
	t.Helper()
	dir := filepath.Join(proxy, modulePath, "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"list":            version + "\n",
		version + ".info": `{"Version":"` + version + `","Time":"2026-11-30T12:00:00Z"}`,
		version + ".mod":  string(gomod),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The files of the checkout, tracked or not, that .gitignore leaves in.
	ls := exec.Command("git", "ls-files", "--cached", "--others", "--exclude-standard", "-z")
	ls.Dir = root
	list, err := ls.Output()
	if err != nil {
		t.Skipf("not a git checkout (git ls-files: %v): cannot tell the module's files", err)
	}
	f, err := os.Create(filepath.Join(dir, version+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	for _, rel := range strings.Split(strings.TrimRight(string(list), "\x00"), "\x00") {
		if strings.HasSuffix(rel, "_test.go") || strings.Contains("/"+rel, "/testdata/") {
			continue
		}
		data, rerr := os.ReadFile(filepath.Join(root, rel))
		if os.IsNotExist(rerr) {
			continue // deleted in the work tree
		}
		if err = rerr; err != nil {
			break
		}
		w, cerr := zw.Create(modulePath + "@" + version + "/" + rel)
		if err = cerr; err != nil {
			break
		}
		if _, err = w.Write(data); err != nil {
			break
		}
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
}
