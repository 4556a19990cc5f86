package demo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/go-connections/nat"

	"github.com/scalebench/scalebench/internal/dockerctl"
)

// Labels the stack puts on what it creates, besides compose's.
const (
	// LabelDemo marks every container, network and image of a demo stack,
	// so leftovers can be found and removed (Purge).
	LabelDemo = "scalebench.demo"
	// LabelDemoProject names the stack's project on its image.
	LabelDemoProject = "scalebench.demo.project"
	// labelNetwork is compose v1's network label.
	labelNetwork = "com.docker.compose.network"
)

// DefaultProject is the compose project name of the demo stack.
const DefaultProject = "scalebench-demo"

// Service names of the demo stack, as in experiments/demo/compose.yaml.
const (
	ServiceAPI   = "api"
	ServiceModel = "model"
)

// apiPort and modelHealthPort are the ports inside the containers.
const (
	apiPort         = 8000
	modelHealthPort = 8001
)

// healthInterval is the containers' healthcheck interval. Each check is an
// exec, which costs CPU on the machine under test: keep it rare.
const healthInterval = 3 * time.Second

// StackOptions configure Up. The zero value is the default stack.
type StackOptions struct {
	// Docker is the engine client; nil connects from the environment (and
	// Down closes that client).
	Docker *dockerctl.Client
	// Project is the compose project name (default "scalebench-demo"):
	// lower-case letters, digits, '-' and '_'.
	Project string
	// Port is the api's host port on 127.0.0.1; 0 lets Docker pick a free one.
	Port int
	// Models is the initial number of model replicas (default 1).
	Models int
	// APIMode is the api's mode (API_MODE; default PoolMode, a pool of
	// blocking workers). An API_MODE in APIEnv overrides it.
	APIMode APIMode
	// APIEnv and ModelEnv add to or override the containers' environment
	// (API_WORKERS, API_COST, MODEL_SERVICE_TIME, ...: see the package
	// documentation).
	APIEnv, ModelEnv map[string]string
	// APICPUs is the api container's CPU limit in cores. 0 means none in
	// pool mode, and one core per slot in cpu mode (API_SLOTS in APIEnv,
	// default 1), so that a saturated cpu api shows at its CPU ceiling;
	// negative means no limit in either mode.
	APICPUs float64
	// KeepImage leaves the image in place on Down.
	KeepImage bool
	// Binary is a prebuilt static demoapp binary; "" builds one with
	// BuildApp from ModuleDir.
	Binary string
	// Self is a static scalebench binary (see SelfBinary) the image is
	// made from instead, running as SelfEntrypoint: nothing is compiled.
	Self string
	// ModuleDir is the scalebench source tree; "" finds it (FindModule).
	ModuleDir string
	// ReadyTimeout bounds the wait for the api and every model to be up
	// (default 1 minute).
	ReadyTimeout time.Duration
	// Log, when set, receives one line per step.
	Log func(format string, args ...any)
}

// Stack is a running demo stack. Down removes it.
type Stack struct {
	// URL is the api's base URL on this machine: http://127.0.0.1:<port>.
	URL string
	// Project is the compose project name; the model service is
	// Project/ServiceModel.
	Project string
	// Image is the image the containers run.
	Image string
	// Network is the stack's network.
	Network string

	docker    *dockerctl.Client
	ownDocker bool
	owner     string
	keepImage bool
	logf      func(format string, args ...any)
	// entry is the image's entrypoint: the demo app's command line.
	entry []string

	mu   sync.Mutex
	down bool
}

