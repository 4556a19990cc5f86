package report

import (
	"cmp"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/scalebench/scalebench/internal/analysis"
)

// limits writes what limited each scale: the requests in service, the
// unloaded response times they come from, the bounds per scale and the
// asymptotic-bounds charts, each figure explained in one line.
func (m *md) limits() {
	st := m.st
	if len(st.Scales) == 0 || len(st.Unloaded) == 0 {
		return
	}
	m.line("### What limits each scale")
	m.line("")
	m.line("scalebench applies the operational laws to what it recorded. *Requests in service* = Σ throughput × unloaded response time per endpoint (Little's law without the queue): it stays flat at the size of a worker or connection pool however many users wait. *CPU per request* = CPU used ÷ throughput; a service's *CPU bound* = the cores it may use ÷ its CPU per request. Containers without CPU limits share the host's cores.")
	m.line("")
	var parts []string
	for _, u := range st.Unloaded {
		parts = append(parts, fmt.Sprintf("%s %s ± %s (95%%, %d requests at %s, scale %d)", EscapeName(u.Endpoint), dur(u.R0),
			dur(max((u.High-u.Low)/2, time.Microsecond)), u.Requests, loadText(st, u.Load), u.Scale))
	}
	m.line("Unloaded response times (the mean at the least loaded level): %s.", strings.Join(parts, "; "))
	m.line("")
	m.line("| scale | limited by | requests in service | could take | throughput (rps) | host CPU (cores) | busiest container (cores) |")
	m.line("|---:|:---|---:|---:|---:|:---|:---|")
	for _, s := range st.Scales {
		l := s.Limit
		host := "–"
		if h := l.Host; h.Cores > 0 {
			host = fmt.Sprintf("%s of %s", coresText(h.Busy), coresText(h.Cores))
			if h.Measured && h.Other >= 0.05 {
				host += fmt.Sprintf(" (other processes %s)", coresText(h.Other))
			}
		}
		hot := "–"
		if l.HottestService != "" {
			hot = fmt.Sprintf("%s %s", EscapeName(l.HottestService), coresText(l.Hottest))
		}
		m.line("| %d | %s | %s (%s…%s) | %s | %s | %s | %s |", s.Scale, m.limitName(l), oneDec(s.InService.N), oneDec(s.InService.Low),
			oneDec(s.InService.High), count(float64(s.Scale)*l.PerReplica), RPS(s.Bounds.Throughput), host, hot)
	}
	m.line("")
	m.line("*could take*: the replicas of %s times the most requests one replica was seen to serve at once (at least 1). Fewer requests in service than that, with CPU to spare, means a cap in front of %s.",
		EscapeName(cmp.Or(st.Scaled, "the scaled service")), EscapeName(cmp.Or(st.Scaled, "it")))
	m.line("")
	m.line("| scale | bound | CPU per request | cores it may use | bound (rps) | measured (rps) |")
	m.line("|---:|:---|---:|---:|---:|---:|")
	for _, s := range st.Scales {
		b := s.Bounds
		for _, sb := range b.Services {
			if sb.Bound > 10*b.Throughput && sb.Service != s.Limit.Service {
				continue // far from mattering: left out to keep the table short
			}
			m.line("| %d | CPU of %s | %s | %s | %s | %s |", s.Scale, EscapeName(sb.Service), dur(sb.Demand), coresText(sb.Cores), boundText(sb.Bound), RPS(b.Throughput))
		}
		if b.Host > 0 {
			m.line("| %d | the host's CPU (project + generator) | – | %s | %s | %s |", s.Scale, coresText(st.Cores), boundText(b.Host), RPS(b.Throughput))
		}
		if b.Concurrency > 0 {
			m.line("| %d | concurrency: %s in service ÷ R0 %s | – | – | %s | %s |", s.Scale, oneDec(s.InService.N), dur(b.R0), boundText(b.Concurrency), RPS(b.Throughput))
		}
	}
	m.line("")
	m.line("A bound is the most throughput that resource allows; the measured throughput meets the tightest one (services whose bound is over 10× the measured throughput are left out). Each chart below draws the bounds against load for one scale.")
	m.line("")
	m.images(m.cs.Bounds...)
}

// limitName is a Constraint in a table cell.
func (m *md) limitName(l analysis.Constraint) string {
	svc := EscapeName(l.Service)
	switch l.Kind {
	case analysis.LimitNone:
		return "not reached (still rising)"
	case analysis.LimitCPU:
		return "CPU of " + svc
	case analysis.LimitHost:
		return "the host's CPU"
	case analysis.LimitConcurrency:
		if l.Service == "" {
			return fmt.Sprintf("a cap of about %.0f in front of %s", math.Max(1, math.Round(l.Cap)), EscapeName(m.st.Scaled))
		}
		return fmt.Sprintf("a cap of about %.0f, likely in %s", math.Max(1, math.Round(l.Cap)), svc)
	case analysis.LimitScaled:
		return "every replica busy"
	case analysis.LimitSingleThread:
		return "one core of " + svc
	case analysis.LimitGenerator:
		return "the load generator"
	case analysis.LimitReplicaDied:
		return "a container died"
	}
	return "unknown"
}

// loadText is a load level with its unit: "1 user", "20 users", "50 req/s".
func loadText(st *analysis.Study, load float64) string {
	u := unit(st)
	if load == 1 && u == "users" {
		u = "user"
	}
	return num(load) + " " + u
}

func boundText(x float64) string {
	if math.IsInf(x, 1) || x <= 0 {
		return "none"
	}
	return RPS(x)
}
