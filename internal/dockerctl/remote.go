package dockerctl

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/docker/docker/client"
	"github.com/docker/go-connections/tlsconfig"
)

// sshHelperHost is the URL the client's requests name when they go through
// ssh; the dialer ignores it, as the docker CLI's connection helper does.
const sshHelperHost = "http://docker.example.com"

// clientOptions are the Engine API client options that reach ep.
func (ep endpoint) clientOptions() ([]client.Opt, error) {
	opts := []client.Opt{client.WithVersionFromEnv(), client.WithAPIVersionNegotiation()}
	if strings.HasPrefix(ep.host, "ssh://") {
		helper, err := parseSSH(ep.host)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ep.from, err)
		}
		// A transport of its own: no proxy from the environment, every
		// connection is one ssh process.
		tr := &http.Transport{DialContext: helper.dial}
		return append(opts,
			client.WithHost(sshHelperHost),
			client.WithHTTPClient(&http.Client{Transport: tr, CheckRedirect: client.CheckRedirect}),
		), nil
	}
	if ep.tlsDir != "" {
		tlsc, err := tlsconfig.Client(tlsconfig.Options{
			CAFile:             filepath.Join(ep.tlsDir, "ca.pem"),
			CertFile:           filepath.Join(ep.tlsDir, "cert.pem"),
			KeyFile:            filepath.Join(ep.tlsDir, "key.pem"),
			InsecureSkipVerify: !ep.verify,
		})
		if err != nil {
			return nil, fmt.Errorf("TLS certificates for %s (%s) in %s: %w; put the engine's ca.pem and your cert.pem and key.pem there",
				ep.host, ep.from, ep.tlsDir, err)
		}
		opts = append(opts, client.WithHTTPClient(&http.Client{
			Transport:     &http.Transport{TLSClientConfig: tlsc},
			CheckRedirect: client.CheckRedirect,
		}))
	}
	return append(opts, client.WithHost(ep.host)), nil
}

// sshHelper reaches an engine the way the docker CLI does for ssh://
// hosts: each connection runs `ssh … docker system dial-stdio` and talks
// HTTP over its standard input and output.
type sshHelper struct {
	user, host, port, socket string
}

// parseSSH reads ssh://[user@]host[:port][/socket].
func parseSSH(raw string) (*sshHelper, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("ssh host %q: %w; write it as ssh://[user@]host[:port]", raw, err)
	}
	if _, hasPass := u.User.Password(); hasPass {
		return nil, fmt.Errorf("ssh host %q holds a password: passwords are not supported, use an ssh key or ssh-agent and write ssh://user@host", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" || u.Hostname() == "" {
		return nil, fmt.Errorf("ssh host %q: write it as ssh://[user@]host[:port] (no query or fragment)", raw)
	}
	return &sshHelper{user: u.User.Username(), host: u.Hostname(), port: u.Port(), socket: strings.TrimRight(u.Path, "/")}, nil
}

// args are ssh's arguments. BatchMode: scalebench opens connections while
// it runs, where a password prompt would hang it.
func (h *sshHelper) args() []string {
	args := []string{"-o", "ConnectTimeout=30", "-o", "BatchMode=yes", "-T"}
	if h.user != "" {
		args = append(args, "-l", h.user)
	}
	if h.port != "" {
		args = append(args, "-p", h.port)
	}
	args = append(args, "--", h.host, "docker")
	if h.socket != "" {
		args = append(args, "'--host=unix://"+strings.ReplaceAll(h.socket, "'", `'\''`)+"'")
	}
	return append(args, "system", "dial-stdio")
}

// target is user@host, or host.
func (h *sshHelper) target() string {
	if h.user != "" {
		return h.user + "@" + h.host
	}
	return h.host
}

// access is how to check ssh access by hand: ssh -p 2222 root@host.
func (h *sshHelper) access() string {
	if h.port != "" {
		return "ssh -p " + h.port + " " + h.target()
	}
	return "ssh " + h.target()
}

func (h *sshHelper) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	conn, err := newCommandConn(ctx, "ssh", h.args()...)
	if err != nil {
		return nil, &sshError{helper: h, err: err}
	}
	conn.wrap = func(err error) error { return &sshError{helper: h, err: err} }
	return conn, nil
}

// sshError is a connection through ssh that failed; its message says how
// to check the ssh access by hand.
type sshError struct {
	helper *sshHelper
	err    error
}

func (e *sshError) Error() string {
	return fmt.Sprintf("ssh to %s failed: %v; check ssh access (keys or ssh-agent, no password prompt) with `%s docker version`",
		e.helper.target(), e.err, e.helper.access())
}

func (e *sshError) Unwrap() error { return e.err }

// tlsError explains a failed TLS handshake with the engine, or returns nil
// when err is none.
func tlsError(ep endpoint, err error) error {
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var hostname x509.HostnameError
	setting := "DOCKER_CERT_PATH"
	if strings.HasPrefix(ep.from, "docker context") {
		setting = "docker context update --docker ca=…"
	}
	switch {
	case errors.As(err, &unknown):
		return fmt.Errorf("docker engine at %s (%s): its TLS certificate is not signed by %s: "+
			"put the CA that signed the engine's certificate there (%s): %w",
			ep.host, ep.from, filepath.Join(ep.tlsDir, "ca.pem"), setting, err)
	case errors.As(err, &hostname):
		return fmt.Errorf("docker engine at %s (%s): its TLS certificate is not for this host name: "+
			"reach it by a name its certificate holds: %w", ep.host, ep.from, err)
	case errors.As(err, &invalid):
		return fmt.Errorf("docker engine at %s (%s): its TLS certificate is not valid: %w", ep.host, ep.from, err)
	case strings.Contains(err.Error(), "remote error: tls:"):
		return fmt.Errorf("docker engine at %s (%s) refused the TLS client certificate %s: "+
			"use a cert.pem and key.pem signed by the CA the engine trusts (--tlscacert): %w",
			ep.host, ep.from, filepath.Join(ep.tlsDir, "cert.pem"), err)
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return fmt.Errorf("docker engine at %s (%s) does not speak TLS: unset DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, or start the engine with --tlsverify: %w",
			ep.host, ep.from, err)
	}
	return nil
}
