package agents

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
)

// Plan is everything an agent needs to run its share of a cell. The
// coordinator writes it once per cell; every agent reads the same plan and
// picks its share by index.
type Plan struct {
	// Target and Scenario are the cell's, weights and think time kept.
	Target   string          `json:"target"`
	Scenario matrix.Scenario `json:"scenario"`
	// Cell is the whole cell; Shares[i] is agent i's part of it.
	Cell   matrix.Cell   `json:"cell"`
	Shares []matrix.Cell `json:"shares"`
	// Start is the agreed instant every agent starts its load, by the
	// coordinator's clock.
	Start time.Time `json:"start"`
	// LateStart is how long after Start an agent may still start; later,
	// it reports a failure instead of a short share.
	LateStart time.Duration `json:"late_start_ns"`
	// Deadline is when an agent stops whatever happens, so that no agent
	// outlives a coordinator that went away.
	Deadline time.Time `json:"deadline"`
	// Nodes are, in global mode, the node IDs in share order.
	Nodes []string `json:"nodes,omitempty"`
	// PerNode is how many agents share the busiest node (0: unknown); an
	// agent runs with its share of the node's cores (Procs).
	PerNode int `json:"per_node,omitempty"`
	// Secrets are the values the matrix took from the environment: an
	// agent writes them as ${NAME} in what it sends back.
	Secrets []matrix.Secret `json:"secrets,omitempty"`
	// Files are the contents of the files the scenario opens (uploads,
	// data file and the files its rows upload, TLS files), by their path
	// on the coordinator.
	Files map[string][]byte `json:"files,omitempty"`
}

// Split divides cell c over n agents: closed-loop users spread with the
// remainder going to the first agents, the spawn rate divided in
// proportion, and each share's warm-up lengthened so that every agent's
// steady state starts where the cell's does; open-loop rate and in-flight
// bound divided evenly. Agents that would get no user are left out, so
// Split may return fewer than n shares.
func Split(c matrix.Cell, n int) []matrix.Cell {
	if n < 1 {
		n = 1
	}
	var out []matrix.Cell
	if c.Mode == matrix.Open {
		for range n {
			s := c
			s.Rate = c.Rate / float64(n)
			if c.MaxInFlight > 0 {
				s.MaxInFlight = (c.MaxInFlight + n - 1) / n
			}
			out = append(out, s)
		}
		return out
	}
	steady := c.SteadyStart()
	for i := range n {
		u := c.Users / n
		if i < c.Users%n {
			u++
		}
		if u == 0 {
			break
		}
		s := c
		s.Users = u
		if c.SpawnRate > 0 && c.Users > 0 {
			s.SpawnRate = c.SpawnRate * float64(u) / float64(c.Users)
		}
		s.Warmup = max(steady-s.RampTime(), 0)
		out = append(out, s)
	}
	return out
}

// NewPlan makes the plan of cell c split over n agents starting at start,
// with the files the scenario opens, so that agents on other nodes have
// them (see the note on files in files.go).
func NewPlan(target string, sc matrix.Scenario, c matrix.Cell, n int, start time.Time, lateStart, reportGrace time.Duration) (*Plan, error) {
	p := &Plan{
		Target: target, Scenario: sc, Cell: c, Shares: Split(c, n),
		Start: start, LateStart: lateStart,
		Deadline: start.Add(c.Duration + lateStart + reportGrace),
	}
	files, err := readFiles(sc)
	if err != nil {
		return nil, err
	}
	p.Files = files
	return p, nil
}

// Encode returns p as gzipped JSON, the form agents read.
func (p *Plan) Encode() ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(p); err != nil {
		return nil, fmt.Errorf("encode agent plan: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("encode agent plan: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodePlan reads a plan written by Encode.
func DecodePlan(r io.Reader) (*Plan, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("read agent plan: %w", err)
	}
	var p Plan
	if err := json.NewDecoder(zr).Decode(&p); err != nil {
		return nil, fmt.Errorf("read agent plan: %w", err)
	}
	if len(p.Shares) == 0 {
		return nil, fmt.Errorf("read agent plan: it gives no agent a share")
	}
	return &p, nil
}

// Index is the share index of the agent in Swarm task slot slot
// (replicated mode, from 1) or on node node (global mode).
func (p *Plan) Index(slot int, node string) (int, error) {
	if len(p.Nodes) > 0 {
		for i, n := range p.Nodes {
			if n == node {
				return i, nil
			}
		}
		return 0, fmt.Errorf("node %q is not among the plan's %d nodes", node, len(p.Nodes))
	}
	if slot < 1 || slot > len(p.Shares) {
		return 0, fmt.Errorf("task slot %d is outside the plan's %d shares", slot, len(p.Shares))
	}
	return slot - 1, nil
}
