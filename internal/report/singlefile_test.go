package report_test

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/analysis/analysistest"
	"github.com/scalebench/scalebench/internal/report"
)

// TestSingleFile: one HTML file holding the charts index.html links to, as
// decodable PNG data: URIs, and nothing else written beside it.
func TestSingleFile(t *testing.T) {
	set := analysistest.Seed()
	dir := t.TempDir()
	path := filepath.Join(dir, "one.html")
	if err := report.SingleFile(set, path, analysis.DefaultThresholds()); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files written, want only one.html", len(entries))
	}
	one, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(t.TempDir(), "report")
	if err := report.Render(set, folder); err != nil {
		t.Fatal(err)
	}
	index, err := os.ReadFile(filepath.Join(folder, report.HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	img := regexp.MustCompile(`<img src="([^"]+)" alt="([^"]*)"`)
	embedded, linked := img.FindAllStringSubmatch(string(one), -1), img.FindAllStringSubmatch(string(index), -1)
	if len(embedded) != len(linked) || len(linked) < 20 {
		t.Fatalf("%d images in the single file, %d in index.html", len(embedded), len(linked))
	}
	for i, m := range embedded {
		data, ok := strings.CutPrefix(m[1], "data:image/png;base64,")
		if !ok {
			t.Errorf("image %d (%s) is not embedded: %.60s", i, m[2], m[1])
			continue
		}
		b, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			t.Errorf("image %d: %v", i, err)
			continue
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("image %d (%s) is not a PNG: %v", i, m[2], err)
		}
		want, _ := os.ReadFile(filepath.Join(folder, filepath.FromSlash(linked[i][1])))
		if m[2] != linked[i][2] || !bytes.Equal(b, want) {
			t.Errorf("image %d: %q embeds other bytes than index.html's %s", i, m[2], linked[i][1])
		}
	}
}

func TestEmbedImagesLeavesOtherSources(t *testing.T) {
	page := []byte(`<img src="https://example.com/a.png" alt="x"><img src="../up.png" alt="y"><img src="missing.png" alt="z">`)
	out, err := report.EmbedImages(page, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "missing.png") {
		t.Errorf("a missing chart: err %v, want it named", err)
	}
	if !bytes.Equal(out, page) {
		t.Errorf("sources outside the folder were changed:\n%s", out)
	}
}
