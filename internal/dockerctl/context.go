package dockerctl

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/docker/client"
)

// endpoint is the engine Connect talks to and where that choice came from,
// resolved the way the docker CLI resolves it: DOCKER_HOST, else the
// context DOCKER_CONTEXT names, else the config's currentContext, else the
// default socket.
type endpoint struct {
	// host is the engine's address as given: unix://, tcp://, ssh://, npipe://.
	host string
	// from says where host came from, for error messages:
	// "DOCKER_HOST=…", "docker context prod (DOCKER_CONTEXT)", ….
	from string
	// tlsDir holds ca.pem, cert.pem and key.pem when TLS is used; "" = no TLS.
	tlsDir string
	// verify checks the engine's certificate against tlsDir/ca.pem.
	verify bool
	// fix says which setting to change when the engine cannot be reached.
	fix string
}

// contextMeta is the part of a docker CLI context's meta.json that says
// where its engine is.
type contextMeta struct {
	Name      string
	Endpoints map[string]struct {
		Host          string
		SkipTLSVerify bool
	}
}

// resolveEndpoint finds the engine from the environment (read with getenv)
// and the docker CLI's configuration directory (DOCKER_CONFIG, else
// ~/.docker).
func resolveEndpoint(getenv func(string) string) (endpoint, error) {
	cfgDir := configDir(getenv)
	if host := getenv(client.EnvOverrideHost); host != "" {
		return envEndpoint(getenv, cfgDir, host, "DOCKER_HOST="+host), nil
	}
	name, from := getenv("DOCKER_CONTEXT"), "DOCKER_CONTEXT"
	if name == "" {
		var err error
		if name, err = currentContext(cfgDir); err != nil {
			return endpoint{}, err
		}
		from = "currentContext in " + filepath.Join(cfgDir, "config.json")
	}
	if name == "" || name == "default" {
		ep := envEndpoint(getenv, cfgDir, client.DefaultDockerHost, "DOCKER_HOST is not set, so the default")
		if name == "default" {
			ep.from = fmt.Sprintf("docker context default (%s)", from)
		}
		return ep, nil
	}
	return contextEndpoint(cfgDir, name, from)
}

// envEndpoint is host with the TLS settings of DOCKER_TLS_VERIFY and
// DOCKER_CERT_PATH, as the docker CLI reads them: a DOCKER_CERT_PATH alone
// encrypts without checking the engine's certificate, DOCKER_TLS_VERIFY
// alone takes the certificates from the configuration directory.
func envEndpoint(getenv func(string) string, cfgDir, host, from string) endpoint {
	ep := endpoint{host: host, from: from, fix: "point DOCKER_HOST at a running engine"}
	certPath, verify := getenv(client.EnvOverrideCertPath), getenv(client.EnvTLSVerify) != ""
	if verify && certPath == "" {
		certPath = cfgDir
	}
	if certPath != "" && strings.HasPrefix(host, "tcp://") {
		ep.tlsDir, ep.verify = certPath, verify
	}
	return ep
}

// contextEndpoint reads the docker context name from cfgDir.
func contextEndpoint(cfgDir, name, from string) (endpoint, error) {
	digest := sha256.Sum256([]byte(name))
	id := hex.EncodeToString(digest[:])
	metaPath := filepath.Join(cfgDir, "contexts", "meta", id, "meta.json")
	data, err := os.ReadFile(metaPath)
	if errors.Is(err, os.ErrNotExist) {
		return endpoint{}, fmt.Errorf("docker context %q (%s) does not exist: no %s; list the contexts with `docker context ls`, or unset %s to use the default engine",
			name, from, metaPath, strings.Fields(from)[0])
	}
	if err != nil {
		return endpoint{}, fmt.Errorf("docker context %q (%s): %w", name, from, err)
	}
	var meta contextMeta
	if err := json.Unmarshal(data, &meta); err != nil {
		return endpoint{}, fmt.Errorf("docker context %q: %s: %w; recreate it with `docker context create`", name, metaPath, err)
	}
	d, ok := meta.Endpoints["docker"]
	if !ok || d.Host == "" {
		return endpoint{}, fmt.Errorf("docker context %q: %s names no docker endpoint host; set one with `docker context update %s --docker host=…`", name, metaPath, name)
	}
	ep := endpoint{
		host: d.Host,
		from: fmt.Sprintf("docker context %s (%s)", name, from),
		fix:  fmt.Sprintf("fix the context (`docker context inspect %s`) or pick another with `docker context use`", name),
	}
	tlsDir := filepath.Join(cfgDir, "contexts", "tls", id, "docker")
	if _, err := os.Stat(tlsDir); err == nil && strings.HasPrefix(d.Host, "tcp://") {
		ep.tlsDir, ep.verify = tlsDir, !d.SkipTLSVerify
	}
	return ep, nil
}

// configDir is the docker CLI's configuration directory.
func configDir(getenv func(string) string) string {
	if d := getenv("DOCKER_CONFIG"); d != "" {
		return d
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".docker")
}

// currentContext is config.json's currentContext; "" when there is no
// config file or it names none.
func currentContext(cfgDir string) (string, error) {
	path := filepath.Join(cfgDir, "config.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("docker config %s: %w", path, err)
	}
	var cfg struct{ CurrentContext string }
	if err := json.Unmarshal(data, &cfg); err != nil {
		return "", fmt.Errorf("docker config %s is not valid JSON: %w; fix it or set DOCKER_HOST", path, err)
	}
	return cfg.CurrentContext, nil
}
