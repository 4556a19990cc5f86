//go:build linux

package load

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/valyala/fasthttp"

	"github.com/scalebench/scalebench/internal/matrix"
)

// The event loops: on Linux, the users (closed loop) and slots (open loop)
// of a plain-HTTP target are driven from epoll by a few goroutines (see
// evLoops), each owning a share of the users and their connections as
// wrk's threads do, instead of a goroutine and a net.Conn per user. Per
// request that is one write and one read system call, and no goroutine
// parked and woken by the runtime's netpoller; requests are written as
// bytes prepared once per endpoint and answers parsed by respParser. Half
// the closed loop's user CPU was the runtime's networking around each read
// and write and a quarter fasthttp's writing and parsing (bench/README.md).
// What a user does is unchanged: pick by weight, send, wait for the whole
// answer, judge it, record it, think, with the same failure classes,
// timeouts, redirects and data-file rows as the goroutine users
// (client.go), which HTTPS targets and other systems still use. An open
// loop's sends are paced by the loops' own waits (epoll_pwait2, to the
// microsecond), where Go's timers woke the goroutine pacer about half a
// millisecond late, and that lateness was counted in every latency. A
// connection is dialed by a short goroutine through the standard dialer
// (name resolution, timeouts and errors as before), and the loop takes
// over a duplicate of its socket.

// evLoopsSupported reports whether this system has the event loops.
const evLoopsSupported = true

// evLoops is how many event loops a closed loop of users runs: one per two
// cores the process may use, as the generator shares its host with the
// system it measures; at least one, at most one per user. An open loop
// runs on one (see newEvGroup).
func evLoops(users int) int {
	n := runtime.GOMAXPROCS(0) / 2
	if evLoopsOverride > 0 {
		n = evLoopsOverride
	}
	return max(1, min(users, n))
}

// evLoopsOverride, when positive, is the loop count instead: for tests of
// several loops on a machine of two cores.
var evLoopsOverride int

// User states.
const (
	stIdle    uint8 = iota // thinking, or not started
	stDialing              // waiting for its connection
	stWriting              // the request is partly written
	stReading              // waiting for the answer
)

// evGroup is a cell's event loops and what they share.
type evGroup struct {
	l     *loop
	loops []*evLoop
	// open: the users are an open loop's slots, on one loop; send k is
	// due at k·interval (nanoseconds).
	open     bool
	interval float64
	// wire is each endpoint's request as written, for endpoints filled
	// from no data row (nil for the others): read-only, shared.
	wire   [][]byte
	head   []bool // the endpoint's method is HEAD
	closes []bool // the endpoint's request asks to close the connection
	// scheme and host are the target's, as redirects are checked against.
	scheme, host []byte
	// raw: the loops' waits keep their processor (see wait and
	// rawWaits); checked again at every deadline scan, as GOMAXPROCS may
	// change during a run.
	raw atomic.Bool
	// scanEvery is how often a loop looks for requests past their
	// deadline: half the slack of the shortest timeout (see
	// deadlineSlack), so that a request times out no earlier than its
	// timeout and at most the slack later, as on the goroutine users'
	// connections.
	scanEvery time.Duration
	dialer    net.Dialer
	// failed is closed when a loop cannot go on: Run stops the cell.
	failed   chan struct{}
	failOnce sync.Once
	ctx      context.Context // cancelled when the load stops: ends dials
	addr     string
}

