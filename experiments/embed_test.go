package experiments

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/scalebench/scalebench/internal/matrix"
)

// TestWriteDemo writes the built-in demo study and loads it: the same
// files as in the tree, and a matrix whose form file resolves.
func TestWriteDemo(t *testing.T) {
	dir := t.TempDir()
	path, err := WriteDemo(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"demo.yaml", "demo/image.jpeg"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the tree's", name)
		}
	}
	m, err := matrix.Load(path)
	if err != nil {
		t.Fatalf("load the written demo study: %v", err)
	}
	if m.Compose == nil || m.Compose.Service != "model" || len(m.Cells()) == 0 {
		t.Errorf("demo study: compose %+v, %d cells", m.Compose, len(m.Cells()))
	}
}
