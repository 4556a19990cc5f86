package matrix

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// slo decodes `slo: {p95: 500ms, failures: 1%, min_rps: 20}`.
func (p *parser) slo(n *yaml.Node) *SLO {
	s := &SLO{}
	p.fields(n, "slo", map[string]func(*yaml.Node){
		"p50": func(v *yaml.Node) { s.P50 = p.duration(v, "slo.p50", false) },
		"p95": func(v *yaml.Node) { s.P95 = p.duration(v, "slo.p95", false) },
		"p99": func(v *yaml.Node) { s.P99 = p.duration(v, "slo.p99", false) },
		"failures": func(v *yaml.Node) {
			f := p.fraction(v, "slo.failures", "1%")
			s.Failures = &f
		},
		"min_rps": func(v *yaml.Node) { s.MinRPS = p.positiveFloat(v, "slo.min_rps") },
	})
	if n.Kind == yaml.MappingNode && *s == (SLO{}) {
		p.errorf(n, "write slo: {p95: 500ms, failures: 1%}; p50, p99 and min_rps may be added", "the slo sets no limit")
	}
	return s
}

// fraction reads "1%" or 0.01 as a fraction in [0, 1).
func (p *parser) fraction(n *yaml.Node, what, example string) float64 {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, "write a percentage such as "+example, "%s must be a percentage, found %s", what, kindName(n))
		return 0
	}
	text, pct := strings.CutSuffix(strings.TrimSpace(n.Value), "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		p.errorf(n, "write a percentage such as "+example, "%s must be a percentage, found %q", what, n.Value)
		return 0
	}
	if pct {
		v /= 100
	}
	if v < 0 || v >= 1 {
		p.errorf(n, "write a percentage from 0% to under 100%, such as "+example, "%s %q is not a share of the requests", what, n.Value)
		return 0
	}
	return v
}

// search decodes `search: {users: {from: 5, max: 400}, resolution: 5%}`
// (or rate: {...}), with optional growth and repeats.
func (p *parser) search(n *yaml.Node, runName string) *Search {
	s := &Search{Resolution: DefaultResolution, Growth: DefaultGrowth, Repeats: DefaultSearchRepeats}
	var levels *yaml.Node
	level := func(mode Mode) func(*yaml.Node) {
		return func(v *yaml.Node) {
			if levels != nil {
				p.errorf(v, "keep users: for closed-loop users, or rate: for an open-loop rate in requests/s", "run %q searches both users and rate", runName)
				return
			}
			levels, s.Mode = v, mode
			p.fields(v, "search."+string(mode), map[string]func(*yaml.Node){
				"from": func(v *yaml.Node) { s.From = p.positiveInt(v, "search from") },
				"max":  func(v *yaml.Node) { s.Max = p.positiveInt(v, "search max") },
			})
		}
	}
	p.fields(n, "search", map[string]func(*yaml.Node){
		"users": level(Closed),
		"rate":  level(Open),
		"resolution": func(v *yaml.Node) {
			s.Resolution = p.fraction(v, "search.resolution", "5%")
			if s.Resolution == 0 && v.Kind == yaml.ScalarNode {
				p.errorf(v, "use 1% or more, such as 5%", "search.resolution must be above 0")
			}
		},
		"growth": func(v *yaml.Node) {
			s.Growth = p.positiveFloat(v, "search.growth")
			if s.Growth > 0 && s.Growth <= 1 {
				p.errorf(v, "use a factor above 1, such as 2", "search.growth %g does not grow the load", s.Growth)
			}
		},
		"repeats": func(v *yaml.Node) { s.Repeats = p.positiveInt(v, "search.repeats") },
	})
	if n.Kind != yaml.MappingNode {
		return s
	}
	if levels == nil {
		p.errorf(n, "add users: {from: 5, max: 400}, or rate: {from: 10, max: 500} in requests/s", "run %q's search has neither users nor rate", runName)
		return s
	}
	if levels.Kind == yaml.MappingNode && (s.From == 0 || s.Max == 0) {
		p.errorf(levels, fmt.Sprintf("write %s: {from: 5, max: 400}", s.Mode), "run %q's search needs both from and max", runName)
	}
	if s.From > 0 && s.Max > 0 && s.Max <= s.From {
		p.errorf(mapValue(levels, "max"), fmt.Sprintf("raise max above from (%d), or list the level in %s: instead of searching", s.From, s.Mode), "search max %d is not above from %d", s.Max, s.From)
	}
	return s
}

// checkSearch checks what needs the whole matrix: a search or an early
// stop needs an SLO to judge cells by, and a search run lists no levels.
func (p *parser) checkSearch(m *Matrix, runsNode *yaml.Node) {
	if runsNode == nil || runsNode.Kind != yaml.SequenceNode {
		return
	}
	for i, rn := range runsNode.Content {
		if i >= len(m.Runs) {
			break
		}
		r := m.Runs[i]
		if sn := mapValue(rn, "search"); sn != nil {
			if m.SLO == nil {
				p.errorf(sn, "add slo: {p95: 500ms, failures: 1%} at the top level: a search looks for the highest load that meets it", "run %q searches but the matrix has no slo", r.Name)
			}
			for _, k := range []string{"users", "rate"} {
				if v := mapValue(rn, k); v != nil {
					p.errorf(v, fmt.Sprintf("remove %s: the search picks the levels itself (search: {%s: {from, max}})", k, k), "run %q lists %s and searches", r.Name, k)
				}
			}
		}
		if es := mapValue(rn, "early_stop"); es != nil && m.SLO == nil && r.EarlyStop != nil && *r.EarlyStop {
			p.errorf(es, "add slo: {p95: 500ms, failures: 1%} at the top level: early stop ends a cell once it surely misses it", "run %q stops cells early but the matrix has no slo", r.Name)
		}
	}
}

// boolean reads true or false.
func (p *parser) boolean(n *yaml.Node, what string) *bool {
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, "write true or false", "%s must be true or false, found %s", what, kindName(n))
		return nil
	}
	b, err := strconv.ParseBool(n.Value)
	if err != nil {
		p.errorf(n, "write true or false", "%s must be true or false, found %q", what, n.Value)
		return nil
	}
	return &b
}
