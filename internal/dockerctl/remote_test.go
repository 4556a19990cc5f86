package dockerctl

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
)

func TestCommandConn(t *testing.T) {
	ctx := context.Background()
	c, err := newCommandConn(ctx, "cat")
	must(t, err)
	if _, err := c.Write([]byte("ping\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping\n" {
		t.Fatalf("read %q, %v; want the echo", buf, err)
	}
	must(t, c.Close())
	select {
	case <-c.done:
	default:
		t.Error("the command still runs after Close")
	}

	// A command that fails: the read says why, with its last stderr line.
	c, err = newCommandConn(ctx, "sh", "-c", "echo 'warming up' >&2; echo 'Permission denied (publickey).' >&2; exit 255")
	must(t, err)
	c.wrap = func(err error) error { return errors.Join(errors.New("wrapped"), err) }
	defer c.Close()
	_, err = io.ReadAll(c)
	if err == nil || !strings.Contains(err.Error(), "Permission denied (publickey).") ||
		!strings.Contains(err.Error(), "exit status 255") || !strings.Contains(err.Error(), "wrapped") {
		t.Errorf("error %v, want the exit status and the last stderr line, wrapped", err)
	}

	// A command that ends cleanly: io.EOF.
	c, err = newCommandConn(ctx, "true")
	must(t, err)
	defer c.Close()
	if n, err := c.Read(buf); n != 0 || err != io.EOF {
		t.Errorf("read %d, %v; want io.EOF", n, err)
	}

	if _, err := newCommandConn(ctx, "/nonexistent/ssh"); err == nil || !strings.Contains(err.Error(), "/nonexistent/ssh") {
		t.Errorf("error %v, want one naming the missing command", err)
	}
}

// certs is a CA and the certificates it signed, written as a docker
// DOCKER_CERT_PATH directory: ca.pem, cert.pem (the client's) and key.pem.
type certs struct {
	dir        string
	ca         *x509.Certificate
	caKey      *ecdsa.PrivateKey
	server     tls.Certificate
	clientPool *x509.CertPool
}

func newCerts(t *testing.T) *certs {
	t.Helper()
	c := &certs{dir: t.TempDir()}
	var err error
	c.caKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "scalebench test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &c.caKey.PublicKey, c.caKey)
	must(t, err)
	c.ca, err = x509.ParseCertificate(der)
	must(t, err)
	writePEM(t, filepath.Join(c.dir, "ca.pem"), "CERTIFICATE", der)
	c.clientPool = x509.NewCertPool()
	c.clientPool.AddCert(c.ca)

	certDER, key := c.sign(t, 2, &x509.Certificate{Subject: pkix.Name{CommonName: "client"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	writePEM(t, filepath.Join(c.dir, "cert.pem"), "CERTIFICATE", certDER)
	keyDER, err := x509.MarshalECPrivateKey(key)
	must(t, err)
	writePEM(t, filepath.Join(c.dir, "key.pem"), "EC PRIVATE KEY", keyDER)

	srvDER, srvKey := c.sign(t, 3, &x509.Certificate{Subject: pkix.Name{CommonName: "engine"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	c.server = tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}
	return c
}

func (c *certs) sign(t *testing.T, serial int64, tmpl *x509.Certificate) ([]byte, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl.SerialNumber = big.NewInt(serial)
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.ca, &key.PublicKey, c.caKey)
	must(t, err)
	return der, key
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	must(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
}

// localSocket is the unix socket of the engine the tests use.
func localSocket(t *testing.T) string {
	t.Helper()
	host := os.Getenv("DOCKER_HOST")
	if host == "" {
		return "/var/run/docker.sock"
	}
	if !strings.HasPrefix(host, "unix://") {
		t.Skipf("SKIPPED: the TLS test forwards to a local unix socket, and DOCKER_HOST=%s is none", host)
	}
	return strings.TrimPrefix(host, "unix://")
}

// tlsProxy serves TLS on 127.0.0.1, requiring a client certificate of
// c's CA as dockerd --tlsverify does, and forwards each connection to the
// engine's socket. It returns tcp://127.0.0.1:PORT.
func tlsProxy(t *testing.T, c *certs, socket string) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{c.server},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    c.clientPool,
		MinVersion:   tls.VersionTLS12,
	})
	must(t, err)
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				forward(conn.(*tls.Conn), socket)
			}()
		}
	}()
	return "tcp://" + ln.Addr().String()
}

func forward(conn *tls.Conn, socket string) {
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := conn.HandshakeContext(ctx); err != nil {
		return
	}
	up, err := net.Dial("unix", socket)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, conn); up.(*net.UnixConn).CloseWrite(); done <- struct{}{} }()
	go func() { io.Copy(conn, up); conn.CloseWrite(); done <- struct{}{} }()
	<-done
	// The other direction may still be streaming a response: bound it.
	select {
	case <-done:
	case <-time.After(30 * time.Second):
	}
}

