package dockerctl

import (
	"context"
	"fmt"
	"net/http"
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
	cfg, err := t.ClientConfig()
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	hc.Transport = tr
	return hc, nil
}
