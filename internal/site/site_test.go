package site_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/outdir/outdirtest"
	"github.com/scalebench/scalebench/internal/report"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/site"
)

// runsRoot holds the run directories the diff report's tests use: four
// runs of one matrix (two of the same commit) and one of another.
const runsRoot = "../report/testdata/diff-root"

// runNames lists the run directories of runsRoot.
func runNames(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(runsRoot)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// copyRoot copies the diff fixtures into a fresh results root.
func copyRoot(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "results")
	if err := os.CopyFS(root, os.DirFS(runsRoot)); err != nil {
		t.Fatal(err)
	}
	return root
}

func publish(t *testing.T, root, siteDir string) *site.Summary {
	t.Helper()
	sum, err := site.Publish(root, siteDir)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// hrefs are the link and image targets of an HTML page.
var hrefs = regexp.MustCompile(`(?:href|src)="([^"]*)"`)

func TestPublish(t *testing.T) {
	root := copyRoot(t)
	siteDir := filepath.Join(t.TempDir(), "site")
	sum := publish(t, root, siteDir)
	if sum.Runs != 5 || sum.Reports != 5 || sum.Diffs != 3 || len(sum.Problems) != 0 {
		t.Fatalf("summary %+v; want 5 runs, 5 reports, 3 diffs (4 runs of matrix diff, 1 of other), no problems", *sum)
	}
	if sum.Written == 0 || sum.Unchanged != 0 || sum.Removed != 0 {
		t.Errorf("first publish: %d written, %d unchanged, %d removed", sum.Written, sum.Unchanged, sum.Removed)
	}
	files := outdirtest.Snapshot(t, siteDir)
	want := []string{"index.html", "charts/trend-diff-rps.png", "charts/trend-diff-p95.png"}
	for _, name := range runNames(t) {
		want = append(want, "runs/"+name+"/index.html", "runs/"+name+"/report.md", "runs/"+name+"/charts/run1-rps.png")
	}
	for _, n := range []string{"diff-20240601T120000Z-3f2c1ab", "diff-20240602T120000Z-9e8d7c6", "diff-20240603T120000Z-5a4b3c2"} {
		want = append(want, "runs/"+n+"/diff/index.html", "runs/"+n+"/diff/diff.md", "runs/"+n+"/diff/charts/scale-1-rps.png")
	}
	for _, w := range want {
		if _, ok := files[w]; !ok {
			t.Errorf("site lacks %s", w)
		}
	}
	for _, no := range []string{"runs/diff-20240601T090000Z-3f2c1ab/diff/index.html", "charts/trend-other-rps.png"} {
		if _, ok := files[no]; ok {
			t.Errorf("site has %s: the oldest run of a matrix has no diff, a single run no trend", no)
		}
	}

	index := string(files["index.html"].Data)
	t.Run("index lists the runs newest first", func(t *testing.T) {
		last := -1
		for _, name := range []string{"other-20240604T120000Z-3f2d0e1", "diff-20240603T120000Z-5a4b3c2", "diff-20240602T120000Z-9e8d7c6",
			"diff-20240601T120000Z-3f2c1ab", "diff-20240601T090000Z-3f2c1ab"} {
			i := strings.Index(index, "runs/"+name+"/index.html")
			if i <= last {
				t.Errorf("%s out of order or missing (at %d, previous at %d)", name, i, last)
			}
			last = i
		}
		for _, w := range []string{"2024-06-02 12:00", "9e8d7c6", "1: 4.1 · 3: 10.5", "complete",
			`vs commit 3f2c1ab</a>: `, "worse, 0 better", "no significant change"} {
			if !strings.Contains(index, w) {
				t.Errorf("index lacks %q", w)
			}
		}
	})
	t.Run("links are relative and resolve", func(t *testing.T) {
		for rel, f := range files {
			if !strings.HasSuffix(rel, ".html") {
				continue
			}
			page := string(f.Data)
			for _, m := range hrefs.FindAllStringSubmatch(page, -1) {
				link := m[1]
				if strings.HasPrefix(link, "#") {
					continue
				}
				if strings.Contains(link, ":") || strings.HasPrefix(link, "/") {
					t.Errorf("%s links to %q: not a relative link", rel, link)
					continue
				}
				target := filepath.Join(siteDir, filepath.Dir(rel), filepath.FromSlash(link))
				if _, err := os.Stat(target); err != nil {
					t.Errorf("%s links to %q, which does not exist", rel, link)
				}
			}
		}
	})
	t.Run("a run page links back and to its diff", func(t *testing.T) {
		page := string(files["runs/diff-20240602T120000Z-9e8d7c6/index.html"].Data)
		for _, w := range []string{`href="../../index.html"`, `href="diff/index.html"`, "diff against the previous run, commit 3f2c1ab"} {
			if !strings.Contains(page, w) {
				t.Errorf("run page lacks %q", w)
			}
		}
		diff := string(files["runs/diff-20240602T120000Z-9e8d7c6/diff/index.html"].Data)
		for _, w := range []string{`href="../../diff-20240601T120000Z-3f2c1ab/index.html"`, `href="../index.html"`, `href="../../../index.html"`, "Worse:"} {
			if !strings.Contains(diff, w) {
				t.Errorf("diff page lacks %q", w)
			}
		}
	})

	t.Run("publishing again changes nothing", func(t *testing.T) {
		past := time.Now().Add(-time.Hour).Truncate(time.Second)
		for rel := range files {
			if err := os.Chtimes(filepath.Join(siteDir, rel), past, past); err != nil {
				t.Fatal(err)
			}
		}
		again := publish(t, root, siteDir)
		if again.Written != 0 || again.Removed != 0 || again.Unchanged != len(files) {
			t.Errorf("second publish: %d written, %d unchanged, %d removed; want 0, %d, 0", again.Written, again.Unchanged, again.Removed, len(files))
		}
		now := outdirtest.Snapshot(t, siteDir)
		if len(now) != len(files) {
			t.Errorf("%d files after, %d before", len(now), len(files))
		}
		for rel, f := range now {
			if !f.Mod.Equal(past) || !bytes.Equal(f.Data, files[rel].Data) {
				t.Errorf("%s rewritten or changed", rel)
			}
		}
	})

	t.Run("rendering again gives the same bytes", func(t *testing.T) {
		// Without the stamps every page and chart is rendered again.
		past := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
		for rel := range files {
			if strings.HasSuffix(rel, "/.stamp") {
				if err := os.Remove(filepath.Join(siteDir, rel)); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if err := os.Chtimes(filepath.Join(siteDir, rel), past, past); err != nil {
				t.Fatal(err)
			}
		}
		again := publish(t, root, siteDir)
		stamps := 0
		for rel := range files {
			if strings.HasSuffix(rel, "/.stamp") {
				stamps++
			}
		}
		if stamps != 8 || again.Written != stamps || again.Removed != 0 {
			t.Errorf("re-render: %d written, %d removed; want only the %d stamps (of 8 folders) written", again.Written, again.Removed, stamps)
		}
		for rel, f := range outdirtest.Snapshot(t, siteDir) {
			if !bytes.Equal(f.Data, files[rel].Data) {
				t.Errorf("%s differs after rendering again: rendering is not deterministic", rel)
			}
			if !strings.HasSuffix(rel, "/.stamp") && !f.Mod.Equal(past) {
				t.Errorf("%s rewritten with the same bytes", rel)
			}
		}
	})

	t.Run("a changed or damaged run is rendered again", func(t *testing.T) {
		name := "diff-20240602T120000Z-9e8d7c6"
		chart := filepath.Join(siteDir, "runs", name, "charts", "run1-rps.png")
		if err := os.Remove(chart); err != nil {
			t.Fatal(err)
		}
		publish(t, root, siteDir)
		if _, err := os.Stat(chart); err != nil {
			t.Errorf("a chart deleted from the siteDir was not drawn again: %v", err)
		}
		cell := filepath.Join(root, name, "cells", "run1-s1-u2-r1.json")
		c, err := results.ReadCell(cell)
		if err != nil {
			t.Fatal(err)
		}
		c.Error = "edited after the run"
		if err := results.WriteCell(filepath.Join(root, name), c); err != nil {
			t.Fatal(err)
		}
		before := outdirtest.Snapshot(t, siteDir)
		publish(t, root, siteDir)
		after := outdirtest.Snapshot(t, siteDir)
		for _, rel := range []string{"runs/" + name + "/report.md", "runs/" + name + "/.stamp", "runs/" + name + "/diff/.stamp", "runs/diff-20240603T120000Z-5a4b3c2/diff/.stamp"} {
			if bytes.Equal(before[rel].Data, after[rel].Data) {
				t.Errorf("%s did not change after a cell of %s changed", rel, name)
			}
		}
		if !bytes.Contains(after["runs/"+name+"/report.md"].Data, []byte("edited after the run")) {
			t.Error("the run's report does not show the edited cell")
		}
		if !bytes.Equal(before["runs/other-20240604T120000Z-3f2d0e1/.stamp"].Data, after["runs/other-20240604T120000Z-3f2d0e1/.stamp"].Data) {
			t.Error("an unrelated run was rendered again")
		}
	})

	t.Run("a run removed from the results leaves the site", func(t *testing.T) {
		gone := "diff-20240601T120000Z-3f2c1ab"
		if err := os.RemoveAll(filepath.Join(root, gone)); err != nil {
			t.Fatal(err)
		}
		sum := publish(t, root, siteDir)
		if sum.Removed == 0 || sum.Runs != 4 || sum.Diffs != 2 {
			t.Errorf("summary %+v; want 4 runs, 2 diffs and stale files removed", *sum)
		}
		if _, err := os.Stat(filepath.Join(siteDir, "runs", gone)); !os.IsNotExist(err) {
			t.Errorf("runs/%s still there (%v)", gone, err)
		}
		diff, err := os.ReadFile(filepath.Join(siteDir, "runs/diff-20240602T120000Z-9e8d7c6/diff/index.html"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(diff, []byte("diff-20240601T090000Z-3f2c1ab")) {
			t.Error("the diff of the next run is not against the older run that remains")
		}
	})
}

// A run that cannot be read is listed as unreadable and named; the rest of
// the siteDir is built.
func TestPublishUnreadableRun(t *testing.T) {
	root := copyRoot(t)
	bad := filepath.Join(root, "diff-20240603T120000Z-5a4b3c2", "cells", "run1-s1-u2-r1.json")
	if err := os.WriteFile(bad, []byte(`{"schema": 1, "kind": "scalebench.cell", "cell": {`), 0o644); err != nil {
		t.Fatal(err)
	}
	siteDir := t.TempDir()
	sum := publish(t, root, siteDir)
	if sum.Runs != 5 || sum.Reports != 4 || len(sum.Problems) != 1 || !strings.Contains(sum.Problems[0].Error(), "run1-s1-u2-r1.json") {
		t.Fatalf("summary %+v; want 5 runs, 4 reports and the bad cell file named", *sum)
	}
	index, err := os.ReadFile(filepath.Join(siteDir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(index, []byte("unreadable")) || !bytes.Contains(index, []byte("<h2 id=\"problems\">Problems</h2>")) {
		t.Error("index does not list the unreadable run and the problem")
	}
	if _, err := os.Stat(filepath.Join(siteDir, "runs", "diff-20240603T120000Z-5a4b3c2")); !os.IsNotExist(err) {
		t.Errorf("the unreadable run has a folder (%v)", err)
	}
}

// Publish never prunes a folder it did not make.
func TestPublishRefusesForeignFolder(t *testing.T) {
	siteDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(siteDir, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := site.Publish(copyRoot(t), siteDir)
	if err == nil || !strings.Contains(err.Error(), "is not empty and holds no scalebench site") {
		t.Fatalf("error %v, want a refusal", err)
	}
	// A run's report folder has an index.html made by scalebench, but it is
	// no site: its charts would be pruned.
	reportDir := t.TempDir()
	set, err := results.ReadSet(filepath.Join(runsRoot, "diff-20240601T120000Z-3f2c1ab"))
	if err != nil {
		t.Fatal(err)
	}
	if err := report.Render(set, reportDir); err != nil {
		t.Fatal(err)
	}
	before := outdirtest.Snapshot(t, reportDir)
	if _, err := site.Publish(copyRoot(t), reportDir); err == nil || !strings.Contains(err.Error(), "holds no scalebench site") {
		t.Errorf("Publish into a report folder: error %v, want a refusal", err)
	}
	if after := outdirtest.Snapshot(t, reportDir); len(after) != len(before) {
		t.Errorf("the report folder changed: %d files, was %d", len(after), len(before))
	}
	if _, err := site.Publish(filepath.Join(t.TempDir(), "nope"), t.TempDir()); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing root: error %v", err)
	}
}
