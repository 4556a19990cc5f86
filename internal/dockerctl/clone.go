package dockerctl

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/go-connections/nat"
)

// clone is everything needed to create one new replica from a template.
type clone struct {
	name   string
	number int
	config *container.Config
	host   *container.HostConfig
	// create holds at most one endpoint: API versions before 1.44 take one
	// network at creation.
	create *network.NetworkingConfig
	// connect are the other networks, connected after creation, before start.
	connect map[string]*network.EndpointSettings
}

// checkScalable refuses, before anything is touched, what compose refuses
// to scale: a fixed container_name and a fixed published host port.
func checkScalable(t *container.InspectResponse, project, service string, n int) error {
	name := strings.TrimPrefix(t.Name, "/")
	number := containerNumber(t.Config.Labels)
	if _, ok := nameStyle(name, project, service, number); !ok {
		return fmt.Errorf("replica %s has a fixed name (container_name: %s in the compose file) and Docker requires each container to have a unique name; "+
			"remove container_name from service %s, recreate it (docker-compose up -d %s), then scale",
			name, name, service, service)
	}
	if t.HostConfig == nil {
		return nil
	}
	ports := make([]string, 0, len(t.HostConfig.PortBindings))
	for p := range t.HostConfig.PortBindings {
		ports = append(ports, string(p))
	}
	sort.Strings(ports)
	for _, p := range ports {
		for _, b := range t.HostConfig.PortBindings[nat.Port(p)] {
			if !fixedHostPort(b.HostPort) {
				continue
			}
			cport := strings.TrimSuffix(p, "/tcp")
			fixed, rng, none := b.HostPort, fmt.Sprintf("%s-%d:%s", b.HostPort, atoiOr(b.HostPort, 0)+n-1, cport), cport
			if b.HostIP != "" {
				fixed, rng, none = b.HostIP+":"+fixed, b.HostIP+":"+rng, b.HostIP+"::"+none
			}
			return fmt.Errorf("replica %s publishes container port %s on the fixed host port %s, which a second replica could not bind; "+
				"in service %s's ports, publish a host port range (%q) or no host port (%q) so each replica gets its own, recreate it (docker-compose up -d %s), then scale",
				name, p, fixed, service, rng, none, service)
		}
	}
	return nil
}

// fixedHostPort reports whether a port binding's host port is one fixed
// port: not empty or 0 (the engine picks one) and not a range.
func fixedHostPort(hostPort string) bool {
	return hostPort != "" && hostPort != "0" && !strings.Contains(hostPort, "-")
}

func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}

