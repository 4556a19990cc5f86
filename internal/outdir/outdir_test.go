package outdir_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/outdir"
	"github.com/scalebench/scalebench/internal/outdir/outdirtest"
)

// A second pass that writes the same bytes touches nothing; Prune removes
// only files of the given kinds that the pass neither wrote nor kept, and
// folders it leaves empty.
func TestWriteOnlyChangesAndPrune(t *testing.T) {
	root := t.TempDir()
	w := outdir.New(root)
	for rel, data := range map[string]string{"index.html": "a", "runs/x/report.md": "b", "runs/y/report.md": "c", "runs/y/notes.txt": "mine"} {
		if err := w.Write(rel, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	if w.Written != 4 || w.Unchanged != 0 {
		t.Fatalf("first pass: %d written, %d unchanged", w.Written, w.Unchanged)
	}
	past := time.Now().Add(-time.Hour).Truncate(time.Second)
	for rel := range outdirtest.Snapshot(t, root) {
		if err := os.Chtimes(filepath.Join(root, rel), past, past); err != nil {
			t.Fatal(err)
		}
	}

	w = outdir.New(root)
	if err := w.Write("index.html", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := w.Write("runs/x/report.md", []byte("changed")); err != nil {
		t.Fatal(err)
	}
	w.Keep("runs/z/kept.md")
	if err := w.Prune("runs", ".md"); err != nil {
		t.Fatal(err)
	}
	if w.Written != 1 || w.Unchanged != 2 || w.Removed != 1 {
		t.Errorf("second pass: %d written, %d unchanged, %d removed; want 1, 2, 1", w.Written, w.Unchanged, w.Removed)
	}
	got := outdirtest.Snapshot(t, root)
	if !got["index.html"].Mod.Equal(past) {
		t.Error("identical file rewritten")
	}
	if string(got["runs/x/report.md"].Data) != "changed" {
		t.Error("changed file not written")
	}
	if _, ok := got["runs/y/report.md"]; ok {
		t.Error("stale report.md not pruned")
	}
	if string(got["runs/y/notes.txt"].Data) != "mine" {
		t.Error("a file of another kind was pruned")
	}
	if kept := w.Kept("runs"); !slices.Equal(kept, []string{"x/report.md", "z/kept.md"}) {
		t.Errorf("Kept(runs) = %v", kept)
	}
}

// Pruning removes folders emptied by it, and a missing folder is no error.
func TestPruneEmptiesFolders(t *testing.T) {
	root := t.TempDir()
	w := outdir.New(root)
	if err := w.Write("runs/old/charts/a.png", []byte("png")); err != nil {
		t.Fatal(err)
	}
	w = outdir.New(root)
	if err := w.Prune("runs", ".png"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "runs", "old")); !os.IsNotExist(err) {
		t.Errorf("emptied folder left: %v", err)
	}
	if err := w.Prune("missing", ".png"); err != nil {
		t.Errorf("missing folder: %v", err)
	}
}
