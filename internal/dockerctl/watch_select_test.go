package dockerctl

import (
	"slices"
	"testing"
)

func TestParseSelector(t *testing.T) {
	tests := []struct {
		sel    string
		ok     bool
		swarm  bool
		labels []string
	}{
		{sel: "shop", ok: true, labels: []string{LabelProject + "=shop"}},
		{sel: SwarmStackSelector("shop"), ok: true, swarm: true,
			labels: []string{LabelStackNamespace + "=shop", LabelSwarmService}},
		{sel: SwarmServiceSelector("shop_web"), ok: true, swarm: true, labels: []string{LabelSwarmService + "=shop_web"}},
		// Nothing selects every Swarm task on the engine.
		{sel: ""},
		{sel: "swarm-stack:"},
		{sel: "swarm-service:"},
	}
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			s, ok := parseSelector(tt.sel)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if s.swarm != tt.swarm || !slices.Equal(s.labels, tt.labels) {
				t.Errorf("selection = %+v, want swarm %v, labels %q", s, tt.swarm, tt.labels)
			}
			f := s.eventFilter()
			if got := f.Get("label"); !sameSet(got, tt.labels) {
				t.Errorf("event filter labels %q, want %q", got, tt.labels)
			}
			if got, want := f.Get("event"), []string{"die", "oom", "kill", "restart", "start"}; !sameSet(got, want) {
				t.Errorf("event filter events %q, want %q", got, want)
			}
			if got := f.Get("type"); !slices.Equal(got, []string{"container"}) {
				t.Errorf("event filter types %q, want container", got)
			}
		})
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestSelectionSeries(t *testing.T) {
	compose, _ := parseSelector("shop")
	stack, _ := parseSelector(SwarmStackSelector("shop"))
	tests := []struct {
		name        string
		sel         selection
		id, ctrName string
		labels      map[string]string
		wantName    string
		wantService string
		wantNumber  int
	}{
		{name: "compose replica", sel: compose, id: "0123456789abcdef", ctrName: "shop_web_2",
			labels:   map[string]string{LabelService: "web", LabelNumber: "2", LabelOneoff: "False"},
			wantName: "shop_web_2", wantService: "web", wantNumber: 2},
		{name: "compose one-off", sel: compose, id: "0123456789abcdef", ctrName: "shop_web_run_1",
			labels:   map[string]string{LabelService: "web", LabelNumber: "1", LabelOneoff: "True"},
			wantName: "shop_web_run_1", wantService: "web"},
		{name: "swarm task", sel: stack, id: "0123456789abcdef", ctrName: "shop_web.3.xyz",
			labels:   map[string]string{LabelSwarmService: "shop_web", LabelSwarmTaskName: "shop_web.3.xyz"},
			wantName: "shop_web.3.xyz", wantService: "shop_web", wantNumber: 3},
		// An event without a name attribute: the short ID names it.
		{name: "no name", sel: compose, id: "0123456789abcdef", labels: map[string]string{LabelService: "web"},
			wantName: "0123456789ab", wantService: "web"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.sel.series(tt.id, tt.ctrName, tt.labels)
			if s.ID != tt.id || s.Name != tt.wantName || s.Service != tt.wantService || s.Number != tt.wantNumber {
				t.Errorf("series = %+v, want %s, service %s, number %d", s, tt.wantName, tt.wantService, tt.wantNumber)
			}
		})
	}
}
