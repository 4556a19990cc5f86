// Package agents spreads one cell's load over load agents and merges what
// they recorded into one ordinary cell: it splits the load (users, spawn
// rate or arrival rate divided, remainders spread, weights kept), agrees on
// one start instant, runs the agent side (the hidden scalebench agent
// command), reads the agents' records back, and merges them exactly:
// histograms added, per-second series summed second by second on the shared
// clock, never percentiles averaged. It names the agents that failed to
// start, died mid-cell or reported late.
//
// It must not know how agents are started: a Fleet (dockerctl's Swarm
// service) starts them and hands back their output. It runs the load engine
// only through load.Run.
//
// Transport: an agent writes its record to its standard output, as
// base64 lines of gzipped JSON with a recognisable prefix, and the
// coordinator reads the service's logs through the Docker API. The logs of
// a Swarm service reach a manager from every node over the cluster's own
// connections, so nothing is opened between hosts: no port published, no
// address of the coordinator that agents must reach (a connection back
// would need both, and fails behind NAT or a firewall). The plan goes the
// other way as a Swarm secret, which the engine ships to every node that
// runs an agent and to no one else: it holds the scenario's secrets and
// files (at most MaxPlanSize). The cost is bandwidth: a record is tens of
// kilobytes per minute of load.
//
// Clocks: agents start at an instant given in the coordinator's clock. An
// agent prints its own clock while it waits; the coordinator compares it
// with the time each line arrives, so the largest difference is the agent's
// clock offset to within the time a log line takes to arrive. Offsets beyond
// ClockBound are reported in the cell.
package agents
