package demo

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"gopkg.in/yaml.v3"

	"github.com/scalebench/scalebench/internal/dockerctl"
)

// TestComposeFile brings experiments/demo/compose.yaml up with the real
// docker-compose, as its README says, and checks that scalebench can scale
// its model service and that down leaves nothing behind.
func TestComposeFile(t *testing.T) {
	c := engine(t)
	compose, err := exec.LookPath("docker-compose")
	if err != nil {
		t.Skip("SKIPPED, NO docker-compose ON PATH: this test runs experiments/demo/compose.yaml with docker-compose v1")
	}
	root, err := FindModule()
	if err != nil {
		t.Fatal(err)
	}
	// The build context is a copy of experiments/demo with the binary in it,
	// so the test writes nothing into the source tree.
	dir := t.TempDir()
	for _, name := range []string{"compose.yaml", "compose.cpu.yaml", "Dockerfile", ".dockerignore"} {
		b, err := os.ReadFile(filepath.Join(root, "experiments", "demo", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := buildApp(t)
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "demoapp"), b, 0o755); err != nil {
		t.Fatal(err)
	}

	project := testProject(t)
	url := closedURL(t)
	env := append(os.Environ(),
		"DEMO_PORT="+url[strings.LastIndexByte(url, ':')+1:],
		"DEMO_IMAGE=sbtest-compose:"+project,
		"API_COST=5ms", "MODEL_SERVICE_TIME=20ms")
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(compose, append([]string{"-p", project, "-f", filepath.Join(dir, "compose.yaml")}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("docker-compose %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	t.Cleanup(func() {
		cmd := exec.Command(compose, "-p", project, "-f", filepath.Join(dir, "compose.yaml"), "down", "--rmi", "all", "-v", "-t", "1")
		cmd.Env = env
		cmd.Run()
	})
	run("up", "-d", "--build")
	waitFor(t, "the compose api to answer", func() bool { return Probe(context.Background(), url+"/health") == nil })
	waitFor(t, "the compose model to connect", func() bool { return health(t, url).Models == 1 })
	if h := health(t, url); h.Mode != "pool" || h.Workers != 2 {
		t.Errorf("compose api health %+v: want the default pool of 2 workers", h)
	}

	if a := predict(t, url, testImage); a.status != 200 {
		t.Fatalf("POST /predict on the compose stack: %d %s", a.status, a.body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	svc, err := c.Compose(ctx, project, ServiceModel, dockerctl.Options{ReadyURL: url + "/health"})
	if err != nil {
		t.Fatalf("find the compose model service: %v", err)
	}
	if err := svc.Scale(ctx, 2); err != nil {
		t.Fatalf("scale the compose model service to 2: %v", err)
	}
	waitFor(t, "2 models connected", func() bool { return health(t, url).Models == 2 })
	if err := svc.Restore(ctx); err != nil {
		t.Fatalf("restore: %v", err)
	}

	run("down", "--rmi", "all", "-v", "-t", "1")
	if left := leftovers(t, c, project); len(left) > 0 {
		t.Errorf("docker-compose down left %v", left)
	}
	imgs, err := c.API().ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("reference", "sbtest-compose:"+project))})
	if err != nil || len(imgs) > 0 {
		t.Errorf("docker-compose down --rmi all left the image: %v %v", imgs, err)
	}
}

// TestComposeCPUOverride checks, with docker-compose config (no engine
// needed), that compose.yaml gives the pool-mode api no CPU limit and that
// compose.cpu.yaml turns it into the cpu-mode api with one core per slot.
func TestComposeCPUOverride(t *testing.T) {
	compose, err := exec.LookPath("docker-compose")
	if err != nil {
		t.Skip("SKIPPED, NO docker-compose ON PATH: this test reads experiments/demo/compose*.yaml with docker-compose config")
	}
	root, err := FindModule()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "experiments", "demo")
	type api struct {
		Environment map[string]string `yaml:"environment"`
		CPUs        any               `yaml:"cpus"`
	}
	config := func(t *testing.T, env []string, files ...string) api {
		t.Helper()
		args := []string{"-p", "sbtest-config"}
		for _, f := range files {
			args = append(args, "-f", filepath.Join(dir, f))
		}
		cmd := exec.Command(compose, append(args, "config")...)
		// Unset (empty) knobs first, so the caller's environment cannot
		// change the answer; the last value of a key wins.
		cmd.Env = append(append(os.Environ(), "API_WORKERS=", "API_SLOTS=", "API_CPUS="), env...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("docker-compose %s config: %v", strings.Join(files, " + "), err)
		}
		var doc struct {
			Services map[string]api `yaml:"services"`
		}
		if err := yaml.Unmarshal(out, &doc); err != nil {
			t.Fatalf("docker-compose config output: %v\n%s", err, out)
		}
		return doc.Services[ServiceAPI]
	}
	for _, tt := range []struct {
		name    string
		env     []string
		files   []string
		mode    string
		cpus    string
		workers string
	}{
		{"default: pool, no CPU limit", nil, []string{"compose.yaml"}, "pool", "<nil>", "2"},
		{"cpu override: one core", nil, []string{"compose.yaml", "compose.cpu.yaml"}, "cpu", "1", "2"},
		{"cpu override: API_CPUS", []string{"API_CPUS=2", "API_SLOTS=2"}, []string{"compose.yaml", "compose.cpu.yaml"}, "cpu", "2", "2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := config(t, tt.env, tt.files...)
			if m := got.Environment["API_MODE"]; m != tt.mode {
				t.Errorf("API_MODE %q, want %q", m, tt.mode)
			}
			if w := got.Environment["API_WORKERS"]; w != tt.workers {
				t.Errorf("API_WORKERS %q, want %q", w, tt.workers)
			}
			cpus := fmt.Sprint(got.CPUs)
			if f, err := strconv.ParseFloat(cpus, 64); err == nil {
				cpus = strconv.FormatFloat(f, 'g', -1, 64)
			}
			if cpus != tt.cpus {
				t.Errorf("api cpus %s, want %s", cpus, tt.cpus)
			}
			cfg, err := APIConfigFromEnv(envMap(got.Environment))
			if err != nil || string(cfg.Mode) != tt.mode {
				t.Errorf("the api would start in mode %q (%v), want %q", cfg.Mode, err, tt.mode)
			}
		})
	}
}
