//go:build unix

package dockerctl

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup keeps a Ctrl-C at the terminal from killing the
// connection's ssh before scalebench has put the service back.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
