package site

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/scalebench/scalebench/internal/outdir"
	"github.com/scalebench/scalebench/internal/results"
)

// stampFile records, in a folder of the site, what its pages were rendered
// from and which files they are, so a later publish with the same inputs
// and the same scalebench binary can leave the folder alone instead of
// rendering every chart again only to find the same bytes.
const stampFile = ".stamp"

// siteFormat changes whenever the site's layout changes in a way the
// binary fingerprint would not catch.
const siteFormat = "scalebench site 1"

// binaryFingerprint is the SHA-256 of the running executable: pages
// rendered by another build are rendered again. "" (no caching) when the
// executable cannot be read.
func binaryFingerprint() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	f, err := os.Open(exe)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

// runInputs is the SHA-256 of a run directory's run.json and cell files.
func runInputs(dir string) (string, error) {
	h := sha256.New()
	files := []string{results.RunFile}
	entries, err := os.ReadDir(filepath.Join(dir, results.CellsDir))
	if err != nil && !os.IsNotExist(err) {
		return "", err
	}
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") && !strings.HasPrefix(e.Name(), ".") {
			files = append(files, filepath.Join(results.CellsDir, e.Name()))
		}
	}
	slices.Sort(files)
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(name), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// cacheKey combines the parts that decide a folder's pages.
func cacheKey(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s\n", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// cached reports whether the folder dir (a slash path) was rendered with
// key and still holds every file it listed, at its size. If so, the files
// are kept as they are and counted unchanged.
func cached(w *outdir.Writer, dir, key string) bool {
	if key == "" {
		return false
	}
	f, err := os.Open(filepath.Join(w.Root(), filepath.FromSlash(dir), stampFile))
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() || sc.Text() != "key "+key {
		return false
	}
	var files []string
	for sc.Scan() {
		size, rel, ok := strings.Cut(sc.Text(), " ")
		n, err := strconv.ParseInt(size, 10, 64)
		if !ok || err != nil || strings.Contains(rel, "..") {
			return false
		}
		st, err := os.Stat(filepath.Join(w.Root(), filepath.FromSlash(dir), filepath.FromSlash(rel)))
		if err != nil || st.Size() != n {
			return false
		}
		files = append(files, dir+"/"+rel)
	}
	if sc.Err() != nil {
		return false
	}
	w.Keep(append(files, dir+"/"+stampFile)...)
	return true
}

// stamp records key and the files written under dir in this pass (those
// under the sub-folders skip are left out: they have stamps of their own).
func stamp(w *outdir.Writer, dir, key string, skip ...string) error {
	if key == "" {
		return nil
	}
	var files []string
	for _, r := range w.Kept(dir) {
		if r != stampFile && !slices.ContainsFunc(skip, func(s string) bool { return strings.HasPrefix(r, s+"/") }) {
			files = append(files, r)
		}
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "key %s\n", key)
	for _, r := range files {
		st, err := os.Stat(filepath.Join(w.Root(), filepath.FromSlash(dir), filepath.FromSlash(r)))
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%d %s\n", st.Size(), r)
	}
	return w.Write(dir+"/"+stampFile, b.Bytes())
}
