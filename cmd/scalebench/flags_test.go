package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"
)

// argCounts is how many positional arguments each command takes.
var argCounts = map[string]struct{ min, max int }{
	"plan": {1, 1}, "run": {0, 1}, "load": {0, 0}, "report": {1, 1}, "diff": {2, 2},
	"publish": {1, 1}, "demo": {0, 0}, "version": {0, 0}, "completion": {1, 1},
	"sut": {1, 1}, "agent": {0, 0},
}

// TestFlagsAnywhere parses one flag of every command before, between and
// after positional arguments, and after "--", with the command's own flags.
func TestFlagsAnywhere(t *testing.T) {
	ctx := context.Background()
	for _, c := range commands() {
		if c.name == "sut" {
			continue // its first argument picks a FlagSet: see TestSUTFlagsAfterName
		}
		t.Run(c.name, func(t *testing.T) {
			if _, ok := argCounts[c.name]; !ok {
				t.Errorf("command %s is not in argCounts: add how many arguments it takes", c.name)
			}
			fs, err := inspect(ctx, c.name, nil)
			if err != nil {
				t.Fatal(err)
			}
			var fl *flag.Flag
			fs.VisitAll(func(f *flag.Flag) {
				if fl == nil {
					fl = f
				}
			})
			if fl == nil {
				return // no flags: nothing to place
			}
			set := []string{"--" + fl.Name + "=" + fl.DefValue}
			if !isBoolFlag(fl) {
				set = []string{"--" + fl.Name, fl.DefValue}
			}
			cases := [][]string{
				slices.Concat(set, []string{"A", "B"}),
				slices.Concat([]string{"A"}, set, []string{"B"}),
				slices.Concat([]string{"A", "B"}, set),
			}
			for _, args := range cases {
				fs, err := inspect(ctx, c.name, args)
				if err != nil {
					t.Fatalf("%q: %v", args, err)
				}
				if got := fs.Args(); !slices.Equal(got, []string{"A", "B"}) {
					t.Errorf("%q: positional arguments %q, want [A B]", args, got)
				}
				if !flagSet(fs, fl.Name) {
					t.Errorf("%q: --%s not set", args, fl.Name)
				}
			}
			args := slices.Concat([]string{"A", "--"}, set)
			fs, err = inspect(ctx, c.name, args)
			if err != nil {
				t.Fatalf("%q: %v", args, err)
			}
			if got := fs.Args(); !slices.Equal(got, slices.Concat([]string{"A"}, set)) || flagSet(fs, fl.Name) {
				t.Errorf("%q: positional %q, flag set %v: want everything after -- positional", args, got, flagSet(fs, fl.Name))
			}
			_, err = inspect(ctx, c.name, []string{"A", "--no-such-flag"})
			if code := exitCode(err); code != exitUsage {
				t.Errorf("an unknown flag after an argument: exit %d (%v), want %d", code, err, exitUsage)
			}
		})
	}
}

func TestSUTFlagsAfterName(t *testing.T) {
	for _, args := range [][]string{{"echo", "--addr", "127.0.0.1:0"}, {"model", "--addr", "127.0.0.1:0"}} {
		fs, err := inspect(context.Background(), "sut", args)
		if err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		if !flagSet(fs, "addr") || fs.NArg() != 0 {
			t.Errorf("%q: --addr set %v, arguments %q", args, flagSet(fs, "addr"), fs.Args())
		}
	}
}

// TestREADMECommands parses every scalebench command line of README.md's
// code blocks with the real command's flags, without running it, and checks
// its number of arguments, so that the README and the CLI stay in step.
func TestREADMECommands(t *testing.T) {
	lines, err := readmeCommands("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) < 10 {
		t.Fatalf("found %d scalebench command lines in README.md's code blocks; the extraction is broken", len(lines))
	}
	for _, l := range lines {
		words, err := shellWords(l.text)
		if err != nil {
			t.Errorf("README.md:%d: %v: %s", l.line, err, l.text)
			continue
		}
		if len(words) < 2 || words[0] != "scalebench" {
			t.Errorf("README.md:%d: not a scalebench command: %s", l.line, l.text)
			continue
		}
		name, args := words[1], words[2:]
		n, ok := argCounts[name]
		if !ok {
			t.Errorf("README.md:%d: unknown command %q: %s", l.line, name, l.text)
			continue
		}
		fs, err := inspect(context.Background(), name, args)
		if err != nil {
			t.Errorf("README.md:%d: %s: %v", l.line, l.text, err)
			continue
		}
		if fs.NArg() < n.min || fs.NArg() > n.max || (name == "run" && fs.NArg() == 0 && !flagSet(fs, "resume")) {
			t.Errorf("README.md:%d: %s: %d arguments %q, want %d to %d", l.line, l.text, fs.NArg(), fs.Args(), n.min, n.max)
		}
	}
}

type readmeLine struct {
	line int
	text string // the command line from the command name on
}

// readmeCommands returns the lines of path's fenced code blocks that run
// scalebench (also as "go run ./cmd/scalebench"), continuation lines joined.
func readmeCommands(path string) ([]readmeLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []readmeLine
	in := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(l, "```") {
			in = !in
			continue
		}
		start := n
		for in && strings.HasSuffix(l, `\`) && sc.Scan() {
			n++
			l = strings.TrimSuffix(l, `\`) + " " + strings.TrimSpace(sc.Text())
		}
		l = strings.TrimPrefix(l, "$ ")
		for _, p := range []string{"scalebench ", "go run ./cmd/scalebench ", "go run github.com/scalebench/scalebench/cmd/scalebench "} {
			if in && strings.HasPrefix(l, p) {
				out = append(out, readmeLine{start, strings.TrimPrefix(l, strings.TrimSuffix(p, "scalebench "))})
			}
		}
	}
	return out, sc.Err()
}

func TestShellWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`scalebench plan experiments/seed.yaml       # cells, order`, []string{"scalebench", "plan", "experiments/seed.yaml"}},
		{`scalebench diff --fail-on 'p95=+10%,rps=-5%' "$BASE" "$(git rev-parse HEAD)"`, []string{"scalebench", "diff", "--fail-on", "p95=+10%,rps=-5%", "$BASE", "$(git rev-parse HEAD)"}},
		{`scalebench completion fish | source`, []string{"scalebench", "completion", "fish"}},
		{`scalebench report results/<run> && echo ok`, []string{"scalebench", "report", "results/<run>"}},
		{`scalebench load --url=a\ b`, []string{"scalebench", "load", "--url=a b"}},
	}
	for _, tt := range tests {
		got, err := shellWords(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("shellWords(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := shellWords(`scalebench diff 'open`); err == nil {
		t.Error("an unclosed quote: no error")
	}
}

// shellWords splits a POSIX shell command line into the words of its first
// command: quotes and backslashes as sh reads them, up to a comment or an
// operator (|, ;, &&, a redirection starting a word). $(...) and $VAR are
// kept as written. README placeholders such as results/<run> stay one word.
func shellWords(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			words = append(words, w.String())
		}
		w.Reset()
		inWord = false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			flush()
		case !inWord && (c == '#' || c == '|' || c == ';' || c == '&' || c == '>' || c == '<'):
			flush()
			return words, nil
		case c == '\\' && i+1 < len(s):
			i++
			w.WriteByte(s[i])
			inWord = true
		case c == '\'' || c == '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return nil, errUnclosedQuote
			}
			w.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	flush()
	return words, nil
}

var errUnclosedQuote = errors.New("unclosed quote")

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