var projectName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// Up builds the demo image, starts the api and opts.Models model replicas
// labelled as compose project opts.Project (services "api" and "model"),
// and waits until the api answers on 127.0.0.1 with every model connected.
// Leftovers of an earlier demo stack of the same project (its owner
// process is gone) are removed first; a stack another scalebench process is
// still running, or containers of that project not made by the demo, are an
// error. On failure everything created is removed again.
func Up(ctx context.Context, opts StackOptions) (_ *Stack, err error) {
	if opts.Project == "" {
		opts.Project = DefaultProject
	}
	if !projectName.MatchString(opts.Project) {
		return nil, fmt.Errorf("demo project name %q: use lower-case letters, digits, '-' and '_', starting with a letter or digit", opts.Project)
	}
	if opts.Models == 0 {
		opts.Models = 1
	}
	if opts.APIMode != "" {
		if _, err := ParseAPIMode(string(opts.APIMode)); err != nil {
			return nil, fmt.Errorf("demo stack: %w", err)
		}
	}
	if opts.Models < 0 || opts.Port < 0 || opts.Port > 65535 || opts.ReadyTimeout < 0 {
		return nil, fmt.Errorf("demo stack: bad options (models %d, port %d, ready timeout %s): none may be negative, port at most 65535",
			opts.Models, opts.Port, opts.ReadyTimeout)
	}
	if opts.ReadyTimeout == 0 {
		opts.ReadyTimeout = time.Minute
	}
	s := &Stack{
		Project:   opts.Project,
		Image:     DefaultProject + ":" + opts.Project,
		Network:   opts.Project + "_default",
		docker:    opts.Docker,
		keepImage: opts.KeepImage,
		logf:      opts.Log,
		owner:     ownerID(),
	}
	if s.logf == nil {
		s.logf = func(string, ...any) {}
	}
	if s.docker == nil {
		if s.docker, err = dockerctl.Connect(ctx); err != nil {
			return nil, fmt.Errorf("demo stack: %w", err)
		}
		s.ownDocker = true
	}
	if err := s.checkProject(ctx); err != nil {
		if s.ownDocker {
			s.docker.Close()
		}
		return nil, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Down(ctx))
		}
	}()
	if err := purge(ctx, s.docker, scope{project: s.Project}, s.logf); err != nil {
		return nil, fmt.Errorf("remove the leftovers of demo project %s: %w", s.Project, err)
	}
	if err := s.buildImage(ctx, opts); err != nil {
		return nil, err
	}
	if err := s.createNetwork(ctx, opts.ModuleDir); err != nil {
		return nil, err
	}
	if err := s.startAPI(ctx, opts); err != nil {
		return nil, err
	}
	for n := 1; n <= opts.Models; n++ {
		if err := s.startModel(ctx, opts, n); err != nil {
			return nil, err
		}
	}
	if err := s.waitReady(ctx, opts.Models, opts.ReadyTimeout); err != nil {
		return nil, err
	}
	s.logf("demo stack %s is up: api at %s, %d model replica(s)", s.Project, s.URL, opts.Models)
	return s, nil
}

// checkProject refuses a project that has containers the demo did not
// make, or a demo stack another live scalebench process is running.
func (s *Stack) checkProject(ctx context.Context) error {
	all, err := s.docker.API().ContainerList(ctx, container.ListOptions{All: true,
		Filters: labelFilter(dockerctl.LabelProject + "=" + s.Project)})
	if err != nil {
		return fmt.Errorf("demo stack: list containers of project %s: %w", s.Project, err)
	}
	var foreign []string
	for _, c := range all {
		if c.Labels[LabelDemo] == "" {
			foreign = append(foreign, strings.TrimPrefix(firstName(c.Names), "/"))
		}
	}
	if len(foreign) > 0 {
		return fmt.Errorf("compose project %s already has containers the demo did not create (%s): pick another project name for the demo, or take that project down first (docker-compose -p %s down)",
			s.Project, strings.Join(foreign, ", "), s.Project)
	}
	for _, c := range all {
		if owner := c.Labels[LabelDemoOwner]; otherLiveOwner(owner) {
			return fmt.Errorf("demo project %s is in use: %s belongs to a demo stack of %s, which is still running; wait for it to finish or use another project name. "+
				"If it is a leftover, remove it with: docker rm -f $(docker ps -aq --filter label=%s=%s --filter label=%s)",
				s.Project, strings.TrimPrefix(firstName(c.Names), "/"), describeOwner(owner), dockerctl.LabelProject, s.Project, LabelDemo)
		}
	}
	return nil
}

