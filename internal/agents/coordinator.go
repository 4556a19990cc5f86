package agents

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
)

// Defaults of a Coordinator.
const (
	// DefaultStartDelay is the time from creating the agents to the agreed
	// start: scheduling, starting the containers, reading the plan.
	DefaultStartDelay = 8 * time.Second
	// DefaultLateStart is how late after the start an agent may begin.
	DefaultLateStart = 2 * time.Second
	// DefaultReportGrace is how long after the load's end the records may
	// take to arrive before the missing agents are called late.
	DefaultReportGrace = 20 * time.Second
	// ClockBound is the clock offset beyond which an agent's clock is
	// reported as off.
	ClockBound = 100 * time.Millisecond
)

// Fleet starts load agents; dockerctl's Swarm agents are the real one.
type Fleet interface {
	// Nodes lists the nodes where a global service with these placement
	// constraints runs an agent.
	Nodes(ctx context.Context, constraints []string) ([]Node, error)
	// Start starts the agents of spec.
	Start(ctx context.Context, spec Spec) (Service, error)
}

// Node is a Swarm node.
type Node struct{ ID, Name string }

// Spec is one set of agents for one cell.
type Spec struct {
	// Agents is the matrix's agents block (image, network, constraints).
	Agents matrix.Agents
	// Replicas is the number of agents in replicated mode.
	Replicas int
	// Plan is the encoded plan every agent reads (Plan.Encode).
	Plan []byte
	// Cell names the cell, for the service's name and labels.
	Cell string
	// Deadline is when the agents stop on their own.
	Deadline time.Time
}

// Service is a running set of agents.
type Service interface {
	// Logs follows the agents' output, every task's lines in order.
	Logs(ctx context.Context) (io.ReadCloser, error)
	// Tasks lists the agents' tasks as the engine sees them.
	Tasks(ctx context.Context) ([]Task, error)
	// Remove stops and removes the agents and what was made for them.
	Remove(ctx context.Context) error
}

// Task is one agent's task.
type Task struct {
	// Slot is its slot (replicated mode, from 1); NodeID and NodeName
	// where it was placed.
	Slot             int
	NodeID, NodeName string
	// State is the engine's task state; Ended is true once it is final.
	State string
	Ended bool
	// Err is the engine's error for the task; ExitCode its container's.
	Err      string
	ExitCode int
}

// Coordinator runs cells on load agents. Its Load has load.Run's signature.
type Coordinator struct {
	Fleet  Fleet
	Agents matrix.Agents
	// StartDelay, LateStart and ReportGrace default to the Default values.
	StartDelay, LateStart, ReportGrace time.Duration
	// Logf, when set, receives progress lines.
	Logf func(format string, args ...any)
	// Secrets are the matrix's values from the environment, which agents
	// redact from their records (matrix.Secrets).
	Secrets []matrix.Secret
}

