package dockerctl

import (
	"context"
	"fmt"
	"strings"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
)

// SwarmIn finds the Swarm service that a matrix's swarm: block names:
// service alone, or, with stack set, the service of the stack deployed by
// docker stack deploy -c compose.yaml stack that the compose file calls
// service (the engine names it stack_service). The service is scaled,
// watched (every container of the stack) and restored as any Swarm service.
func (c *Client) SwarmIn(ctx context.Context, stack, service string, opts Options) (*SwarmService, error) {
	if stack == "" {
		return c.Swarm(ctx, service, opts)
	}
	if service == "" {
		return nil, fmt.Errorf("stack %s: name the service to scale as the compose file does: swarm: {stack: %s, service: NAME}", stack, stack)
	}
	list, err := c.api.ServiceList(ctx, swarm.ServiceListOptions{Filters: filters.NewArgs(filters.Arg("label", LabelStackNamespace+"="+stack))})
	if err != nil {
		return nil, c.swarmNotFound(ctx, stack+"_"+service, err)
	}
	want := stack + "_" + service
	names := map[string]bool{}
	for _, s := range list {
		if s.Spec.Name == want {
			return c.Swarm(ctx, s.ID, opts)
		}
		names[strings.TrimPrefix(s.Spec.Name, stack+"_")] = true
	}
	if len(names) == 0 {
		return nil, &NotFoundError{What: "swarm stack", msg: fmt.Sprintf("stack %q has no service on %s: deploy it first (docker stack deploy -c compose.yaml %s), or fix the stack name", stack, c.host, stack)}
	}
	return nil, &NotFoundError{What: "swarm service", msg: fmt.Sprintf("stack %q has no service %q on %s; its services: %s (name the service as the compose file does)", stack, service, c.host, joinKeys(names))}
}
