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

	"scalebench/dockerctl"
)

// Purge removes every container, network and image labelled
// scalebench.demo=1 that belongs to demo project (every demo project when
// project is ""): the leftovers of a demo stack that was not taken down.
// Nothing without that label is touched.
func Purge(ctx context.Context, docker *dockerctl.Client, project string) error {
	return purge(ctx, docker, project, true, func(string, ...any) {})
}

func purge(ctx context.Context, docker *dockerctl.Client, project string, images bool, logf func(string, ...any)) error {
	api := docker.API()
	f := labelFilter(LabelDemo)
	if project != "" {
		f.Add("label", dockerctl.LabelProject+"="+project)
	}
	var errs []error
	ctrs, err := api.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return fmt.Errorf("list demo containers: %w", err)
	}
	for _, c := range ctrs {
		name := strings.TrimPrefix(firstName(c.Names), "/")
		if err := api.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove container %s: %w", name, err))
			continue
		}
		logf("removed container %s", name)
	}
	nets, err := api.NetworkList(ctx, network.ListOptions{Filters: f})
	if err != nil {
		errs = append(errs, fmt.Errorf("list demo networks: %w", err))
	}
	for _, n := range nets {
		if err := api.NetworkRemove(ctx, n.ID); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove network %s: %w", n.Name, err))
			continue
		}
		logf("removed network %s", n.Name)
	}
	if images {
		imf := labelFilter(LabelDemo)
		if project != "" {
			imf.Add("label", LabelDemoProject+"="+project)
		}
		imgs, err := api.ImageList(ctx, image.ListOptions{Filters: imf})
		if err != nil {
			errs = append(errs, fmt.Errorf("list demo images: %w", err))
		}
		for _, im := range imgs {
			if err := docker.RemoveImage(ctx, im.ID); err != nil {
				errs = append(errs, err)
				continue
			}
			logf("removed image %s", strings.Join(im.RepoTags, ", "))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove demo project %q: %w; remove what is left with: docker rm -f $(docker ps -aq --filter label=%s)", project, err, LabelDemo)
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
