package results

import "time"

// Agent statuses.
const (
	// AgentOK: the agent ran its share and its record was merged.
	AgentOK = "ok"
	// AgentFailed: the agent did not start, or exited before sending its
	// record; its share is missing from the cell.
	AgentFailed = "failed"
	// AgentLate: the agent's record did not arrive in time; its share is
	// missing from the cell.
	AgentLate = "late"
)

// Agent is one load agent's share of a cell that distributed load agents
// ran (Load.Agents): what it was given, what it did, and how its clock
// compared with the coordinator's.
type Agent struct {
	// Name is the agent's name: "agent 2" (its Swarm task slot), or its
	// node's name in global mode.
	Name string `json:"name"`
	// Node is the Swarm node the agent ran on, when known.
	Node string `json:"node,omitempty"`
	// Users and Rate are the agent's share of the cell's load.
	Users int     `json:"users,omitempty"`
	Rate  float64 `json:"rate,omitempty"`
	// Status is AgentOK, AgentFailed or AgentLate; Error says why it is
	// not AgentOK.
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// Requests counts the requests it completed over the whole cell.
	Requests int64 `json:"requests"`
	// RPS is its steady-state throughput, in requests per second.
	RPS float64 `json:"rps"`
	// GeneratorCPU is its process's CPU use, in cores, over the steady
	// window.
	GeneratorCPU float64 `json:"generator_cpu"`
	// Started is when it started its load, by its own clock.
	Started time.Time `json:"started,omitzero"`
	// ClockOffset is its clock minus the coordinator's, estimated from
	// when its messages arrived: a lower bound, exact to within the time a
	// log line takes to arrive.
	ClockOffset time.Duration `json:"clock_offset_ns"`
	// Shift is the whole seconds its series was moved by to line up on the
	// shared clock (0 when it started on time).
	Shift int `json:"shift_s,omitempty"`
}