// newEvGroup prepares the event loops for users (closed loop) or slots
// (open loop): l's endpoints must be compiled and l.cell set. It fails only
// when the system refuses an epoll instance or a pipe.
func newEvGroup(ctx context.Context, l *loop, t target, users int) (*evGroup, error) {
	g := &evGroup{l: l, ctx: ctx, addr: t.addr, open: l.cell.Mode == matrix.Open, failed: make(chan struct{})}
	if g.open {
		g.interval = float64(time.Second) / l.cell.Rate
	}
	var req fasthttp.Request
	for i := range l.eps {
		e := &l.eps[i]
		e.build(&req)
		finishRequest(&req, clientName)
		if i == 0 {
			g.scheme = append([]byte(nil), req.URI().Scheme()...)
			g.host = append([]byte(nil), req.URI().Host()...)
		}
		g.head = append(g.head, req.Header.IsHead())
		g.closes = append(g.closes, req.ConnectionClose())
		var w []byte
		if e.rows == nil {
			w = writeRequest(nil, &req)
		}
		g.wire = append(g.wire, w)
		slack := max(500*time.Microsecond, deadlineSlack(e.timeout)/2)
		if i == 0 || slack < g.scanEvery {
			g.scanEvery = slack
		}
	}
	n := evLoops(users)
	if g.open {
		// One loop: its slots are one pool, as the goroutine slots are.
		// Slots split between loops would make a send wait for a slot of
		// its own loop while another loop's sat free, and count it late.
		// One loop sends tens of thousands of requests per second; more
		// comes from load agents.
		n = 1
	}
	for range n {
		lp, err := newEvLoop(g, loopRingSize)
		if err != nil {
			g.close()
			return nil, err
		}
		g.loops = append(g.loops, lp)
	}
	g.raw.Store(rawWaits(n))
	for k := range users {
		lp := g.loops[k%n]
		lp.users = append(lp.users, &evUser{id: k, idx: int32(len(lp.users)), fd: -1})
	}
	return g, nil
}

// writeRequest writes req as it goes on the wire into dst's array (grown
// as needed) and returns the bytes.
func writeRequest(dst []byte, req *fasthttp.Request) []byte {
	b := bytes.NewBuffer(dst[:0])
	req.WriteTo(b) // writing to a bytes.Buffer does not fail
	return b.Bytes()
}

// rings are the loops' rings, one per loop, for the collector.
func (g *evGroup) rings() []*ring {
	rs := make([]*ring, len(g.loops))
	for i, lp := range g.loops {
		rs[i] = lp.ring
	}
	return rs
}

// run starts every loop once begin is closed.
func (g *evGroup) run(wg *sync.WaitGroup, begin <-chan struct{}) {
	for _, lp := range g.loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-begin
			lp.run()
		}()
	}
}

// wake makes every loop look at the stop flag now.
func (g *evGroup) wake() {
	for _, lp := range g.loops {
		lp.wake()
	}
}

// close releases what newEvGroup made, once its loops have ended or when
// they never ran.
func (g *evGroup) close() {
	for _, lp := range g.loops {
		lp.release()
		syscall.Close(lp.pipe[0])
		syscall.Close(lp.pipe[1])
		syscall.Close(lp.epfd)
	}
}

// failure is closed when a loop could not go on.
func (g *evGroup) failure() <-chan struct{} { return g.failed }

// inFlight is the open loop's requests in flight.
func (g *evGroup) inFlight() int {
	n := int64(0)
	for _, lp := range g.loops {
		n += lp.inflight.Load()
	}
	return int(n)
}

// sent is the open loop's sends, once the loops have ended.
func (g *evGroup) sent() int64 {
	n := int64(0)
	for _, lp := range g.loops {
		n += lp.sent
	}
	return n
}

// err is the first loop's failure, if a loop could not go on.
func (g *evGroup) err() error {
	for _, lp := range g.loops {
		if lp.err != nil {
			return lp.err
		}
	}
	return nil
}

// loopRingSize is a loop's ring: one loop carries many users, and 8192
// samples hold 20 ms of 400k requests per second.
const loopRingSize = 8192

// evUser is one virtual user of an event loop.
type evUser struct {
	id      int
	idx     int32 // in its loop's users; the epoll data is idx+1
	rng     *rand.Rand
	state   uint8
	started bool // its first request was sent
	// gen counts the user's requests and hops; a timer or a dial
	// carrying an older one is stale.
	gen uint32
	// The connection: fd (-1 for none), whether it carried a request
	// already, whether epoll waits for it to be writable (see watchOut).
	fd      int
	reused  bool
	wantOut bool
	// The request in flight: endpoint, when it was sent (from the start),
	// when it times out, its redirects followed so far, whether it is a
	// retry, whether it is a HEAD, whether a byte of its answer came.
	ep       int
	sent     time.Duration
	due      time.Duration // open loop: its intended time; latency counts from it
	late     bool          // open loop: it waited for a free slot
	deadline time.Duration
	hops     int
	retried  bool
	head     bool
	got      bool
	// out is what is written (an endpoint's wire bytes or own), off how
	// much of it went.
	out []byte
	off int
	own []byte
	// in holds received bytes; in[r:] is not yet parsed.
	in []byte
	r  int
	p  respParser
	// For endpoints filled from data rows, and redirect hops.
	req  *fasthttp.Request
	hop  *fasthttp.Request
	fill fillState
}

