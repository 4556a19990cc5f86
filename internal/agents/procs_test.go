package agents

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/matrix"
)

func TestPerNode(t *testing.T) {
	for _, c := range []struct{ n, nodes, want int }{
		{4, 1, 4}, {4, 2, 2}, {5, 2, 3}, {1, 3, 1}, {4, 0, 0}, {0, 2, 0},
	} {
		if got := perNode(c.n, c.nodes); got != c.want {
			t.Errorf("perNode(%d, %d) = %d, want %d", c.n, c.nodes, got, c.want)
		}
	}
}

func TestPlanProcs(t *testing.T) {
	for _, c := range []struct{ perNode, cpus, want int }{
		{0, 8, 0}, {1, 8, 0}, {4, 2, 1}, {2, 2, 1}, {2, 8, 4}, {3, 8, 2}, {4, 0, 0},
	} {
		p := &Plan{PerNode: c.perNode}
		if got := p.Procs(c.cpus); got != c.want {
			t.Errorf("Procs with %d agents per node on %d cores = %d, want %d", c.perNode, c.cpus, got, c.want)
		}
	}
}

// nodesFleet is a Fleet that only lists nodes.
type nodesFleet struct {
	nodes []Node
	err   error
}

func (f nodesFleet) Nodes(context.Context, []string) ([]Node, error) { return f.nodes, f.err }
func (f nodesFleet) Start(context.Context, Spec) (Service, error) {
	return nil, errors.New("not started")
}

func TestPlanPerNode(t *testing.T) {
	two := []Node{{ID: "a"}, {ID: "b"}}
	for _, c := range []struct {
		name   string
		agents matrix.Agents
		fleet  nodesFleet
		want   int
	}{
		{"4 replicas on one node", matrix.Agents{Replicas: 4}, nodesFleet{nodes: two[:1]}, 4},
		{"5 replicas on two nodes", matrix.Agents{Replicas: 5}, nodesFleet{nodes: two}, 3},
		{"global", matrix.Agents{Global: true}, nodesFleet{nodes: two}, 1},
		{"nodes unknown", matrix.Agents{Replicas: 4}, nodesFleet{err: errors.New("constraint not understood")}, 0},
	} {
		co := &Coordinator{Fleet: c.fleet, Agents: c.agents}
		co.defaults()
		_, p, err := co.plan(context.Background(), load.Config{Target: "http://127.0.0.1:1",
			Scenario: matrix.Scenario{Requests: []matrix.Request{{Name: "a", Method: "GET", Path: "/", Weight: 1}}},
			Cell:     matrix.Cell{ID: "c", Mode: matrix.Closed, Users: 8, Duration: time.Second}})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if p.PerNode != c.want {
			t.Errorf("%s: PerNode = %d, want %d", c.name, p.PerNode, c.want)
		}
		data, err := p.Encode()
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodePlan(bytes.NewReader(data))
		if err != nil || back.PerNode != c.want {
			t.Errorf("%s: decoded PerNode = %d (%v), want %d", c.name, back.PerNode, err, c.want)
		}
	}
}
