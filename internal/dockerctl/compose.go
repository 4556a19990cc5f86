package dockerctl

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/scalebench/scalebench/internal/results"
)

// Labels compose (v1 and v2) puts on every container it creates.
const (
	LabelProject    = "com.docker.compose.project"
	LabelService    = "com.docker.compose.service"
	LabelNumber     = "com.docker.compose.container-number"
	LabelOneoff     = "com.docker.compose.oneoff"
	LabelConfigHash = "com.docker.compose.config-hash"
	LabelWorkingDir = "com.docker.compose.project.working_dir"
	// labelReplace marks a compose v2 container created to replace another;
	// a clone replaces nothing.
	labelReplace = "com.docker.compose.replace"
)

// ComposeService is one service of a compose project, found by its labels.
// It implements Scaler. Its methods may be called from several goroutines;
// Scale calls are serialised.
type ComposeService struct {
	c        *Client
	project  string
	service  string
	opts     Options
	original int

	mu sync.Mutex
	// template is the configuration of the last running replica seen, so the
	// service can be scaled up again after being scaled to 0.
	template *container.InspectResponse
}

// Compose finds service in the compose project: the containers labelled
// com.docker.compose.project=project, com.docker.compose.service=service and
// com.docker.compose.oneoff=False that compose created (see Foreign for
// those it did not). When there is none, the error lists the projects (or
// the project's services) that exist. The replica count found, stopped
// replicas included, is Original.
func (c *Client) Compose(ctx context.Context, project, service string, opts Options) (*ComposeService, error) {
	if project == "" || service == "" {
		return nil, fmt.Errorf("compose project and service must both be named (got project %q, service %q)", project, service)
	}
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("compose %s/%s: %w", project, service, err)
	}
	s := &ComposeService{c: c, project: project, service: service, opts: opts}
	ctrs, foreign, err := s.listAll(ctx)
	if err != nil {
		return nil, err
	}
	if len(ctrs) == 0 && len(foreign) > 0 {
		return nil, &NotFoundError{What: "service", msg: fmt.Sprintf("compose project %q has no replica of %q that compose created on %s: container %s carries its labels but %s; scalebench never adopts such a container: start the service with docker-compose -p %s up -d %s",
			project, service, c.host, containerName(foreign[0]), s.notMadeByCompose(foreign[0]), project, service)}
	}
	if len(ctrs) == 0 {
		return nil, c.composeNotFound(ctx, project, service)
	}
	s.original = len(ctrs)
	if t := firstRunning(ctrs); t != nil {
		ins, err := c.api.ContainerInspect(ctx, t.ID)
		if err != nil {
			return nil, fmt.Errorf("compose %s/%s: inspect %s: %w", project, service, containerName(*t), err)
		}
		s.template = &ins
	}
	return s, nil
}

// composeNotFound explains that no container of project/service exists and
// lists what does.
func (c *Client) composeNotFound(ctx context.Context, project, service string) error {
	inProject, err := c.api.ContainerList(ctx, container.ListOptions{
		All:     true,
		Filters: filters.NewArgs(filters.Arg("label", LabelProject+"="+project)),
	})
	if err != nil {
		return fmt.Errorf("compose %s/%s: list containers: %w", project, service, err)
	}
	if len(inProject) > 0 {
		services := map[string]bool{}
		for _, ct := range inProject {
			if ct.Labels[LabelOneoff] != "True" {
				services[ct.Labels[LabelService]] = true
			}
		}
		return &NotFoundError{What: "service", msg: fmt.Sprintf("compose project %q has no service %q on %s; its services are: %s (fix the service name, or start it: docker-compose -p %s up -d %s)",
			project, service, c.host, joinKeys(services), project, service)}
	}
	all, err := c.api.ContainerList(ctx, container.ListOptions{
		All:     true,
		Filters: filters.NewArgs(filters.Arg("label", LabelProject)),
	})
	if err != nil {
		return fmt.Errorf("compose %s/%s: list containers: %w", project, service, err)
	}
	projects := map[string]bool{}
	for _, ct := range all {
		projects[ct.Labels[LabelProject]] = true
	}
	if len(projects) == 0 {
		return &NotFoundError{What: "project", msg: fmt.Sprintf("compose project %q not found on %s: no compose project has containers there; start it with docker-compose -p %s up -d",
			project, c.host, project)}
	}
	return &NotFoundError{What: "project", msg: fmt.Sprintf("compose project %q not found on %s; projects with containers: %s (fix the project name, or start it with docker-compose -p %s up -d)",
		project, c.host, joinKeys(projects), project)}
}

