// Package outdirtest reads an output folder whole, for tests that check
// what a rendering wrote, left alone or removed.
package outdirtest

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// File is one file of a folder: its bytes and modification time.
type File struct {
	Data []byte
	Mod  time.Time
}

// Snapshot reads every file under dir, by slash path relative to dir.
func Snapshot(t testing.TB, dir string) map[string]File {
	t.Helper()
	out := map[string]File{}
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[filepath.ToSlash(rel)] = File{Data: b, Mod: info.ModTime()}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
