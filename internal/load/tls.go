package load

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"

	"github.com/scalebench/scalebench/internal/matrix"
)

// tlsConfig is the TLS configuration of connections to an https target:
// the scenario's CA, client certificate, server name and verification
// choice; the system's CAs and the target's host name when it sets none.
func tlsConfig(t target, c *matrix.TLS) (*tls.Config, error) {
	if c == nil {
		c = &matrix.TLS{}
	}
	cfg, err := c.ClientConfig()
	if err != nil {
		return nil, err
	}
	if cfg.ServerName == "" {
		cfg.ServerName = t.base.Hostname()
	}
	if len(cfg.Certificates) == 0 {
		cfg.GetClientCertificate = noClientCert
	}
	return cfg, nil
}

// errNoClientCert is a target asking for a client certificate when the
// scenario gives none. With TLS 1.3 a target that requires one would
// otherwise only close the connection after the handshake, which reads as
// a reset; refusing at its request names the cause instead. A target that
// merely accepts an optional client certificate is refused too: give it one.
var errNoClientCert = errors.New("the target asks for a client certificate (set scenario.tls.cert and tls.key)")

func noClientCert(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	return nil, errNoClientCert
}

// classifyTLS names a TLS failure and what to change in the scenario's
// tls: block; ok is false when err is not a TLS failure.
func classifyTLS(err error) (msg string, ok bool) {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		remote   *net.OpError
		record   tls.RecordHeaderError
	)
	switch {
	case errors.Is(err, errNoClientCert):
		return "TLS: " + errNoClientCert.Error(), true
	case errors.As(err, &unknown):
		return "TLS: the target's certificate is signed by an unknown authority (set scenario.tls.ca to the CA file that signed it, or insecure_skip_verify: true for a staging target)", true
	case errors.As(err, &hostname):
		return fmt.Sprintf("TLS: the target's certificate is not valid for %q (set scenario.tls.server_name to a name it holds)", hostname.Host), true
	case errors.As(err, &invalid):
		return "TLS: the target's certificate is invalid: " + invalid.Error(), true
	case errors.As(err, &remote) && remote.Op == "remote error":
		return fmt.Sprintf("TLS: the target refused the handshake: %v (check the client certificate in scenario.tls.cert and key, and the TLS versions the target accepts)", remote.Err), true
	case errors.As(err, &record):
		return "TLS: the target does not speak TLS (write its URL as http://)", true
	}
	return "", false
}
