package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/scalebench/scalebench/internal/agents"
	"github.com/scalebench/scalebench/internal/demo"
	"github.com/scalebench/scalebench/internal/dockerctl"
	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/report"
	"github.com/scalebench/scalebench/internal/results"
)

// runAgent is the hidden agent command: the load agent's side of a cell,
// run by the agent image's entrypoint in a Swarm task. It reads the plan
// the coordinator left as a Swarm secret, runs its share and prints its
// record for the coordinator, which reads it from the service's logs.
func runAgent(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "agent", "", "Run one load agent's share of a cell (started by scalebench run --agents in a Swarm task).")
	planPath := fs.String("plan", dockerctl.AgentPlanFile, "the plan `file`")
	slot := fs.Int("slot", 0, "the agent's task slot (default $"+dockerctl.EnvAgentSlot+")")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *slot == 0 {
		*slot, _ = strconv.Atoi(os.Getenv(dockerctl.EnvAgentSlot))
	}
	f, err := os.Open(*planPath)
	if err != nil {
		return usageError{fmt.Errorf("agent: %w (the agent runs in a task made by scalebench run with agents)", err)}
	}
	plan, err := agents.DecodePlan(f)
	f.Close()
	if err != nil {
		return err
	}
	// Agents sharing a node share its cores (agents.Plan.Procs), unless
	// the service's environment says otherwise.
	if n := plan.Procs(runtime.NumCPU()); n > 0 && os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(n)
	}
	node := os.Getenv(dockerctl.EnvAgentNode)
	idx, err := plan.Index(*slot, node)
	if err != nil {
		_ = agents.NewWriter(e.stdout, max(*slot-1, 0)).Fail(err.Error())
		return err
	}
	host, _ := os.Hostname()
	return agents.RunAgent(ctx, agents.AgentConfig{
		Plan: plan, Index: idx, Host: host, Node: cmp.Or(os.Getenv(dockerctl.EnvAgentHost), node), Out: e.stdout,
	})
}

// EnvAgentBinary names a static scalebench binary to put in the agent image
// instead of this one (or one built from source).
const EnvAgentBinary = "SCALEBENCH_AGENT_BINARY"

// newCoordinator returns the coordinator of the matrix's agents, building
// the agent image on the engine when the matrix names none.
func newCoordinator(ctx context.Context, dc *dockerctl.Client, a *matrix.Agents, logf func(string, ...any)) (*agents.Coordinator, error) {
	fleet := dc.Agents(a.Image)
	if a.Image == "" {
		tag, err := agentImage(ctx, dc, logf)
		if err != nil {
			return nil, err
		}
		fleet.Image = tag
	}
	if err := fleet.RemoveStale(ctx); err != nil {
		logf("%v", err)
	}
	return &agents.Coordinator{Fleet: fleet, Agents: *a, Logf: logf}, nil
}

// agentImage builds scalebench-agent:<binary hash> FROM scratch unless the
// engine has it: from $SCALEBENCH_AGENT_BINARY, else this executable when
// it is a static scalebench, else a static build of the source tree.
func agentImage(ctx context.Context, dc *dockerctl.Client, logf func(string, ...any)) (string, error) {
	arch := ""
	if eng, err := dc.Engine(ctx); err == nil {
		arch = eng.Arch
	}
	bin, cleanup, err := agentBinary(ctx, arch)
	if err != nil {
		return "", err
	}
	defer cleanup()
	sum, err := fileHash(bin)
	if err != nil {
		return "", fmt.Errorf("agent image: %w", err)
	}
	tag := "scalebench-agent:" + sum[:12]
	if dc.HasImage(ctx, tag) {
		return tag, nil
	}
	logf("building the load agent image %s FROM scratch", tag)
	if err := dc.BuildAgentImage(ctx, tag, bin); err != nil {
		return "", err
	}
	return tag, nil
}

