package dockerctl

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// podmanService starts `podman system service` (rootful) on a socket of
// the test's own and returns its DOCKER_HOST; it is stopped when the test
// ends.
func podmanService(t *testing.T) string {
	t.Helper()
	podman, err := exec.LookPath("podman")
	if err != nil {
		t.Skipf("SKIPPED, NO podman: %v (install Debian's podman)", err)
	}
	if os.Geteuid() != 0 {
		t.Skip("SKIPPED: the Podman test runs a rootful podman system service")
	}
	sock := filepath.Join(t.TempDir(), "podman.sock")
	cmd := exec.Command(podman, "system", "service", "--time=0", "unix://"+sock)
	log := &tailBuffer{max: 4096}
	cmd.Stdout, cmd.Stderr = log, log
	must(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for deadline := time.Now().Add(15 * time.Second); ; {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("podman system service made no socket %s:\n%s", sock, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "unix://" + sock
}

// TestPodman reaches Podman's Docker-compatible service: the engine is
// recognised, a FROM scratch image builds through its API, and a compose
// project that podman-compose made is refused before anything is touched,
// saying why and what to do. (Whether its containers start depends on the
// host: in a sandbox that cannot set rlimits they do not, which this test
// does not need.)
func TestPodman(t *testing.T) {
	if testing.Short() {
		t.Skip("starts podman system service")
	}
	host := podmanService(t)
	t.Setenv("DOCKER_HOST", host)
	ctx := ctxTimeout(t, 3*time.Minute)
	c, err := Connect(ctx)
	must(t, err)
	t.Cleanup(func() { c.Close() })
	podman, version, err := c.Podman(ctx)
	if err != nil || !podman || version == "" {
		t.Fatalf("Podman() = %v, %q, %v; want the engine recognised as Podman", podman, version, err)
	}
	img := testImage(t, c) // built through Podman's compat API, FROM scratch

	if _, err := exec.LookPath("podman-compose"); err != nil {
		t.Skipf("SKIPPED the podman-compose half, NO podman-compose: %v (install Debian's podman-compose)", err)
	}
	project := uniqueName(t, "sbtestpod")
	compose := func(args ...string) string {
		cmd := exec.Command("podman-compose", append([]string{"-p", project, "-f", filepath.Join("testdata", "compose", "scale.yml")}, args...)...)
		cmd.Env = append(os.Environ(), "SB_IMAGE="+img)
		out, _ := cmd.CombinedOutput() // it exits 0 even when a container does not start
		return string(out)
	}
	t.Cleanup(func() {
		compose("down")
		exec.Command("podman", "network", "rm", "-f", project+"_default").Run()
		exec.Command("podman", "volume", "rm", "-f", project+"_shared").Run()
	})
	out := compose("up", "-d")
	err = c.CheckPodmanCompose(ctx, project)
	if err == nil {
		t.Fatalf("a podman-compose project passed the check:\n%s", out)
	}
	for _, want := range []string{"compose project " + project, "made by podman-compose", "Podman " + version, "docker-compose", host} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if err := c.CheckPodmanCompose(ctx, "sbtest-nothing-here"); err != nil {
		t.Errorf("a project podman-compose did not make: %v", err)
	}

	// On Docker the check passes without a look.
	t.Setenv("DOCKER_HOST", "")
	d := engine(t)
	if ok, _, err := d.Podman(ctx); ok || err != nil {
		t.Errorf("Docker recognised as Podman (%v, %v)", ok, err)
	}
}
