package agents

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/scalebench/scalebench/internal/matrix"
)

// Files that travel with the plan.
//
// An agent on another node has none of the coordinator's files, so the
// plan carries every file the scenario opens: form uploads, the data file,
// the files its rows upload ("@{{image}}"), and the tls: CA, client
// certificate and key. The agent writes them under a directory of its own,
// each at its coordinator path below it, so that paths relative to the
// data file still resolve, and runs the scenario with its paths pointing
// there.
//
// Rows across agents: every agent gets the whole data file, and a mode
// means across agents what it means in one process. sequential: agent i of
// k takes rows i, i+k, i+2k, ... in turn, so no two agents send the same
// row until the file wraps around; per_user: user u of the cell (agents'
// users numbered one after the other) takes row u, as in one process;
// random: every agent picks any row.

// MaxPlanSize is the largest encoded plan: a Swarm secret holds 500 KiB.
const MaxPlanSize = 500 * 1024

// scenarioFiles lists the files sc opens, by their coordinator path.
func scenarioFiles(sc matrix.Scenario) ([]string, error) {
	var files []string
	add := func(f string) {
		if f != "" {
			files = append(files, f)
		}
	}
	if t := sc.TLS; t != nil {
		add(t.CA)
		add(t.Cert)
		add(t.Key)
	}
	var rows *matrix.Rows
	if sc.Data != nil {
		add(sc.Data.File)
		var err error
		if rows, err = matrix.ReadData(sc.Data.File); err != nil {
			return nil, err
		}
	}
	for _, r := range sc.Requests {
		for _, f := range r.Form {
			t := matrix.ParseTemplate(f.File)
			switch {
			case t == nil:
				add(f.File)
			case rows != nil:
				for _, row := range rows.Values {
					add(matrix.RowPath(sc.Data, t.Fill(rows.Fields, row)))
				}
			}
		}
	}
	sort.Strings(files)
	return slices.Compact(files), nil
}

// readFiles reads the files sc opens.
func readFiles(sc matrix.Scenario) (map[string][]byte, error) {
	names, err := scenarioFiles(sc)
	if err != nil {
		return nil, fmt.Errorf("files for the load agents: %w", err)
	}
	if len(names) == 0 {
		return nil, nil
	}
	out := make(map[string][]byte, len(names))
	for _, f := range names {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("files for the load agents: %w", err)
		}
		out[f] = data
	}
	return out, nil
}

// tooBig is the error of a plan over MaxPlanSize: it names the largest
// files, their sizes, the limit and the fix.
func (p *Plan) tooBig(size int) error {
	names := make([]string, 0, len(p.Files))
	for f := range p.Files {
		names = append(names, f)
	}
	sort.Slice(names, func(i, j int) bool { return len(p.Files[names[i]]) > len(p.Files[names[j]]) })
	var big []string
	for _, f := range names[:min(len(names), 3)] {
		big = append(big, fmt.Sprintf("%s (%s)", f, kib(len(p.Files[f]))))
	}
	what := "the scenario"
	if len(big) > 0 {
		what = "its largest files: " + strings.Join(big, ", ")
	}
	return fmt.Errorf("load agents: the plan with the scenario's files is %s compressed, more than the %s a Swarm secret holds; %s (use a smaller data file, fewer or smaller uploads, or run the load from the scalebench process without agents:)",
		kib(size), kib(MaxPlanSize), what)
}

func kib(n int) string {
	if n >= 10<<20 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", (n+1023)>>10)
}

// localScenario writes the plan's files under dir, each at its coordinator
// path below it, with agent index's rows of the data file, and returns the
// scenario with its paths pointing at them.
func localScenario(p *Plan, index int, dir string) (matrix.Scenario, error) {
	sc := p.Scenario
	if len(p.Files) == 0 {
		return sc, nil
	}
	local := func(f string) string { return filepath.Join(dir, filepath.FromSlash(f)) }
	for src, data := range p.Files {
		dst := local(src)
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return sc, fmt.Errorf("scenario files: %w", err)
		}
		if err := os.WriteFile(dst, data, 0o600); err != nil {
			return sc, fmt.Errorf("scenario files: %w", err)
		}
	}
	if t := sc.TLS; t != nil {
		c := *t
		c.CA, c.Cert, c.Key = localPath(c.CA, local), localPath(c.Cert, local), localPath(c.Key, local)
		sc.TLS = &c
	}
	sc.Requests = append([]matrix.Request(nil), sc.Requests...)
	for i, r := range sc.Requests {
		if len(r.Form) == 0 {
			continue
		}
		form := append([]matrix.FormField(nil), r.Form...)
		for j, f := range form {
			if matrix.ParseTemplate(f.File) == nil {
				form[j].File = localPath(f.File, local)
			}
		}
		sc.Requests[i].Form = form
	}
	if sc.Data != nil {
		d := *sc.Data
		f, err := agentRows(p, index, local(d.File), dir)
		if err != nil {
			return sc, err
		}
		d.File = f
		sc.Data = &d
	}
	return sc, nil
}

func localPath(f string, local func(string) string) string {
	if f == "" {
		return ""
	}
	return local(f)
}

// agentRows writes agent index's rows of the data file copied at path,
// in the order it takes them, as JSON Lines beside it (so that upload
// paths relative to it resolve as before), and returns the new file.
// Absolute upload paths in rows are moved under dir with their files.
func agentRows(p *Plan, index int, path, dir string) (string, error) {
	rows, err := matrix.ReadData(path)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, r := range rowOrder(p, index, len(rows.Values)) {
		b.WriteByte('{')
		for j, f := range rows.Fields {
			if j > 0 {
				b.WriteByte(',')
			}
			v := rows.Values[r][j]
			if filepath.IsAbs(v) && p.hasFileUnder(v) {
				v = filepath.Join(dir, v)
			}
			k, _ := json.Marshal(f)
			val, _ := json.Marshal(v)
			b.Write(k)
			b.WriteByte(':')
			b.Write(val)
		}
		b.WriteString("}\n")
	}
	out := strings.TrimSuffix(path, filepath.Ext(path)) + fmt.Sprintf(".agent%d.jsonl", index+1)
	if err := os.WriteFile(out, []byte(b.String()), 0o600); err != nil {
		return "", fmt.Errorf("data file for agent %d: %w", index+1, err)
	}
	return out, nil
}

// hasFileUnder reports whether the plan carries the file v, or one below v.
func (p *Plan) hasFileUnder(v string) bool {
	if _, ok := p.Files[v]; ok {
		return true
	}
	for f := range p.Files {
		if strings.HasPrefix(f, strings.TrimSuffix(v, "/")+"/") {
			return true
		}
	}
	return false
}

// rowOrder is the rows of n that agent index takes, in the order its
// load engine takes them (see the package's note on rows across agents).
func rowOrder(p *Plan, index, n int) []int {
	k := len(p.Shares)
	var out []int
	switch p.Scenario.Data.Mode {
	case matrix.DataRandom:
		for r := range n {
			out = append(out, r)
		}
	case matrix.DataPerUser:
		first := 0
		for _, s := range p.Shares[:index] {
			if s.Mode == matrix.Open {
				first += s.MaxInFlight // its slots
			} else {
				first += s.Users
			}
		}
		for j := range n {
			out = append(out, (first+j)%n)
		}
	default:
		for r := index; r < n; r += k {
			out = append(out, r)
		}
		if len(out) == 0 {
			out = []int{index % n}
		}
	}
	return out
}
