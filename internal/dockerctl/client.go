package dockerctl

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/docker/docker/client"

	"github.com/scalebench/scalebench/internal/results"
)

// Client wraps an Engine API client. It is safe for concurrent use.
type Client struct {
	api  *client.Client
	host string
}

// Connect makes a client for the engine the docker CLI would use:
// DOCKER_HOST (unix://, tcp:// with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH,
// or ssh://[user@]host[:port] through `ssh … docker system dial-stdio`),
// else the docker context DOCKER_CONTEXT or the CLI config's currentContext
// names, else the default socket. It honours DOCKER_API_VERSION, negotiates
// the API version with the engine and pings it (10 s at most; 40 s over
// ssh, whose connect timeout is 30 s). Its error names the Docker host that
// was tried, where that came from, and what to fix.
func Connect(ctx context.Context) (*Client, error) {
	ep, err := resolveEndpoint(os.Getenv)
	if err != nil {
		return nil, err
	}
	opts, err := ep.clientOptions()
	if err != nil {
		return nil, err
	}
	api, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, fmt.Errorf("docker client for %s (%s): %w; %s or unset it to use %s",
			ep.host, ep.from, err, ep.fix, client.DefaultDockerHost)
	}
	c := &Client{api: api, host: ep.host}
	timeout := 10 * time.Second
	if strings.HasPrefix(ep.host, "ssh://") {
		timeout = 40 * time.Second
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ping, err := api.Ping(pctx)
	if err != nil {
		api.Close()
		return nil, ep.connectError(err)
	}
	api.NegotiateAPIVersionPing(ping)
	return c, nil
}

// connectError turns a failed ping into a message that says which host was
// tried, where it came from and what to do about it.
func (ep endpoint) connectError(err error) error {
	var sshErr *sshError
	if errors.As(err, &sshErr) {
		return fmt.Errorf("docker engine at %s (%s): %w", ep.host, ep.from, sshErr)
	}
	if strings.HasPrefix(ep.host, "ssh://") {
		if h, perr := parseSSH(ep.host); perr == nil {
			return fmt.Errorf("docker engine at %s (%s) did not answer over ssh: check ssh access and the engine there with `%s docker version`: %w",
				ep.host, ep.from, h.access(), err)
		}
	}
	if ep.tlsDir != "" {
		if e := tlsError(ep, err); e != nil {
			return e
		}
	}
	return connectError(ep.host, ep.from, ep.fix, err)
}

// connectError is the message for a failed ping of host, which came from
// from; fix says which setting points at another engine.
func connectError(host, from, fix string, err error) error {
	switch {
	case errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EACCES) ||
		strings.Contains(err.Error(), "permission denied"):
		return fmt.Errorf("docker engine at %s (%s): permission denied on the socket: "+
			"add your user to the docker group (sudo usermod -aG docker $USER, then log in again) or run as root: %w",
			host, from, err)
	case client.IsErrConnectionFailed(err) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ENOENT) || errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("docker engine not reachable at %s (%s): start Docker "+
			"(sudo systemctl start docker, or run dockerd) or %s: %w",
			host, from, fix, err)
	default:
		return fmt.Errorf("docker engine at %s (%s): %w", host, from, err)
	}
}

// API is the underlying Engine API client, for what this package does not
// wrap (the demo creates its containers with it). Whatever is done through
// it is outside this package's safety checks.
func (c *Client) API() *client.Client { return c.api }

// Close releases the client's connections.
func (c *Client) Close() error { return c.api.Close() }

// Host is the Docker host the client talks to, e.g. unix:///var/run/docker.sock
// or ssh://user@host.
func (c *Client) Host() string { return c.host }

// Engine describes the engine: version, negotiated API version, OS,
// architecture, CPU count, memory in bytes and the host's name (docker
// info's Name).
func (c *Client) Engine(ctx context.Context) (*results.Engine, error) {
	info, err := c.api.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("docker engine info: %w", err)
	}
	v, err := c.api.ServerVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("docker engine version: %w", err)
	}
	return &results.Engine{
		Version:     v.Version,
		APIVersion:  c.api.ClientVersion(),
		OS:          v.Os,
		Arch:        v.Arch,
		CPUs:        info.NCPU,
		MemoryBytes: info.MemTotal,
		Name:        info.Name,
	}, nil
}
