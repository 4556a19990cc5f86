package results

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/scalebench/scalebench/internal/matrix"
)

// File names inside a run directory.
const (
	RunFile  = "run.json"
	CellsDir = "cells"
)

// Set is a run directory as loaded: the run and its finished cells.
type Set struct {
	// Dir is the run directory.
	Dir string
	// Run is run.json.
	Run Run
	// Cells are the cells found on disk, in the run's planned order (cells
	// not in the plan come last, by id).
	Cells []Cell
}

// Cell returns the loaded cell with id, or nil.
func (s *Set) Cell(id string) *Cell {
	for i := range s.Cells {
		if s.Cells[i].Cell.ID == id {
			return &s.Cells[i]
		}
	}
	return nil
}

// Create makes a new run directory root/<run.ID> and writes run.json. It
// refuses an existing directory so nothing recorded is overwritten.
func Create(root string, run *Run) (string, error) {
	if run.ID == "" {
		return "", errors.New("create run directory: the run has no ID")
	}
	dir := filepath.Join(root, run.ID)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("create results root %s: %w", root, err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("create run directory %s: it already exists (use --resume %s to continue it)", dir, dir)
		}
		return "", fmt.Errorf("create run directory %s: %w", dir, err)
	}
	if err := os.Mkdir(filepath.Join(dir, CellsDir), 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", filepath.Join(dir, CellsDir), err)
	}
	if err := WriteRun(dir, run); err != nil {
		return "", err
	}
	return dir, nil
}

// WriteRun writes dir/run.json atomically, stamping the schema and kind.
func WriteRun(dir string, run *Run) error {
	run.Schema, run.Kind = SchemaVersion, KindRun
	return writeJSON(filepath.Join(dir, RunFile), run)
}

// WriteCell writes dir/cells/<id>.json atomically, stamping the schema and kind.
func WriteCell(dir string, c *Cell) error {
	if c.Cell.ID == "" {
		return errors.New("write cell: the cell has no ID")
	}
	if strings.ContainsAny(c.Cell.ID, `/\`) || c.Cell.ID == "." || c.Cell.ID == ".." {
		return fmt.Errorf("write cell: invalid cell ID %q", c.Cell.ID)
	}
	c.Schema, c.Kind = SchemaVersion, KindCell
	if err := os.MkdirAll(filepath.Join(dir, CellsDir), 0o755); err != nil {
		return fmt.Errorf("write cell %s: %w", c.Cell.ID, err)
	}
	return writeJSON(CellPath(dir, c.Cell.ID), c)
}

// WriteCellFile writes c to path (any file, as load --json does)
// atomically, stamping the schema and kind.
func WriteCellFile(path string, c *Cell) error {
	c.Schema, c.Kind = SchemaVersion, KindCell
	return writeJSON(path, c)
}

// LoadCell is the cell record of one load run outside a suite (load
// --json): the cell as configured and what the load engine recorded; an
// aborted run is saved aborted, as interrupted.
func LoadCell(c matrix.Cell, rec *Load, aborted bool) *Cell {
	cell := &Cell{
		Cell: c, Status: CellOK,
		Started: rec.Started, Ended: rec.Started.Add(rec.Elapsed),
		Timings: Timings{Load: rec.Elapsed}, Load: rec,
	}
	if aborted {
		cell.Status, cell.Error = CellAborted, "interrupted"
	}
	return cell
}

// CellPath is where the cell with id is stored in dir.
func CellPath(dir, id string) string {
	return filepath.Join(dir, CellsDir, id+".json")
}

// ReadRun reads dir/run.json.
func ReadRun(dir string) (*Run, error) {
	var r Run
	if err := readJSON(filepath.Join(dir, RunFile), KindRun, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// ReadCell reads one cell file.
func ReadCell(path string) (*Cell, error) {
	var c Cell
	if err := readJSON(path, KindCell, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// Finished lists the ids of the cells stored in dir whose files load. A
// cell file that does not load is reported in bad (path: error) so the caller
// can redo the cell; it is never half-read.
func Finished(dir string) (ids map[string]*Cell, bad []error, err error) {
	entries, err := os.ReadDir(filepath.Join(dir, CellsDir))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return map[string]*Cell{}, nil, nil
		}
		return nil, nil, fmt.Errorf("list cells in %s: %w", dir, err)
	}
	ids = map[string]*Cell{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
			continue
		}
		c, err := ReadCell(filepath.Join(dir, CellsDir, name))
		if err != nil {
			bad = append(bad, err)
			continue
		}
		ids[c.Cell.ID] = c
	}
	return ids, bad, nil
}

// ReadSet reads a run directory: run.json and every cell file. A cell file that
// does not load is an error naming it: results are never silently partial.
func ReadSet(dir string) (*Set, error) {
	run, err := ReadRun(dir)
	if err != nil {
		return nil, err
	}
	cells, bad, err := Finished(dir)
	if err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		return nil, errors.Join(bad...)
	}
	s := &Set{Dir: dir, Run: *run}
	seen := map[string]bool{}
	for _, pc := range run.Cells {
		if c, ok := cells[pc.ID]; ok {
			s.Cells = append(s.Cells, *c)
			seen[pc.ID] = true
		}
	}
	var rest []string
	for id := range cells {
		if !seen[id] {
			rest = append(rest, id)
		}
	}
	sort.Strings(rest)
	for _, id := range rest {
		s.Cells = append(s.Cells, *cells[id])
	}
	return s, nil
}

// writeJSON writes v as indented JSON to path atomically: it is streamed
// into a temporary file in the same directory, fsynced, renamed over path,
// and the directory is fsynced. A crash leaves either the old file or the
// new one, never half of one.
func writeJSON(path string, v any) error {
	return WriteAtomic(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}

// WriteFileAtomic writes data to path atomically (see WriteAtomic).
func WriteFileAtomic(path string, data []byte) error {
	return WriteAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteAtomic writes what write produces to path through a temporary file
// in path's directory, fsync and rename, then fsyncs the directory.
func WriteAtomic(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	if err := write(bw); err != nil {
		return fail(err)
	}
	if err := bw.Flush(); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// readJSON decodes path into v after checking it is a complete scalebench
// file of the expected kind and schema version.
func readJSON(path, kind string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && filepath.Base(path) == RunFile {
			return fmt.Errorf("%s: no such file: is %s a scalebench run directory? (it should hold run.json and cells/)", path, filepath.Dir(path))
		}
		return fmt.Errorf("read %s: %w", path, err)
	}
	var head struct {
		Schema *int   `json:"schema"`
		Kind   string `json:"kind"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		fix := "delete it and run scalebench run --resume on its run directory to have the cell run again"
		if filepath.Base(path) == RunFile {
			fix = "run.json cannot be made again: restore it from a backup, or start a new run (the cells/ files next to it stay readable)"
		}
		return fmt.Errorf("%s: not a complete JSON file (%v): it was cut short or is not a scalebench file; %s", path, err, fix)
	}
	if head.Kind != kind {
		if head.Kind == "" {
			return fmt.Errorf("%s: not a scalebench %s file (no \"kind\" field)", path, strings.TrimPrefix(kind, "scalebench."))
		}
		return fmt.Errorf("%s: is a %q file, expected %q", path, head.Kind, kind)
	}
	if head.Schema == nil || *head.Schema != SchemaVersion {
		got := "none"
		if head.Schema != nil {
			got = fmt.Sprint(*head.Schema)
		}
		return fmt.Errorf("%s: schema version %s, this scalebench reads version %d (use the scalebench version that wrote it)", path, got, SchemaVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}
