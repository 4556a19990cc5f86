package runner

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/results"
)

// Per-cell files beside cells/<id>.json, as scalebench load --csv and --hlog
// write them: Locust 2.x's CSV files and an HdrHistogram interval log.
const (
	StatsSuffix    = "_stats.csv"
	HistorySuffix  = "_stats_history.csv"
	FailuresSuffix = "_failures.csv"
	HlogSuffix     = ".hlog"
)

// CellFile is the path of a cell's file with suffix in the run directory dir.
func CellFile(dir, id, suffix string) string {
	return filepath.Join(dir, results.CellsDir, id+suffix)
}

// cellFiles records each cell's per-second intervals while its load runs
// (the saved record keeps no per-second histograms) and writes the cell's
// Locust and interval-log files once its JSON is saved.
type cellFiles struct {
	mu      sync.Mutex
	streams map[string]*cellStream // by cell id, until the cell is saved
}

// cellStream is one cell's stats history and interval log, as they come.
type cellStream struct {
	history, hlog bytes.Buffer
	lh            *load.LocustHistory
	hw            *load.HlogWriter
	err           error
}

func (s *cellStream) add(iv load.Interval) {
	if s.hw == nil {
		s.hw = load.NewHlogWriter(&s.hlog, iv.Start.Add(-time.Duration(iv.T)*time.Second))
	}
	if s.err == nil {
		s.err = s.lh.Add(iv)
	}
	if s.err == nil {
		s.err = s.hw.Add(iv)
	}
}

// wrap returns l and save with the cell files recorded and written.
func (f *cellFiles) wrap(l LoadFunc, save func(string, *results.Cell) error) (LoadFunc, func(string, *results.Cell) error) {
	f.streams = map[string]*cellStream{}
	wrappedLoad := func(ctx context.Context, cfg load.Config) (*results.Load, bool, error) {
		s := &cellStream{}
		s.lh = load.NewLocustHistory(&s.history)
		f.mu.Lock()
		f.streams[cfg.Cell.ID] = s
		f.mu.Unlock()
		next := cfg.Interval
		cfg.Interval = func(iv load.Interval) {
			s.add(iv)
			if next != nil {
				next(iv)
			}
		}
		return l(ctx, cfg)
	}
	wrappedSave := func(dir string, c *results.Cell) error {
		if err := save(dir, c); err != nil {
			return err
		}
		f.mu.Lock()
		s := f.streams[c.Cell.ID]
		delete(f.streams, c.Cell.ID)
		f.mu.Unlock()
		return writeCellFiles(dir, c, s)
	}
	return wrappedLoad, wrappedSave
}

// writeCellFiles writes a saved cell's Locust CSV files and, when its
// intervals were recorded (s not nil), its stats history and interval log.
// A cell without a load record has none.
func writeCellFiles(dir string, c *results.Cell, s *cellStream) error {
	if c.Load == nil {
		return nil
	}
	if err := WriteLocustFiles(dir, c); err != nil {
		return err
	}
	if s == nil {
		return nil
	}
	if s.err == nil {
		s.err = s.lh.Flush()
	}
	if s.err == nil && s.hw != nil {
		s.err = s.hw.Flush()
	}
	if s.err != nil {
		return fmt.Errorf("cell %s: %w", c.Cell.ID, s.err)
	}
	files := map[string][]byte{HistorySuffix: s.history.Bytes()}
	if s.hw != nil {
		files[HlogSuffix] = s.hlog.Bytes()
	}
	for suffix, data := range files {
		if err := results.WriteFileAtomic(CellFile(dir, c.Cell.ID, suffix), data); err != nil {
			return fmt.Errorf("write %s: %w", CellFile(dir, c.Cell.ID, suffix), err)
		}
	}
	return nil
}

// WriteLocustFiles writes cells/<id>_stats.csv and _failures.csv of a saved
// cell from its record; report uses it to add them to runs made before run
// wrote them.
func WriteLocustFiles(dir string, c *results.Cell) error {
	if c.Load == nil {
		return nil
	}
	for suffix, write := range map[string]func(io.Writer, *results.Load) error{
		StatsSuffix: load.WriteLocustStats, FailuresSuffix: load.WriteLocustFailures,
	} {
		path := CellFile(dir, c.Cell.ID, suffix)
		if err := results.WriteAtomic(path, func(w io.Writer) error { return write(w, c.Load) }); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	return nil
}

// WriteTidy writes the run directory dir's tidy CSV (results.TidyFile) from
// what dir holds.
func WriteTidy(dir string) error {
	set, err := results.ReadSet(dir)
	if err != nil {
		return fmt.Errorf("write %s: %w", results.TidyFile, err)
	}
	path := filepath.Join(dir, results.TidyFile)
	if err := results.WriteAtomic(path, func(w io.Writer) error { return results.WriteTidyCSV(w, set) }); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