// buildClone derives a new replica's configuration from a running replica,
// as compose would create it: same configuration and labels (config-hash
// included) with the next container-number; the name of its siblings; the
// network aliases of the service without the template's own name and short
// id; no hostname when the template's was its short id; no MAC or IP
// address; fresh anonymous volumes. image is the image reference to run.
func buildClone(t *container.InspectResponse, project, service string, number int, image string) (*clone, error) {
	if t.Config == nil || t.HostConfig == nil {
		return nil, fmt.Errorf("template %s has no configuration", t.Name)
	}
	tname := strings.TrimPrefix(t.Name, "/")
	sep, ok := nameStyle(tname, project, service, containerNumber(t.Config.Labels))
	if !ok {
		return nil, fmt.Errorf("template %s is not named like a replica of %s/%s", tname, project, service)
	}
	tshort := shortID(t.ID)
	name := replicaName(project, service, number, sep)

	cfg := *t.Config
	cfg.Labels = maps.Clone(t.Config.Labels)
	cfg.Labels[LabelNumber] = strconv.Itoa(number)
	delete(cfg.Labels, labelReplace)
	cfg.Image = image
	if cfg.Hostname == tshort {
		cfg.Hostname = ""
	}
	cfg.MacAddress = "" //nolint:staticcheck // deprecated in API 1.44, still set by older engines
	cfg.Volumes = maps.Clone(t.Config.Volumes)
	cfg.Env = slices.Clone(t.Config.Env)

	host := *t.HostConfig
	host.ContainerIDFile = ""
	host.Binds = nil
	for _, b := range t.HostConfig.Binds {
		src, dst, _ := splitBind(b)
		if isAnonymousVolume(src) {
			// A fresh anonymous volume at the same place.
			if cfg.Volumes == nil {
				cfg.Volumes = map[string]struct{}{}
			}
			cfg.Volumes[dst] = struct{}{}
			continue
		}
		host.Binds = append(host.Binds, b)
	}
	host.Mounts = nil
	for _, m := range t.HostConfig.Mounts {
		if m.Type == mount.TypeVolume && isAnonymousVolume(m.Source) {
			m.Source = ""
		}
		host.Mounts = append(host.Mounts, m)
	}

	cl := &clone{name: name, number: number, config: &cfg, host: &host, connect: map[string]*network.EndpointSettings{}}
	mode := t.HostConfig.NetworkMode
	if mode.IsHost() || mode.IsNone() || mode.IsContainer() || t.NetworkSettings == nil {
		return cl, nil
	}
	primary := mode.NetworkName()
	if mode.IsDefault() {
		primary = network.NetworkBridge
	}
	userDefined := func(net string) bool {
		nm := container.NetworkMode(net)
		return !nm.IsDefault() && !nm.IsBridge()
	}
	drop := map[string]bool{tshort: true, tname: true}
	names := make([]string, 0, len(t.NetworkSettings.Networks))
	for net := range t.NetworkSettings.Networks {
		names = append(names, net)
	}
	sort.Strings(names)
	for _, net := range names {
		ep := t.NetworkSettings.Networks[net]
		ns := &network.EndpointSettings{}
		if ep != nil {
			ns.Links = slices.Clone(ep.Links)
			ns.DriverOpts = maps.Clone(ep.DriverOpts)
			if ep.IPAMConfig != nil && len(ep.IPAMConfig.LinkLocalIPs) > 0 {
				ns.IPAMConfig = &network.EndpointIPAMConfig{LinkLocalIPs: slices.Clone(ep.IPAMConfig.LinkLocalIPs)}
			}
		}
		if userDefined(net) {
			ns.Aliases = cloneAliases(ep, drop, project, service, sep, name)
		}
		if net == primary {
			cl.create = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{net: ns}}
			continue
		}
		cl.connect[net] = ns
	}
	return cl, nil
}

// cloneAliases keeps the template's aliases on one network except its own
// name, short id and replica-like names, keeps the service name (so the
// service resolves to every replica) and, in compose v2 style, adds the new
// container's name as compose v2 does.
func cloneAliases(ep *network.EndpointSettings, drop map[string]bool, project, service, sep, name string) []string {
	out := []string{service}
	if sep == "-" {
		out = append(out, name)
	}
	if ep == nil {
		return out
	}
	prefix := project + sep + service + sep
	for _, a := range ep.Aliases {
		if drop[a] || slices.Contains(out, a) {
			continue
		}
		if rest, ok := strings.CutPrefix(a, prefix); ok {
			if _, err := strconv.Atoi(rest); err == nil {
				continue
			}
		}
		out = append(out, a)
	}
	return out
}

// splitBind splits a "source:destination[:options]" bind.
func splitBind(b string) (src, dst, opts string) {
	parts := strings.SplitN(b, ":", 3)
	switch len(parts) {
	case 1:
		return "", parts[0], ""
	case 2:
		return parts[0], parts[1], ""
	}
	return parts[0], parts[1], parts[2]
}

// isAnonymousVolume reports whether a volume name is one the engine made up:
// 64 hexadecimal digits.
func isAnonymousVolume(name string) bool {
	if len(name) != 64 {
		return false
	}
	for _, r := range name {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}