// evLoop drives its users' connections from one epoll instance.
type evLoop struct {
	g     *evGroup
	epfd  int
	pipe  [2]int // a byte written to pipe[1] wakes the loop
	ring  *ring
	users []*evUser
	evs   []syscall.EpollEvent
	ts    syscall.Timespec // epoll_pwait2's timeout
	// thinks holds users waiting to start a request (spawn, think time);
	// deadlines are looked for at nextScan.
	thinks   timerHeap
	nextScan time.Duration
	now      time.Duration // the clock when last read, from the start

	// Open loop: free slots, the most recently freed last (its
	// connection is the warmest), since when some slot has been free,
	// the loop's next send, sends made, requests in flight.
	free      []*evUser
	freeSince time.Duration
	next      int64
	sent      int64
	inflight  atomic.Int64

	mu     sync.Mutex
	dialed []dialResult // handed over by dial goroutines
	closed bool         // the loop ended: dials close what they made
	dials  sync.WaitGroup
	err    error // why the loop could not go on
}

type dialResult struct {
	u   *evUser
	gen uint32
	fd  int
	err error
}

func newEvLoop(g *evGroup, ringLen int) (*evLoop, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	lp := &evLoop{g: g, epfd: epfd, ring: newRing(ringLen), evs: make([]syscall.EpollEvent, 256)}
	if err := syscall.Pipe2(lp.pipe[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
		syscall.Close(epfd)
		return nil, os.NewSyscallError("pipe2", err)
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: 0}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, lp.pipe[0], &ev); err != nil {
		syscall.Close(lp.pipe[0])
		syscall.Close(lp.pipe[1])
		syscall.Close(epfd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	return lp, nil
}

func (lp *evLoop) wake() {
	syscall.Write(lp.pipe[1], []byte{1}) // a full pipe already wakes it
}

// release closes every user's connection and the dials not yet taken,
// and makes dials still running close theirs. The pipe and the epoll
// instance stay open until the group's close: Run may still wake the loop.
func (lp *evLoop) release() {
	lp.mu.Lock()
	lp.closed = true
	for _, d := range lp.dialed {
		if d.fd >= 0 {
			syscall.Close(d.fd)
		}
	}
	lp.dialed = nil
	lp.mu.Unlock()
	for _, u := range lp.users {
		lp.drop(u)
	}
	lp.inflight.Store(0) // requests the stop cut short are in flight no more
}

// run is the loop: start users as the spawn rate says, then serve epoll
// events and timers until the load stops.
func (lp *evLoop) run() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer func() {
		lp.release()
		lp.dials.Wait()
	}()
	l := lp.g.l
	lp.tick()
	for _, u := range lp.users {
		u.rng = newUserRand(l.start, u.id)
		if lp.g.open {
			lp.free = append(lp.free, u)
			continue
		}
		due := time.Duration(0)
		if l.cell.SpawnRate > 0 {
			due = time.Duration(float64(u.id) / l.cell.SpawnRate * float64(time.Second))
		}
		lp.thinks.push(timer{due: due, u: u, gen: u.gen})
	}
	for !l.stopped.Load() {
		lp.timers()
		if lp.g.open {
			lp.pace()
		}
		n, err := lp.wait(lp.waitFor())
		if err != nil {
			lp.err = fmt.Errorf("event loop: %w", err)
			lp.g.failOnce.Do(func() { close(lp.g.failed) })
			return
		}
		lp.tick()
		for _, ev := range lp.evs[:n] {
			if l.stopped.Load() {
				return
			}
			if ev.Fd == 0 {
				lp.takeDials()
				continue
			}
			lp.event(lp.users[ev.Fd-1])
		}
	}
}

// tick reads the clock.
func (lp *evLoop) tick() { lp.now = time.Since(lp.g.l.start) }

// waitFor is how long epoll may wait: until the next timer or deadline
// scan, at most a second (the stop wakes it through the pipe).
func (lp *evLoop) waitFor() time.Duration {
	next := min(lp.now+time.Second, lp.nextScan)
	if t, ok := lp.thinks.peek(); ok {
		next = min(next, t.due)
	}
	if due := lp.due(); lp.g.open && len(lp.free) > 0 && due < lp.g.l.cell.Duration {
		next = min(next, due)
	}
	return max(0, next-lp.now)
}

// rawWaits reports whether n loops may wait keeping their processors:
// when they leave the runtime one, and the runtime can preempt a loop
// blocked in a wait (its signals interrupt the wait; asyncpreemptoff
// turns them off).
func rawWaits(n int) bool {
	return n < runtime.GOMAXPROCS(0) && !asyncPreemptOff
}

var asyncPreemptOff = strings.Contains(os.Getenv("GODEBUG"), "asyncpreemptoff=1")

// sysEpollPwait2 is epoll_pwait2's number on every Linux architecture.
const sysEpollPwait2 = 441

// noPwait2 is set once epoll_pwait2 turned out missing (Linux < 5.11).
var noPwait2 atomic.Bool

// wait waits at most d for events, to the microsecond with epoll_pwait2
// (think times of a few milliseconds stay what was drawn), else to the
// millisecond, rounded up.
//
// When the loops leave the runtime a processor of its own (g.raw), the
// wait keeps the loop's: a system call the runtime is told about lets its
// monitor watch it, and at 5,000 sends per second, two waits per request,
// that monitor woke about once per request (measured with perf's
// sched_switch events), 15–25% of an open loop's CPU. A wait that keeps its
// processor is still interrupted (EINTR) when the runtime preempts the
// loop (after 10 ms) or stops the world, and the collector runs on the
// processor left free; a dial goroutine the loop starts waits for that
// processor to take it from the loop's queue, or for the preemption.
func (lp *evLoop) wait(d time.Duration) (int, error) {
	if !noPwait2.Load() {
		lp.ts = syscall.NsecToTimespec(int64(d))
		var n uintptr
		var errno syscall.Errno
		if lp.g.raw.Load() {
			n, _, errno = syscall.RawSyscall6(sysEpollPwait2, uintptr(lp.epfd), uintptr(unsafe.Pointer(&lp.evs[0])),
				uintptr(len(lp.evs)), uintptr(unsafe.Pointer(&lp.ts)), 0, 0)
		} else {
			n, _, errno = syscall.Syscall6(sysEpollPwait2, uintptr(lp.epfd), uintptr(unsafe.Pointer(&lp.evs[0])),
				uintptr(len(lp.evs)), uintptr(unsafe.Pointer(&lp.ts)), 0, 0)
		}
		if errno != syscall.ENOSYS {
			if errno != 0 && errno != syscall.EINTR {
				return 0, os.NewSyscallError("epoll_pwait2", errno)
			}
			return max(int(n), 0), nil
		}
		noPwait2.Store(true)
	}
	n, err := syscall.EpollWait(lp.epfd, lp.evs, int((d+time.Millisecond-1)/time.Millisecond))
	if err != nil && err != syscall.EINTR {
		return 0, os.NewSyscallError("epoll_wait", err)
	}
	return max(n, 0), nil
}

// timers fires what is due: users whose think time (or spawn time) ended
// start their next request, requests past their deadline time out.
func (lp *evLoop) timers() {
	l := lp.g.l
	lp.tick()
	if lp.now >= lp.nextScan {
		lp.nextScan = lp.now + lp.g.scanEvery
		lp.g.raw.Store(rawWaits(len(lp.g.loops)))
		for _, u := range lp.users {
			if u.state != stIdle && u.deadline <= lp.now {
				lp.fail(u, os.ErrDeadlineExceeded)
			}
		}
	}
	for {
		t, ok := lp.thinks.peek()
		if !ok || t.due > lp.now || l.stopped.Load() {
			return
		}
		lp.thinks.pop()
		if t.gen != t.u.gen || t.u.state != stIdle {
			continue
		}
		if !t.u.started {
			t.u.started = true
			l.spawned.Add(1)
		}
		lp.begin(t.u)
	}
}

// due is the intended time of the loop's next open-loop send.
func (lp *evLoop) due() time.Duration {
	return time.Duration(float64(lp.next) * lp.g.interval)
}

// pace makes the open-loop sends that are due, each from a free slot,
// until the cell's duration. A send that finds no free slot waits for
// one and is late when the slot that takes it became free more than
// lateAfter after the send was due: a loop that wakes a little late does
// not make a send late, only a busy target does.
func (lp *evLoop) pace() {
	l := lp.g.l
	for len(lp.free) > 0 && !l.stopped.Load() {
		due := lp.due()
		if due > lp.now || due >= l.cell.Duration {
			return
		}
		u := lp.free[len(lp.free)-1]
		lp.free = lp.free[:len(lp.free)-1]
		lp.next++
		lp.sent++
		lp.inflight.Add(1)
		u.due, u.late = due, lp.freeSince-due > lateAfter
		lp.begin(u)
	}
}

// event handles epoll's news of u's connection.
func (lp *evLoop) event(u *evUser) {
	switch u.state {
	case stWriting:
		lp.write(u)
	case stReading:
		lp.read(u)
	default:
		// An idle connection became readable: the server closed it (or
		// spoke out of turn). Either way it carries no more requests.
		lp.drop(u)
	}
}

// begin starts u's next request.
func (lp *evLoop) begin(u *evUser) {
	l := lp.g.l
	i := l.pick.pick(u.rng)
	e := &l.eps[i]
	u.ep, u.sent, u.hops, u.retried = i, lp.now, 0, false
	if w := lp.g.wire[i]; w != nil {
		u.out = w
	} else {
		if u.req == nil {
			u.req = new(fasthttp.Request)
		}
		e.build(u.req)
		e.rows.fill(u.req, &u.fill)
		finishRequest(u.req, clientName)
		u.own = writeRequest(u.own, u.req)
		u.out = u.own
	}
	lp.send(u, lp.g.head[i], true)
}

// send writes u.out on u's connection, dialing one first when it has none;
// fresh: with a new deadline (a retry keeps its request's).
func (lp *evLoop) send(u *evUser, head, fresh bool) {
	e := &lp.g.l.eps[u.ep]
	u.gen++
	u.head, u.got = head, false
	u.off, u.r = 0, 0
	if cap(u.in) > maxHeaderBytes/4 {
		u.in = make([]byte, 0, readBufferSize) // grown for a large header block once
	}
	u.in = u.in[:0]
	u.p.reset(head, keepBody(e))
	if fresh {
		u.deadline = lp.now + e.timeout
	}
	if u.fd < 0 {
		lp.dial(u, e.timeout)
		return
	}
	lp.write(u)
}

// dial connects u in a goroutine of its own: the standard dialer resolves
// the name and times out as the goroutine users' dials do.
func (lp *evLoop) dial(u *evUser, timeout time.Duration) {
	u.state = stDialing
	gen := u.gen
	lp.dials.Add(1)
	go func() {
		defer lp.dials.Done()
		fd, err := lp.g.dialFD(timeout)
		lp.mu.Lock()
		if lp.closed {
			lp.mu.Unlock()
			if fd >= 0 {
				syscall.Close(fd)
			}
			return
		}
		lp.dialed = append(lp.dialed, dialResult{u: u, gen: gen, fd: fd, err: err})
		lp.wake() // under mu: the loop has not released, so its pipe is open
		lp.mu.Unlock()
	}()
}

// dialFD dials the target and returns a duplicate of the connection's
// socket (non-blocking, close-on-exec), the connection itself closed.
func (g *evGroup) dialFD(timeout time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(g.ctx, timeout)
	defer cancel()
	nc, err := g.dialer.DialContext(ctx, "tcp", g.addr)
	if err != nil {
		return -1, err
	}
	defer nc.Close()
	rc, err := nc.(*net.TCPConn).SyscallConn()
	if err != nil {
		return -1, err
	}
	fd, derr := -1, error(nil)
	err = rc.Control(func(s uintptr) {
		r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, s, syscall.F_DUPFD_CLOEXEC, 0)
		if errno != 0 {
			derr = os.NewSyscallError("fcntl", errno)
			return
		}
		fd = int(r)
	})
	return fd, cmp.Or(err, derr)
}

