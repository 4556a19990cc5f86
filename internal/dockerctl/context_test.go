package dockerctl

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeContext writes a docker CLI context named name with host into the
// configuration directory cfgDir, with a TLS directory when tlsDir is set
// (its ca.pem, cert.pem and key.pem are copied).
func writeContext(t *testing.T, cfgDir, name, host string, skipVerify bool, tlsDir string) {
	t.Helper()
	sum := sha256.Sum256([]byte(name))
	id := hex.EncodeToString(sum[:])
	meta := filepath.Join(cfgDir, "contexts", "meta", id)
	must(t, os.MkdirAll(meta, 0o755))
	verify := "false"
	if skipVerify {
		verify = "true"
	}
	must(t, os.WriteFile(filepath.Join(meta, "meta.json"), []byte(`{"Name":"`+name+`","Metadata":{},"Endpoints":{"docker":{"Host":"`+host+`","SkipTLSVerify":`+verify+`}}}`), 0o644))
	if tlsDir == "" {
		return
	}
	dst := filepath.Join(cfgDir, "contexts", "tls", id, "docker")
	must(t, os.MkdirAll(dst, 0o700))
	for _, f := range []string{"ca.pem", "cert.pem", "key.pem"} {
		data, err := os.ReadFile(filepath.Join(tlsDir, f))
		must(t, err)
		must(t, os.WriteFile(filepath.Join(dst, f), data, 0o600))
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestResolveEndpoint(t *testing.T) {
	cfg := t.TempDir()
	certs := t.TempDir()
	for _, f := range []string{"ca.pem", "cert.pem", "key.pem"} {
		must(t, os.WriteFile(filepath.Join(certs, f), []byte("x"), 0o600))
	}
	writeContext(t, cfg, "remote", "ssh://deploy@build-1:2222", false, "")
	writeContext(t, cfg, "secure", "tcp://10.1.2.3:2376", false, certs)
	writeContext(t, cfg, "lax", "tcp://10.1.2.3:2376", true, certs)
	must(t, os.WriteFile(filepath.Join(cfg, "config.json"), []byte(`{"auths":{},"currentContext":"remote"}`), 0o600))
	sum := sha256.Sum256([]byte("secure"))
	secureTLS := filepath.Join(cfg, "contexts", "tls", hex.EncodeToString(sum[:]), "docker")

	tests := []struct {
		name     string
		env      map[string]string
		host     string
		from     string // a part of ep.from
		tlsDir   string
		verify   bool
		errParts []string
	}{
		{name: "DOCKER_HOST wins", env: map[string]string{"DOCKER_HOST": "unix:///tmp/x.sock", "DOCKER_CONTEXT": "secure"},
			host: "unix:///tmp/x.sock", from: "DOCKER_HOST=unix:///tmp/x.sock"},
		{name: "DOCKER_HOST tcp with TLS", env: map[string]string{"DOCKER_HOST": "tcp://h:2376", "DOCKER_CERT_PATH": "/certs", "DOCKER_TLS_VERIFY": "1"},
			host: "tcp://h:2376", from: "DOCKER_HOST", tlsDir: "/certs", verify: true},
		{name: "cert path alone encrypts without verifying", env: map[string]string{"DOCKER_HOST": "tcp://h:2376", "DOCKER_CERT_PATH": "/certs"},
			host: "tcp://h:2376", tlsDir: "/certs"},
		{name: "TLS_VERIFY alone takes the config directory", env: map[string]string{"DOCKER_HOST": "tcp://h:2376", "DOCKER_TLS_VERIFY": "1"},
			host: "tcp://h:2376", tlsDir: cfg, verify: true},
		{name: "no TLS on a socket", env: map[string]string{"DOCKER_HOST": "unix:///s.sock", "DOCKER_CERT_PATH": "/certs"},
			host: "unix:///s.sock"},
		{name: "DOCKER_CONTEXT over currentContext", env: map[string]string{"DOCKER_CONTEXT": "secure"},
			host: "tcp://10.1.2.3:2376", from: "docker context secure (DOCKER_CONTEXT)", tlsDir: secureTLS, verify: true},
		{name: "SkipTLSVerify", env: map[string]string{"DOCKER_CONTEXT": "lax"}, host: "tcp://10.1.2.3:2376", verify: false},
		{name: "currentContext", env: map[string]string{}, host: "ssh://deploy@build-1:2222", from: "docker context remote (currentContext in " + filepath.Join(cfg, "config.json")},
		{name: "default context", env: map[string]string{"DOCKER_CONTEXT": "default"}, host: "unix:///var/run/docker.sock", from: "docker context default (DOCKER_CONTEXT)"},
		{name: "missing context", env: map[string]string{"DOCKER_CONTEXT": "nope"},
			errParts: []string{`docker context "nope" (DOCKER_CONTEXT) does not exist`, "docker context ls", "unset DOCKER_CONTEXT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"DOCKER_CONFIG": cfg}
			for k, v := range tt.env {
				env[k] = v
			}
			ep, err := resolveEndpoint(func(k string) string { return env[k] })
			if tt.errParts != nil {
				if err == nil {
					t.Fatalf("resolved %+v, want an error", ep)
				}
				for _, s := range tt.errParts {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ep.host != tt.host || !strings.Contains(ep.from, tt.from) || ep.verify != tt.verify {
				t.Errorf("got host %q from %q verify %v, want %q from …%q… verify %v", ep.host, ep.from, ep.verify, tt.host, tt.from, tt.verify)
			}
			if tt.tlsDir != "" && ep.tlsDir != tt.tlsDir {
				t.Errorf("TLS directory %q, want %q", ep.tlsDir, tt.tlsDir)
			}
			if tt.tlsDir == "" && tt.name != "SkipTLSVerify" && ep.tlsDir != "" {
				t.Errorf("TLS directory %q, want none", ep.tlsDir)
			}
		})
	}
}

func TestResolveEndpointBadConfig(t *testing.T) {
	cfg := t.TempDir()
	must(t, os.WriteFile(filepath.Join(cfg, "config.json"), []byte(`{"currentContext":`), 0o600))
	_, err := resolveEndpoint(func(k string) string { return map[string]string{"DOCKER_CONFIG": cfg}[k] })
	if err == nil || !strings.Contains(err.Error(), filepath.Join(cfg, "config.json")) || !strings.Contains(err.Error(), "not valid JSON") {
		t.Errorf("error %v, want one naming the broken config.json", err)
	}
	// No config at all: the default engine.
	ep, err := resolveEndpoint(func(k string) string { return map[string]string{"DOCKER_CONFIG": t.TempDir()}[k] })
	if err != nil || ep.host != "unix:///var/run/docker.sock" {
		t.Errorf("got %+v, %v; want the default socket", ep, err)
	}
}

func TestParseSSH(t *testing.T) {
	tests := []struct {
		raw    string
		args   string
		access string
		err    string
	}{
		{raw: "ssh://root@127.0.0.1:2222", args: "-o ConnectTimeout=30 -o BatchMode=yes -T -l root -p 2222 -- 127.0.0.1 docker system dial-stdio", access: "ssh -p 2222 root@127.0.0.1"},
		{raw: "ssh://build-1", args: "-o ConnectTimeout=30 -o BatchMode=yes -T -- build-1 docker system dial-stdio", access: "ssh build-1"},
		{raw: "ssh://me@h/run/user/1000/docker.sock", args: "-o ConnectTimeout=30 -o BatchMode=yes -T -l me -- h docker '--host=unix:///run/user/1000/docker.sock' system dial-stdio"},
		{raw: "ssh://me:secret@h", err: "passwords are not supported"},
		{raw: "ssh://h?x=1", err: "no query"},
		{raw: "ssh://", err: "ssh://[user@]host[:port]"},
	}
	for _, tt := range tests {
		h, err := parseSSH(tt.raw)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want one containing %q", tt.raw, err, tt.err)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("%s: the error shows the password: %v", tt.raw, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.raw, err)
			continue
		}
		if got := strings.Join(h.args(), " "); got != tt.args {
			t.Errorf("%s: ssh %s\nwant ssh %s", tt.raw, got, tt.args)
		}
		if tt.access != "" && h.access() != tt.access {
			t.Errorf("%s: access %q, want %q", tt.raw, h.access(), tt.access)
		}
	}
}
