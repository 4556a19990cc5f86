package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// completionScript writes scalebench's completion script for shell into a
// temporary file and returns its path.
func completionScript(t *testing.T, shell string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"completion", shell}, &out, &errb); err != nil {
		t.Fatalf("completion %s: %v %s", shell, err, errb.String())
	}
	p := filepath.Join(t.TempDir(), "scalebench."+shell)
	if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func needShell(t *testing.T, shell string) {
	t.Helper()
	if _, err := exec.LookPath(shell); err != nil {
		t.Skipf("%s is not installed (.ci/run installs it): its completion is not tried", shell)
	}
}

// TestBashCompletion runs the bash completion function as bash calls it on
// Tab and checks what it offers.
func TestBashCompletion(t *testing.T) {
	needShell(t, "bash")
	script := completionScript(t, "bash")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "matrix.yaml"), nil, 0o644)
	tests := []struct {
		line string // the words typed, the last one being completed
		want []string
	}{
		{"scalebench ru", []string{"run"}},
		{"scalebench d", []string{"demo", "diff"}},
		{"scalebench plan --o", []string{"--offline"}},
		{"scalebench run matrix.yaml --re", []string{"--ready-timeout", "--resume"}},
		{"scalebench diff OLD NEW --fail", []string{"--fail-on"}},
		{"scalebench completion ", []string{"bash", "fish", "zsh"}},
		{"scalebench plan --offline mat", []string{"matrix.yaml"}},
	}
	for _, tt := range tests {
		words := strings.Fields(tt.line)
		if strings.HasSuffix(tt.line, " ") {
			words = append(words, "")
		}
		var quoted []string
		for _, w := range words {
			quoted = append(quoted, "'"+w+"'")
		}
		prog := "source " + script + "; COMP_WORDS=(" + strings.Join(quoted, " ") + "); COMP_CWORD=" +
			strconv.Itoa(len(words)-1) + "; _scalebench; printf '%s\\n' \"${COMPREPLY[@]}\" | sort"
		cmd := exec.Command("bash", "--norc", "-c", prog)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%q: %v\n%s", tt.line, err, out)
		}
		if got := strings.Fields(string(out)); strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("%q completes to %q, want %q", tt.line, got, tt.want)
		}
	}
}

// TestFishCompletion asks fish itself what it would complete.
func TestFishCompletion(t *testing.T) {
	needShell(t, "fish")
	script := completionScript(t, "fish")
	tests := []struct{ line, want string }{
		{"scalebench ru", "run"},
		{"scalebench plan --off", "--offline"},
		{"scalebench report results/x --inc", "--include-degraded"},
		{"scalebench completion z", "zsh"},
	}
	for _, tt := range tests {
		out, err := exec.Command("fish", "--no-config", "-c", "source "+script+"; complete -C '"+tt.line+"'").CombinedOutput()
		if err != nil {
			t.Fatalf("%q: %v\n%s", tt.line, err, out)
		}
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			w, _, _ := strings.Cut(l, "\t")
			got = append(got, w)
		}
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("%q completes to %q, want [%s]", tt.line, got, tt.want)
		}
	}
}

// TestZshCompletion loads the zsh script under compinit: it must parse and
// define the completion function for scalebench.
func TestZshCompletion(t *testing.T) {
	needShell(t, "zsh")
	script := completionScript(t, "zsh")
	prog := "autoload -U compinit && compinit -u -D && source " + script + " && print -r -- $_comps[scalebench]"
	out, err := exec.Command("zsh", "-f", "-c", prog).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "_scalebench" {
		t.Fatalf("zsh did not register _scalebench: %v\n%s", err, out)
	}
}

func TestCompletionUnknownShell(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"completion", "powershell"}, &out, &errb)
	if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "bash, zsh or fish") || out.Len() > 0 {
		t.Errorf("completion powershell: exit %d, %v, stdout %q", exitCode(err), err, out.String())
	}
}
