package demo

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestCheckSelfBinary tells which binaries can make the demo image: not a
// dynamically linked one, not one for another architecture, not a static
// Go binary of another command. (The scalebench command itself, built
// static, is taken in cmd/scalebench's TestDemoSelfImage.)
func TestCheckSelfBinary(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	demoapp, err := BuildApp(ctx, "", t.TempDir(), "")
	if err != nil {
		t.Fatalf("BuildApp: %v", err)
	}
	other := "arm64"
	if runtime.GOARCH == "arm64" {
		other = "amd64"
	}
	tests := []struct {
		path, arch string
		want       string
	}{
		{"/bin/ls", "", "is dynamically linked"},
		{demoapp, "", "is github.com/scalebench/scalebench/internal/demo/cmd/demoapp, not the scalebench command"},
		{demoapp, other, "and the engine runs " + other},
		{demoapp, "mips128", `architecture "mips128" is not one scalebench knows`},
	}
	for _, tt := range tests {
		err := CheckSelfBinary(tt.path, tt.arch)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CheckSelfBinary(%s, %q) = %v, want an error containing %q", tt.path, tt.arch, err, tt.want)
		}
	}
	// The test binary is no scalebench command either.
	if _, err := SelfBinary(""); err == nil {
		t.Error("SelfBinary accepts the test binary")
	}
}
