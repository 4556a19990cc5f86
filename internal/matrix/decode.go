package matrix

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// matrix decodes the top level, then checks what needs the whole file.
func (p *parser) matrix(root *yaml.Node) *Matrix {
	m := &Matrix{Defaults: Defaults{
		SpawnRate: DefaultSpawnRate, Warmup: DefaultWarmup, Settle: DefaultSettle,
		Cooldown: DefaultCooldown, Repeat: DefaultRepeat, MaxInFlight: DefaultMaxInFlight,
	}}
	var runsNode, composeNode, swarmNode *yaml.Node
	var sawScenario bool
	p.fields(root, "the matrix", map[string]func(*yaml.Node){
		"name": func(v *yaml.Node) {
			m.Name = p.str(v, "name")
			if m.Name != "" && !nameRE.MatchString(m.Name) {
				p.errorf(v, "use letters, digits, '.', '_' and '-' only: it names result directories", "name %q has characters that do not fit a directory name", m.Name)
			}
		},
		"target": func(v *yaml.Node) { m.Target = p.url(v, "target") },
		"ready":  func(v *yaml.Node) { m.Ready = p.url(v, "ready") },
		"app_dir": func(v *yaml.Node) {
			if d := p.str(v, "app_dir"); d != "" {
				if !filepath.IsAbs(d) {
					d = filepath.Join(p.dir, d)
				}
				m.AppDir = d
			}
		},
		"compose": func(v *yaml.Node) {
			composeNode = v
			c := &Compose{}
			p.fields(v, "compose", map[string]func(*yaml.Node){
				"project": func(v *yaml.Node) { p.mark(AtComposeProject, v); c.Project = p.str(v, "compose.project") },
				"service": func(v *yaml.Node) { p.mark(AtComposeService, v); c.Service = p.str(v, "compose.service") },
			})
			if v.Kind == yaml.MappingNode && (c.Project == "" || c.Service == "") {
				p.errorf(v, "write compose: {project: NAME, service: NAME}; the project is the compose project name, docker-compose -p or the folder name", "compose needs both project and service")
			}
			m.Compose = c
		},
		"swarm": func(v *yaml.Node) {
			swarmNode = v
			s := &Swarm{}
			p.fields(v, "swarm", map[string]func(*yaml.Node){
				"service": func(v *yaml.Node) { p.mark(AtSwarmService, v); s.Service = p.str(v, "swarm.service") },
				"stack":   func(v *yaml.Node) { s.Stack = p.str(v, "swarm.stack") },
			})
			if v.Kind == yaml.MappingNode && s.Service == "" {
				p.errorf(v, "write swarm: {service: NAME}", "swarm needs a service")
			}
			m.Swarm = s
		},
		"agents":   func(v *yaml.Node) { m.Agents = p.agents(v) },
		"scenario": func(v *yaml.Node) { sawScenario = true; m.Scenario = p.scenario(v) },
		"defaults": func(v *yaml.Node) { p.defaults(v, &m.Defaults) },
		"runs":     func(v *yaml.Node) { runsNode = v },
		"slo":      func(v *yaml.Node) { m.SLO = p.slo(v) },
		"max_scale": func(v *yaml.Node) {
			m.MaxScale = p.positiveInt(v, "max_scale")
			if m.MaxScale > MaxScaleLimit {
				p.errorf(v, fmt.Sprintf("use at most %d", MaxScaleLimit), "max_scale %d is above what scalebench scales a service to", m.MaxScale)
			}
		},
	})
	// Runs inherit the defaults, so they are decoded after them whatever the key order.
	if runsNode != nil {
		m.Runs = p.runs(runsNode, m.Defaults, m.Ceiling())
		p.checkSearch(m, runsNode)
	}
	if m.Name == "" {
		p.errorf(root, "add name: my-study; it prefixes result directory names", "the matrix has no name")
	}
	if m.Target == "" && mapValue(root, "target") == nil {
		p.errorf(root, "add target: http://127.0.0.1:8000, the base URL the load goes to", "the matrix has no target")
	}
	if !sawScenario {
		p.errorf(root, "add a scenario: with requests: [{name: index, method: GET, path: /}]", "the matrix has no scenario")
	}
	if runsNode == nil {
		p.errorf(root, "add runs: [{name: run1, scale: [1, 3], users: [1, 10], duration: 30s}]", "the matrix has no runs")
	}
	switch {
	case composeNode != nil && swarmNode != nil:
		p.errorf(swarmNode, "keep either compose: or swarm:", "compose and swarm are both set; a matrix scales one service")
	case composeNode == nil && swarmNode == nil:
		p.errorf(root, "add compose: {project: NAME, service: NAME}, or swarm: {service: NAME}", "the matrix does not say which service to scale")
	}
	return m
}

