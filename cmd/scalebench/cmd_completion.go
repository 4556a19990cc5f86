package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

const completionSummary = `Print a shell completion script for bash, zsh or fish, made from the
commands' own flags. Load it for the current shell with

  source <(scalebench completion bash)     # bash; zsh alike
  scalebench completion fish | source      # fish

or install it: bash into /etc/bash_completion.d/scalebench, zsh into a
directory on $fpath as _scalebench, fish into
~/.config/fish/completions/scalebench.fish.`

func runCompletion(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "completion", "bash|zsh|fish", completionSummary)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageError{fmt.Errorf("completion takes one shell name, bash, zsh or fish, got %d arguments", fs.NArg())}
	}
	cmds, err := completionCommands(ctx)
	if err != nil {
		return err
	}
	switch fs.Arg(0) {
	case "bash":
		writeBashCompletion(e.stdout, cmds)
	case "zsh":
		writeZshCompletion(e.stdout, cmds)
	case "fish":
		writeFishCompletion(e.stdout, cmds)
	default:
		return usageError{fmt.Errorf("completion: unknown shell %q: give bash, zsh or fish", fs.Arg(0))}
	}
	return nil
}

// compCommand is what completion knows of a command.
type compCommand struct {
	name, summary string
	flags         []compFlag
}

// compFlag is one flag: bool flags take no value.
type compFlag struct {
	name, usage string
	isBool      bool
}

// completionCommands reads every visible command's flags by inspecting it.
func completionCommands(ctx context.Context) ([]compCommand, error) {
	var out []compCommand
	for _, c := range commands() {
		if c.hidden {
			continue
		}
		fs, err := inspect(ctx, c.name, nil)
		if err != nil {
			return nil, fmt.Errorf("completion: read the flags of %s: %w", c.name, err)
		}
		cc := compCommand{name: c.name, summary: c.summary}
		fs.VisitAll(func(f *flag.Flag) {
			_, usage := flag.UnquoteUsage(f)
			b, ok := f.Value.(interface{ IsBoolFlag() bool })
			cc.flags = append(cc.flags, compFlag{name: f.Name, usage: firstLine(usage), isBool: ok && b.IsBoolFlag()})
		})
		sort.Slice(cc.flags, func(i, j int) bool { return cc.flags[i].name < cc.flags[j].name })
		out = append(out, cc)
	}
	return out, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func writeBashCompletion(w io.Writer, cmds []compCommand) {
	var names []string
	for _, c := range cmds {
		names = append(names, c.name)
	}
	fmt.Fprintf(w, `# bash completion for scalebench; load with: source <(scalebench completion bash)
_scalebench() {
	local cur=${COMP_WORDS[COMP_CWORD]} flags=""
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W %q -- "$cur"))
		return
	fi
	case ${COMP_WORDS[1]} in
`, strings.Join(names, " ")+" help")
	for _, c := range cmds {
		var all []string
		for _, f := range c.flags {
			all = append(all, "--"+f.name)
		}
		fmt.Fprintf(w, "\t%s) flags=%q ;;\n", c.name, strings.Join(all, " "))
	}
	fmt.Fprint(w, `	esac
	if [ "${COMP_WORDS[1]}" = completion ] && [[ $cur != -* ]]; then
		COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur"))
		return
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$flags" -- "$cur"))
		return
	fi
	# A flag's value, or a positional argument: a file or folder.
	COMPREPLY=($(compgen -f -- "$cur"))
}
complete -o filenames -o bashdefault -F _scalebench scalebench
`)
}

// zshQuote escapes a description for a zsh _arguments spec in single quotes.
func zshQuote(s string) string {
	r := strings.NewReplacer("'", "'\\''", "[", "\\[", "]", "\\]", ":", "\\:")
	return r.Replace(s)
}

func writeZshCompletion(w io.Writer, cmds []compCommand) {
	fmt.Fprint(w, `#compdef scalebench
# zsh completion for scalebench; load with: source <(scalebench completion zsh)
_scalebench() {
	local -a cmds
	if (( CURRENT == 2 )); then
		cmds=(
`)
	for _, c := range cmds {
		fmt.Fprintf(w, "\t\t\t'%s:%s'\n", c.name, zshQuote(c.summary))
	}
	fmt.Fprint(w, `		)
		_describe 'command' cmds
		return
	fi
	words=("${(@)words[2,-1]}")
	(( CURRENT-- ))
	case $words[1] in
`)
	for _, c := range cmds {
		fmt.Fprintf(w, "\t%s)\n\t\t_arguments -s", c.name)
		for _, f := range c.flags {
			spec := fmt.Sprintf("--%s[%s]", f.name, zshQuote(f.usage))
			if !f.isBool {
				spec += ":" + f.name + ":_files"
			}
			fmt.Fprintf(w, " \\\n\t\t\t'%s'", spec)
		}
		if c.name == "completion" {
			fmt.Fprint(w, " \\\n\t\t\t'1:shell:(bash zsh fish)'")
		} else {
			fmt.Fprint(w, " \\\n\t\t\t'*:file:_files'")
		}
		fmt.Fprint(w, " ;;\n")
	}
	fmt.Fprint(w, `	esac
}
if [ "$funcstack[1]" = "_scalebench" ]; then
	_scalebench "$@"
else
	compdef _scalebench scalebench
fi
`)
}

// fishQuote quotes s for fish in single quotes.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(s) + "'"
}

func writeFishCompletion(w io.Writer, cmds []compCommand) {
	fmt.Fprintln(w, "# fish completion for scalebench; load with: scalebench completion fish | source")
	fmt.Fprintln(w, "complete -c scalebench -f")
	for _, c := range cmds {
		fmt.Fprintf(w, "complete -c scalebench -n __fish_use_subcommand -a %s -d %s\n", c.name, fishQuote(c.summary))
	}
	for _, c := range cmds {
		cond := fishQuote("__fish_seen_subcommand_from " + c.name)
		for _, f := range c.flags {
			value := ""
			if !f.isBool {
				value = " -r -F"
			}
			fmt.Fprintf(w, "complete -c scalebench -n %s -l %s%s -d %s\n", cond, f.name, value, fishQuote(f.usage))
		}
		if c.name == "completion" {
			fmt.Fprintf(w, "complete -c scalebench -n %s -a 'bash zsh fish'\n", cond)
		} else {
			fmt.Fprintf(w, "complete -c scalebench -n %s -F\n", cond)
		}
	}
}
