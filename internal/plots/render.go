package plots

import (
	"errors"
	"runtime"
	"sync"
)

// RenderAll draws every chart as PNG, one worker per CPU (drawing is the
// slow part of a report), and hands each image to save, which must be safe
// for concurrent use. The errors of all charts are joined.
func RenderAll(charts []*Chart, save func(c *Chart, png []byte) error) error {
	work := make(chan *Chart)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for range max(1, min(runtime.GOMAXPROCS(0), len(charts))) {
		wg.Go(func() {
			for c := range work {
				b, err := c.PNG()
				if err == nil {
					err = save(c, b)
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, c := range charts {
		work <- c
	}
	close(work)
	wg.Wait()
	return errors.Join(errs...)
}
