package analysistest

import "github.com/scalebench/scalebench/internal/results"

// The models below each exercise one way a scale can be limited, for the
// tests of the conclusions' branches. All are the seed's matrix and mix.

// PoolModel stops on concurrency: one model replica serves one request at a
// time (5 req/s), and a pool of 2 blocking workers in the api caps the
// requests in service at 2 (10 req/s) while no container burns CPU, like
// gunicorn sync workers in front of sleep-waiting model workers.
func PoolModel() Model {
	m := SeedModel()
	m.Name = "pool"
	m.PerReplica = 1 / m.Base.Seconds()
	m.FrontCapacity = 2 / m.Base.Seconds()
	m.FrontDemand, m.ScaledDemand = 0.002, 0.003
	m.Fail, m.Timeouts = nil, nil
	m.Seed = 4
	return m
}

// Pool is PoolModel's result set.
func Pool() *results.Set { return Generate(PoolModel()) }

// BusyPoolModel is PoolModel on a 2-core machine where other processes use
// 1.5 cores: the machine is busy, but not with the project.
func BusyPoolModel() Model {
	m := PoolModel()
	m.Name = "busy-pool"
	m.Cores, m.HostSamples, m.HostOther = 2, true, 1.5
	return m
}

// ScaledCapModel scales linearly on concurrency: each model replica serves
// one request at a time and nothing else limits it; CPU stays low.
func ScaledCapModel() Model {
	m := LinearModel()
	m.Name = "scaled-cap"
	m.PerReplica = 1 / m.Base.Seconds()
	m.FrontDemand, m.ScaledDemand = 0.002, 0.003
	return m
}

// HostModel burns CPU in model replicas without CPU limits on a 2-core
// machine: 1→3 doubles throughput, then the machine's cores are full.
func HostModel() Model {
	m := SeedModel()
	m.Name = "host"
	m.Cores, m.HostSamples = 2, true
	m.PerReplica, m.FrontCapacity = 8, 16
	m.ScaledDemand, m.FrontDemand = 0.11, 0.004
	m.ScaledLimit = -1
	m.Seed = 5
	return m
}

// SingleThreadModel never gains from scaling: the api may use all 8 cores
// but holds one, flat, once the load passes 10 users.
func SingleThreadModel() Model {
	m := FlatModel()
	m.Name = "single-thread"
	m.FrontLimit = -1
	m.FrontDemand = 0.97 / m.FrontCapacity
	m.ScaledDemand = 0.003
	return m
}

// GeneratorModel is PoolModel whose load generator ran out of CPU at
// scale 5 from 20 users on.
func GeneratorModel() Model {
	m := PoolModel()
	m.Name = "generator"
	m.GeneratorBound = func(scale, users int) bool { return scale == 5 && users >= 20 }
	return m
}

// UnknownModel never gains from scaling and nothing recorded explains it:
// the api runs at 60% of its core, and as many requests are in service as
// the replicas could serve.
func UnknownModel() Model {
	m := FlatModel()
	m.Name = "unknown"
	m.FrontDemand = 0.6 / m.FrontCapacity
	m.ScaledDemand = 0.003
	return m
}

// StarvedCPUModel is the seed's CPU-bound api on a 2-core machine that
// other processes keep busy (1.5 cores): the api holds little more than
// half of its one-core limit, because that is all the machine gives it.
func StarvedCPUModel() Model {
	m := SeedModel()
	m.Name = "starved"
	m.Cores, m.HostSamples, m.HostOther = 2, true, 1.5
	m.FrontDemand = 0.55 / m.FrontCapacity
	m.ScaledDemand = 0.003
	return m
}
