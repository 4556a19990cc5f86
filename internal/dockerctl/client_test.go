package dockerctl

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestConnectError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"permission denied", &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", syscall.EACCES)},
			[]string{"unix:///var/run/docker.sock", "permission denied", "usermod -aG docker"}},
		{"refused", &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)},
			[]string{"not reachable at unix:///var/run/docker.sock", "start Docker", "DOCKER_HOST"}},
		{"other", errors.New("HTTP 500"), []string{"unix:///var/run/docker.sock", "HTTP 500"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := connectError("unix:///var/run/docker.sock", "DOCKER_HOST is not set, so the default", "point DOCKER_HOST at a running engine", fmt.Errorf("ping: %w", tt.err))
			for _, s := range tt.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			if !errors.Is(err, tt.err) {
				t.Error("error does not wrap its cause")
			}
		})
	}
}

// TestConnectUnreachable points DOCKER_HOST at a socket nobody listens on.
func TestConnectUnreachable(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "nothing.sock")
	t.Setenv("DOCKER_HOST", "unix://"+sock)
	c, err := Connect(context.Background())
	if err == nil {
		c.Close()
		t.Fatal("connected to a socket that does not exist")
	}
	for _, s := range []string{"DOCKER_HOST=unix://" + sock, "not reachable", "start Docker"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}
}