func firstName(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// buildImage builds (or takes) the demoapp binary and the image around it.
func (s *Stack) buildImage(ctx context.Context, opts StackOptions) error {
	bin, file := opts.Binary, "/demoapp"
	s.entry = []string{file}
	if opts.Self != "" {
		bin, file, s.entry = opts.Self, SelfEntrypoint[0], SelfEntrypoint
		s.logf("making the demo image from %s (the app runs as %s)", bin, strings.Join(SelfEntrypoint, " "))
	}
	if bin == "" {
		dir, err := os.MkdirTemp("", "scalebench-demoapp-")
		if err != nil {
			return fmt.Errorf("build the demo app: %w", err)
		}
		defer os.RemoveAll(dir)
		arch := ""
		if e, err := s.docker.Engine(ctx); err == nil {
			arch = e.Arch
		}
		s.logf("building the demo app (static, GOARCH=%s)", archOrHost(arch))
		if bin, err = BuildApp(ctx, opts.ModuleDir, dir, arch); err != nil {
			return err
		}
	}
	s.logf("building image %s FROM scratch", s.Image)
	err := s.docker.BuildScratch(ctx, dockerctl.ScratchImage{
		Tag:        s.Image,
		Files:      map[string]string{file: bin},
		Entrypoint: s.entry,
		Expose:     []string{fmt.Sprintf("%d/tcp", apiPort)},
		Labels:     map[string]string{LabelDemo: "1", LabelDemoProject: s.Project, LabelDemoOwner: s.owner},
	})
	if err != nil {
		return fmt.Errorf("demo stack: %w", err)
	}
	return nil
}

func archOrHost(arch string) string {
	if arch == "" {
		return "this machine's"
	}
	return arch
}

func (s *Stack) createNetwork(ctx context.Context, moduleDir string) error {
	_, err := s.docker.API().NetworkCreate(ctx, s.Network, network.CreateOptions{
		Driver: "bridge",
		Labels: map[string]string{
			dockerctl.LabelProject: s.Project,
			labelNetwork:           "default",
			LabelDemo:              "1",
			LabelDemoOwner:         s.owner,
		},
	})
	if err != nil {
		return fmt.Errorf("demo stack: create network %s: %w", s.Network, err)
	}
	return nil
}

// service is one container's part of the stack.
type service struct {
	name   string
	number int
	cmd    string
	env    map[string]string
	health string // URL probed inside the container
	ports  nat.PortMap
	cpus   float64 // CPU limit in cores; 0 = none
}

func (s *Stack) startAPI(ctx context.Context, opts StackOptions) error {
	env := map[string]string{"LISTEN": fmt.Sprintf(":%d", apiPort)}
	if opts.APIMode != "" {
		env["API_MODE"] = string(opts.APIMode)
	}
	maps.Copy(env, opts.APIEnv)
	port := ""
	if opts.Port > 0 {
		port = strconv.Itoa(opts.Port)
	}
	cport := nat.Port(fmt.Sprintf("%d/tcp", apiPort))
	cpus := opts.APICPUs
	if cpus == 0 && APIMode(env["API_MODE"]) == CPUMode {
		cpus = 1
		if n, err := strconv.Atoi(env["API_SLOTS"]); err == nil && n > 0 {
			cpus = float64(n)
		}
	}
	id, err := s.create(ctx, opts, service{
		name: ServiceAPI, number: 1, cmd: "api", env: env,
		health: fmt.Sprintf("http://127.0.0.1:%d/health", apiPort),
		ports:  nat.PortMap{cport: {{HostIP: "127.0.0.1", HostPort: port}}},
		cpus:   max(cpus, 0),
	})
	if err != nil {
		return err
	}
	ins, err := s.docker.API().ContainerInspect(ctx, id)
	if err != nil {
		return fmt.Errorf("demo stack: inspect the api container: %w", err)
	}
	var bound []nat.PortBinding
	if ins.NetworkSettings != nil {
		bound = ins.NetworkSettings.Ports[cport]
	}
	for _, b := range bound {
		if b.HostIP == "127.0.0.1" && b.HostPort != "" {
			s.URL = "http://127.0.0.1:" + b.HostPort
		}
	}
	if s.URL == "" {
		return fmt.Errorf("demo stack: the api container publishes no port on 127.0.0.1 (bindings %v)", bound)
	}
	return nil
}

func (s *Stack) startModel(ctx context.Context, opts StackOptions, n int) error {
	env := map[string]string{
		"API_URL": fmt.Sprintf("http://%s:%d", ServiceAPI, apiPort),
		"LISTEN":  fmt.Sprintf(":%d", modelHealthPort),
	}
	maps.Copy(env, opts.ModelEnv)
	_, err := s.create(ctx, opts, service{
		name: ServiceModel, number: n, cmd: "model", env: env,
		health: fmt.Sprintf("http://127.0.0.1:%d/health", modelHealthPort),
	})
	return err
}

// create creates and starts one container labelled as compose v1 would.
func (s *Stack) create(ctx context.Context, opts StackOptions, svc service) (string, error) {
	name := fmt.Sprintf("%s_%s_%d", s.Project, svc.name, svc.number)
	env := make([]string, 0, len(svc.env))
	for _, k := range slices.Sorted(maps.Keys(svc.env)) {
		env = append(env, k+"="+svc.env[k])
	}
	cfg := &container.Config{
		Image: s.Image,
		Cmd:   []string{svc.cmd},
		Env:   env,
		Healthcheck: &container.HealthConfig{
			Test:     append(append([]string{"CMD"}, s.entry...), "probe", svc.health),
			Interval: healthInterval,
			Timeout:  3 * time.Second,
			Retries:  3,
		},
		Labels: map[string]string{
			dockerctl.LabelProject:    s.Project,
			dockerctl.LabelService:    svc.name,
			dockerctl.LabelNumber:     strconv.Itoa(svc.number),
			dockerctl.LabelOneoff:     "False",
			dockerctl.LabelConfigHash: configHash(s.Image, svc),
			LabelDemo:                 "1",
			LabelDemoOwner:            s.owner,
		},
	}
	if dir := workingDir(opts.ModuleDir); dir != "" {
		cfg.Labels[dockerctl.LabelWorkingDir] = dir
	}
	host := &container.HostConfig{PortBindings: svc.ports}
	host.NanoCPUs = int64(svc.cpus * 1e9)
	for p := range svc.ports {
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts = nat.PortSet{}
		}
		cfg.ExposedPorts[p] = struct{}{}
	}
	nets := &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
		s.Network: {Aliases: []string{svc.name}},
	}}
	resp, err := s.docker.API().ContainerCreate(ctx, cfg, host, nets, nil, name)
	if err != nil {
		return "", fmt.Errorf("demo stack: create container %s: %w", name, err)
	}
	if err := s.docker.API().ContainerStart(ctx, resp.ID, container.StartOptions{}); err != nil {
		return "", fmt.Errorf("demo stack: start container %s: %w", name, err)
	}
	s.logf("started %s", name)
	return resp.ID, nil
}

