package dockerctl

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/testca"
)

// TestReadyURLUsesScenarioTLS polls real HTTPS servers on 127.0.0.1 whose
// certificates a test CA signed: one for the name api.internal that asks
// for a client certificate. With the scenario's tls: (CA, client
// certificate, server name) the ready URL answers; without, it never does,
// and the error says why.
func TestReadyURLUsesScenarioTLS(t *testing.T) {
	ca := testca.New(t, "ready-ca")
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = ca.ServerConfig(t, "api.internal")
	srv.TLS.ClientAuth, srv.TLS.ClientCAs = tls.RequireAndVerifyClientCert, ca.Pool()
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the test
	srv.StartTLS()
	defer srv.Close()
	dir := t.TempDir()
	cert, key := ca.Issue(t, "client", x509.ExtKeyUsageClientAuth)
	files := map[string][]byte{"ca.pem": ca.PEM, "client.pem": cert, "client.key": key}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	good := &matrix.TLS{CA: filepath.Join(dir, "ca.pem"), Cert: filepath.Join(dir, "client.pem"), Key: filepath.Join(dir, "client.key"), ServerName: "api.internal"}
	ctx := ctxTimeout(t, 10*time.Second)
	o := Options{ReadyURL: srv.URL + "/health", ReadyTLS: good}
	if err := o.waitReadyURL(ctx, 10*time.Second); err != nil {
		t.Fatalf("with the scenario's TLS: %v", err)
	}
	noCert := *good
	noCert.Cert, noCert.Key = "", ""
	for name, tc := range map[string]*matrix.TLS{"no tls": nil, "no client certificate": &noCert} {
		o := Options{ReadyURL: srv.URL + "/health", ReadyTLS: tc}
		ctx := ctxTimeout(t, time.Second)
		err := o.waitReadyURL(ctx, time.Second)
		if err == nil || !strings.Contains(err.Error(), "did not answer 2xx") {
			t.Errorf("%s: want a readiness timeout, got %v", name, err)
		}
	}
	bad := Options{ReadyURL: srv.URL, ReadyTLS: &matrix.TLS{CA: filepath.Join(dir, "client.key")}}
	if err := bad.waitReadyURL(ctx, time.Second); err == nil || !strings.Contains(err.Error(), "tls.ca") {
		t.Errorf("a CA file without a certificate: %v", err)
	}
}
