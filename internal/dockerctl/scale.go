package dockerctl

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
)

// Scale sets the number of replicas to n the way compose does and waits
// until every replica is running, healthy (when it has a healthcheck) and
// Options.ReadyURL answers 2xx, within Options.ReadyTimeout.
//
// Up: each new replica is a copy of a running replica's configuration with
// the next free container number; new replicas are created a few at a time
// (createParallel) and started one at a time, as compose v2 does. The first
// create the engine refuses stops the scale-up: no further create is sent,
// and the error quotes the engine's message. A replica count above
// Options.MaxScale, or whose memory limits add up to more than the
// engine's memory, is refused before anything is touched.
// A fixed container_name or a fixed published host port is refused before
// anything is touched. When a new replica fails to start or become healthy,
// the replicas this call created are stopped and removed again and the error
// names the failing container with its last log or healthcheck lines.
//
// Down: the highest-numbered replicas are stopped gracefully (the
// container's stop timeout, 10 s by default) and removed with their
// anonymous volumes.
//
// Stopped replicas kept by the new scale are started, as compose does.
func (s *ComposeService) Scale(ctx context.Context, n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.scale(ctx, n); err != nil {
		return fmt.Errorf("scale %s/%s to %d: %w", s.project, s.service, n, err)
	}
	return nil
}

func (s *ComposeService) scale(ctx context.Context, n int) error {
	if err := s.opts.checkScale(n); err != nil {
		return err
	}
	all, err := s.list(ctx)
	if err != nil {
		return err
	}
	// A replica that was created but never started is what a scale-up
	// interrupted mid-way (a killed scalebench) leaves behind; its networks
	// may not be connected yet. It is removed and made again, never started.
	var ctrs, leftovers []container.Summary
	for _, ct := range all {
		if ct.State == container.StateCreated {
			leftovers = append(leftovers, ct)
		} else {
			ctrs = append(ctrs, ct)
		}
	}
	var (
		keep    = ctrs
		remove  []container.Summary
		created []string
	)
	if len(ctrs) > n {
		keep, remove = ctrs[:n], ctrs[n:]
	}
	var up *upPlan
	if n > len(ctrs) {
		up, err = s.planUp(ctx, ctrs, n)
		if err != nil {
			return err
		}
	}
	// Touch nothing before this line.
	if len(leftovers) > 0 {
		for _, ct := range leftovers {
			s.opts.logf("removing %s: created by an interrupted scale-up, never started", containerName(ct))
		}
		if err := s.stopAndRemove(ctx, leftovers); err != nil {
			return err
		}
	}
	if len(remove) > 0 {
		if err := s.stopAndRemove(ctx, remove); err != nil {
			return err
		}
	}
	for _, ct := range keep {
		if ct.State == container.StateRunning {
			continue
		}
		s.opts.logf("start %s (was %s)", containerName(ct), ct.State)
		if err := s.c.api.ContainerStart(ctx, ct.ID, container.StartOptions{}); err != nil {
			return fmt.Errorf("start %s: %w", containerName(ct), err)
		}
	}
	var ids []string
	for _, ct := range keep {
		ids = append(ids, ct.ID)
	}
	if up != nil {
		created, err = s.createAndStart(ctx, up)
		ids = append(ids, created...)
		if err != nil {
			return s.rollback(err, created)
		}
	}
	if err := s.c.waitReady(ctx, ids, s.opts); err != nil {
		return s.rollback(err, created)
	}
	if t := firstRunning(keep); t == nil && up != nil && len(created) > 0 {
		// Keep a template for scaling up again after a scale to 0.
		if ins, err := s.c.api.ContainerInspect(ctx, created[0]); err == nil {
			s.template = &ins
		}
	}
	return nil
}

// upPlan is a checked scale-up: the template, the image to run and the
// clones to create.
type upPlan struct {
	image  string
	clones []*clone
}

