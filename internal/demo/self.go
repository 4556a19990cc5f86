package demo

import (
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"runtime"
)

// selfCommand is the main package a binary must be built from to serve
// the demo's roles as `scalebench sut app`.
const selfCommand = modulePath + "/cmd/scalebench"

// SelfEntrypoint is the image's entrypoint when the image holds the
// scalebench binary itself: `sut app` takes the demo app's command line
// (api, model, probe <url>).
var SelfEntrypoint = []string{"/scalebench", "sut", "app"}

// SelfBinary returns the running binary when the demo image can be made
// from it: the scalebench command, a static Linux executable (no ELF
// interpreter, as CGO_ENABLED=0 builds are) for arch, the engine's
// architecture ("" = this machine's). Otherwise its error says why not.
func SelfBinary(arch string) (string, error) {
	if runtime.GOOS != "linux" {
		return "", fmt.Errorf("scalebench runs on %s, and the demo's containers need a Linux binary", runtime.GOOS)
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find the running binary: %w", err)
	}
	return exe, CheckSelfBinary(exe, arch)
}

// CheckSelfBinary says whether the binary at path can serve as the demo
// image: the scalebench command, statically linked, for arch.
func CheckSelfBinary(path, arch string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked (it needs an ELF interpreter, as cgo builds do), and a FROM scratch image has no libc: build it with CGO_ENABLED=0", path)
		}
	}
	if arch == "" {
		arch = runtime.GOARCH
	}
	want, ok := elfMachine[arch]
	if !ok {
		return fmt.Errorf("the engine's architecture %q is not one scalebench knows", arch)
	}
	if f.Machine != want {
		return fmt.Errorf("%s is for %s, and the engine runs %s", path, f.Machine, arch)
	}
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if info.Path != selfCommand {
		return fmt.Errorf("%s is %s, not the scalebench command", path, info.Path)
	}
	return nil
}

// elfMachine maps Go's (and the engine's) architecture names to ELF's.
var elfMachine = map[string]elf.Machine{
	"amd64":   elf.EM_X86_64,
	"x86_64":  elf.EM_X86_64,
	"arm64":   elf.EM_AARCH64,
	"aarch64": elf.EM_AARCH64,
	"386":     elf.EM_386,
	"arm":     elf.EM_ARM,
	"ppc64le": elf.EM_PPC64,
	"s390x":   elf.EM_S390,
	"riscv64": elf.EM_RISCV,
}

// ErrNoDemoImage says the demo image can be made neither way.
var ErrNoDemoImage = errors.New("the demo image is made from a static scalebench binary (CGO_ENABLED=0 go install github.com/scalebench/scalebench/cmd/scalebench@latest) or built from a scalebench source tree with Go")