// takeDials hands finished dials to their users.
func (lp *evLoop) takeDials() {
	var b [64]byte
	for {
		if n, _ := syscall.Read(lp.pipe[0], b[:]); n < len(b) {
			break
		}
	}
	lp.mu.Lock()
	ds := lp.dialed
	lp.dialed = nil
	lp.mu.Unlock()
	for _, d := range ds {
		u := d.u
		if d.gen != u.gen || u.state != stDialing {
			if d.fd >= 0 {
				syscall.Close(d.fd) // its request timed out meanwhile
			}
			continue
		}
		if d.err != nil {
			lp.fail(u, d.err)
			continue
		}
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: u.idx + 1}
		if err := syscall.EpollCtl(lp.epfd, syscall.EPOLL_CTL_ADD, d.fd, &ev); err != nil {
			syscall.Close(d.fd)
			lp.fail(u, os.NewSyscallError("epoll_ctl", err))
			continue
		}
		u.fd, u.reused, u.wantOut = d.fd, false, false
		if cap(u.in) == 0 {
			u.in = make([]byte, 0, readBufferSize)
		}
		lp.write(u)
	}
}

// write writes what is left of u.out; the rest waits for the socket to
// become writable.
func (lp *evLoop) write(u *evUser) {
	for u.off < len(u.out) {
		n, err := syscall.Write(u.fd, u.out[u.off:])
		switch {
		case err == syscall.EAGAIN:
			u.state = stWriting
			lp.watchOut(u, true)
			return
		case err == syscall.EINTR:
			continue
		case err != nil:
			lp.broken(u, os.NewSyscallError("write", err))
			return
		}
		u.off += n
	}
	lp.watchOut(u, false)
	u.state = stReading
}

