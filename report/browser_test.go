package report_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/scalebench/scalebench/analysis"
	"github.com/scalebench/scalebench/report"
)

// chromium finds a Chromium binary. In CI (CI set) a missing browser is a
// failure: .ci/run installs Debian's chromium package.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "NO CHROMIUM FOUND: the browser test of the HTML report did not run. Install it with: apt-get install -y chromium"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// pageImage is one <img> as the browser loaded it.
type pageImage struct {
	Src          string `json:"src"`
	NaturalWidth int    `json:"naturalWidth"`
}

// pageFacts is what the test reads from the rendered page.
type pageFacts struct {
	Images      []pageImage `json:"images"`
	Scripts     int         `json:"scripts"`
	Pwned       bool        `json:"pwned"`
	Headings    []string    `json:"headings"`
	Conclusions []string    `json:"conclusions"`
	TableHeads  []string    `json:"tableHeads"`
	BodyText    string      `json:"bodyText"`
	ScrollWidth int         `json:"scrollWidth"`
	ClientWidth int         `json:"clientWidth"`
	SideBySide  bool        `json:"sideBySide"`
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
	browser := chromium(t)
	out := filepath.Join(t.TempDir(), "report")
	if err := report.Render(broken(), out); err != nil {
		t.Fatal(err)
	}
	index, err := filepath.Abs(filepath.Join(out, report.HTMLFile))
	if err != nil {
		t.Fatal(err)
	}

	bctx, problems := browserTab(t, browser, 90*time.Second)
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
	keep(t, "report-top.png", shot)
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
		keep(t, "report-"+id+".png", b)
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

// keep writes a test artifact under testdata/artifacts/ (ignored by git).
func keep(t *testing.T, name string, b []byte) {
	t.Helper()
	dir := filepath.Join("testdata", "artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("kept %s (%d bytes)", path, len(b))
}

// browserTab starts headless Chromium for a test, offline, and returns a tab
// whose console errors, exceptions and error log entries are collected;
// problems returns them. Everything stops when the test ends.
func browserTab(t *testing.T, browser string, timeout time.Duration) (tab context.Context, problems func() []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
	)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)

	var mu sync.Mutex
	var found []string
	if err := chromedp.Listen(bctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				found = append(found, fmt.Sprintf("console.%s", ev.Type))
			}
		case *runtime.EventExceptionThrown:
			found = append(found, "exception: "+ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				found = append(found, fmt.Sprintf("log %s: %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		}
	}); err != nil {
		t.Fatalf("start %s: %v", browser, err)
	}
	return bctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), found...)
	}
}
