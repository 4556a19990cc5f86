package dockerctl

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/go-connections/nat"
)

// v1Template is a replica created by docker-compose 1.29 (project
// sbexplore, service web): aliases [web <short id>], hostname = short id,
// an anonymous volume at /data, a named volume bind, an ephemeral port.
func v1Template(t *testing.T) *container.InspectResponse {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "inspect", "v1-web-1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ins container.InspectResponse
	if err := json.Unmarshal(data, &ins); err != nil {
		t.Fatal(err)
	}
	return &ins
}

// v2Template turns the v1 template into what compose v2 would have made:
// dashes in the name, the container name among the aliases, two networks.
func v2Template(t *testing.T) *container.InspectResponse {
	t.Helper()
	ins := v1Template(t)
	ins.Name = "/sbexplore-web-1"
	ins.HostConfig.NetworkMode = "sbexplore_default"
	ep := ins.NetworkSettings.Networks["sbexplore_default"]
	ep.Aliases = []string{"sbexplore-web-1", "web", "api", shortID(ins.ID)}
	ins.NetworkSettings.Networks["sbexplore_back"] = &network.EndpointSettings{
		Aliases:    []string{"sbexplore-web-1", "web"},
		IPAddress:  "172.30.0.5",
		MacAddress: "02:42:ac:1e:00:05",
		IPAMConfig: &network.EndpointIPAMConfig{IPv4Address: "172.30.0.5"},
		NetworkID:  "abc",
	}
	return ins
}

func TestBuildClone(t *testing.T) {
	const anon = "8f77c95f8f81f8e27ccfc8cfe25f7d16fbf11f4558cc80f32b8133ad6aa8e1ac"
	tests := []struct {
		name     string
		template func(t *testing.T) *container.InspectResponse
		number   int
		wantName string
		// aliases per network as the clone is created or connected
		wantAliases map[string][]string
		// network given to ContainerCreate (the rest are connected after)
		wantCreate   string
		wantBinds    []string
		wantVolumes  []string
		wantHostname string
	}{
		{
			name: "compose v1", template: v1Template, number: 4,
			wantName:     "sbexplore_web_4",
			wantAliases:  map[string][]string{"sbexplore_default": {"web"}},
			wantCreate:   "sbexplore_default",
			wantBinds:    []string{"sbexplore_named:/named:rw"},
			wantVolumes:  []string{"/data", "/named"},
			wantHostname: "",
		},
		{
			name: "compose v2, two networks", template: v2Template, number: 2,
			wantName: "sbexplore-web-2",
			wantAliases: map[string][]string{
				"sbexplore_default": {"web", "sbexplore-web-2", "api"},
				"sbexplore_back":    {"web", "sbexplore-web-2"},
			},
			wantCreate:  "sbexplore_default",
			wantBinds:   []string{"sbexplore_named:/named:rw"},
			wantVolumes: []string{"/data", "/named"},
		},
		{
			name: "v1 recreated: anonymous volume bound by id, custom hostname",
			template: func(t *testing.T) *container.InspectResponse {
				ins := v1Template(t)
				ins.HostConfig.Binds = []string{anon + ":/cache:rw", "sbexplore_named:/named:rw"}
				ins.Config.Hostname = "web-host"
				ins.HostConfig.Mounts = []mount.Mount{{Type: mount.TypeVolume, Source: anon, Target: "/m"}, {Type: mount.TypeVolume, Source: "keep", Target: "/k"}}
				return ins
			},
			number:       2,
			wantName:     "sbexplore_web_2",
			wantAliases:  map[string][]string{"sbexplore_default": {"web"}},
			wantCreate:   "sbexplore_default",
			wantBinds:    []string{"sbexplore_named:/named:rw"},
			wantVolumes:  []string{"/cache", "/data", "/named"},
			wantHostname: "web-host",
		},
		{
			name: "default bridge: no aliases",
			template: func(t *testing.T) *container.InspectResponse {
				ins := v1Template(t)
				ins.HostConfig.NetworkMode = "default"
				ins.NetworkSettings.Networks = map[string]*network.EndpointSettings{"bridge": {IPAddress: "172.17.0.2"}}
				return ins
			},
			number:      2,
			wantName:    "sbexplore_web_2",
			wantAliases: map[string][]string{"bridge": nil},
			wantCreate:  "bridge",
			wantBinds:   []string{"sbexplore_named:/named:rw"},
			wantVolumes: []string{"/data", "/named"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl := tt.template(t)
			before, _ := json.Marshal(tmpl)
			cl, err := buildClone(tmpl, "sbexplore", "web", tt.number, "sbexplore:1")
			if err != nil {
				t.Fatal(err)
			}
			if after, _ := json.Marshal(tmpl); string(after) != string(before) {
				t.Error("buildClone changed its template")
			}
			if cl.name != tt.wantName {
				t.Errorf("name = %q, want %q", cl.name, tt.wantName)
			}
			labels := cl.config.Labels
			if got := labels[LabelNumber]; got != strconv.Itoa(tt.number) {
				t.Errorf("container-number = %q, want %d", got, tt.number)
			}
			for _, k := range []string{LabelProject, LabelService, LabelOneoff, LabelConfigHash, LabelWorkingDir, "com.docker.compose.version"} {
				if labels[k] != tmpl.Config.Labels[k] {
					t.Errorf("label %s = %q, want the template's %q", k, labels[k], tmpl.Config.Labels[k])
				}
			}
			if cl.config.Hostname != tt.wantHostname {
				t.Errorf("hostname = %q, want %q", cl.config.Hostname, tt.wantHostname)
			}
			if cl.config.MacAddress != "" { //nolint:staticcheck // checking it stays empty
				t.Errorf("MAC address copied: %q", cl.config.MacAddress) //nolint:staticcheck
			}
			if cl.config.Image != "sbexplore:1" {
				t.Errorf("image = %q", cl.config.Image)
			}
			if !slices.Equal(cl.host.Binds, tt.wantBinds) {
				t.Errorf("binds = %q, want %q", cl.host.Binds, tt.wantBinds)
			}
			var vols []string
			for v := range cl.config.Volumes {
				vols = append(vols, v)
			}
			slices.Sort(vols)
			if !slices.Equal(vols, tt.wantVolumes) {
				t.Errorf("volumes = %q, want %q", vols, tt.wantVolumes)
			}
			for _, m := range cl.host.Mounts {
				if m.Type == mount.TypeVolume && m.Source == anon {
					t.Errorf("anonymous volume %s shared with the template", anon)
				}
			}
			if cl.host.PortBindings[nat.Port("8080/tcp")][0].HostPort != "" {
				t.Errorf("port bindings changed: %v", cl.host.PortBindings)
			}
			got := map[string][]string{}
			for net, ep := range cl.create.EndpointsConfig {
				if net != tt.wantCreate {
					t.Errorf("created on network %s, want %s", net, tt.wantCreate)
				}
				got[net] = ep.Aliases
				checkNoAddress(t, net, ep)
			}
			for net, ep := range cl.connect {
				got[net] = ep.Aliases
				checkNoAddress(t, net, ep)
			}
			if len(got) != len(tt.wantAliases) {
				t.Errorf("networks = %v, want %v", got, tt.wantAliases)
			}
			for net, want := range tt.wantAliases {
				if !slices.Equal(got[net], want) {
					t.Errorf("aliases on %s = %q, want %q", net, got[net], want)
				}
			}
		})
	}
}