func (p *parser) url(n *yaml.Node, what string) string {
	s := p.str(n, what)
	if s == "" {
		if n.Kind == yaml.ScalarNode {
			p.errorf(n, "write a URL such as http://127.0.0.1:8000", "%s is empty", what)
		}
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.errorf(n, "write an http:// or https:// URL such as http://127.0.0.1:8000", "%s %q is not an http(s) URL", what, s)
		return s
	}
	return strings.TrimRight(s, "/")
}

// MaxRequests is the most request entries a scenario may list. The load
// engine records each entry in its own HdrHistograms (whole run, steady
// state, each second), so memory grows with the entries: about 0.1 MB per
// entry past 64 entries (bench/README.md has the measured figures), some
// 100 MB at the limit.
const MaxRequests = 1000

func (p *parser) scenario(n *yaml.Node) Scenario {
	var s Scenario
	var reqNode *yaml.Node
	p.fields(n, "scenario", map[string]func(*yaml.Node){
		"wait":      func(v *yaml.Node) { s.Wait = p.wait(v) },
		"requests":  func(v *yaml.Node) { reqNode = v },
		"tls":       func(v *yaml.Node) { s.TLS = p.tls(v) },
		"redirects": func(v *yaml.Node) { s.Redirects = p.redirects(v) },
		"data":      func(v *yaml.Node) { s.Data = p.data(v); p.dataFile = s.Data },
	})
	if n.Kind != yaml.MappingNode {
		return s
	}
	if reqNode == nil {
		p.errorf(n, "add requests: [{name: index, method: GET, path: /}]", "the scenario has no requests")
		return s
	}
	if reqNode.Kind != yaml.SequenceNode {
		p.errorf(reqNode, "write a list: requests: [{name: index, path: /}]", "requests must be a list, found %s", kindName(reqNode))
		return s
	}
	if len(reqNode.Content) == 0 {
		p.errorf(reqNode, "add at least one request", "requests is empty")
		return s
	}
	if len(reqNode.Content) > MaxRequests {
		p.errorf(reqNode.Content[MaxRequests], fmt.Sprintf("keep at most %d entries: merge paths that differ only in an ID into one entry, or split the scenario across matrix files", MaxRequests),
			"the scenario has %d requests, more than the limit of %d", len(reqNode.Content), MaxRequests)
		return s
	}
	names := map[string]int{}
	for _, rn := range reqNode.Content {
		r := p.request(rn)
		if r.Name != "" {
			if line, dup := names[r.Name]; dup {
				p.errorf(rn, fmt.Sprintf("give each request its own name; the first %q is on line %d", r.Name, line), "duplicate request name %q", r.Name)
			}
			names[r.Name] = rn.Line
		}
		s.Requests = append(s.Requests, r)
	}
	return s
}

var methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