// configHash is a stable digest of a service's configuration, as compose
// keeps in com.docker.compose.config-hash.
func configHash(image string, svc service) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%g\x00", image, svc.name, svc.cmd, svc.cpus)
	for _, k := range slices.Sorted(maps.Keys(svc.env)) {
		fmt.Fprintf(h, "%s=%s\x00", k, svc.env[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// workingDir is the compose project directory to record: the demo's
// compose folder in the source tree, when it is known.
func workingDir(moduleDir string) string {
	if moduleDir == "" {
		var err error
		if moduleDir, err = FindModule(); err != nil {
			return ""
		}
	}
	return filepath.Join(moduleDir, "experiments", "demo")
}

// waitReady waits until the api answers /health on the host with at least
// models workers connected.
func (s *Stack) waitReady(ctx context.Context, models int, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last string
	for {
		h, err := fetchHealth(ctx, s.URL)
		switch {
		case err != nil:
			last = err.Error()
		case h.Models >= models:
			return nil
		default:
			last = fmt.Sprintf("%d of %d model replicas connected", h.Models, models)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("demo stack %s not ready after %s (%s): see docker logs %s_%s_1 and %s_%s_1",
				s.Project, timeout, last, s.Project, ServiceAPI, s.Project, ServiceModel)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// fetchHealth reads the api's GET /health.
func fetchHealth(ctx context.Context, baseURL string) (healthResponse, error) {
	var h healthResponse
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/health", nil)
	if err != nil {
		return h, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return h, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		return h, fmt.Errorf("GET %s/health: %s: %w", baseURL, resp.Status, err)
	}
	return h, nil
}

// Down removes the stack's containers (model replicas added by scaling
// included: they carry its labels), its network and, unless KeepImage was
// set, its image; nothing another stack made, even of the same project. It
// is safe to call more than once and after ctx was canceled (Ctrl-C): the
// removal then runs on its own, bounded by one minute.
func (s *Stack) Down(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	err := purge(ctx, s.docker, scope{project: s.Project, owner: s.owner, images: !s.keepImage}, s.logf)
	if err == nil {
		s.logf("demo stack %s removed", s.Project)
		s.down = true
		if s.ownDocker {
			s.docker.Close()
		}
	}
	return err
}
