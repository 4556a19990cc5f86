//go:build !unix

package dockerctl

import "os/exec"

func ownProcessGroup(*exec.Cmd) {}
