package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/scalebench/scalebench/internal/dockerctl"
	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/runner"
)

// serviceCheck is what plan and run learn from the engine about the
// matrix's service before anything is scaled.
type serviceCheck struct {
	scaler runner.Scaler
	// found says what was found, for plan: "compose service p/s: 1 replica".
	found string
	// warnings are containers scalebench leaves alone, and the like.
	warnings []string
}

// checkService finds the matrix's service on the engine and checks that it
// can be scaled to the highest scale the matrix lists. A mistake in the
// matrix (a project, service or scale the engine does not have or cannot
// hold) is a usage error (exit 2) at its place in the file; a failing
// engine is a plain error.
func checkService(ctx context.Context, dc *dockerctl.Client, m *matrix.Matrix, opts dockerctl.Options) (*serviceCheck, error) {
	top := 0
	for _, c := range m.Cells() {
		top = max(top, c.Scale)
	}
	switch {
	case m.Compose != nil:
		var podman *dockerctl.PodmanComposeError
		if err := dc.CheckPodmanCompose(ctx, m.Compose.Project); errors.As(err, &podman) {
			return nil, usageError{matrix.ErrorList{m.ErrorAt(matrix.AtComposeProject, "", "%v", err)}}
		} else if err != nil {
			return nil, err
		}
		s, err := dc.Compose(ctx, m.Compose.Project, m.Compose.Service, opts)
		if err != nil {
			return nil, placed(m, err, matrix.AtComposeProject, matrix.AtComposeService)
		}
		if err := s.CheckScalable(ctx, top); err != nil {
			return nil, usageError{matrix.ErrorList{m.ErrorAt(matrix.AtScale(top), "", "%v", err)}}
		}
		foreign, err := s.Foreign(ctx)
		if err != nil {
			return nil, err
		}
		return &serviceCheck{
			scaler:   s,
			found:    fmt.Sprintf("compose service %s/%s on %s: %s; scaling it to %d passed the checks", m.Compose.Project, m.Compose.Service, dc.Host(), replicasText(s.Original()), top),
			warnings: foreign,
		}, nil
	case m.Swarm != nil:
		s, err := dc.SwarmIn(ctx, m.Swarm.Stack, m.Swarm.Service, opts)
		if err != nil {
			return nil, placed(m, err, matrix.AtSwarmService, matrix.AtSwarmService)
		}
		return &serviceCheck{scaler: s, found: fmt.Sprintf("swarm service %s on %s: %s", m.Swarm.Service, dc.Host(), replicasText(s.Original()))}, nil
	}
	return nil, usageError{errors.New("the matrix names no service to scale: add compose: {project: P, service: S}")}
}

// placed turns a missing project or service into a usage error at the
// matrix's compose.project (or service) value; other errors pass.
func placed(m *matrix.Matrix, err error, projectKey, serviceKey string) error {
	var nf *dockerctl.NotFoundError
	if !errors.As(err, &nf) {
		return err
	}
	key := serviceKey
	if nf.What == "project" {
		key = projectKey
	}
	return usageError{matrix.ErrorList{m.ErrorAt(key, "", "%v", nf)}}
}

func replicasText(n int) string {
	if n == 1 {
		return "1 replica"
	}
	return fmt.Sprintf("%d replicas", n)
}