// watchOut makes epoll report u's socket when writable instead of
// readable, or back. Not both: an answer arriving while the request is
// still written (an early 413) would keep a level-triggered EPOLLIN
// ready, and the loop spinning, until the write ends.
func (lp *evLoop) watchOut(u *evUser, on bool) {
	if u.wantOut == on {
		return
	}
	events := uint32(syscall.EPOLLIN)
	if on {
		events = syscall.EPOLLOUT
	}
	ev := syscall.EpollEvent{Events: events, Fd: u.idx + 1}
	syscall.EpollCtl(lp.epfd, syscall.EPOLL_CTL_MOD, u.fd, &ev)
	u.wantOut = on
}

// read takes what arrived on u's connection and parses it.
func (lp *evLoop) read(u *evUser) {
	for {
		if len(u.in) == cap(u.in) {
			lp.makeRoom(u)
		}
		space := cap(u.in) - len(u.in)
		n, err := syscall.Read(u.fd, u.in[len(u.in):cap(u.in)])
		switch {
		case err == syscall.EAGAIN:
			return
		case err == syscall.EINTR:
			continue
		case err != nil:
			lp.broken(u, os.NewSyscallError("read", err))
			return
		case n == 0:
			done, perr := u.p.eof()
			switch {
			case done:
				lp.answered(u)
			case errors.Is(perr, errNothingRead):
				lp.broken(u, perr)
			default:
				lp.fail(u, perr)
			}
			return
		}
		if !lp.received(u, n) || n < space {
			return // answered, or the socket is drained: epoll reports the next bytes
		}
	}
}

