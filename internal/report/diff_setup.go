package report

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/results"
)

// setupText words one difference in how two sets were set up: "run run1:
// duration 30s → 40s".
func setupText(c analysis.SetupChange) string {
	switch c.Kind {
	case analysis.SetupMatrix:
		return fmt.Sprintf("matrix %q → %q: the sets come from different experiment files", c.Old, c.New)
	case analysis.SetupService:
		return fmt.Sprintf("scaled service %s → %s", c.Old, c.New)
	case analysis.SetupThink:
		return fmt.Sprintf("scenario: think time %s → %s", c.Old, c.New)
	case analysis.SetupRequest:
		if c.Side != "" {
			return fmt.Sprintf("scenario: request %q only in %s", c.Name, c.Side)
		}
		return fmt.Sprintf("scenario: request %q: %s", c.Name, fieldsText(c.Fields))
	case analysis.SetupRun:
		if c.Side != "" {
			return fmt.Sprintf("run %s only in %s", c.Name, c.Side)
		}
		return fmt.Sprintf("run %s: %s", c.Name, fieldsText(c.Fields))
	case analysis.SetupEngine:
		old, _ := c.Old.(*results.Engine)
		new, _ := c.New.(*results.Engine)
		return fmt.Sprintf("Docker engine %s → %s", engineText(old), engineText(new))
	case analysis.SetupHost:
		old, _ := c.Old.(results.Host)
		new, _ := c.New.(results.Host)
		return fmt.Sprintf("load generator host %s (%d CPUs) → %s (%d CPUs)", old.Hostname, old.CPUs, new.Hostname, new.CPUs)
	case analysis.SetupDirty:
		commit, _ := c.Old.(string)
		return fmt.Sprintf("%s: the application had uncommitted changes (commit %s is not all that ran)", c.Side, cmp.Or(commit, "unknown"))
	}
	return fmt.Sprintf("%s %v → %v", c.Kind, c.Old, c.New)
}

// fieldsText words the differing fields of a request or a run.
func fieldsText(fields []analysis.SetupField) string {
	var out []string
	for _, f := range fields {
		switch {
		case f.Old != nil || f.New != nil:
			out = append(out, fmt.Sprintf("%s %v → %v", f.Name, f.Old, f.New))
		case strings.HasSuffix(f.Name, "s"):
			out = append(out, f.Name+" differ")
		default:
			out = append(out, f.Name+" differs")
		}
	}
	return strings.Join(out, ", ")
}

func engineText(e *results.Engine) string {
	if e == nil {
		return "none"
	}
	return fmt.Sprintf("%s (%d CPUs, %.1f GiB)", e.Version, e.CPUs, float64(e.MemoryBytes)/(1<<30))
}