func (p *parser) request(n *yaml.Node) Request {
	r := Request{Method: "GET", Weight: 1, Timeout: DefaultTimeout}
	bodies := 0
	p.fields(n, "a request", map[string]func(*yaml.Node){
		"name": func(v *yaml.Node) { r.Name = p.str(v, "request name") },
		"method": func(v *yaml.Node) {
			r.Method = strings.ToUpper(p.str(v, "method"))
			if r.Method != "" && !contains(methods, r.Method) {
				p.errorf(v, "use one of "+strings.Join(methods, ", "), "unknown HTTP method %q", r.Method)
			}
		},
		"path": func(v *yaml.Node) {
			r.Path = p.str(v, "path")
			if r.Path != "" && !strings.HasPrefix(r.Path, "/") {
				p.errorf(v, fmt.Sprintf("write /%s: the path is appended to the target", r.Path), "path %q does not start with /", r.Path)
			}
			if strings.Contains(r.Path, "#") {
				p.errorf(v, "write %23 for a literal #", "path %q has a fragment (#...), which is never sent", r.Path)
			}
			p.checkTemplate(v, r.Path)
			r.Path = p.escapePath(r.Path)
		},
		"weight":  func(v *yaml.Node) { r.Weight = p.positiveInt(v, "weight") },
		"timeout": func(v *yaml.Node) { r.Timeout = p.duration(v, "timeout", false) },
		"headers": func(v *yaml.Node) {
			if v.Kind != yaml.MappingNode {
				p.errorf(v, "write headers: {Authorization: Bearer x}", "headers must be a mapping, found %s", kindName(v))
				return
			}
			r.Headers = map[string]string{}
			for i := 0; i+1 < len(v.Content); i += 2 {
				r.Headers[v.Content[i].Value] = p.str(v.Content[i+1], "header "+v.Content[i].Value)
				p.checkTemplate(v.Content[i+1], r.Headers[v.Content[i].Value])
			}
		},
		"body": func(v *yaml.Node) { bodies++; r.Body = p.str(v, "body"); p.checkTemplate(v, r.Body) },
		"json": func(v *yaml.Node) {
			bodies++
			var x any
			if err := v.Decode(&x); err != nil {
				p.errorf(v, "", "json body: %v", err)
				return
			}
			b, err := json.Marshal(x)
			if err != nil {
				p.errorf(v, "use string keys and plain values", "json body cannot be encoded: %v", err)
				return
			}
			r.JSON = string(b)
			p.checkTemplate(v, r.JSON)
		},
		"form": func(v *yaml.Node) {
			bodies++
			r.Form = p.form(v)
		},
		"expect": func(v *yaml.Node) {
			p.fields(v, "expect", map[string]func(*yaml.Node){
				"status": func(v *yaml.Node) {
					for i, s := range p.intList(v, "expect.status") {
						if s < 100 || s > 599 {
							at := v
							if v.Kind == yaml.SequenceNode {
								at = v.Content[i]
							}
							p.errorf(at, "use HTTP statuses such as [200, 201]", "expected status %d is not an HTTP status", s)
						}
						r.Expect.Status = append(r.Expect.Status, s)
					}
				},
				"body_contains": func(v *yaml.Node) { r.Expect.BodyContains = p.str(v, "expect.body_contains") },
			})
		},
	})
	if n.Kind != yaml.MappingNode {
		return r
	}
	if r.Name == "" {
		p.errorf(n, "add name: predict; it labels the endpoint in statistics", "a request has no name")
	}
	if r.Path == "" && mapValue(n, "path") == nil {
		p.errorf(n, "add path: /", "request %q has no path", r.Name)
	}
	if bodies > 1 {
		p.errorf(n, "keep one of body, json, form", "request %q sets more than one body", r.Name)
	}
	return r
}

// form decodes a multipart form: {field: value} where "@path" uploads a file
// relative to the matrix file and "@@x" is the literal "@x".
func (p *parser) form(v *yaml.Node) []FormField {
	if v.Kind != yaml.MappingNode {
		p.errorf(v, `write form: {file: "@dog.jpeg"}`, "form must be a mapping of field names to values, found %s", kindName(v))
		return nil
	}
	var out []FormField
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		s := p.str(val, "form field "+k.Value)
		f := FormField{Name: k.Value}
		p.checkTemplate(val, s)
		switch {
		case strings.HasPrefix(s, "@@"):
			f.Value = s[1:]
		case strings.HasPrefix(s, "@") && p.rowFiles(val, s[1:]):
			f.File = s[1:] // a file per row: see Data
		case strings.HasPrefix(s, "@"):
			path := s[1:]
			if !filepath.IsAbs(path) {
				path = filepath.Join(p.dir, path)
			}
			if st, err := os.Stat(path); err != nil || st.IsDir() {
				p.errorf(val, fmt.Sprintf("put it next to the matrix file or give its path relative to it; looked for %s; write @@ for a literal @", p.shown(path)), "upload file %q does not exist", s[1:])
			}
			f.File = path
		default:
			f.Value = s
		}
		out = append(out, f)
	}
	return out
}

