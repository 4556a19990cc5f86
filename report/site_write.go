package report

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/scalebench/scalebench/plots"
	"github.com/scalebench/scalebench/results"
)

// fileWriter writes files under a folder only when their bytes differ from
// what is there, so re-rendering what did not change touches nothing, and
// remembers every file it was given so the rest can be pruned.
type fileWriter struct {
	root string

	mu        sync.Mutex
	keep      map[string]bool // slash paths relative to root
	written   int
	unchanged int
	removed   int
}

func newFileWriter(root string) *fileWriter {
	return &fileWriter{root: root, keep: map[string]bool{}}
}

// write puts data at root/rel (a slash path) unless the file already holds
// exactly data; it is safe for concurrent use.
func (w *fileWriter) write(rel string, data []byte) error {
	path := filepath.Join(w.root, filepath.FromSlash(rel))
	w.mu.Lock()
	w.keep[rel] = true
	w.mu.Unlock()
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		w.mu.Lock()
		w.unchanged++
		w.mu.Unlock()
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	if err := results.WriteFileAtomic(path, data); err != nil {
		return err
	}
	w.mu.Lock()
	w.written++
	w.mu.Unlock()
	return nil
}

// charts renders charts as PNG into the folder dir (a slash path relative
// to root), one worker per CPU.
func (w *fileWriter) charts(dir string, charts []*plots.Chart) error {
	return eachChart(charts, func(c *plots.Chart) error {
		b, err := c.PNG()
		if err != nil {
			return err
		}
		return w.write(dir+"/"+c.File, b)
	})
}

// prune removes the files under root/dir (a slash path) that were not
// written in this pass, and the folders left empty. Only names with the
// extensions given are removed: anything else found there is left alone.
func (w *fileWriter) prune(dir string, exts ...string) error {
	base := filepath.Join(w.root, filepath.FromSlash(dir))
	if _, err := os.Stat(base); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var dirs []string
	err := filepath.WalkDir(base, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			dirs = append(dirs, path)
			return nil
		}
		rel, err := filepath.Rel(w.root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if w.keep[rel] || !slices.Contains(exts, filepath.Ext(path)) {
			return nil
		}
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("remove stale %s: %w", path, err)
		}
		w.removed++
		return nil
	})
	if err != nil {
		return err
	}
	// Deepest first, so a folder emptied by its children goes too.
	slices.SortFunc(dirs, func(a, b string) int {
		return strings.Count(b, string(filepath.Separator)) - strings.Count(a, string(filepath.Separator))
	})
	for _, d := range dirs {
		if d == base {
			continue
		}
		if entries, err := os.ReadDir(d); err == nil && len(entries) == 0 {
			os.Remove(d)
		}
	}
	return nil
}
