package dockerctl

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sshServer is an sshd of the test's own on 127.0.0.1, which lets root in
// with the test's client key, and a directory holding an `ssh` wrapper
// that reaches it with that key and its host key pinned.
type sshServer struct {
	port    int
	binDir  string // holds ssh: put first on PATH
	ssh     string // the real ssh client
	dir     string
	hostPub string
}

// startSSHD starts sshd on a free port of 127.0.0.1; it is stopped when the
// test ends.
func startSSHD(t *testing.T) *sshServer {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("SKIPPED: the ssh test runs its own sshd for root, and needs root")
	}
	sshd, err := exec.LookPath("/usr/sbin/sshd")
	if err != nil {
		t.Skipf("SKIPPED, NO sshd: %v (install Debian's openssh-server)", err)
	}
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skipf("SKIPPED, NO docker CLI for `docker system dial-stdio`: %v", err)
	}
	s := &sshServer{dir: t.TempDir()}
	if s.ssh, err = exec.LookPath("ssh"); err != nil {
		t.Skipf("SKIPPED, NO ssh client: %v (install Debian's openssh-client)", err)
	}
	s.binDir = filepath.Join(s.dir, "bin")
	must(t, os.MkdirAll(s.binDir, 0o755))
	keygen(t, filepath.Join(s.dir, "host_key"))
	keygen(t, filepath.Join(s.dir, "client_key"))
	pub, err := os.ReadFile(filepath.Join(s.dir, "client_key.pub"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(s.dir, "authorized_keys"), pub, 0o600))
	hostPub, err := os.ReadFile(filepath.Join(s.dir, "host_key.pub"))
	must(t, err)
	s.hostPub = strings.TrimSpace(string(hostPub))
	// sshd refuses to start without its privilege separation directory.
	must(t, os.MkdirAll("/run/sshd", 0o755))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	s.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := filepath.Join(s.dir, "sshd_config")
	must(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
AuthorizedKeysFile %s
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile none
`, s.port, filepath.Join(s.dir, "host_key"), filepath.Join(s.dir, "authorized_keys"))), 0o600))
	cmd := exec.Command(sshd, "-D", "-e", "-f", cfg)
	log := &tailBuffer{max: 8192}
	cmd.Stdout, cmd.Stderr = log, log
	must(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("sshd log:\n%s", log.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.port), time.Second)
		if err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd does not listen on 127.0.0.1:%d: %v\n%s", s.port, err, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.useKey(t, filepath.Join(s.dir, "client_key"))
	return s
}

// useKey writes the ssh wrapper so that it logs in with key.
func (s *sshServer) useKey(t *testing.T, key string) {
	t.Helper()
	known := filepath.Join(s.dir, "known_hosts")
	must(t, os.WriteFile(known, []byte(fmt.Sprintf("[127.0.0.1]:%d %s\n", s.port, s.hostPub)), 0o600))
	cfg := filepath.Join(s.dir, "ssh_config")
	must(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`Host *
  IdentityFile %s
  IdentitiesOnly yes
  UserKnownHostsFile %s
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
`, key, known)), 0o600))
	must(t, os.WriteFile(filepath.Join(s.binDir, "ssh"), []byte(fmt.Sprintf("#!/bin/sh\nexec %s -F %s \"$@\"\n", s.ssh, cfg)), 0o755))
}

func keygen(t *testing.T, path string) {
	t.Helper()
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "scalebench-test", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
}

// sshChildren counts this process's ssh children.
func sshChildren(t *testing.T) int {
	out, _ := exec.Command("pgrep", "-P", strconv.Itoa(os.Getpid()), "-x", "ssh").Output()
	return len(strings.Fields(string(out)))
}

// TestConnectSSH scales a compose service and watches its project through
// DOCKER_HOST=ssh://root@127.0.0.1:PORT, an sshd in front of the test
// engine, as the docker CLI reaches remote engines; and fails clearly
// with a key the server does not accept.
func TestConnectSSH(t *testing.T) {
	if testing.Short() {
		t.Skip("starts sshd and a compose project")
	}
	local := engine(t)
	socket := localSocket(t)
	srv := startSSHD(t)
	img := testImage(t, local)
	p := composeUp(t, local, "scale.yml", "SB_IMAGE="+img)

	host := fmt.Sprintf("ssh://root@127.0.0.1:%d", srv.port)
	if socket != "/var/run/docker.sock" {
		host += socket
	}
	t.Setenv("DOCKER_HOST", host)
	t.Setenv("PATH", srv.binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	ctx := ctxTimeout(t, 3*time.Minute)
	c, err := Connect(ctx)
	must(t, err)
	if c.Host() != host {
		t.Errorf("Host() = %q, want %q", c.Host(), host)
	}
	s, err := c.Compose(ctx, p.name, "idle", Options{})
	must(t, err)
	stop := c.Watch(ctx, p.name, time.Now())
	must(t, s.Scale(ctx, 2))
	time.Sleep(2500 * time.Millisecond)
	series := stop()
	if got := len(p.replicas("idle")); got != 2 {
		t.Errorf("%d idle replicas after scaling to 2 over ssh, want 2", got)
	}
	sampled := map[string]int{}
	for _, x := range series {
		sampled[fmt.Sprintf("%s/%d", x.Service, x.Number)] = len(x.Samples)
	}
	if sampled["idle/1"] < 1 || sampled["idle/2"] < 1 || sampled["web/1"] < 1 {
		t.Errorf("samples per container over ssh: %v, want idle/1, idle/2 and web/1 sampled", sampled)
	}
	must(t, s.Scale(ctx, 1))
	if got := len(p.replicas("idle")); got != 1 {
		t.Errorf("%d idle replicas after scaling back to 1 over ssh, want 1", got)
	}
	c.Close()
	// Every connection's ssh ends with the client.
	deadline := time.Now().Add(10 * time.Second)
	for n := sshChildren(t); n > 0; n = sshChildren(t) {
		if time.Now().After(deadline) {
			t.Errorf("%d ssh processes still run after Close", n)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}

	// A key the server does not know: the error says so and how to check.
	keygen(t, filepath.Join(srv.dir, "stranger"))
	srv.useKey(t, filepath.Join(srv.dir, "stranger"))
	c, err = Connect(ctx)
	if err == nil {
		c.Close()
		t.Fatal("connected over ssh with a key the server does not accept")
	}
	t.Log(err)
	for _, want := range []string{
		"DOCKER_HOST=" + host,
		"ssh to root@127.0.0.1 failed",
		"Permission denied",
		fmt.Sprintf("`ssh -p %d root@127.0.0.1 docker version`", srv.port),
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}