func checkNoAddress(t *testing.T, net string, ep *network.EndpointSettings) {
	t.Helper()
	if ep.IPAddress != "" || ep.MacAddress != "" || ep.NetworkID != "" || ep.EndpointID != "" ||
		(ep.IPAMConfig != nil && (ep.IPAMConfig.IPv4Address != "" || ep.IPAMConfig.IPv6Address != "")) {
		t.Errorf("network %s: address copied from the template: %+v", net, ep)
	}
}

func TestCheckScalable(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*container.InspectResponse)
		n       int
		wantErr []string // substrings; none means scalable
	}{
		{name: "ephemeral host port", edit: func(*container.InspectResponse) {}, n: 5},
		{name: "host port range", n: 3, edit: func(c *container.InspectResponse) {
			c.HostConfig.PortBindings = nat.PortMap{"8080/tcp": {{HostIP: "127.0.0.1", HostPort: "18000-18010"}}}
		}},
		{name: "host port 0", n: 3, edit: func(c *container.InspectResponse) {
			c.HostConfig.PortBindings = nat.PortMap{"8080/tcp": {{HostPort: "0"}}}
		}},
		{name: "fixed host port", n: 3, edit: func(c *container.InspectResponse) {
			c.HostConfig.PortBindings = nat.PortMap{"8080/tcp": {{HostIP: "127.0.0.1", HostPort: "18080"}}}
		}, wantErr: []string{"sbexplore_web_1", "8080/tcp", "fixed host port 127.0.0.1:18080", `"127.0.0.1:18080-18082:8080"`, `"127.0.0.1::8080"`, "docker-compose up -d web"}},
		{name: "fixed host port, all interfaces, udp", n: 2, edit: func(c *container.InspectResponse) {
			c.HostConfig.PortBindings = nat.PortMap{"53/udp": {{HostPort: "5353"}}}
		}, wantErr: []string{"53/udp", "fixed host port 5353", `"5353-5354:53/udp"`, `"53/udp"`}},
		{name: "container_name", n: 2, edit: func(c *container.InspectResponse) {
			c.Name = "/my-fixed-name"
		}, wantErr: []string{"my-fixed-name", "container_name", "remove container_name from service web"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := v1Template(t)
			tt.edit(c)
			err := checkScalable(c, "sbexplore", "web", tt.n)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("not refused")
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

func TestNameStyle(t *testing.T) {
	tests := []struct {
		name    string
		project string
		sep     string
		ok      bool
	}{
		{"p_web_3", "p", "_", true},
		{"p-web-3", "p", "-", true},
		{"my_proj_web_3", "my_proj", "_", true},
		{"p_web_4", "p", "", false}, // number mismatch
		{"custom", "p", "", false},
		{"p_web_run_abc", "p", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sep, ok := nameStyle(tt.name, tt.project, "web", 3)
			if sep != tt.sep || ok != tt.ok {
				t.Errorf("nameStyle = %q, %v; want %q, %v", sep, ok, tt.sep, tt.ok)
			}
		})
	}
}
