package results

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Run discovery: the run directories under a results root, found by
// directory or by application commit, for diff --root, publish and the site.

// RunRef is a run directory found under a results root, with its run.json.
type RunRef struct {
	// Dir is the run directory; Name its base name (the site's folder name).
	Dir, Name string
	// Run is its run.json.
	Run Run
}

// IsRunDir reports whether dir holds a run.json.
func IsRunDir(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, RunFile))
	return err == nil && !st.IsDir()
}

// ReadRunRef reads the run.json of the run directory dir.
func ReadRunRef(dir string) (RunRef, error) {
	r, err := ReadRun(dir)
	if err != nil {
		return RunRef{}, err
	}
	return RunRef{Dir: dir, Name: filepath.Base(filepath.Clean(dir)), Run: *r}, nil
}

// FindRuns lists the run directories directly under root (the folders that
// hold a run.json), newest first (by start time, then name). Other folders
// are skipped silently; a run.json that does not load is skipped and named
// in problems.
func FindRuns(root string) (runs []RunRef, problems []error, err error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("results root %s does not exist: give the folder that holds the run directories (default results/)", root)
		}
		return nil, nil, fmt.Errorf("list runs in %s: %w", root, err)
	}
	for _, e := range entries {
		dir := filepath.Join(root, e.Name())
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || !IsRunDir(dir) {
			continue
		}
		ref, err := ReadRunRef(dir)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		runs = append(runs, ref)
	}
	sortRuns(runs)
	return runs, problems, nil
}

// sortRuns orders runs newest first: by start time, then by name.
func sortRuns(runs []RunRef) {
	slices.SortStableFunc(runs, func(a, b RunRef) int {
		return cmp.Or(b.Run.Started.Compare(a.Run.Started), cmp.Compare(b.Name, a.Name))
	})
}

// Errors of FindCommit, for errors.Is.
var (
	// ErrNoCommit: no run of a commit with that prefix.
	ErrNoCommit = errors.New("no run of commit")
	// ErrAmbiguousCommit: the prefix matches runs of several commits.
	ErrAmbiguousCommit = errors.New("ambiguous commit")
)

// FindCommit picks the run of the application commit whose hash starts
// with prefix (case-insensitive) among runs (newest first, as FindRuns
// returns them) found in root. Several commits matching is
// ErrAmbiguousCommit, listing them; none is ErrNoCommit. Among several runs
// of the commit, it takes the newest, preferring runs of the matrix named
// matrix (when not ""), and says so in note.
func FindCommit(runs []RunRef, root, prefix, matrix string) (ref RunRef, note string, err error) {
	p := strings.ToLower(strings.TrimSpace(prefix))
	var match []RunRef
	var commits []string
	for _, r := range runs {
		c := r.Commit()
		if p == "" || c == "" || !strings.HasPrefix(strings.ToLower(c), p) && !strings.HasPrefix(strings.ToLower(r.Run.App.Short), p) {
			continue
		}
		match = append(match, r)
		if !slices.Contains(commits, c) {
			commits = append(commits, c)
		}
	}
	switch {
	case len(commits) == 0:
		var known []string
		for _, r := range runs {
			if s := r.ShortCommit(); s != "" && !slices.Contains(known, s) {
				known = append(known, s)
			}
		}
		if len(known) > 12 {
			known = append(known[:12], "…")
		}
		there := "no run there records a commit"
		if len(known) > 0 {
			there = "commits there: " + strings.Join(known, ", ")
		}
		return RunRef{}, "", fmt.Errorf("%w %q in %s (%s): give a commit prefix from that list, or two run directories without --root", ErrNoCommit, prefix, root, there)
	case len(commits) > 1:
		var lines []string
		for _, c := range commits {
			var names []string
			for _, r := range match {
				if r.Commit() == c {
					names = append(names, r.Name)
				}
			}
			lines = append(lines, fmt.Sprintf("  %s: %s", c, strings.Join(names, ", ")))
		}
		return RunRef{}, "", fmt.Errorf("%w: %q matches %d commits in %s; give more digits:\n%s", ErrAmbiguousCommit, prefix, len(commits), root, strings.Join(lines, "\n"))
	}
	pool := match
	if matrix != "" {
		var same []RunRef
		for _, r := range match {
			if r.Run.Matrix.Name == matrix {
				same = append(same, r)
			}
		}
		if len(same) > 0 {
			pool = same
		}
	}
	ref = pool[0] // runs are newest first
	if len(match) > 1 {
		what := fmt.Sprintf("%d runs", len(match))
		if len(pool) < len(match) {
			what += fmt.Sprintf(", %d of matrix %s", len(pool), matrix)
		}
		note = fmt.Sprintf("commit %s has %s in %s; using the newest: %s", ref.ShortCommit(), what, root, ref.Name)
	}
	return ref, note, nil
}

// Commit is the run's full application commit, else its short one.
func (r RunRef) Commit() string { return cmp.Or(r.Run.App.Commit, r.Run.App.Short) }

// ShortCommit is the run's short application commit, else the start of its
// full one ("" when none was recorded).
func (r RunRef) ShortCommit() string {
	if r.Run.App.Short != "" {
		return r.Run.App.Short
	}
	c := r.Run.App.Commit
	return c[:min(len(c), 7)]
}