// planUp checks that the service can be scaled up to n and prepares the new
// replicas' configurations. It changes nothing.
func (s *ComposeService) planUp(ctx context.Context, ctrs []container.Summary, n int) (*upPlan, error) {
	if t := firstRunning(ctrs); t != nil {
		ins, err := s.c.api.ContainerInspect(ctx, t.ID)
		if err != nil {
			return nil, fmt.Errorf("inspect %s: %w", containerName(*t), err)
		}
		s.template = &ins
	}
	t := s.template
	if t == nil {
		return nil, fmt.Errorf("%w: no replica of %s is running; start one with docker-compose -p %s up -d %s",
			errNoTemplate, s.service, s.project, s.service)
	}
	if !s.owns(t.Config.Labels) {
		return nil, fmt.Errorf("template %s is not a replica of %s/%s", t.Name, s.project, s.service)
	}
	if n > 1 {
		if err := checkScalable(t, s.project, s.service, n); err != nil {
			return nil, err
		}
	}
	if err := s.c.checkMemory(ctx, t, s.service, n); err != nil {
		return nil, err
	}
	image, err := s.c.cloneImage(ctx, t, s.service)
	if err != nil {
		return nil, err
	}
	next := 1
	for _, ct := range ctrs {
		next = max(next, containerNumber(ct.Labels)+1)
	}
	// A container that only looks like a replica keeps its number and name.
	taken, err := s.foreignNames(ctx)
	if err != nil {
		return nil, err
	}
	p := &upPlan{image: image}
	for len(p.clones) < n-len(ctrs) {
		number := next
		next++
		if taken[number] {
			continue
		}
		cl, err := buildClone(t, s.project, s.service, number, image)
		if err != nil {
			return nil, err
		}
		if !s.owns(cl.config.Labels) {
			return nil, fmt.Errorf("clone %s would not be labelled as a replica of %s/%s", cl.name, s.project, s.service)
		}
		p.clones = append(p.clones, cl)
	}
	return p, nil
}

// cloneImage returns the image reference new replicas run: the template's
// image name while it still names the template's image, else the image ID,
// so every replica runs the same image. It never pulls.
func (c *Client) cloneImage(ctx context.Context, t *container.InspectResponse, service string) (string, error) {
	name := t.Config.Image
	if img, err := c.api.ImageInspect(ctx, name); err == nil && img.ID == t.Image {
		return name, nil
	}
	if _, err := c.api.ImageInspect(ctx, t.Image); err != nil {
		if cerrdefs.IsNotFound(err) {
			return "", fmt.Errorf("image %s (%s) of service %s is missing on the engine; scalebench never pulls: build or pull it (docker-compose build %s, or docker-compose pull %s), then retry",
				name, shortImageID(t.Image), service, service, service)
		}
		return "", fmt.Errorf("inspect image %s: %w", name, err)
	}
	return t.Image, nil
}

func shortImageID(id string) string {
	return shortID(strings.TrimPrefix(id, "sha256:"))
}

// createParallel is how many creates a scale-up keeps in flight.
const createParallel = 4

// checkMemory refuses n replicas whose memory limits add up to more than
// the engine's memory. A replica without a limit is not counted.
func (c *Client) checkMemory(ctx context.Context, t *container.InspectResponse, service string, n int) error {
	if t.HostConfig == nil || t.HostConfig.Memory <= 0 {
		return nil
	}
	info, err := c.api.Info(ctx)
	if err != nil || info.MemTotal <= 0 {
		return nil // the engine cannot say; the creates will
	}
	if need := int64(n) * t.HostConfig.Memory; need > info.MemTotal {
		return fmt.Errorf("%d replicas of %s with a %d MiB memory limit each need %d MiB, more than the engine's %d MiB; lower the scale to at most %d",
			n, service, t.HostConfig.Memory>>20, need>>20, info.MemTotal>>20, info.MemTotal/t.HostConfig.Memory)
	}
	return nil
}