// NotFoundError is a compose project, compose service or Swarm service the
// engine does not have: a mistake in what was asked for, not a failure of
// the engine. Its message lists what exists and how to start what is
// missing.
type NotFoundError struct {
	// What is missing: "project", "service" (of a compose project) or
	// "swarm service".
	What string
	msg  string
}

func (e *NotFoundError) Error() string { return e.msg }

func joinKeys(m map[string]bool) string {
	return strings.Join(sortedKeys(m), ", ")
}

// ProjectWorkingDir is the com.docker.compose.project.working_dir label of
// the project's containers, "" when none has it (or the engine cannot say).
func (c *Client) ProjectWorkingDir(ctx context.Context, project string) string {
	ctrs, err := c.api.ContainerList(ctx, container.ListOptions{
		All:     true,
		Filters: filters.NewArgs(filters.Arg("label", LabelProject+"="+project)),
	})
	if err != nil {
		return ""
	}
	for _, ct := range ctrs {
		if d := ct.Labels[LabelWorkingDir]; d != "" {
			return d
		}
	}
	return ""
}

// Project is the compose project's name.
func (s *ComposeService) Project() string { return s.project }

// Service is the compose service's name.
func (s *ComposeService) Service() string { return s.service }

// Original is the replica count found by Compose, stopped replicas included.
func (s *ComposeService) Original() int { return s.original }

// Restore scales the service back to Original. After an interrupt, call it
// with a fresh context, not the cancelled one.
func (s *ComposeService) Restore(ctx context.Context) error { return s.Scale(ctx, s.original) }

// Replicas lists the running replicas by container number.
func (s *ComposeService) Replicas(ctx context.Context) ([]results.Replica, error) {
	ctrs, err := s.list(ctx)
	if err != nil {
		return nil, err
	}
	var out []results.Replica
	for _, ct := range ctrs {
		if ct.State != container.StateRunning {
			continue
		}
		out = append(out, results.Replica{
			Name:   containerName(ct),
			ID:     ct.ID,
			Number: containerNumber(ct.Labels),
			State:  string(ct.State),
			Health: healthFromStatus(ct.Status),
		})
	}
	return out, nil
}

// list returns the replicas of the service (any state), sorted by
// container number, lowest first.
func (s *ComposeService) list(ctx context.Context) ([]container.Summary, error) {
	replicas, _, err := s.listAll(ctx)
	return replicas, err
}