// received parses the n bytes just read into u.in; it reports whether the
// answer is still to come.
func (lp *evLoop) received(u *evUser, n int) bool {
	u.in = u.in[:len(u.in)+n]
	u.got = true
	used, done, err := u.p.feed(u.in[u.r:])
	u.r += used
	switch {
	case err != nil:
		lp.fail(u, err)
		return false
	case done:
		lp.answered(u)
		return false
	}
	return true
}

// makeRoom moves the unparsed bytes to the front of u.in, or grows it
// when they fill it (a header block being received).
func (lp *evLoop) makeRoom(u *evUser) {
	rest := len(u.in) - u.r
	if rest < cap(u.in)/2 {
		copy(u.in[:rest], u.in[u.r:])
		u.in, u.r = u.in[:rest], 0
		return
	}
	b := make([]byte, rest, 2*cap(u.in))
	copy(b, u.in[u.r:])
	u.in, u.r = b, 0
}

// broken handles a connection that failed before or while the request was
// answered: when it had carried a request before and nothing of this
// answer came, the server closed it while it was idle, and the request is
// sent once more on a new connection, as browsers do; otherwise it fails.
func (lp *evLoop) broken(u *evUser, err error) {
	if u.reused && !u.retried && !u.got && (errors.Is(err, errNothingRead) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)) {
		lp.drop(u)
		u.retried = true
		lp.send(u, u.head, false)
		return
	}
	lp.fail(u, err)
}

