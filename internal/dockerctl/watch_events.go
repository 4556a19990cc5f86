package dockerctl

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"

	"github.com/scalebench/scalebench/internal/results"
)

// watchedActions are the container events Watch records.
var watchedActions = []string{"die", "oom", "kill", "restart"}

// Bounds on the events stream: how long to wait before following it again
// after it broke, and how long stop may spend reading what it had not yet
// delivered.
const (
	eventsRetry   = WatchInterval
	eventsCatchUp = time.Second
)

// eventKey identifies one event, so that reading the stream again after it
// broke, or at stop, records no event twice.
type eventKey struct {
	id, action string
	timeNano   int64
}

// follow reads the selected containers' events from the start of the watch
// until ctx is done, following the stream again when it breaks.
func (w *watcher) follow(ctx context.Context) {
	defer w.wg.Done()
	for {
		w.readEvents(ctx, time.Time{})
		select {
		case <-ctx.Done():
			return
		case <-time.After(eventsRetry):
		}
	}
}

// readEvents reads the selected containers' events since the latest one
// read (or the start of the watch) until the stream ends, ctx is done or,
// when until is set, the engine has sent those before until. Only the
// live stream (until zero) inspects containers first seen in an event.
func (w *watcher) readEvents(ctx context.Context, until time.Time) {
	w.mu.Lock()
	since := w.since
	if w.lastEvent > 0 {
		since = time.Unix(0, w.lastEvent)
	}
	w.mu.Unlock()
	opts := events.ListOptions{Since: timestamp(since), Filters: w.sel.eventFilter()}
	if !until.IsZero() {
		if !until.After(since) {
			return
		}
		opts.Until = timestamp(until)
	}
	msgs, errs := w.c.api.Events(ctx, opts)
	for {
		select {
		case m := <-msgs:
			w.event(ctx, m, until.IsZero())
		case <-errs:
			// io.EOF after until, ctx's error, or a broken stream.
			return
		}
	}
}

// event records one event of a selected container. A start pokes discover
// so that a new or restarted container is sampled at once, and reads a
// known container's RestartCount again. A container
// first seen in an event is recorded even if it never gives a sample; live
// is true when it may then be inspected for its limits and RestartCount.
func (w *watcher) event(ctx context.Context, m events.Message, live bool) {
	if m.Type != events.ContainerEventType || m.Actor.ID == "" {
		return
	}
	if m.Action == events.ActionStart {
		select {
		case w.poke <- struct{}{}:
		default:
		}
		w.mu.Lock()
		c := w.containers[m.Actor.ID]
		w.mu.Unlock()
		if c != nil && live {
			// Restarted: read its RestartCount now, in case it is
			// gone by the time the watch stops.
			w.wg.Add(1)
			go func() {
				defer w.wg.Done()
				w.inspect(ctx, m.Actor.ID, c)
			}()
		}
		return
	}
	ev, ok := containerEventOf(m, w.t0)
	if !ok {
		return
	}
	nano := eventNano(m)
	key := eventKey{id: m.Actor.ID, action: ev.Action, timeNano: nano}
	w.mu.Lock()
	w.lastEvent = max(w.lastEvent, nano)
	if w.seenEvents[key] {
		w.mu.Unlock()
		return
	}
	w.seenEvents[key] = true
	c, fresh := w.track(m.Actor.ID, m.Actor.Attributes["name"], m.Actor.Attributes)
	c.s.Events = append(c.s.Events, ev)
	if ev.Action == string(events.ActionOOM) {
		c.s.OOMKilled = true
	}
	w.mu.Unlock()
	if fresh && live {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			w.inspect(ctx, m.Actor.ID, c)
		}()
	}
}

// containerEventOf turns an engine event into a ContainerEvent at its
// offset from t0; ok is false for an action Watch does not record. A die
// event's exit code is its "exitCode" attribute.
func containerEventOf(m events.Message, t0 time.Time) (ev results.ContainerEvent, ok bool) {
	action := string(m.Action)
	if !slices.Contains(watchedActions, action) {
		return ev, false
	}
	ev = results.ContainerEvent{T: time.Unix(0, eventNano(m)).Sub(t0), Action: action}
	if action == string(events.ActionDie) {
		ev.ExitCode = exitCodeOf(m.Actor.Attributes)
	}
	return ev, true
}

// eventNano is when the event happened, in nanoseconds since the epoch
// (engines older than API 1.22 give seconds only).
func eventNano(m events.Message) int64 {
	if m.TimeNano != 0 {
		return m.TimeNano
	}
	return m.Time * int64(time.Second)
}

// exitCodeOf reads a die event's "exitCode" attribute; 0 when it is
// missing or not a number.
func exitCodeOf(attrs map[string]string) int {
	n, err := strconv.Atoi(attrs["exitCode"])
	if err != nil {
		return 0
	}
	return n
}

// oomDuring is true when the container's last exit was an OOM kill and
// happened at or after since (the flag stays set after a restart, and
// until the next exit).
func oomDuring(st *container.State, since time.Time) bool {
	if st == nil || !st.OOMKilled {
		return false
	}
	finished, err := time.Parse(time.RFC3339Nano, st.FinishedAt)
	if err != nil || finished.IsZero() {
		return false
	}
	return !finished.Before(since)
}

// timestamp formats t as the Events API's since and until want it:
// seconds.nanoseconds since the epoch.
func timestamp(t time.Time) string {
	return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond())
}
