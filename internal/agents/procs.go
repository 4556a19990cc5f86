package agents

// Processor share of agents that share a node.
//
// Against a target on the same node, the generator's cost per request
// depends on how its threads are woken: every agent is a Go runtime of its
// own with, by default, one P per core, and several such runtimes on one
// node wake and spin on every core for a few requests each instead of
// taking many per wake-up. An agent therefore runs with its share of the
// node's cores (at least one) when the plan says how many agents share its
// node.

// perNode is how many of n agents share the busiest node when the
// scheduler spreads them over nodes nodes (Swarm's default spread); 0 when
// the nodes are unknown.
func perNode(n, nodes int) int {
	if n < 1 || nodes < 1 {
		return 0
	}
	return (n + nodes - 1) / nodes
}

// Procs is the GOMAXPROCS an agent of p runs with on a node of numCPU
// cores: the cores divided by the agents on its node, at least one; 0 (keep
// the runtime's default) when one agent has the node or the count is
// unknown.
func (p *Plan) Procs(numCPU int) int {
	if p.PerNode <= 1 || numCPU < 1 {
		return 0
	}
	return max(numCPU/p.PerNode, 1)
}
