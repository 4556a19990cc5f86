package load

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
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/testca"
)

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTLS sends load to real HTTPS servers on 127.0.0.1 whose certificates
// the test made: one checked against the scenario's CA, one that asks for a
// client certificate, and the failures a user meets, each with its class
// and the fix in its message.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	ca, other, clientCA := testca.New(t, "scalebench test CA"), testca.New(t, "another CA"), testca.New(t, "client CA")
	serverTLS := ca.ServerConfig(t, "api.scalebench.test")
	clientPEM, clientKey := clientCA.Issue(t, "load", x509.ExtKeyUsageClientAuth)
	caFile := writeFile(t, dir, "ca.pem", ca.PEM)
	otherFile := writeFile(t, dir, "other.pem", other.PEM)
	certFile := writeFile(t, dir, "client.pem", clientPEM)
	keyFile := writeFile(t, dir, "client.key", clientKey)

	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	plain := httptest.NewUnstartedServer(ok)
	plain.TLS = serverTLS.Clone()
	plain.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes fail on purpose
	plain.StartTLS()
	defer plain.Close()
	mutual := httptest.NewUnstartedServer(ok)
	mutual.TLS = serverTLS.Clone()
	mutual.TLS.ClientAuth, mutual.TLS.ClientCAs = tls.RequireAndVerifyClientCert, clientCA.Pool()
	mutual.Config.ErrorLog = log.New(io.Discard, "", 0)
	mutual.StartTLS()
	defer mutual.Close()

	// The system's CAs are read once per process, slowly under -race: read
	// them before the clock of a cell runs.
	x509.SystemCertPool()
	const name = "api.scalebench.test"
	for _, tc := range []struct {
		name   string
		srv    *httptest.Server
		tls    *matrix.TLS
		class  results.Class // "" for success
		reason string        // in the failure's message
	}{
		{"scenario's CA", plain, &matrix.TLS{CA: caFile, ServerName: name}, "", ""},
		{"insecure_skip_verify", plain, &matrix.TLS{InsecureSkipVerify: true}, "", ""},
		{"client certificate", mutual, &matrix.TLS{CA: caFile, ServerName: name, Cert: certFile, Key: keyFile}, "", ""},
		{"system CAs", plain, &matrix.TLS{ServerName: name}, results.ClassTLS, "unknown authority (set scenario.tls.ca"},
		{"wrong CA", plain, &matrix.TLS{CA: otherFile, ServerName: name}, results.ClassTLS, "unknown authority (set scenario.tls.ca"},
		{"wrong name", plain, &matrix.TLS{CA: caFile}, results.ClassTLS, `not valid for "127.0.0.1" (set scenario.tls.server_name`},
		{"no client certificate", mutual, &matrix.TLS{CA: caFile, ServerName: name}, results.ClassTLS, "asks for a client certificate (set scenario.tls.cert"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := mustRun(t, Config{
				Target:   tc.srv.URL,
				Scenario: matrix.Scenario{Requests: []matrix.Request{get("a", "/")}, TLS: tc.tls},
				Cell:     closedCell(1, 500*time.Millisecond),
			})
			if rec.Total.Requests == 0 {
				t.Fatal("no request completed")
			}
			if tc.class == "" {
				if rec.Total.Failures != 0 {
					t.Fatalf("%d failures: %+v", rec.Total.Failures, rec.Errors)
				}
				return
			}
			if rec.Total.Failures != rec.Total.Requests || len(rec.Errors) != 1 {
				t.Fatalf("%d of %d failed: %+v", rec.Total.Failures, rec.Total.Requests, rec.Errors)
			}
			if g := rec.Errors[0]; g.Class != tc.class || !strings.Contains(g.Message, tc.reason) {
				t.Errorf("failure %s %q (%+v), want %s containing %q", g.Class, g.Message, g, tc.class, tc.reason)
			}
		})
	}

	t.Run("unreadable CA", func(t *testing.T) {
		_, _, err := Run(t.Context(), Config{
			Target:   plain.URL,
			Scenario: matrix.Scenario{Requests: []matrix.Request{get("a", "/")}, TLS: &matrix.TLS{CA: keyFile}},
			Cell:     closedCell(1, 300*time.Millisecond),
		})
		if err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
			t.Errorf("err = %v", err)
		}
	})
}
