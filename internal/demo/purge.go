package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"

	"github.com/scalebench/scalebench/internal/dockerctl"
)

// Purge removes the leftovers of demo stacks that were not taken down:
// every container, network and image labelled scalebench.demo=1 of demo
// project (of every demo project when project is ""), except those of a
// stack another scalebench process is still running. Nothing without that
// label is touched.
func Purge(ctx context.Context, docker *dockerctl.Client, project string) error {
	return purge(ctx, docker, scope{project: project, images: true}, func(string, ...any) {})
}

// scope selects what purge removes.
type scope struct {
	// project limits the removal to one demo project ("" = all).
	project string
	// owner limits it to one owner's stack; "" means every owner that is
	// not another live process (leftovers).
	owner string
	// images removes the images too.
	images bool
}

// mine reports whether a resource with labels is in scope.
func (sc scope) mine(labels map[string]string) bool {
	if sc.owner != "" {
		return labels[LabelDemoOwner] == sc.owner
	}
	return !otherLiveOwner(labels[LabelDemoOwner])
}

func (sc scope) filter(projectLabel string) filters.Args {
	f := labelFilter(LabelDemo)
	if sc.project != "" {
		f.Add("label", projectLabel+"="+sc.project)
	}
	if sc.owner != "" {
		f.Add("label", LabelDemoOwner+"="+sc.owner)
	}
	return f
}

func purge(ctx context.Context, docker *dockerctl.Client, sc scope, logf func(string, ...any)) error {
	api := docker.API()
	var errs []error
	ctrs, err := api.ContainerList(ctx, container.ListOptions{All: true, Filters: sc.filter(dockerctl.LabelProject)})
	if err != nil {
		return fmt.Errorf("list demo containers: %w", err)
	}
	for _, c := range ctrs {
		if !sc.mine(c.Labels) {
			continue
		}
		name := strings.TrimPrefix(firstName(c.Names), "/")
		if err := api.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove container %s: %w", name, err))
			continue
		}
		logf("removed container %s", name)
	}
	nets, err := api.NetworkList(ctx, network.ListOptions{Filters: sc.filter(dockerctl.LabelProject)})
	if err != nil {
		errs = append(errs, fmt.Errorf("list demo networks: %w", err))
	}
	for _, n := range nets {
		if !sc.mine(n.Labels) {
			continue
		}
		if err := api.NetworkRemove(ctx, n.ID); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove network %s: %w", n.Name, err))
			continue
		}
		logf("removed network %s", n.Name)
	}
	if sc.images {
		imgs, err := api.ImageList(ctx, image.ListOptions{Filters: sc.filter(LabelDemoProject)})
		if err != nil {
			errs = append(errs, fmt.Errorf("list demo images: %w", err))
		}
		for _, im := range imgs {
			if !sc.mine(im.Labels) {
				continue
			}
			if err := docker.RemoveImage(ctx, im.ID); err != nil {
				errs = append(errs, err)
				continue
			}
			logf("removed image %s", strings.Join(im.RepoTags, ", "))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove demo project %q: %w; remove what is left with: docker rm -f $(docker ps -aq --filter label=%s)", sc.project, err, LabelDemo)
	}
	return nil
}

func labelFilter(labels ...string) filters.Args {
	f := filters.NewArgs()
	for _, l := range labels {
		f.Add("label", l)
	}
	return f
}