// answered handles a whole answer: a redirect to follow is sent on, any
// other answer judged and recorded.
func (lp *evLoop) answered(u *evUser) {
	g := lp.g
	e := &g.l.eps[u.ep]
	if u.p.close || g.closes[u.ep] || u.r < len(u.in) {
		// Closing, or bytes beyond the answer: a server that sends
		// more than it framed cannot be read on the same connection.
		lp.drop(u)
	} else {
		u.reused = true
	}
	if e.redirects > 0 && isRedirect(u.p.status) && len(u.p.location) > 0 {
		if u.hop == nil {
			u.hop = new(fasthttp.Request)
		}
		if u.hops == 0 {
			if g.wire[u.ep] != nil {
				e.build(u.hop)
				finishRequest(u.hop, clientName)
			} else {
				u.req.CopyTo(u.hop)
			}
		}
		ok, err := nextHop(u.hop, u.p.status, u.p.location, u.hops, e, g.scheme, g.host)
		if err != nil {
			lp.finish(u, failed(err, e.timeout)) // the connection is sound
			return
		}
		if ok {
			u.hops++
			u.retried = false
			u.own = writeRequest(u.own, u.hop)
			u.out = u.own
			lp.send(u, u.hop.Header.IsHead(), true)
			return
		}
	}
	o := judge(e, u.p.status, u.p.body, u.p.bodyLen)
	if cap(u.p.body) > maxKeptBody {
		u.p.body = nil // do not hold a large body's buffer between requests
	}
	lp.finish(u, o)
}

// fail ends u's request with err, closing its connection.
func (lp *evLoop) fail(u *evUser, err error) {
	lp.drop(u)
	if errors.Is(err, errNothingRead) {
		err = fasthttp.ErrConnectionClosed
	}
	lp.finish(u, failed(err, lp.g.l.eps[u.ep].timeout))
}

// drop closes u's connection, if any.
func (lp *evLoop) drop(u *evUser) {
	if u.fd >= 0 {
		// Deregister first: a child forked meanwhile may hold the socket
		// open past the close.
		syscall.EpollCtl(lp.epfd, syscall.EPOLL_CTL_DEL, u.fd, nil)
		syscall.Close(u.fd)
		u.fd = -1
	}
	u.reused, u.wantOut = false, false
}

// finish records u's request and starts its think time, or its next
// request at once when there is none.
func (lp *evLoop) finish(u *evUser, o outcome) {
	l := lp.g.l
	u.state = stIdle
	u.gen++
	lp.tick()
	if l.stopped.Load() {
		return
	}
	var think time.Duration
	s := sample{end: lp.now, latency: lp.now - u.due, bytes: o.bytes, ep: int32(u.ep), class: o.class, fail: o.fail, late: u.late}
	if !lp.g.open {
		think = l.wait.Pick(u.rng)
		s.latency, s.wait = lp.now-u.sent, think
	}
	full := lp.ring.full()
	if !lp.ring.push(s, l.stopped) {
		return
	}
	if full {
		lp.tick() // the push waited for the collector: the next send is later
	}
	if lp.g.open {
		lp.inflight.Add(-1)
		if len(lp.free) == 0 {
			lp.freeSince = lp.now
		}
		lp.free = append(lp.free, u)
		lp.pace()
		return
	}
	if think > 0 {
		lp.thinks.push(timer{due: lp.now + think, u: u, gen: u.gen})
		return
	}
	lp.begin(u)
}

// timer is a user's due time for the generation gen of its requests.
type timer struct {
	due time.Duration
	u   *evUser
	gen uint32
}

// timerHeap is a min-heap of timers by due time.
type timerHeap []timer

func (h *timerHeap) push(t timer) {
	*h = append(*h, t)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if s[p].due <= s[i].due {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h timerHeap) peek() (timer, bool) {
	if len(h) == 0 {
		return timer{}, false
	}
	return h[0], true
}

func (h *timerHeap) pop() {
	s := *h
	n := len(s) - 1
	s[0] = s[n]
	s[n] = timer{}
	s = s[:n]
	for i := 0; ; {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && s[c+1].due < s[c].due {
			c++
		}
		if s[i].due <= s[c].due {
			break
		}
		s[i], s[c] = s[c], s[i]
		i = c
	}
	*h = s
}
