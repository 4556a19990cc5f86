package demo

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// LabelDemoOwner names the process that started a demo stack,
// "<host>/<pid>", so that Up can tell a leftover (its owner is gone) from
// a stack another scalebench is still running.
const LabelDemoOwner = "scalebench.demo.owner"

// ownerID identifies this process as a stack owner.
func ownerID() string {
	host, _ := os.Hostname()
	return host + "/" + strconv.Itoa(os.Getpid())
}

// otherLiveOwner reports whether owner is a process other than this one
// that may still be running: a live pid on this host, or any process on
// another host (which cannot be checked). An empty or malformed owner is
// a leftover.
func otherLiveOwner(owner string) bool {
	host, pidText, ok := strings.Cut(owner, "/")
	pid, err := strconv.Atoi(pidText)
	if !ok || err != nil || pid <= 0 {
		return false
	}
	me, _ := os.Hostname()
	if host != me {
		return true
	}
	if pid == os.Getpid() {
		return false
	}
	err = syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// describeOwner says who owns a stack, for error messages.
func describeOwner(owner string) string {
	host, pid, _ := strings.Cut(owner, "/")
	if me, _ := os.Hostname(); host == me {
		return fmt.Sprintf("process %s on this machine", pid)
	}
	return fmt.Sprintf("process %s on host %s", pid, host)
}
