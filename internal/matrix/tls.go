package matrix

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// TLS is how the load engine connects to an https target.
type TLS struct {
	// CA is the absolute path of a PEM file of CA certificates the target's
	// certificate must chain to, instead of the system's.
	CA string `json:"ca,omitempty"`
	// Cert and Key are the absolute paths of a PEM client certificate and
	// its key, for a target that asks for one (mutual TLS).
	Cert string `json:"cert,omitempty"`
	Key  string `json:"key,omitempty"`
	// InsecureSkipVerify accepts any certificate: for a staging target
	// with a self-signed one, never for numbers that matter.
	InsecureSkipVerify bool `json:"insecure_skip_verify,omitempty"`
	// ServerName is the name the certificate is checked against and sent
	// in SNI; default the target's host.
	ServerName string `json:"server_name,omitempty"`
}

// ClientConfig is the TLS configuration of a client that follows t: its
// server name and verification choice, its CA instead of the system's, its
// client certificate. Callers add what is theirs (a default server name).
func (t *TLS) ClientConfig() (*tls.Config, error) {
	cfg := &tls.Config{ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify}
	if t.CA != "" {
		pem, err := os.ReadFile(t.CA)
		if err != nil {
			return nil, fmt.Errorf("tls.ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls.ca %s holds no PEM certificate (give the PEM file of the CA that signed the target's certificate)", t.CA)
		}
		cfg.RootCAs = pool
	}
	if t.Cert != "" || t.Key != "" {
		cert, err := tls.LoadX509KeyPair(t.Cert, t.Key)
		if err != nil {
			return nil, fmt.Errorf("tls.cert and tls.key: %w (give a PEM certificate and its PEM private key)", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// DefaultRedirects is how many redirects a request follows when the
// scenario does not say (Locust's HTTP session follows them too).
const DefaultRedirects = 10

// NoRedirects in Scenario.Redirects means: redirects are not followed, a
// 3xx is the response.
const NoRedirects = -1

// MaxRedirectsLimit bounds scenario.redirects.
const MaxRedirectsLimit = 100

// tls decodes scenario.tls: {ca, cert, key, insecure_skip_verify, server_name}.
func (p *parser) tls(n *yaml.Node) *TLS {
	t := &TLS{}
	var certNode, keyNode *yaml.Node
	p.fields(n, "tls", map[string]func(*yaml.Node){
		"ca": func(v *yaml.Node) {
			t.CA = p.pemFile(v, "tls.ca")
			if t.CA != "" && !p.keep {
				if b, err := os.ReadFile(t.CA); err == nil && !x509.NewCertPool().AppendCertsFromPEM(b) {
					p.errorf(v, "give the PEM file (-----BEGIN CERTIFICATE-----) of the CA that signed the target's certificate", "tls.ca %s holds no PEM certificate", p.shown(t.CA))
				}
			}
		},
		"cert":                 func(v *yaml.Node) { certNode = v; t.Cert = p.pemFile(v, "tls.cert") },
		"key":                  func(v *yaml.Node) { keyNode = v; t.Key = p.pemFile(v, "tls.key") },
		"insecure_skip_verify": func(v *yaml.Node) { t.InsecureSkipVerify = p.onOff(v, "tls.insecure_skip_verify") },
		"server_name":          func(v *yaml.Node) { t.ServerName = p.str(v, "tls.server_name") },
	})
	switch {
	case n.Kind != yaml.MappingNode:
		return nil
	case certNode != nil && keyNode == nil:
		p.errorf(certNode, "add key: the client certificate's private key file", "tls.cert needs tls.key")
	case keyNode != nil && certNode == nil:
		p.errorf(keyNode, "add cert: the client certificate file", "tls.key needs tls.cert")
	case t.Cert != "" && t.Key != "" && !p.keep:
		if _, err := tls.LoadX509KeyPair(t.Cert, t.Key); err != nil {
			p.errorf(certNode, "give a PEM certificate and the PEM private key that belongs to it", "tls.cert and tls.key: %v", err)
		}
	}
	return t
}

// pemFile reads a file path relative to the matrix file and checks that
// it exists.
func (p *parser) pemFile(n *yaml.Node, what string) string {
	f := p.str(n, what)
	if f == "" {
		return ""
	}
	if !filepath.IsAbs(f) {
		f = filepath.Join(p.dir, f)
	}
	if st, err := os.Stat(f); (err != nil || st.IsDir()) && !p.keep {
		p.errorf(n, fmt.Sprintf("give its path relative to the matrix file; looked for %s", p.shown(f)), "%s file %q does not exist", what, n.Value)
	}
	return f
}

func (p *parser) onOff(n *yaml.Node, what string) bool {
	var b bool
	if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
		p.errorf(n, "write true or false", "%s must be true or false, found %s", what, kindName(n))
	}
	return b
}
