package dockerctl

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
)

// waitReadyURL polls o.ReadyURL until it answers 2xx, through o.ReadyTLS.
func (o Options) waitReadyURL(ctx context.Context, timeout time.Duration) error {
	hc, err := readyClient(o.ReadyTLS)
	if err != nil {
		return fmt.Errorf("readiness URL %s: %w", o.ReadyURL, err)
	}
	return pollURL(ctx, hc, o.ReadyURL, timeout)
}

// readyClient is the HTTP client of readiness polls: the scenario's TLS
// settings (tls: in the matrix) apply to an https:// ready URL as they do
// to the target, so a target that needs a CA or a client certificate
// becomes ready too.
func readyClient(t *matrix.TLS) (*http.Client, error) {
	hc := &http.Client{Timeout: 2 * time.Second}
	if t == nil {
		return hc, nil
	}
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
			return nil, fmt.Errorf("tls.cert and tls.key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	hc.Transport = tr
	return hc, nil
}
