// Package outdir writes an output folder (a report, a diff report, a
// site) so that rendering the same thing twice touches nothing: a file is
// written only when its bytes differ, and what a pass did not write can be
// pruned. It must not decide what goes into the folder.
package outdir

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

	"github.com/scalebench/scalebench/internal/plots"
	"github.com/scalebench/scalebench/internal/results"
)

// Writer writes files under a folder only when their bytes differ from
// what is there, so re-rendering what did not change touches nothing, and
// remembers every file it was given so the rest can be pruned.
type Writer struct {
	root string

	mu   sync.Mutex
	keep map[string]bool // slash paths relative to root
	// Written, Unchanged and Removed count files: written because new or
	// different, left alone because identical, removed as stale.
	Written, Unchanged, Removed int
}

// New writes under the folder root.
func New(root string) *Writer {
	return &Writer{root: root, keep: map[string]bool{}}
}

// Root is the folder written under.
func (w *Writer) Root() string { return w.root }

// Write puts data at root/rel (a slash path) unless the file already holds
// exactly data; it is safe for concurrent use.
func (w *Writer) Write(rel string, data []byte) error {
	path := filepath.Join(w.root, filepath.FromSlash(rel))
	w.mu.Lock()
	w.keep[rel] = true
	w.mu.Unlock()
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		w.mu.Lock()
		w.Unchanged++
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
	w.Written++
	w.mu.Unlock()
	return nil
}

// Charts renders charts as PNG into the folder dir (a slash path relative
// to root), one worker per CPU.
func (w *Writer) Charts(dir string, charts []*plots.Chart) error {
	return plots.RenderAll(charts, func(c *plots.Chart, png []byte) error {
		return w.Write(dir+"/"+c.File, png)
	})
}

// Prune removes the files under root/dir (a slash path) that were not
// written in this pass, and the folders left empty. Only names with the
// extensions given are removed: anything else found there is left alone.
func (w *Writer) Prune(dir string, exts ...string) error {
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
		w.Removed++
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

// Keep marks files (slash paths relative to root) as left as they are: they
// count as unchanged and Prune spares them.
func (w *Writer) Keep(rels ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, rel := range rels {
		w.keep[rel] = true
		w.Unchanged++
	}
}

// Kept lists, sorted, the files under the folder dir (a slash path) written
// or kept in this pass, as slash paths relative to dir.
func (w *Writer) Kept(dir string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var files []string
	for rel := range w.keep {
		if r, ok := strings.CutPrefix(rel, dir+"/"); ok {
			files = append(files, r)
		}
	}
	slices.Sort(files)
	return files
}