// createAndStart creates the planned replicas, createParallel at a time,
// then starts them one at a time, in number order, as compose v2 does. The
// first failed create stops it: no other create is sent, those in flight
// finish, and the error quotes the engine and says how many were not
// created. It returns the IDs of the containers it created, also on error.
func (s *ComposeService) createAndStart(ctx context.Context, p *upPlan) ([]string, error) {
	made := make([]string, len(p.clones))
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		errs    []error // at most createParallel: one per create in flight
		tried   int
		pending = make(chan struct{}, createParallel)
	)
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(errs) > 0
	}
	for i, cl := range p.clones {
		pending <- struct{}{}
		if failed() || ctx.Err() != nil {
			<-pending
			break
		}
		tried++
		wg.Add(1)
		go func() {
			defer func() { <-pending; wg.Done() }()
			id, err := s.c.createClone(ctx, cl)
			mu.Lock()
			made[i] = id
			if err != nil {
				errs = append(errs, err)
			}
			mu.Unlock()
			if err == nil {
				s.opts.logf("created %s", cl.name)
			}
		}()
	}
	wg.Wait()
	var ids []string
	for _, id := range made {
		if id != "" {
			ids = append(ids, id)
		}
	}
	if len(errs) > 0 {
		err := errs[0]
		if len(errs) > 1 {
			err = fmt.Errorf("%w (and %d other creates in flight failed)", err, len(errs)-1)
		}
		if left := len(p.clones) - tried; left > 0 {
			err = fmt.Errorf("%w; the scale-up stopped there: %d more replicas were not attempted", err, left)
		}
		return ids, err
	}
	for i, cl := range p.clones {
		if err := s.c.api.ContainerStart(ctx, made[i], container.StartOptions{}); err != nil {
			return ids, fmt.Errorf("start %s: %w", cl.name, err)
		}
		s.opts.logf("started %s", cl.name)
	}
	return ids, nil
}

// createClone creates one replica and connects its other networks.
func (c *Client) createClone(ctx context.Context, cl *clone) (string, error) {
	resp, err := c.api.ContainerCreate(ctx, cl.config, cl.host, cl.create, nil, cl.name)
	if err != nil {
		if cerrdefs.IsNotFound(err) && strings.Contains(strings.ToLower(err.Error()), "image") {
			return "", fmt.Errorf("create %s: image %s is missing on the engine; scalebench never pulls: build or pull it, then retry: %w", cl.name, cl.config.Image, err)
		}
		if cerrdefs.IsConflict(err) {
			return "", fmt.Errorf("create %s: the name is taken by a container that is not a replica of this service (remove or rename it): %w", cl.name, err)
		}
		return "", fmt.Errorf("create %s: %w", cl.name, err)
	}
	for net, ep := range cl.connect {
		if err := c.api.NetworkConnect(ctx, net, resp.ID, ep); err != nil {
			return resp.ID, fmt.Errorf("connect %s to network %s: %w", cl.name, net, err)
		}
	}
	return resp.ID, nil
}

// rollback stops and removes the containers a failed scale-up created and
// returns cause, noting the cleanup.
func (s *ComposeService) rollback(cause error, created []string) error {
	if len(created) == 0 {
		return cause
	}
	// The caller's context may be what failed; clean up with a fresh one.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var ctrs []container.Summary
	all, err := s.list(ctx)
	if err != nil {
		return fmt.Errorf("%w (and listing the new replicas to remove them failed: %v)", cause, err)
	}
	for _, ct := range all {
		for _, id := range created {
			if ct.ID == id {
				ctrs = append(ctrs, ct)
			}
		}
	}
	if err := s.stopAndRemove(ctx, ctrs); err != nil {
		return fmt.Errorf("%w (and removing the %d new replicas failed: %v)", cause, len(ctrs), err)
	}
	return fmt.Errorf("%w (the %d replicas this scale created were removed)", cause, len(ctrs))
}

// stopAndRemove stops the containers in parallel, each with its own stop
// timeout, then removes them and their anonymous volumes. Every container
// must be a replica of the service; a container already gone is no error.
func (s *ComposeService) stopAndRemove(ctx context.Context, ctrs []container.Summary) error {
	for _, ct := range ctrs {
		if !s.owns(ct.Labels) {
			return fmt.Errorf("refusing to remove %s: not a replica of %s/%s", containerName(ct), s.project, s.service)
		}
		if why := s.notMadeByCompose(ct); why != "" {
			return fmt.Errorf("refusing to remove %s: compose did not create it (%s)", containerName(ct), why)
		}
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, ct := range ctrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := containerName(ct)
			err := s.c.api.ContainerStop(ctx, ct.ID, container.StopOptions{})
			if err == nil || cerrdefs.IsNotFound(err) {
				s.opts.logf("stopped %s", name)
				err = s.c.api.ContainerRemove(ctx, ct.ID, container.RemoveOptions{RemoveVolumes: true})
			}
			if err != nil && !cerrdefs.IsNotFound(err) {
				mu.Lock()
				errs = append(errs, fmt.Errorf("stop and remove %s: %w", name, err))
				mu.Unlock()
				return
			}
			s.opts.logf("removed %s", name)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
