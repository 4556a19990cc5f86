package dockerctl

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"

	"github.com/scalebench/scalebench/internal/agents"
	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/testca"
)

// TestAgentsSecretDataTLS runs a cell on two load agents of the
// single-node swarm (host network) against an HTTPS server on 127.0.0.1
// whose certificate a test CA signed, with a token from the environment in
// a header, a CSV data file and a file uploaded per row. While the agents
// run, the plan is a Swarm secret: no config of theirs exists, and neither
// docker secret inspect nor docker service inspect shows the token. Every
// request succeeds (TLS, token and uploads reached the agents), the target
// saw every row, and nothing of the agents is left afterwards.
func TestAgentsSecretDataTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: builds scalebench and starts Swarm tasks")
	}
	c := engine(t)
	swarmManager(t, c)
	image := agentImageForTest(t, c)
	const token = "tok-SwarmSecret-8k2Pq"
	t.Setenv("DOCKERCTL_AGENTS_TOKEN", token)
	ca := testca.New(t, "agents-swarm-ca")
	rows := map[string]int{}
	var mu sync.Mutex
	var bad []string
	target := httpsTarget(t, ca, func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimPrefix(r.URL.Path, "/row/")
		f, _, err := r.FormFile("file")
		var body []byte
		if err == nil {
			body, _ = io.ReadAll(f)
		}
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+token || string(body) != "image "+id {
			bad = append(bad, fmt.Sprintf("row %s: auth %q, upload %q", id, r.Header.Get("Authorization"), body))
			http.Error(w, "refused", http.StatusUnauthorized)
			return
		}
		rows[id]++
	})
	m := agentsMatrix(t, target, ca)

	cell := matrix.Cell{ID: uniqueName(t, "agents-secret-"), Mode: matrix.Closed, Users: 4, Duration: 4 * time.Second}
	co := &agents.Coordinator{Fleet: c.Agents(image), Agents: matrix.Agents{Replicas: 2}, StartDelay: 6 * time.Second, ReportGrace: 10 * time.Second, Logf: t.Logf}
	ctx := ctxTimeout(t, 2*time.Minute)
	seen := make(chan string, 1)
	go func() { seen <- inspectWhileRunning(ctx, c, cell.ID, token) }()
	rec, aborted, err := co.Load(ctx, load.Config{Target: m.Target, Scenario: m.Scenario, Cell: cell})
	if err != nil || aborted {
		t.Fatalf("Load: aborted %v, %v", aborted, err)
	}
	if msg := <-seen; msg != "" {
		t.Error(msg)
	}
	for _, a := range rec.Agents {
		if a.Status != results.AgentOK {
			t.Errorf("%s: %s: %s", a.Name, a.Status, a.Error)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if rec.Total.Requests == 0 || rec.Total.Failures != 0 || len(bad) > 0 {
		t.Errorf("%d requests, %d failed (%+v); the target refused %d: %.3q", rec.Total.Requests, rec.Total.Failures, rec.Errors, len(bad), bad)
	}
	if len(rows) != 4 {
		t.Errorf("the target saw rows %v, want all 4", rows)
	}
	f := filters.NewArgs(filters.Arg("label", LabelAgents+"="+cell.ID))
	secrets, err := c.api.SecretList(ctx, swarm.SecretListOptions{Filters: f})
	if err != nil || len(secrets) != 0 {
		t.Errorf("plan secrets left after the cell: %d (%v)", len(secrets), err)
	}
}

// httpsTarget serves h over TLS on 127.0.0.1 with a certificate ca signed.
func httpsTarget(t *testing.T, ca *testca.CA, h http.HandlerFunc) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, TLSConfig: ca.ServerConfig(t, "127.0.0.1")}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	return "https://" + ln.Addr().String()
}