// Load runs cfg's cell on the agents and returns their merged record, with
// each agent's share in rec.Agents. A cell where some agents sent nothing
// is returned with those agents marked; one where none did is an error
// naming each. When ctx ends the agents are removed at once and aborted is
// true. The agents are removed before Load returns, whatever happened.
func (c *Coordinator) Load(ctx context.Context, cfg load.Config) (rec *results.Load, aborted bool, err error) {
	c.defaults()
	spec, plan, err := c.plan(ctx, cfg)
	if err != nil {
		return nil, false, err
	}
	svc, err := c.Fleet.Start(ctx, spec)
	if err != nil {
		return nil, false, fmt.Errorf("start %d load agents: %w", len(plan.Shares), err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if rerr := svc.Remove(rctx); rerr != nil {
			c.Logf("remove the load agents: %v", rerr)
		}
	}()
	c.Logf("%d load agents start at %s", len(plan.Shares), plan.Start.Format("15:04:05.000"))
	w := newWatch(plan, svc)
	aborted = w.run(ctx)
	shares := w.shares()
	rec, err = Merge(cfg.Cell, plan.Start, shares)
	if aborted && err != nil {
		return nil, true, nil
	}
	return rec, aborted, err
}

func (c *Coordinator) defaults() {
	if c.StartDelay <= 0 {
		c.StartDelay = DefaultStartDelay
	}
	if c.LateStart <= 0 {
		c.LateStart = DefaultLateStart
	}
	if c.ReportGrace <= 0 {
		c.ReportGrace = DefaultReportGrace
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
}

// plan splits the cell over the agents and encodes the plan.
func (c *Coordinator) plan(ctx context.Context, cfg load.Config) (Spec, *Plan, error) {
	n := c.Agents.Count()
	var nodes []Node
	if c.Agents.Global {
		var err error
		if nodes, err = c.Fleet.Nodes(ctx, c.Agents.Constraints); err != nil {
			return Spec{}, nil, fmt.Errorf("load agents: %w", err)
		}
		if len(nodes) == 0 {
			return Spec{}, nil, fmt.Errorf("load agents: no node matches the constraints %q", c.Agents.Constraints)
		}
		n = len(nodes)
	}
	if n < 1 {
		return Spec{}, nil, fmt.Errorf("load agents: none asked for (agents: {swarm: {replicas: N}})")
	}
	plan, err := NewPlan(cfg.Target, cfg.Scenario, cfg.Cell, n, time.Now().Add(c.StartDelay), c.LateStart, c.ReportGrace)
	if err != nil {
		return Spec{}, nil, err
	}
	for _, nd := range nodes {
		plan.Nodes = append(plan.Nodes, nd.ID)
	}
	plan.Secrets = c.Secrets
	plan.PerNode = c.perNode(ctx, len(plan.Shares), nodes)
	data, err := plan.Encode()
	if err != nil {
		return Spec{}, nil, err
	}
	if len(data) > MaxPlanSize {
		return Spec{}, nil, plan.tooBig(len(data))
	}
	spec := Spec{Agents: c.Agents, Replicas: len(plan.Shares), Plan: data, Cell: cfg.Cell.ID, Deadline: plan.Deadline}
	return spec, plan, nil
}

// perNode is how many of the n agents share a node: one each in global
// mode, else spread over the nodes the constraints allow (0 when the
// fleet cannot tell).
func (c *Coordinator) perNode(ctx context.Context, n int, nodes []Node) int {
	if !c.Agents.Global {
		if c.Fleet == nil {
			return 0
		}
		var err error
		if nodes, err = c.Fleet.Nodes(ctx, c.Agents.Constraints); err != nil {
			return 0
		}
	}
	return perNode(n, len(nodes))
}

// watch follows one cell's agents until each has sent its record, failed,
// or run out of time.
type watch struct {
	plan   *Plan
	svc    Service
	state  []agentState
	lines  chan Message
	errs   chan error
	n      int // agents with a share
	closed int // agents resolved
}

type agentState struct {
	name, node string
	report     *Report
	status     string
	err        string
	offset     time.Duration
	hellos     int
	exited     time.Time // when its task was seen ended without a record
}

func newWatch(p *Plan, svc Service) *watch {
	w := &watch{plan: p, svc: svc, n: len(p.Shares), lines: make(chan Message, 64), errs: make(chan error, 1)}
	w.state = make([]agentState, len(p.Shares))
	for i := range w.state {
		w.state[i].name = fmt.Sprintf("agent %d", i+1)
	}
	return w
}

// run returns true when ctx ended before every agent was resolved.
func (w *watch) run(ctx context.Context) bool {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go w.follow(lctx)
	poll := time.NewTicker(time.Second)
	defer poll.Stop()
	end := time.NewTimer(time.Until(w.plan.Deadline.Add(5 * time.Second)))
	defer end.Stop()
	for w.closed < w.n {
		select {
		case <-ctx.Done():
			return true
		case m := <-w.lines:
			w.message(m, time.Now())
		case err := <-w.errs:
			w.resolveAll(results.AgentFailed, fmt.Sprintf("its output could not be read: %v", err))
		case <-poll.C:
			w.tasks(ctx)
		case <-end.C:
			late := w.plan.Deadline.Add(5 * time.Second).Sub(w.plan.Start.Add(w.plan.Cell.Duration))
			w.resolveAll(results.AgentLate, fmt.Sprintf("sent no record within %s after the load was to end", late.Round(time.Second)))
		}
	}
	return false
}

// follow reads the agents' output into w.lines.
func (w *watch) follow(ctx context.Context) {
	rc, err := w.svc.Logs(ctx)
	if err != nil {
		w.fail(err)
		return
	}
	defer rc.Close()
	r := NewReader()
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		m, ok, err := r.Line(sc.Text())
		if err != nil {
			m = Message{Index: m.Index, Kind: "fail", Text: err.Error()}
			ok = true
		}
		if !ok {
			continue
		}
		select {
		case w.lines <- m:
		case <-ctx.Done():
			return
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		w.fail(err)
	}
}

func (w *watch) fail(err error) {
	select {
	case w.errs <- err:
	default:
	}
}

func (w *watch) message(m Message, at time.Time) {
	if m.Index < 0 || m.Index >= len(w.state) {
		return
	}
	s := &w.state[m.Index]
	switch m.Kind {
	case "hello":
		off := m.Clock.Sub(at)
		if s.hellos == 0 || off > s.offset {
			s.offset = off
		}
		s.hellos++
	case "fail":
		w.resolve(m.Index, results.AgentFailed, m.Text)
	case "idle":
		w.resolve(m.Index, results.AgentFailed, "the plan gave it no share")
	case "report":
		if s.status == "" {
			s.report = m.Report
			s.node = cmp.Or(s.node, m.Report.Node)
			w.resolve(m.Index, results.AgentOK, "")
		}
	}
}

func (w *watch) resolve(i int, status, msg string) {
	s := &w.state[i]
	if s.status != "" {
		return
	}
	s.status, s.err = status, msg
	w.closed++
}

func (w *watch) resolveAll(status, msg string) {
	for i := range w.state {
		w.resolve(i, status, msg)
	}
}

// tasks checks the agents' tasks: one that ended without a record failed
// (after a few seconds, in case its last lines are still on their way), one
// not running by the start never started.
func (w *watch) tasks(ctx context.Context) {
	tasks, err := w.svc.Tasks(ctx)
	if err != nil {
		return
	}
	now := time.Now()
	seen := make([]bool, len(w.state))
	for _, t := range tasks {
		i := w.index(t)
		if i < 0 {
			continue
		}
		s := &w.state[i]
		s.node = cmp.Or(t.NodeName, s.node)
		if t.State == "running" || !t.Ended {
			seen[i] = seen[i] || t.State == "running" || t.State == "starting"
			continue
		}
		seen[i] = true
		if s.exited.IsZero() {
			s.exited = now
		}
		if now.Sub(s.exited) < 3*time.Second {
			continue
		}
		msg := fmt.Sprintf("its task ended (%s", t.State)
		if t.ExitCode != 0 {
			msg += fmt.Sprintf(", exit code %d", t.ExitCode)
		}
		if t.Err != "" {
			msg += ": " + t.Err
		}
		w.resolve(i, results.AgentFailed, msg+") before it sent its record")
	}
	if now.After(w.plan.Start.Add(w.plan.LateStart + 3*time.Second)) {
		for i, ok := range seen {
			if !ok && w.state[i].hellos == 0 {
				w.resolve(i, results.AgentFailed, "it never started: no running task by the agreed start")
			}
		}
	}
}

func (w *watch) index(t Task) int {
	if len(w.plan.Nodes) > 0 {
		for i, n := range w.plan.Nodes {
			if n == t.NodeID && i < len(w.state) {
				return i
			}
		}
		return -1
	}
	if t.Slot < 1 || t.Slot > len(w.state) {
		return -1
	}
	return t.Slot - 1
}

// shares is what the watch learnt, for Merge.
func (w *watch) shares() []Share {
	out := make([]Share, len(w.state))
	for i, s := range w.state {
		sh := Share{Cell: w.plan.Shares[i], Name: s.name, Node: s.node, Report: s.report, Status: s.status, Error: s.err, Offset: s.offset}
		if sh.Status == "" {
			sh.Status, sh.Error = results.AgentFailed, "interrupted before it sent its record"
		}
		if s.report != nil && (s.offset > ClockBound || s.offset < -ClockBound) {
			sh.Error = fmt.Sprintf("its clock is %s off the coordinator's (more than ±%s)", s.offset.Round(time.Millisecond), ClockBound)
		}
		if s.report != nil && s.report.Aborted {
			sh.Status, sh.Error = results.AgentLate, "its load was cut short at its deadline"
		}
		out[i] = sh
	}
	return out
}
