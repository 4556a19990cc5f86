package agents

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/matrix"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/testca"
)

// scenarioDir writes a matrix whose scenario opens every kind of file: a
// CA, a client certificate and key, a CSV data file of rows ids 0..rows-1
// whose rows upload images/<id>.bin, and a fixed upload. It returns the
// parsed matrix.
func scenarioDir(t *testing.T, target, mode string, rows int, ca *testca.CA) *matrix.Matrix {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, data []byte) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cert, key := ca.Issue(t, "client", x509.ExtKeyUsageClientAuth)
	write("certs/ca.pem", ca.PEM)
	write("certs/client.pem", cert)
	write("certs/client.key", key)
	write("fixed.txt", []byte("fixed upload"))
	csv := "id,image\n"
	for i := range rows {
		csv += fmt.Sprintf("%d,images/%d.bin\n", i, i)
		write(fmt.Sprintf("data/images/%d.bin", i), []byte(fmt.Sprintf("image of row %d", i)))
	}
	write("data/rows.csv", []byte(csv))
	src := `name: files
target: ` + target + `
compose: {project: p, service: s}
scenario:
  tls: {ca: certs/ca.pem, cert: certs/client.pem, key: certs/client.key}
  data: {file: data/rows.csv, mode: ` + mode + `}
  requests:
    - {name: up, method: POST, path: "/row/{{id}}", form: {file: "@{{image}}", fixed: "@fixed.txt"}}
runs:
  - {name: r, scale: [1], users: [1], duration: 1s}
`
	write("m.yaml", []byte(src))
	m, err := matrix.Load(filepath.Join(dir, "m.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPlanCarriesScenarioFiles: the plan holds every file the scenario
// opens, and an agent that has none of the coordinator's files (they are
// removed) gets a scenario whose TLS files, data rows and per-row uploads
// are its own copies.
func TestPlanCarriesScenarioFiles(t *testing.T) {
	ca := testca.New(t, "plan-ca")
	m := scenarioDir(t, "https://127.0.0.1:1", "sequential", 5, ca)
	cell := matrix.Cell{ID: "c", Mode: matrix.Closed, Users: 2, Duration: time.Second}
	p, err := NewPlan(m.Target, m.Scenario, cell, 2, time.Now(), time.Second, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Files) != 4+1+5 { // ca, cert, key, fixed upload; data file; 5 row uploads
		t.Fatalf("plan files: %d, want 10", len(p.Files))
	}
	enc, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	p, err = DecodePlan(bytes.NewReader(enc))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Dir(m.File)); err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]string{{"0", "2", "4"}, {"1", "3"}} {
		sc, err := localScenario(p, i, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(sc.TLS.CA); err != nil || !bytes.Equal(b, ca.PEM) {
			t.Errorf("agent %d: CA %s: %v", i, sc.TLS.CA, err)
		}
		if _, err := os.Stat(sc.TLS.Key); err != nil {
			t.Errorf("agent %d: key: %v", i, err)
		}
		if b, err := os.ReadFile(sc.Requests[0].Form[1].File); err != nil || string(b) != "fixed upload" {
			t.Errorf("agent %d: fixed upload %q: %v", i, b, err)
		}
		rows, err := matrix.ReadData(sc.Data.File)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, row := range rows.Values {
			ids = append(ids, row[0])
			f := matrix.RowPath(sc.Data, row[1])
			if b, err := os.ReadFile(f); err != nil || string(b) != "image of row "+row[0] {
				t.Errorf("agent %d: row %s uploads %s: %q, %v", i, row[0], f, b, err)
			}
		}
		if !slices.Equal(ids, want) {
			t.Errorf("agent %d takes rows %v, want %v", i, ids, want)
		}
	}
}

func TestRowOrderAcrossAgents(t *testing.T) {
	shares := []matrix.Cell{{Mode: matrix.Closed, Users: 3}, {Mode: matrix.Closed, Users: 2}, {Mode: matrix.Closed, Users: 2}}
	for _, c := range []struct {
		mode  matrix.DataMode
		index int
		want  []int
	}{
		{matrix.DataSequential, 0, []int{0, 3}},
		{matrix.DataSequential, 2, []int{2}},
		{matrix.DataPerUser, 0, []int{0, 1, 2, 3, 4}},
		{matrix.DataPerUser, 1, []int{3, 4, 0, 1, 2}},
		{matrix.DataPerUser, 2, []int{0, 1, 2, 3, 4}}, // users 5 and 6 of 5 rows wrap to rows 0 and 1
		{matrix.DataRandom, 1, []int{0, 1, 2, 3, 4}},
	} {
		p := &Plan{Shares: shares, Scenario: matrix.Scenario{Data: &matrix.Data{Mode: c.mode}}}
		if got := rowOrder(p, c.index, 5); !slices.Equal(got, c.want) {
			t.Errorf("%s, agent %d: rows %v, want %v", c.mode, c.index, got, c.want)
		}
	}
	p := &Plan{Shares: shares, Scenario: matrix.Scenario{Data: &matrix.Data{Mode: matrix.DataSequential}}}
	if got := rowOrder(p, 2, 2); !slices.Equal(got, []int{0}) {
		t.Errorf("sequential, 3 agents, 2 rows: agent 3 takes %v, want [0]", got)
	}
}

// TestPlanTooBig: a data file the plan cannot carry is an error naming it,
// its size, the limit and the fix, before any agent is started.
func TestPlanTooBig(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("blob\n")
	buf := make([]byte, 512)
	for b.Len() < 1500<<10 {
		rand.Read(buf)
		b.WriteString(hex.EncodeToString(buf) + "\n")
	}
	data := filepath.Join(dir, "big.csv")
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	sc := matrix.Scenario{Data: &matrix.Data{File: data, Mode: matrix.DataSequential, Fields: []string{"blob"}},
		Requests: []matrix.Request{{Name: "a", Method: "GET", Path: "/{{blob}}", Weight: 1}}}
	co := &Coordinator{Agents: matrix.Agents{Replicas: 2}}
	co.defaults()
	_, _, err := co.plan(context.Background(), load.Config{Target: "http://127.0.0.1:1", Scenario: sc, Cell: matrix.Cell{ID: "c", Mode: matrix.Closed, Users: 2, Duration: time.Second}})
	if err == nil || !strings.Contains(err.Error(), data+" (1501 KiB)") || !strings.Contains(err.Error(), "500 KiB") || !strings.Contains(err.Error(), "smaller data file") {
		t.Fatalf("want an error naming %s, its size, the limit and the fix; got %v", data, err)
	}
}

// TestAgentsRunDataAndTLS runs two agents' shares one after the other with
// the real load engine against an HTTPS server on 127.0.0.1 that asks for
// a client certificate, from a plan whose coordinator files are gone: each
// agent sends only its own rows (sequential: agent 1 rows 0, 2; agent 2
// rows 1, 3) and each row's own upload.
func TestAgentsRunDataAndTLS(t *testing.T) {
	ca := testca.New(t, "agents-ca")
	var mu sync.Mutex
	seen := map[string]map[string]int{} // agent -> row -> requests
	agent := ""
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, _, err := r.FormFile("file")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body, _ := io.ReadAll(f)
		id := strings.TrimPrefix(r.URL.Path, "/row/")
		if string(body) != "image of row "+id || len(r.TLS.PeerCertificates) == 0 {
			http.Error(w, "wrong upload "+string(body), http.StatusBadRequest)
			return
		}
		mu.Lock()
		if seen[agent] == nil {
			seen[agent] = map[string]int{}
		}
		seen[agent][id]++
		mu.Unlock()
	}))
	srv.TLS = ca.ServerConfig(t, "127.0.0.1")
	srv.TLS.ClientAuth, srv.TLS.ClientCAs = tls.RequireAndVerifyClientCert, ca.Pool()
	srv.StartTLS()
	defer srv.Close()

	m := scenarioDir(t, srv.URL, "sequential", 4, ca)
	cell := matrix.Cell{ID: "c", Mode: matrix.Closed, Users: 2, Duration: time.Second}
	p, err := NewPlan(m.Target, m.Scenario, cell, 2, time.Now(), time.Minute, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Dir(m.File))
	for i := range 2 {
		mu.Lock()
		agent = fmt.Sprint(i + 1)
		mu.Unlock()
		p.Start = time.Now()
		var out bytes.Buffer
		if err := RunAgent(context.Background(), AgentConfig{Plan: p, Index: i, Out: &out, FilesDir: t.TempDir()}); err != nil {
			t.Fatalf("agent %d: %v", i+1, err)
		}
		if !strings.Contains(out.String(), " part ") || strings.Contains(out.String(), " fail ") {
			t.Errorf("agent %d wrote no record: %.300s", i+1, out.String())
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for agent, want := range map[string][]string{"1": {"0", "2"}, "2": {"1", "3"}} {
		var got []string
		for id, n := range seen[agent] {
			if n > 0 {
				got = append(got, id)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("agent %s sent rows %v, want %v (all: %v)", agent, got, want, seen)
		}
	}
}

// TestAgentRedactsItsRecord: an error sample that echoes a secret of the
// plan leaves the agent as ${NAME}, and so does a failure message.
func TestAgentRedactsItsRecord(t *testing.T) {
	p := &Plan{Shares: []matrix.Cell{{ID: "c", Mode: matrix.Closed, Users: 1}}, Start: time.Now(), LateStart: time.Minute,
		Deadline: time.Now().Add(time.Minute), Secrets: []matrix.Secret{{Name: "API_TOKEN", Value: "tok-Agent-5s3c"}}}
	fake := func(ctx context.Context, cfg load.Config) (*results.Load, bool, error) {
		return &results.Load{Errors: []results.ErrorGroup{{Message: "HTTP 401", Sample: "bad token tok-Agent-5s3c"}}}, false, nil
	}
	var out bytes.Buffer
	if err := RunAgent(context.Background(), AgentConfig{Plan: p, Out: &out, Run: fake}); err != nil {
		t.Fatal(err)
	}
	r := NewReader()
	var rep *Report
	for _, line := range strings.Split(out.String(), "\n") {
		if m, ok, err := r.Line(line); err != nil {
			t.Fatal(err)
		} else if ok && m.Report != nil {
			rep = m.Report
		}
	}
	if rep == nil || rep.Load.Errors[0].Sample != "bad token ${API_TOKEN}" {
		t.Fatalf("record %+v", rep)
	}
	failing := func(ctx context.Context, cfg load.Config) (*results.Load, bool, error) {
		return nil, false, fmt.Errorf("dial https://u:tok-Agent-5s3c@h: refused")
	}
	out.Reset()
	RunAgent(context.Background(), AgentConfig{Plan: p, Out: &out, Run: failing})
	if strings.Contains(out.String(), "tok-Agent-5s3c") || !strings.Contains(out.String(), "u:${API_TOKEN}@h") {
		t.Errorf("failure line: %s", out.String())
	}
}
