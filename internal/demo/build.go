package demo

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// modulePath is the module the demo app is built from.
const modulePath = "github.com/scalebench/scalebench"

// appPackage is the demo app's main package, relative to the module root.
const appPackage = "./internal/demo/cmd/demoapp"

// BuildApp compiles the demo app (demo/cmd/demoapp) as a static Linux
// binary (CGO_ENABLED=0) for goarch ("" = this machine's) into outDir and
// returns its path. moduleDir is the scalebench source tree; "" finds it
// with FindModule. It needs the Go toolchain and the module's dependencies
// in the module cache (building scalebench put them there).
func BuildApp(ctx context.Context, moduleDir, outDir, goarch string) (string, error) {
	if moduleDir == "" {
		var err error
		if moduleDir, err = FindModule(); err != nil {
			return "", err
		}
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", errors.New("building the demo app needs the Go toolchain, and 'go' is not on PATH: install Go (see go.mod for the version) or add it to PATH")
	}
	if goarch == "" {
		goarch = runtime.GOARCH
	}
	out := filepath.Join(outDir, "demoapp")
	cmd := exec.CommandContext(ctx, goBin, "build", "-trimpath", "-ldflags=-s -w", "-o", out, appPackage)
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	var stderr bytes.Buffer
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build the demo app (cd %s && CGO_ENABLED=0 GOOS=linux GOARCH=%s go build %s): %w\n%s",
			moduleDir, goarch, appPackage, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// FindModule returns the root of the scalebench source tree: the module
// holding the working directory, else the one this package was compiled
// from, if it is still on disk.
func FindModule() (string, error) {
	var tried []string
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if isModuleRoot(dir) {
				return dir, nil
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
		tried = append(tried, wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		// This file is internal/demo/build.go below the module's root.
		dir := filepath.Dir(filepath.Dir(filepath.Dir(file)))
		if isModuleRoot(dir) {
			return dir, nil
		}
		tried = append(tried, dir)
	}
	return "", fmt.Errorf("cannot find the scalebench source tree to build the demo app (looked in %s and their parents): run scalebench from inside a scalebench clone",
		strings.Join(tried, ", "))
}

// isModuleRoot reports whether dir holds the go.mod of module github.com/scalebench/scalebench.
func isModuleRoot(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if f := strings.Fields(s.Text()); len(f) == 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`) == modulePath
		}
	}
	return false
}
