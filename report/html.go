package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html"

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
