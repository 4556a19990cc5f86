package matrix

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxAgents is the most load agents a matrix may ask for.
const MaxAgents = 64

// Agents is the matrix's agents: block, when the load comes from load
// agents run as a Swarm service instead of the scalebench process:
//
//	agents: {swarm: {replicas: 4}}   # or {global: true}: one per node
type Agents struct {
	// Replicas is the number of agents (replicated mode); 0 with Global.
	Replicas int `json:"replicas,omitempty"`
	// Global runs one agent on every node the constraints allow.
	Global bool `json:"global,omitempty"`
	// Constraints are Swarm placement constraints, e.g. "node.role==worker".
	Constraints []string `json:"constraints,omitempty"`
	// Image is the agent image; "" builds scalebench-agent:<version> FROM
	// scratch on the engine scalebench talks to.
	Image string `json:"image,omitempty"`
	// Network is the network the agents join; "" is the host's network, so
	// agents reach the target as a process on their node would.
	Network string `json:"network,omitempty"`
}

// Count is the number of agents in replicated mode (0 in global mode,
// where the engine's nodes decide).
func (a *Agents) Count() int {
	if a == nil || a.Global {
		return 0
	}
	return a.Replicas
}

// agents decodes agents: {swarm: {replicas: N | global: true, constraints,
// image, network}}.
func (p *parser) agents(n *yaml.Node) *Agents {
	a := &Agents{}
	var swarmNode *yaml.Node
	p.fields(n, "agents", map[string]func(*yaml.Node){
		"swarm": func(v *yaml.Node) {
			swarmNode = v
			p.fields(v, "agents.swarm", map[string]func(*yaml.Node){
				"replicas": func(v *yaml.Node) {
					a.Replicas = p.positiveInt(v, "agents.swarm.replicas")
					if a.Replicas > MaxAgents {
						p.errorf(v, "use at most 64 agents", "agents.swarm.replicas %d is above %d", a.Replicas, MaxAgents)
					}
				},
				"global": func(v *yaml.Node) {
					if v.Kind != yaml.ScalarNode || (v.Value != "true" && v.Value != "false") {
						p.errorf(v, "write global: true", "agents.swarm.global must be true or false, found %s", kindName(v))
						return
					}
					a.Global = v.Value == "true"
				},
				"constraints": func(v *yaml.Node) { a.Constraints = p.constraints(v) },
				"image":       func(v *yaml.Node) { a.Image = p.str(v, "agents.swarm.image") },
				"network":     func(v *yaml.Node) { a.Network = p.str(v, "agents.swarm.network") },
			})
		},
	})
	switch {
	case n.Kind == yaml.MappingNode && swarmNode == nil:
		p.errorf(n, "write agents: {swarm: {replicas: 4}}", "agents needs swarm:")
	case swarmNode == nil || swarmNode.Kind != yaml.MappingNode:
	case a.Global && a.Replicas > 0:
		p.errorf(swarmNode, "keep either replicas: N or global: true", "agents.swarm sets both replicas and global")
	case !a.Global && a.Replicas == 0:
		p.errorf(swarmNode, "add replicas: 4, or global: true for one agent per node", "agents.swarm does not say how many agents")
	}
	return a
}

func (p *parser) constraints(v *yaml.Node) []string {
	if v.Kind != yaml.SequenceNode {
		p.errorf(v, `write constraints: ["node.role==worker"]`, "agents.swarm.constraints must be a list, found %s", kindName(v))
		return nil
	}
	var out []string
	for _, c := range v.Content {
		s := p.str(c, "agents.swarm.constraints")
		if s != "" && !strings.Contains(s, "==") && !strings.Contains(s, "!=") {
			p.errorf(c, `write a Swarm constraint such as "node.hostname==host1"`, "constraint %q has no == or !=", s)
		}
		out = append(out, s)
	}
	return out
}
