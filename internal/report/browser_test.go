package report_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/browsertest"
	"github.com/scalebench/scalebench/internal/report"
)

// pageFacts is what the test reads from the rendered page.
type pageFacts struct {
	Images      []browsertest.Image `json:"images"`
	Scripts     int                 `json:"scripts"`
	Pwned       bool                `json:"pwned"`
	Headings    []string            `json:"headings"`
	Conclusions []string            `json:"conclusions"`
	TableHeads  []string            `json:"tableHeads"`
	BodyText    string              `json:"bodyText"`
	ScrollWidth int                 `json:"scrollWidth"`
	ClientWidth int                 `json:"clientWidth"`
	SideBySide  bool                `json:"sideBySide"`
}

const factsJS = `(async () => {
  await Promise.all(Array.from(document.images).map(i => i.complete ? null :
    new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
  const h2 = Array.from(document.querySelectorAll('h2'));
  const concl = document.querySelector('h2#conclusions + ul');
  const imgs = Array.from(document.images);
  const grid = imgs.some((img, k) => k > 0 && imgs[k-1].parentElement === img.parentElement &&
    imgs[k-1].getBoundingClientRect().top === img.getBoundingClientRect().top);
  return {
    images: imgs.map(i => ({src: i.getAttribute('src'), naturalWidth: i.naturalWidth})),
    scripts: document.scripts.length,
    pwned: window.__pwned !== undefined,
    headings: h2.map(h => h.textContent),
    conclusions: concl ? Array.from(concl.querySelectorAll('li')).map(l => l.textContent) : [],
    tableHeads: Array.from(document.querySelectorAll('table')).map(t => Array.from(t.querySelectorAll('th')).map(th => th.textContent).join('|')),
    bodyText: document.body.innerText,
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    sideBySide: grid,
  };
})()`

// TestReportInChromium opens the rendered report from file:// in headless
// Chromium: every image loads, nothing is logged as an error, the
// conclusions and the summary table are there, and hostile text from the
// target stays text. A screenshot is kept in testdata/artifacts/.
func TestReportInChromium(t *testing.T) {
	browser := browsertest.Chromium(t)
	out := filepath.Join(t.TempDir(), "report")
	if err := report.Render(broken(), out); err != nil {
		t.Fatal(err)
	}
	index, err := filepath.Abs(filepath.Join(out, report.HTMLFile))
	if err != nil {
		t.Fatal(err)
	}

	bctx, problems := browsertest.Tab(t, browser, 90*time.Second)
	if err := chromedp.Do(bctx, chromedp.Navigate("file://"+index)); err != nil {
		t.Fatalf("open %s: %v", index, err)
	}
	facts, err := chromedp.Run(bctx, chromedp.Evaluate[pageFacts](factsJS, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("read the page: %v", err)
	}
	shot, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	browsertest.Keep(t, "report-top.png", shot)
	for _, id := range []string{"summary", "scaling-model", "run-1"} {
		js := fmt.Sprintf("document.getElementById(%q).scrollIntoView(); true", id)
		if _, err := chromedp.Run(bctx, chromedp.Evaluate[bool](js)); err != nil {
			t.Errorf("scroll to #%s: %v", id, err)
			continue
		}
		b, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot of #%s: %v", id, err)
		}
		browsertest.Keep(t, "report-"+id+".png", b)
	}

	for _, p := range problems() {
		t.Errorf("browser reported: %s", p)
	}
	withLoad := 0
	for _, c := range broken().Cells {
		if c.Load != nil {
			withLoad++
		}
	}
	// timelines, scaling, bounds per scale, 6 per run (5 + the heaviest cell's memory)
	if want := withLoad + 1 + len(analysis.Analyze(broken()).Scales) + 2*6; len(facts.Images) != want {
		t.Errorf("page has %d images, want %d", len(facts.Images), want)
	}
	for _, img := range facts.Images {
		if img.NaturalWidth <= 0 {
			t.Errorf("image %s did not load (naturalWidth %d)", img.Src, img.NaturalWidth)
		}
	}
	if facts.Scripts != 0 || facts.Pwned {
		t.Errorf("script ran or exists: %d script elements, pwned=%v", facts.Scripts, facts.Pwned)
	}
	if !strings.Contains(facts.BodyText, "<script>window.__pwned=1</script>") {
		t.Error("the hostile error message is not visible as text")
	}
	if len(facts.Headings) == 0 || facts.Headings[0] != "Conclusions" {
		t.Errorf("first section is %q, want Conclusions", facts.Headings)
	}
	if len(facts.Conclusions) < 4 || !strings.HasPrefix(facts.Conclusions[0], "Scaling model 1→3 raised peak throughput") {
		t.Errorf("conclusions missing or wrong: %q", facts.Conclusions)
	}
	summary := false
	for _, h := range facts.TableHeads {
		summary = summary || strings.HasPrefix(h, "Run #1: scale \\ users|1|2|5|10|20")
	}
	if !summary {
		t.Errorf("no summary table among the tables: %q", facts.TableHeads)
	}
	if facts.ScrollWidth > facts.ClientWidth+1 {
		t.Errorf("page scrolls sideways: %d px wide in a %d px window", facts.ScrollWidth, facts.ClientWidth)
	}
	if !facts.SideBySide {
		t.Error("charts are not laid out side by side at 1400 px")
	}
}