// TestConnectTLS reaches the real engine over tcp:// with TLS through a
// proxy holding certificates the test made: from DOCKER_TLS_VERIFY and
// DOCKER_CERT_PATH, from a docker context, and fails clearly with the
// wrong CA or a client certificate the engine does not trust.
func TestConnectTLS(t *testing.T) {
	engine(t) // skips without an engine
	socket := localSocket(t)
	good := newCerts(t)
	host := tlsProxy(t, good, socket)
	other := newCerts(t) // another CA and its client certificate

	connect := func(t *testing.T) (*Client, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		return Connect(ctx)
	}
	clearEnv := func(t *testing.T) {
		for _, k := range []string{"DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"} {
			t.Setenv(k, "")
		}
		t.Setenv("DOCKER_CONFIG", t.TempDir())
	}

	t.Run("env", func(t *testing.T) {
		clearEnv(t)
		t.Setenv("DOCKER_HOST", host)
		t.Setenv("DOCKER_TLS_VERIFY", "1")
		t.Setenv("DOCKER_CERT_PATH", good.dir)
		c, err := connect(t)
		must(t, err)
		defer c.Close()
		e, err := c.Engine(context.Background())
		must(t, err)
		if e.Version == "" || e.CPUs < 1 || c.Host() != host {
			t.Errorf("engine %+v via %s, want the local engine's description via %s", e, c.Host(), host)
		}
	})

	t.Run("context", func(t *testing.T) {
		clearEnv(t)
		cfg := os.Getenv("DOCKER_CONFIG")
		writeContext(t, cfg, "sbtest-tls", host, false, good.dir)
		must(t, os.WriteFile(filepath.Join(cfg, "config.json"), []byte(`{"currentContext":"sbtest-tls"}`), 0o600))
		c, err := connect(t)
		must(t, err)
		defer c.Close()
		if _, err := c.API().ContainerList(context.Background(), container.ListOptions{}); err != nil {
			t.Errorf("list containers through the context's engine: %v", err)
		}
	})

	t.Run("wrong CA", func(t *testing.T) {
		clearEnv(t)
		t.Setenv("DOCKER_HOST", host)
		t.Setenv("DOCKER_TLS_VERIFY", "1")
		t.Setenv("DOCKER_CERT_PATH", other.dir)
		c, err := connect(t)
		if err == nil {
			c.Close()
			t.Fatal("connected with a CA that did not sign the engine's certificate")
		}
		t.Log(err)
		for _, s := range []string{host, "DOCKER_HOST=" + host, "not signed by " + filepath.Join(other.dir, "ca.pem"), "DOCKER_CERT_PATH"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error %q does not contain %q", err, s)
			}
		}
	})

	t.Run("untrusted client certificate", func(t *testing.T) {
		clearEnv(t)
		// The engine's CA, but a client certificate of another CA.
		dir := t.TempDir()
		for src, f := range map[string]string{good.dir: "ca.pem", other.dir: "cert.pem"} {
			data, err := os.ReadFile(filepath.Join(src, f))
			must(t, err)
			must(t, os.WriteFile(filepath.Join(dir, f), data, 0o600))
		}
		data, err := os.ReadFile(filepath.Join(other.dir, "key.pem"))
		must(t, err)
		must(t, os.WriteFile(filepath.Join(dir, "key.pem"), data, 0o600))
		t.Setenv("DOCKER_HOST", host)
		t.Setenv("DOCKER_TLS_VERIFY", "1")
		t.Setenv("DOCKER_CERT_PATH", dir)
		c, err := connect(t)
		if err == nil {
			c.Close()
			t.Fatal("connected with a client certificate the engine does not trust")
		}
		t.Log(err)
		if !strings.Contains(err.Error(), "refused the TLS client certificate "+filepath.Join(dir, "cert.pem")) {
			t.Errorf("error %q does not say the client certificate was refused", err)
		}
	})

	t.Run("missing certificates", func(t *testing.T) {
		clearEnv(t)
		t.Setenv("DOCKER_HOST", host)
		t.Setenv("DOCKER_TLS_VERIFY", "1")
		t.Setenv("DOCKER_CERT_PATH", t.TempDir())
		_, err := connect(t)
		if err == nil || !strings.Contains(err.Error(), "put the engine's ca.pem and your cert.pem and key.pem there") {
			t.Errorf("error %v, want one saying which certificates to put where", err)
		}
	})
}
