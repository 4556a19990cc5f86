// Package experiments carries the demo study (demo.yaml and the image its
// requests post) inside the scalebench binary, so that `scalebench demo`
// runs without a source tree. It only hands out these files; the studies
// themselves are YAML beside it.
package experiments

import (
	"embed"
	"fmt"
	"os"
	"path/filepath"
)

//go:embed demo.yaml demo/image.jpeg
var demoFiles embed.FS

// WriteDemo writes the demo study into dir (demo.yaml and demo/image.jpeg,
// which the matrix names relative to itself) and returns the matrix's path.
func WriteDemo(dir string) (string, error) {
	for _, name := range []string{"demo.yaml", "demo/image.jpeg"} {
		data, err := demoFiles.ReadFile(name)
		if err != nil {
			return "", fmt.Errorf("the built-in demo study: %w", err)
		}
		dst := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return "", fmt.Errorf("write the demo study: %w", err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return "", fmt.Errorf("write the demo study: %w", err)
		}
	}
	return filepath.Join(dir, "demo.yaml"), nil
}
