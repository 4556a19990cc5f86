package demo

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"

	"github.com/scalebench/scalebench/internal/dockerctl"
)

// deadPID returns the pid of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestOtherLiveOwner(t *testing.T) {
	host, _ := os.Hostname()
	tests := []struct {
		name  string
		owner string
		want  bool
	}{
		{"this process", ownerID(), false},
		{"live process on this host", host + "/1", true},
		{"exited process on this host", host + "/" + strconv.Itoa(deadPID(t)), false},
		{"another host", "elsewhere.example/1234", true},
		{"no owner", "", false},
		{"malformed", "host-without-pid", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := otherLiveOwner(tt.owner); got != tt.want {
				t.Errorf("otherLiveOwner(%q) = %v, want %v", tt.owner, got, tt.want)
			}
		})
	}
}

// TestStackOwnership checks that Up removes the leftovers of a dead owner
// and refuses a stack whose owner still runs.
func TestStackOwnership(t *testing.T) {
	c := engine(t)
	bin := buildApp(t)
	host, _ := os.Hostname()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tag := "sbtest-owner:" + strings.ToLower(strconv.Itoa(os.Getpid()))
	if err := c.BuildScratchImage(ctx, tag, bin, nil, map[string]string{LabelDemo: "1"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.RemoveImage(context.Background(), tag) })

	for _, tt := range []struct {
		name    string
		owner   string
		refused bool
	}{
		{"live owner", host + "/1", true},
		{"dead owner", host + "/" + strconv.Itoa(deadPID(t)), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			project := testProject(t)
			t.Cleanup(func() { Purge(context.Background(), c, project) })
			old, err := c.API().ContainerCreate(ctx, &container.Config{Image: tag, Cmd: []string{"model"}, Labels: map[string]string{
				dockerctl.LabelProject: project, dockerctl.LabelService: ServiceModel, LabelDemo: "1", LabelDemoOwner: tt.owner,
			}}, nil, nil, nil, project+"_model_1")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				c.API().ContainerRemove(context.Background(), old.ID, container.RemoveOptions{Force: true})
			})
			s, err := Up(ctx, StackOptions{Docker: c, Project: project, Binary: bin})
			if tt.refused {
				if err == nil || !strings.Contains(err.Error(), "process 1 on this machine") {
					t.Fatalf("Up over a stack whose owner runs: %v, want a refusal naming the owner", err)
				}
				if _, err := c.API().ContainerInspect(ctx, old.ID); err != nil {
					t.Errorf("the live owner's container is gone after a refused Up: %v", err)
				}
				if err := Purge(ctx, c, project); err != nil {
					t.Fatal(err)
				}
				if _, err := c.API().ContainerInspect(ctx, old.ID); err != nil {
					t.Errorf("Purge removed a stack whose owner still runs: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Up over a dead owner's leftovers: %v", err)
			}
			defer s.Down(ctx)
			if _, err := c.API().ContainerInspect(ctx, old.ID); err == nil {
				t.Error("the dead owner's leftover container is still there")
			}
			if got := inspect(t, c, project+"_model_1").Config.Labels[LabelDemoOwner]; got != ownerID() {
				t.Errorf("new stack's owner label %q, want %q", got, ownerID())
			}
		})
	}
}

// TestFailedUpSparesAnotherStack races two stacks of one project: the
// other's network appears before this one's; the failed Up must remove
// only what it made itself.
func TestFailedUpSparesAnotherStack(t *testing.T) {
	c := engine(t)
	bin := buildApp(t)
	host, _ := os.Hostname()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	project := testProject(t)
	t.Cleanup(func() { Purge(context.Background(), c, project) })
	other, err := c.API().NetworkCreate(ctx, project+"_default", network.CreateOptions{Labels: map[string]string{
		dockerctl.LabelProject: project, LabelDemo: "1", LabelDemoOwner: host + "/1",
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.API().NetworkRemove(context.Background(), other.ID) })

	_, err = Up(ctx, StackOptions{Docker: c, Project: project, Binary: bin})
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("Up while another stack holds the network: %v, want a create-network error", err)
	}
	if _, err := c.API().NetworkInspect(ctx, other.ID, network.InspectOptions{}); err != nil {
		t.Errorf("the failed Up removed the other stack's network: %v", err)
	}
	imgs, err := c.API().ImageList(ctx, image.ListOptions{Filters: labelFilter(LabelDemoProject + "=" + project)})
	if err != nil || len(imgs) != 0 {
		t.Errorf("the failed Up left its image: %v %v", imgs, err)
	}
}
