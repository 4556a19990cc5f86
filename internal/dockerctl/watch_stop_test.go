package dockerctl

import (
	"context"
	"io"
	"net"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/scalebench/scalebench/internal/results"
)

// TestWatchStopUnreachable checks that stop returns promptly when the engine
// refuses connections or accepts them and never answers.
func TestWatchStopUnreachable(t *testing.T) {
	tests := []struct {
		name   string
		listen bool
	}{
		{name: "refused"},
		{name: "silent", listen: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sock := filepath.Join(t.TempDir(), "docker.sock")
			if tt.listen {
				silentListener(t, sock)
			}
			c := unreachableClient(t, sock)
			stop := c.Watch(context.Background(), "shop", time.Now())
			time.Sleep(300 * time.Millisecond)
			start := time.Now()
			series := stop()
			if d, bound := time.Since(start), stopWait+stopFinish+500*time.Millisecond; d > bound {
				t.Errorf("stop took %v, want at most %v", d, bound)
			}
			if len(series) != 0 {
				t.Errorf("series %v from an unreachable engine", keys(series))
			}
		})
	}
	t.Run("no selector", func(t *testing.T) {
		c := unreachableClient(t, filepath.Join(t.TempDir(), "docker.sock"))
		if series := c.Watch(context.Background(), "", time.Now())(); series != nil {
			t.Errorf("Watch(\"\") sampled %v, want nothing", keys(series))
		}
	})
}

func unreachableClient(t *testing.T, sock string) *Client {
	t.Helper()
	api, err := client.NewClientWithOpts(client.WithHost("unix://"+sock), client.WithVersion("1.41"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	return &Client{api: api, host: api.DaemonHost()}
}

// silentListener accepts connections on a unix socket, reads what they send
// and never answers, until the test ends.
func silentListener(t *testing.T, sock string) {
	t.Helper()
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				io.Copy(io.Discard, conn)
			}()
		}
	}()
}

// TestWatchResult checks which containers stop reports, and their restarts.
func TestWatchResult(t *testing.T) {
	sel, _ := parseSelector("shop")
	w := &watcher{sel: sel, containers: map[string]*watched{}}
	add := func(id, service string, number int, c watched) *watched {
		c.s = &results.ContainerSeries{ID: id, Name: id, Service: service, Number: number}
		w.containers[id] = &c
		return &c
	}
	sample := []results.ContainerSample{{T: time.Second, CPU: 1, Memory: 1}}
	add("web2", "web", 2, watched{inspected: true, firstRestarts: 3, lastRestarts: 5}).s.Samples = sample
	add("web1", "web", 1, watched{inspected: true, firstRestarts: 1, lastRestarts: 1}).s.Samples = sample
	died := add("db1", "db", 1, watched{})
	died.s.Events = []results.ContainerEvent{{T: 2 * time.Second, Action: "die", ExitCode: 1}, {T: time.Second, Action: "kill"}}
	add("oom1", "oom", 1, watched{}).s.OOMKilled = true
	add("quiet", "web", 3, watched{inspected: true})                      // no sample, nothing happened
	add("restarted", "web", 4, watched{inspected: true, lastRestarts: 1}) // no sample, but restarted
	add("uninspected", "web", 5, watched{lastRestarts: 2})                // no first count: no restarts known

	out := w.result()
	var got []string
	for _, s := range out {
		got = append(got, s.Name)
	}
	want := []string{"db1", "oom1", "web1", "web2", "restarted"}
	if !slices.Equal(got, want) {
		t.Fatalf("result %v, want %v", got, want)
	}
	if out[0].Events[0].Action != "kill" {
		t.Errorf("db1 events %+v, want them in time order", out[0].Events)
	}
	if out[2].Restarts != 0 || out[3].Restarts != 2 || out[4].Restarts != 1 {
		t.Errorf("restarts %d, %d, %d; want 0, 2, 1", out[2].Restarts, out[3].Restarts, out[4].Restarts)
	}
	out[3].Samples[0].CPU = 99
	if w.containers["web2"].s.Samples[0].CPU == 99 {
		t.Error("result shares its samples with the watcher")
	}
}