func (p *parser) defaults(n *yaml.Node, d *Defaults) {
	p.fields(n, "defaults", map[string]func(*yaml.Node){
		"spawn_rate":    func(v *yaml.Node) { d.SpawnRate = p.positiveFloat(v, "spawn_rate") },
		"warmup":        func(v *yaml.Node) { d.Warmup = p.duration(v, "warmup", true) },
		"settle":        func(v *yaml.Node) { d.Settle = p.duration(v, "settle", true) },
		"cooldown":      func(v *yaml.Node) { d.Cooldown = p.duration(v, "cooldown", true) },
		"repeat":        func(v *yaml.Node) { d.Repeat = p.positiveInt(v, "repeat") },
		"max_in_flight": func(v *yaml.Node) { d.MaxInFlight = p.positiveInt(v, "max_in_flight") },
	})
}

func (p *parser) runs(n *yaml.Node, d Defaults, ceiling int) []Run {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "write runs: [{name: run1, scale: [1, 3], users: [1, 10], duration: 30s}]", "runs must be a list, found %s", kindName(n))
		return nil
	}
	if len(n.Content) == 0 {
		p.errorf(n, "add at least one run", "runs is empty")
		return nil
	}
	var out []Run
	names := map[string]int{}
	for i, rn := range n.Content {
		r := p.run(rn, i, d, ceiling)
		if line, dup := names[r.Name]; dup && r.Name != "" {
			fix := fmt.Sprintf("give each run its own name; the first %q is on line %d", r.Name, line)
			if mapValue(rn, "name") == nil || mapValue(n.Content[slices.IndexFunc(n.Content, func(x *yaml.Node) bool { return x.Line == line })], "name") == nil {
				fix += fmt.Sprintf("; a run without a name is called run<N> after its position")
			}
			p.errorf(rn, fix, "duplicate run name %q", r.Name)
		}
		names[r.Name] = rn.Line
		out = append(out, r)
	}
	return out
}

func (p *parser) run(n *yaml.Node, i int, d Defaults, ceiling int) Run {
	r := Run{
		Name: fmt.Sprintf("run%d", i+1), SpawnRate: d.SpawnRate, Warmup: d.Warmup, Settle: d.Settle,
		Cooldown: d.Cooldown, Repeat: d.Repeat, MaxInFlight: d.MaxInFlight,
	}
	var usersNode, rateNode, durationNode, spawnNode *yaml.Node
	p.fields(n, "a run", map[string]func(*yaml.Node){
		"name": func(v *yaml.Node) {
			r.Name = p.str(v, "run name")
			if r.Name != "" && !nameRE.MatchString(r.Name) {
				p.errorf(v, "use letters, digits, '.', '_' and '-' only: it is part of cell ids", "run name %q has characters that do not fit a cell id", r.Name)
			}
		},
		"title":         func(v *yaml.Node) { r.Title = p.str(v, "title") },
		"scale":         func(v *yaml.Node) { r.Scale = p.scales(v, ceiling) },
		"users":         func(v *yaml.Node) { usersNode = v; r.Users = p.intList(v, "users") },
		"rate":          func(v *yaml.Node) { rateNode = v; r.Rate = p.floatList(v, "rate") },
		"duration":      func(v *yaml.Node) { durationNode = v },
		"spawn_rate":    func(v *yaml.Node) { spawnNode = v },
		"warmup":        func(v *yaml.Node) { r.Warmup = p.duration(v, "warmup", true) },
		"settle":        func(v *yaml.Node) { r.Settle = p.duration(v, "settle", true) },
		"cooldown":      func(v *yaml.Node) { r.Cooldown = p.duration(v, "cooldown", true) },
		"repeat":        func(v *yaml.Node) { r.Repeat = p.positiveInt(v, "repeat") },
		"max_in_flight": func(v *yaml.Node) { r.MaxInFlight = p.positiveInt(v, "max_in_flight") },
		"search":        func(v *yaml.Node) { r.Search = p.search(v, r.Name) },
		"early_stop":    func(v *yaml.Node) { r.EarlyStop = p.boolean(v, "early_stop") },
	})
	if n.Kind != yaml.MappingNode {
		return r
	}
	if r.Title == "" {
		r.Title = r.Name
	}
	if mapValue(n, "scale") == nil {
		p.errorf(n, "add scale: [1, 3, 5], the replica counts to try", "run %q has no scale list", r.Name)
	}
	switch {
	case usersNode != nil && rateNode != nil:
		p.errorf(rateNode, "keep users: for closed-loop users, or rate: for an open-loop arrival rate in requests/s", "run %q sets both users and rate", r.Name)
	case usersNode == nil && rateNode == nil && r.Search == nil:
		p.errorf(n, "add users: [1, 10, 50], or rate: [50, 100] in requests/s", "run %q has neither users nor rate", r.Name)
	}
	if durationNode == nil {
		p.errorf(n, "add duration: 30s", "run %q has no duration", r.Name)
	} else {
		r.Duration, r.DurationFor = p.durationOverrides(durationNode, r.Users)
	}
	if spawnNode != nil {
		if rateNode != nil && usersNode == nil {
			p.errorf(spawnNode, "remove spawn_rate: open-loop runs have no users to spawn", "run %q sets spawn_rate with rate", r.Name)
		}
		r.SpawnRate, r.SpawnRateFor = p.spawnOverrides(spawnNode, r.SpawnRate, r.Users)
	}
	return r
}