// agentBinary is the static scalebench for the engine's architecture arch
// that the agent image holds: $SCALEBENCH_AGENT_BINARY, else the running
// binary when it can serve (demo.CheckSelfBinary), else a build of the
// source tree; cleanup removes what was built.
func agentBinary(ctx context.Context, arch string) (path string, cleanup func(), err error) {
	none := func() {}
	if p := os.Getenv(EnvAgentBinary); p != "" {
		if err := demo.CheckSelfBinary(p, arch); err != nil {
			return "", none, fmt.Errorf("$%s: %w", EnvAgentBinary, err)
		}
		return p, none, nil
	}
	if exe, err := demo.SelfBinary(arch); err == nil {
		return exe, none, nil
	}
	dir, err := os.MkdirTemp("", "scalebench-agent-")
	if err != nil {
		return "", none, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	mod, err := demo.FindModule()
	if err != nil {
		cleanup()
		return "", none, fmt.Errorf("the load agent image needs a static scalebench binary: this one is not (build it with CGO_ENABLED=0), set $%s, or use an agent image (agents: {swarm: {image: ...}}): %w", EnvAgentBinary, err)
	}
	out := filepath.Join(dir, "scalebench")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, "./cmd/scalebench")
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if arch != "" {
		cmd.Env = append(cmd.Env, "GOARCH="+arch)
	}
	if msg, err := cmd.CombinedOutput(); err != nil {
		cleanup()
		return "", none, fmt.Errorf("build the load agent binary (cd %s && CGO_ENABLED=0 GOARCH=%s go build ./cmd/scalebench): %w\n%s", mod, arch, err, strings.TrimSpace(string(msg)))
	}
	return out, cleanup, nil
}

func fileHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// errAgentsFlag is the usage error of a bad --agents.
var errAgentsFlag = errors.New("--agents must be between 0 and 64")

// agentsLoad returns the load function of the matrix's agents, --agents n
// (when > 0) overriding their number; nil when the load is not distributed.
// It sets m.Agents so that run.json records the agents used.
func agentsLoad(ctx context.Context, dc *dockerctl.Client, m *matrix.Matrix, n int, logf func(string, ...any)) (func(context.Context, load.Config) (*results.Load, bool, error), error) {
	if n < 0 || n > matrix.MaxAgents {
		return nil, usageError{fmt.Errorf("%w, found %d", errAgentsFlag, n)}
	}
	if n > 0 {
		a := matrix.Agents{}
		if m.Agents != nil {
			a = *m.Agents
		}
		a.Replicas, a.Global = n, false
		m.Agents = &a
	}
	if m.Agents == nil {
		return nil, nil
	}
	co, err := newCoordinator(ctx, dc, m.Agents, logf)
	if err != nil {
		return nil, err
	}
	co.Secrets = m.Secrets()
	return co.Load, nil
}

// loadOnAgents runs `scalebench load --agents n`: cfg's cell on n Swarm
// load agents of the engine in DOCKER_HOST, merged into one record.
func loadOnAgents(ctx context.Context, e *env, cfg load.Config, n int) (*results.Load, bool, error) {
	if n < 1 || n > matrix.MaxAgents {
		return nil, false, usageError{fmt.Errorf("%w, found %d", errAgentsFlag, n)}
	}
	dc, err := dockerctl.Connect(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("--agents needs a Docker engine that is a Swarm manager: %w", err)
	}
	defer dc.Close()
	logf := func(format string, args ...any) { fmt.Fprintf(e.stderr, "scalebench load: "+format+"\n", args...) }
	co, err := newCoordinator(ctx, dc, &matrix.Agents{Replicas: n}, logf)
	if err != nil {
		return nil, false, err
	}
	return co.Load(ctx, cfg)
}

// printAgents prints the load agents' breakdown of rec, if any.
func printAgents(w io.Writer, rec *results.Load) {
	for _, a := range rec.Agents {
		fmt.Fprintf(w, "%s on %s: %s, %s, %d requests, %.1f req/s steady, generator CPU %.2f cores, clock offset %s",
			a.Name, cmp.Or(a.Node, "?"), report.AgentShare(a), a.Status, a.Requests, a.RPS, a.GeneratorCPU, a.ClockOffset.Round(100*time.Microsecond))
		if a.Error != "" {
			fmt.Fprintf(w, ": %s", a.Error)
		}
		fmt.Fprintln(w)
	}
}
