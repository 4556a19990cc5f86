package dockerctl

import (
	"context"
	"fmt"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
)

// labelPodmanProject marks the containers podman-compose makes.
const labelPodmanProject = "io.podman.compose.project"

// Podman reports whether the engine is Podman's Docker-compatible service
// (podman system service), and its version.
func (c *Client) Podman(ctx context.Context) (bool, string, error) {
	v, err := c.api.ServerVersion(ctx)
	if err != nil {
		return false, "", fmt.Errorf("docker engine version: %w", err)
	}
	for _, comp := range v.Components {
		if strings.EqualFold(comp.Name, "Podman Engine") {
			return true, comp.Version, nil
		}
	}
	return false, "", nil
}

// CheckPodmanCompose refuses, before anything is touched, a compose
// project that podman-compose made: its containers carry neither
// com.docker.compose.config-hash nor com.docker.compose.oneoff, so
// scalebench cannot tell its replicas from look-alikes, and podman-compose
// names and numbers containers its own way. On any other engine, or for a
// project made by docker-compose, it returns nil.
func (c *Client) CheckPodmanCompose(ctx context.Context, project string) error {
	podman, version, err := c.Podman(ctx)
	if err != nil || !podman {
		return err
	}
	list, err := c.api.ContainerList(ctx, container.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("label", LabelProject+"="+project))})
	if err != nil {
		return fmt.Errorf("list the containers of compose project %s: %w", project, err)
	}
	for _, ctr := range list {
		if ctr.Labels[labelPodmanProject] != "" {
			return &PodmanComposeError{fmt.Sprintf("compose project %s on %s was made by podman-compose (engine: Podman %s): scalebench scales projects made by docker-compose (v1 or v2), "+
				"whose labels (com.docker.compose.config-hash, oneoff, container-number) tell its replicas from look-alikes, and podman-compose sets neither the same labels nor the same names; "+
				"start the project with docker-compose against Podman's socket (DOCKER_HOST=%s docker-compose up -d), or run it on Docker",
				project, c.host, version, c.host)}
		}
	}
	return nil
}

// PodmanComposeError is CheckPodmanCompose's refusal of a project that
// podman-compose made: a mistake in what the matrix names, not a failing
// engine.
type PodmanComposeError struct{ msg string }

func (e *PodmanComposeError) Error() string { return e.msg }