// durationOverrides reads `duration: 30s` or `duration: {default: 30s, 100: 60s}`.
func (p *parser) durationOverrides(n *yaml.Node, users []int) (time.Duration, map[int]time.Duration) {
	if n.Kind != yaml.MappingNode {
		return p.duration(n, "duration", false), nil
	}
	var base time.Duration
	over := map[int]time.Duration{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "default" {
			base = p.duration(v, "duration", false)
			continue
		}
		if u, ok := p.overrideKey(k, users, "duration"); ok {
			over[u] = p.duration(v, "duration", false)
		}
	}
	if base == 0 {
		p.errorf(n, "write duration: {default: 30s, 100: 60s}", "duration overrides need a default")
	}
	return base, over
}

// spawnOverrides reads `spawn_rate: 2` or `spawn_rate: {100: 2}` (per users
// level; others keep base) with an optional `default:` key.
func (p *parser) spawnOverrides(n *yaml.Node, base float64, users []int) (float64, map[int]float64) {
	if n.Kind != yaml.MappingNode {
		return p.positiveFloat(n, "spawn_rate"), nil
	}
	over := map[int]float64{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "default" {
			base = p.positiveFloat(v, "spawn_rate")
			continue
		}
		if u, ok := p.overrideKey(k, users, "spawn_rate"); ok {
			over[u] = p.positiveFloat(v, "spawn_rate")
		}
	}
	return base, over
}

func (p *parser) overrideKey(k *yaml.Node, users []int, what string) (int, bool) {
	u, err := strconv.Atoi(k.Value)
	if err != nil {
		p.errorf(k, fmt.Sprintf("key %s overrides by users level, e.g. %s: {100: 2}, or use default:", what, what), "%s override key %q is not a users level", what, k.Value)
		return 0, false
	}
	if !contains(users, u) {
		p.errorf(k, fmt.Sprintf("use one of the run's users levels %v", users), "%s override for %d users, but the run has no such level", what, u)
		return 0, false
	}
	return u, true
}

// scales reads a run's scale list and refuses a replica count above the
// ceiling, at the value's place.
func (p *parser) scales(v *yaml.Node, ceiling int) []int {
	out := p.intList(v, "scale")
	nodes := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		nodes = v.Content
	}
	for i, n := range out {
		if i >= len(nodes) {
			break
		}
		p.mark(AtScale(n), nodes[i])
		if n > ceiling {
			p.errorf(nodes[i], fmt.Sprintf("lower it, or set max_scale: %d at the top level if the engine can hold that many replicas (default %d, at most %d)",
				min(n, MaxScaleLimit), DefaultMaxScale, MaxScaleLimit), "scale %d is above the ceiling of %d replicas", n, ceiling)
		}
	}
	return out
}

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