// listAll returns the replicas of the service (any state), sorted by
// container number, lowest first, and apart the foreign containers: those
// labelled as replicas of the service that compose did not create.
func (s *ComposeService) listAll(ctx context.Context) (replicas, foreign []container.Summary, err error) {
	ctrs, err := s.c.api.ContainerList(ctx, container.ListOptions{
		All: true,
		Filters: filters.NewArgs(
			filters.Arg("label", LabelProject+"="+s.project),
			filters.Arg("label", LabelService+"="+s.service),
			filters.Arg("label", LabelOneoff+"=False"),
		),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("compose %s/%s: list containers: %w", s.project, s.service, err)
	}
	// The filter already selects them; check again so that nothing outside
	// the service is ever touched, whatever the engine's filter semantics.
	for _, ct := range ctrs {
		if !s.owns(ct.Labels) {
			continue
		}
		if why := s.notMadeByCompose(ct); why != "" {
			foreign = append(foreign, ct)
			continue
		}
		replicas = append(replicas, ct)
	}
	sort.SliceStable(replicas, func(i, j int) bool {
		ni, nj := containerNumber(replicas[i].Labels), containerNumber(replicas[j].Labels)
		if ni != nj {
			return ni < nj
		}
		return replicas[i].Created < replicas[j].Created
	})
	return replicas, foreign, nil
}

// owns reports whether a container with these labels is labelled as a
// replica of the service. Only such containers may be stopped, removed or
// created, and only when compose made them (notMadeByCompose).
func (s *ComposeService) owns(labels map[string]string) bool {
	return labels[LabelProject] == s.project &&
		labels[LabelService] == s.service &&
		labels[LabelOneoff] == "False"
}

// notMadeByCompose says why a container labelled as a replica of the
// service is not one compose created, "" when it is: compose puts a
// config-hash label on every container and names replicas
// <project>_<service>_<number> (v1) or with "-" (v2); a fixed
// container_name can only hold replica 1.
func (s *ComposeService) notMadeByCompose(ct container.Summary) string {
	name, number := containerName(ct), containerNumber(ct.Labels)
	if ct.Labels[LabelConfigHash] == "" {
		return "it has no " + LabelConfigHash + " label, which compose puts on every container it creates"
	}
	if _, ok := nameStyle(name, s.project, s.service, number); ok {
		return ""
	}
	if number == 1 && replicaLikeNumber(name, s.project, s.service) < 0 {
		return "" // a fixed container_name
	}
	return fmt.Sprintf("its name does not match its container number %s (compose would name it %s)",
		cmp.Or(ct.Labels[LabelNumber], `""`), replicaName(s.project, s.service, number, "_"))
}

// replicaLikeNumber is the number in a name shaped like a replica's of
// project/service (p_s_3 or p-s-3), -1 when it is not shaped so.
func replicaLikeNumber(name, project, service string) int {
	for _, sep := range []string{"_", "-"} {
		if rest, ok := strings.CutPrefix(name, project+sep+service+sep); ok {
			if n, err := strconv.Atoi(rest); err == nil {
				return n
			}
		}
	}
	return -1
}

// Foreign describes the containers labelled as replicas of the service
// that compose did not create, one sentence each: scalebench leaves them
// alone, never counting, stopping or removing them.
func (s *ComposeService) Foreign(ctx context.Context) ([]string, error) {
	_, foreign, err := s.listAll(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(foreign))
	for _, ct := range foreign {
		out = append(out, fmt.Sprintf("container %s is labelled as a replica of %s/%s but compose did not create it: %s; scalebench leaves it alone and does not count it (remove it, or its %s labels, if it should not be there)",
			containerName(ct), s.project, s.service, s.notMadeByCompose(ct), "com.docker.compose"))
	}
	return out, nil
}

// foreignNames are the container numbers a new replica must not take: those
// of the foreign containers, by label and by name.
func (s *ComposeService) foreignNames(ctx context.Context) (map[int]bool, error) {
	_, foreign, err := s.listAll(ctx)
	if err != nil {
		return nil, err
	}
	taken := map[int]bool{}
	for _, ct := range foreign {
		taken[containerNumber(ct.Labels)] = true
		if n := replicaLikeNumber(containerName(ct), s.project, s.service); n >= 0 {
			taken[n] = true
		}
	}
	return taken, nil
}

func firstRunning(ctrs []container.Summary) *container.Summary {
	for i := range ctrs {
		if ctrs[i].State == container.StateRunning {
			return &ctrs[i]
		}
	}
	return nil
}

// containerNumber is the container-number label, 0 when missing or invalid.
func containerNumber(labels map[string]string) int {
	n, err := strconv.Atoi(labels[LabelNumber])
	if err != nil {
		return 0
	}
	return n
}

func containerName(ct container.Summary) string {
	if len(ct.Names) == 0 {
		return shortID(ct.ID)
	}
	// A container linked from others has several names; the canonical one
	// has no other slash.
	for _, n := range ct.Names {
		if strings.Count(n, "/") == 1 {
			return strings.TrimPrefix(n, "/")
		}
	}
	return strings.TrimPrefix(ct.Names[0], "/")
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// healthFromStatus reads the health docker ps shows in a container's status
// ("Up 3 seconds (healthy)"); "" when it has no healthcheck.
func healthFromStatus(status string) string {
	switch {
	case strings.Contains(status, "(healthy)"):
		return container.Healthy
	case strings.Contains(status, "(unhealthy)"):
		return container.Unhealthy
	case strings.Contains(status, "(health: starting)"):
		return container.Starting
	}
	return ""
}

// nameStyle returns the separator compose used in the container's name:
// "_" for compose v1 (p_s_1), "-" for v2 (p-s-1). ok is false when the name
// is neither: a fixed container_name.
func nameStyle(name, project, service string, number int) (sep string, ok bool) {
	for _, sep := range []string{"_", "-"} {
		if name == replicaName(project, service, number, sep) {
			return sep, true
		}
	}
	return "", false
}

func replicaName(project, service string, number int, sep string) string {
	return project + sep + service + sep + strconv.Itoa(number)
}

var errNoTemplate = errors.New("no running replica to copy")

// CheckScalable reports, without changing anything, whether the service can
// be scaled to n replicas: refused are a count above Options.MaxScale or
// whose memory limits exceed the engine's memory, a fixed container_name
// and a fixed published host port (when n > 1), a missing image, and no
// replica to copy.
func (s *ComposeService) CheckScalable(ctx context.Context, n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.opts.checkScale(n); err != nil {
		return fmt.Errorf("scale %s/%s to %d: %w", s.project, s.service, n, err)
	}
	ctrs, err := s.list(ctx)
	if err != nil {
		return err
	}
	if n <= len(ctrs) {
		return nil
	}
	if _, err := s.planUp(ctx, ctrs, n); err != nil {
		return fmt.Errorf("scale %s/%s to %d: %w", s.project, s.service, n, err)
	}
	return nil
}

func isNotFound(err error) bool { return cerrdefs.IsNotFound(err) }
