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

	"github.com/scalebench/scalebench/results"
)

// Client wraps an Engine API client. It is safe for concurrent use.
type Client struct {
	api  *client.Client
	host string
}

// Connect makes a client from the environment (DOCKER_HOST, DOCKER_TLS_VERIFY,
// DOCKER_CERT_PATH, DOCKER_API_VERSION), negotiates the API version with the
// engine and pings it (10 s at most). Its error names the Docker host that was
// tried and says how to start Docker or fix the socket's permissions.
func Connect(ctx context.Context) (*Client, error) {
	api, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker client from the environment (DOCKER_HOST=%q): %w; fix DOCKER_HOST or unset it to use %s",
			os.Getenv("DOCKER_HOST"), err, client.DefaultDockerHost)
	}
	c := &Client{api: api, host: api.DaemonHost()}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ping, err := api.Ping(pctx)
	if err != nil {
		api.Close()
		return nil, connectError(c.host, err)
	}
	api.NegotiateAPIVersionPing(ping)
	return c, nil
}

// connectError turns a failed ping into a message that says which host was
// tried and what to do about it.
func connectError(host string, err error) error {
	from := "DOCKER_HOST is not set, so the default"
	if v := os.Getenv("DOCKER_HOST"); v != "" {
		from = fmt.Sprintf("DOCKER_HOST=%s", v)
	}
	switch {
	case errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EACCES) ||
		strings.Contains(err.Error(), "permission denied"):
		return fmt.Errorf("docker engine at %s (%s): permission denied on the socket: "+
			"add your user to the docker group (sudo usermod -aG docker $USER, then log in again) or run as root: %w",
			host, from, err)
	case client.IsErrConnectionFailed(err) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ENOENT) || errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("docker engine not reachable at %s (%s): start Docker "+
			"(sudo systemctl start docker, or run dockerd) or point DOCKER_HOST at a running engine: %w",
			host, from, err)
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

// Host is the Docker host the client talks to, e.g. unix:///var/run/docker.sock.
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
