package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Escape makes text that came from the target (error messages, response
// bodies, reasons) inert Markdown: every ASCII
// punctuation character is backslash-escaped, so it renders literally and
// never as HTML, a link or a table border; line breaks become spaces.
func Escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
			// Control characters are dropped.
		case r < 0x80 && strings.ContainsRune("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// EscapeName makes a name from the matrix or the environment (a title, a service
// or host name, a path) inert Markdown while keeping it readable: the
// characters that open Markdown or HTML constructs are backslash-escaped,
// ordinary punctuation such as . / - : ( ) is left alone.
func EscapeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
		case strings.ContainsRune("\\`*_[]<>|&~!#{}$", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// codeSpan puts text that came from the target in a code span, where Markdown
// shows it literally and HTML escapes it; pipes are escaped for tables and
// the fence is longer than any run of backticks inside.
func codeSpan(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if strings.TrimSpace(s) == "" {
		return ""
	}
	s = strings.ReplaceAll(s, "|", "\\|")
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	return fence + " " + s + " " + fence
}

// span formats a duration for people: "30 s", "1 min", "1.5 s", "2 min 30 s".
func span(d time.Duration) string {
	switch {
	case d <= 0:
		return "0 s"
	case d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	case d > time.Minute:
		return fmt.Sprintf("%d min %g s", d/time.Minute, (d % time.Minute).Seconds())
	}
	return fmt.Sprintf("%g s", d.Seconds())
}

// clip shortens s to at most n runes, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// RPS formats a throughput in requests per second as the reports do:
// "123", "12.3", "0.05".
func RPS(x float64) string {
	switch {
	case x >= 100:
		return strconv.FormatFloat(x, 'f', 0, 64)
	case x >= 0.095:
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	return strconv.FormatFloat(x, 'f', 2, 64)
}

// dur formats a latency with 2–3 significant digits: "0.4 ms", "750 ms",
// "1.9 s", "12 s".
func dur(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d < time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	case d < time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	case d < 10*time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d < 100*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%.0f s", d.Seconds())
}

// pct formats a fraction as a percentage: "4.2%", "0%", "<0.1%", "83%".
func pct(f float64) string {
	switch {
	case f == 0:
		return "0%"
	case f > 0 && f < 0.001:
		return "<0.1%"
	case math.Abs(f) < 0.1:
		return fmt.Sprintf("%.1f%%", f*100)
	}
	return fmt.Sprintf("%.0f%%", f*100)
}

// signed formats a relative change: "+83%", "−4%", "+0.5%".
func signed(f float64) string {
	if math.Abs(f) < 0.0005 {
		return "0%"
	}
	s := pct(math.Abs(f))
	if f < 0 && s != "0%" {
		return "−" + s
	}
	return "+" + s
}

// factor formats a growth factor: "×10", "×2.4".
func factor(f float64) string {
	switch {
	case f <= 0:
		return "×?"
	case f >= 10:
		return fmt.Sprintf("×%.0f", f)
	}
	return fmt.Sprintf("×%.1f", f)
}

// pvalue formats a p-value: "p<0.001", "p=0.03".
func pvalue(p float64) string {
	if p < 0.001 {
		return "p<0.001"
	}
	return "p=" + strconv.FormatFloat(p, 'g', 2, 64)
}

// num formats a load level: "20", "2.5".
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// list joins items as English: "a", "a and b", "a, b and c".
func list(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// plural returns word, with an s unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
