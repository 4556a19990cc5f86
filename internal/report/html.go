package report

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/results"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
)

//go:embed style.css
var styleCSS string

// HTMLPage renders markdown (GitHub-flavoured: tables, strikethrough,
// autolinks) into a complete, self-contained HTML page with the report's
// embedded CSS and title. Raw HTML in the Markdown is never passed through:
// goldmark drops it, so text from the target cannot inject markup.
func HTMLPage(title string, markdown []byte) ([]byte, error) {
	md := goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
	)
	var body bytes.Buffer
	if err := md.Convert(markdown, &body); err != nil {
		return nil, fmt.Errorf("render Markdown as HTML: %w", err)
	}
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	b.WriteString("<meta name=\"generator\" content=\"scalebench\">\n")
	fmt.Fprintf(&b, "<title>%s</title>\n", html.EscapeString(title))
	b.WriteString("<style>\n")
	b.WriteString(styleCSS)
	b.WriteString("</style>\n</head>\n<body>\n<main>\n")
	b.Write(body.Bytes())
	b.WriteString("</main>\n</body>\n</html>\n")
	return b.Bytes(), nil
}

// SingleFile renders set's report as one HTML file at path, its charts
// embedded as data: URIs, for viewers that show one file (CI artifact
// pages, mail). The charts are drawn into a temporary folder that is
// removed afterwards; nothing else is written.
func SingleFile(set *results.Set, path string, th analysis.Thresholds) error {
	tmp, err := os.MkdirTemp("", "scalebench-report-")
	if err != nil {
		return fmt.Errorf("make a folder for the charts: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := RenderWith(set, tmp, th); err != nil {
		return err
	}
	page, err := os.ReadFile(filepath.Join(tmp, HTMLFile))
	if err != nil {
		return err
	}
	page, err = EmbedImages(page, tmp)
	if err != nil {
		return err
	}
	if err := results.WriteFileAtomic(path, page); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// imgSrc finds the src attribute of an img element.
var imgSrc = regexp.MustCompile(`(<img\s[^>]*?src=")([^"]*)(")`)

// EmbedImages replaces every img src of page that names a PNG file inside
// dir (a relative path without a scheme, as the report's charts/NAME.png)
// with a data: URI holding the file. Other sources are left alone.
func EmbedImages(page []byte, dir string) ([]byte, error) {
	var firstErr error
	out := imgSrc.ReplaceAllFunc(page, func(m []byte) []byte {
		parts := imgSrc.FindSubmatch(m)
		src := html.UnescapeString(string(parts[2]))
		if !strings.HasSuffix(src, ".png") || strings.Contains(src, ":") || !filepath.IsLocal(filepath.FromSlash(src)) {
			return m
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(src)))
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("embed chart %s: %w", src, err)
			}
			return m
		}
		uri := "data:image/png;base64," + base64.StdEncoding.EncodeToString(data)
		return slices.Concat(parts[1], []byte(uri), parts[3])
	})
	return out, firstErr
}