// agentsMatrix writes a matrix whose scenario takes a token from
// $DOCKERCTL_AGENTS_TOKEN, trusts ca, and uploads data/<id>.img per row of
// a 4-row CSV file.
func agentsMatrix(t *testing.T, target string, ca *testca.CA) *matrix.Matrix {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"ca.pem": string(ca.PEM), "data/rows.csv": "id,img\n0,0.img\n1,1.img\n2,2.img\n3,3.img\n"}
	for i := range 4 {
		files[fmt.Sprintf("data/%d.img", i)] = fmt.Sprintf("image %d", i)
	}
	files["m.yaml"] = `name: agents-secret
target: ` + target + `
swarm: {service: none}
scenario:
  tls: {ca: ca.pem}
  data: {file: data/rows.csv}
  requests:
    - name: up
      method: POST
      path: "/row/{{id}}"
      headers: {Authorization: "Bearer ${DOCKERCTL_AGENTS_TOKEN}"}
      form: {file: "@{{img}}"}
runs:
  - {name: r, scale: [1], users: [4], duration: 4s}
`
	for name, data := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	m, err := matrix.Load(filepath.Join(dir, "m.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// inspectWhileRunning waits for cell's agent service and returns what
// leaks the token or the plan: a config of the agents (decoded as the
// plan is, to say whether it holds the token), or the token in the output
// of docker secret inspect or docker service inspect. "" when nothing does.
func inspectWhileRunning(ctx context.Context, c *Client, cell, token string) string {
	f := filters.NewArgs(filters.Arg("label", LabelAgents+"="+cell))
	for ctx.Err() == nil {
		svcs, err := c.api.ServiceList(ctx, swarm.ServiceListOptions{Filters: f})
		if err != nil || len(svcs) == 0 {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		var problems []string
		cfgs, _ := c.api.ConfigList(ctx, swarm.ConfigListOptions{Filters: f})
		for _, cf := range cfgs {
			full, _, _ := c.api.ConfigInspectWithRaw(ctx, cf.ID)
			problems = append(problems, fmt.Sprintf("the plan is a Swarm config %s that docker config inspect shows (token in it: %v)", cf.Spec.Name, gunzipHolds(full.Spec.Data, token)))
		}
		secrets, _ := c.api.SecretList(ctx, swarm.SecretListOptions{Filters: f})
		if len(secrets) != 1 {
			problems = append(problems, fmt.Sprintf("%d plan secrets, want 1", len(secrets)))
		}
		for _, s := range secrets {
			if out, err := exec.CommandContext(ctx, "docker", "secret", "inspect", s.ID).CombinedOutput(); err != nil || len(s.Spec.Data) > 0 || bytes.Contains(out, []byte(token)) {
				problems = append(problems, fmt.Sprintf("docker secret inspect: data %d bytes, %v: %s", len(s.Spec.Data), err, out))
			}
		}
		if out, err := exec.CommandContext(ctx, "docker", "service", "inspect", svcs[0].ID).CombinedOutput(); err != nil || bytes.Contains(out, []byte(token)) {
			problems = append(problems, fmt.Sprintf("docker service inspect (%v) shows the token", err))
		}
		return strings.Join(problems, "; ")
	}
	return "the agent service never appeared"
}

func gunzipHolds(data []byte, s string) bool {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return bytes.Contains(data, []byte(s))
	}
	b, _ := io.ReadAll(zr)
	return bytes.Contains(b, []byte(s))
}

// TestRemoveStaleAgentSecrets: a plan secret past its deadline (left by a
// scalebench that was killed) is removed by the next run's clean-up; one
// still within it is kept.
func TestRemoveStaleAgentSecrets(t *testing.T) {
	c := engine(t)
	swarmManager(t, c)
	ctx := ctxTimeout(t, time.Minute)
	cell := uniqueName(t, "agents-stale-")
	mk := func(name string, deadline time.Time) string {
		resp, err := c.api.SecretCreate(ctx, swarm.SecretSpec{Annotations: swarm.Annotations{Name: name,
			Labels: map[string]string{LabelAgents: cell, LabelAgentsDeadline: deadline.UTC().Format(time.RFC3339)}}, Data: []byte("plan")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.api.SecretRemove(context.Background(), resp.ID) })
		return resp.ID
	}
	old := mk(cell+"-old", time.Now().Add(-time.Hour))
	fresh := mk(cell+"-fresh", time.Now().Add(time.Hour))
	if err := c.Agents("unused").RemoveStale(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.api.SecretInspectWithRaw(ctx, old); !isNotFound(err) {
		t.Errorf("the stale plan secret is still there (%v)", err)
	}
	if _, _, err := c.api.SecretInspectWithRaw(ctx, fresh); err != nil {
		t.Errorf("the plan secret within its deadline was removed: %v", err)
	}
}
