package site_test

import (
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/scalebench/scalebench/internal/browsertest"
	"github.com/scalebench/scalebench/internal/report"
	"github.com/scalebench/scalebench/internal/site"
)

// sitePage is what the test reads from one page of the siteDir.
type sitePage struct {
	Title  string              `json:"title"`
	Images []browsertest.Image `json:"images"`
	Links  []string            `json:"links"`
	H1     string              `json:"h1"`
}

const sitePageJS = `(async () => {
  await Promise.all(Array.from(document.images).map(i => i.complete ? null :
    new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
  const h1 = document.querySelector('h1');
  return {
    title: document.title,
    images: Array.from(document.images).map(i => ({src: i.getAttribute('src'), naturalWidth: i.naturalWidth})),
    links: Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href')),
    h1: h1 ? h1.textContent : '',
  };
})()`

// TestSiteInChromium publishes the fixture runs and walks the siteDir from
// file:// in headless Chromium, starting at index.html: every page opens,
// every image loads, every link is relative and leads to a page that does,
// and nothing is logged as an error. Screenshots of the index, a run and a
// diff are kept in testdata/artifacts/.
func TestSiteInChromium(t *testing.T) {
	browser := browsertest.Chromium(t)
	siteDir := filepath.Join(t.TempDir(), "site")
	if _, err := site.Publish(copyRoot(t), siteDir); err != nil {
		t.Fatal(err)
	}
	index, err := filepath.Abs(filepath.Join(siteDir, report.HTMLFile))
	if err != nil {
		t.Fatal(err)
	}

	bctx, problems := browsertest.Tab(t, browser, 3*time.Minute)

	start := (&url.URL{Scheme: "file", Path: index}).String()
	queue, seen := []string{start}, map[string]bool{start: true}
	pages := map[string]sitePage{}
	for len(queue) > 0 {
		page := queue[0]
		queue = queue[1:]
		if err := chromedp.Do(bctx, chromedp.Navigate(page)); err != nil {
			t.Errorf("open %s: %v", page, err)
			continue
		}
		facts, err := chromedp.Run(bctx, chromedp.Evaluate[sitePage](sitePageJS, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Errorf("read %s: %v", page, err)
			continue
		}
		rel := strings.TrimPrefix(page, (&url.URL{Scheme: "file", Path: siteDir}).String()+"/")
		pages[rel] = facts
		if facts.Title == "" || facts.H1 == "" {
			t.Errorf("%s has no title or heading: did it open? (%+v)", rel, facts)
		}
		for _, img := range facts.Images {
			if img.NaturalWidth <= 0 {
				t.Errorf("%s: image %s did not load", rel, img.Src)
			}
		}
		base, _ := url.Parse(page)
		for _, href := range facts.Links {
			if strings.HasPrefix(href, "#") {
				continue
			}
			u, err := url.Parse(href)
			if err != nil || u.IsAbs() || strings.HasPrefix(href, "/") {
				t.Errorf("%s links to %q: not a relative link", rel, href)
				continue
			}
			target := base.ResolveReference(u)
			target.Fragment = ""
			if !strings.HasPrefix(target.Path, siteDir+"/") {
				t.Errorf("%s links to %q, outside the site", rel, href)
				continue
			}
			if _, err := os.Stat(target.Path); err != nil {
				t.Errorf("%s links to %q, which does not exist", rel, href)
				continue
			}
			if s := target.String(); strings.HasSuffix(target.Path, ".html") && !seen[s] {
				seen[s] = true
				queue = append(queue, s)
			}
		}
		switch {
		case rel == "index.html", strings.HasSuffix(rel, "9e8d7c6/index.html"), strings.HasSuffix(rel, "9e8d7c6/diff/index.html"):
			shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(60))
			if err != nil {
				t.Fatalf("screenshot of %s: %v", rel, err)
			}
			browsertest.Keep(t, "site-"+strings.NewReplacer("/", "-", ".html", ".jpg").Replace(rel), shot)
		}
	}

	// 1 index, 5 run reports, 3 diffs.
	if len(pages) != 9 {
		t.Errorf("walked %d pages, want 9: %v", len(pages), slices.Sorted(maps.Keys(pages)))
	}
	if idx := pages["index.html"]; len(idx.Images) != 2 {
		t.Errorf("index shows %d images, want the 2 trend charts", len(idx.Images))
	}
	if d := pages["runs/diff-20240602T120000Z-9e8d7c6/diff/index.html"]; len(d.Images) != 4 || !strings.Contains(d.Title, "→") {
		t.Errorf("diff page: %d images (want 4 overlay charts), title %q", len(d.Images), d.Title)
	}
	for _, p := range problems() {
		t.Errorf("browser reported: %s", p)
	}
}
