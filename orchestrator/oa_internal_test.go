package orchestrator

import (
	"reflect"
	"testing"
	"time"

	"github.com/spotlake/spotlake/orchestrator/config"
	"github.com/spotlake/spotlake/stages/oa/heuristics"
)

// Every oa.heuristics field lands on its threshold, in the threshold's
// unit; what is left out keeps its default; the organisation's own
// domains never count as DNS tunnelling.
func TestHeuristicsConfig(t *testing.T) {
	var c config.Config
	c.Detect.AllowDomains = []string{"example.com"}
	h := &c.OA.Heuristics
	h.Disable = []string{"beaconing"}
	h.Context = config.Duration{Duration: 30 * time.Second}
	h.PortScan = config.PortScan{Ports: 50, Window: config.Duration{Duration: 5 * time.Minute}, ProbeMaxPackets: 2, ProbeMaxBytes: 60}
	h.Beaconing = config.Beaconing{MinBeats: 20, MaxCV: 0.2, MinPeriod: config.Duration{Duration: 2 * time.Minute}}
	h.DNSTunneling = config.DNSTunneling{MinQueries: 40, Window: config.Duration{Duration: 30 * time.Minute}, MinLength: 25, MinEntropy: 3.8}
	h.SSHBruteForce = config.SSHBruteForce{Failures: 30, Window: config.Duration{Duration: time.Minute}}
	h.HDFSMassDelete = config.HDFSMassDelete{Deletes: 100, Window: config.Duration{Duration: time.Minute}}
	h.HDFSDeniedBurst = config.HDFSDeniedBurst{Denied: 50, Window: config.Duration{Duration: 3 * time.Minute}}
	h.Exfiltration = config.Exfiltration{MB: 500, FlowMB: 10, MinFlows: 5}
	got := heuristicsConfig(&c)
	want := heuristics.Defaults()
	want.Disable = []string{"beaconing"}
	want.Context = 30 * time.Second
	want.PortScanPorts, want.PortScanWindow, want.ProbeMaxPackets, want.ProbeMaxBytes = 50, 5*time.Minute, 2, 60
	want.BeaconMin, want.BeaconMaxCV, want.BeaconMinPeriod = 20, 0.2, 2*time.Minute
	want.TunnelMinQueries, want.TunnelWindow, want.TunnelMinLength, want.TunnelMinEntropy = 40, 30*time.Minute, 25, 3.8
	want.TunnelAllowDomains = []string{"example.com"}
	want.BruteForceFailures, want.BruteForceWindow = 30, time.Minute
	want.MassDelete, want.MassDeleteWindow = 100, time.Minute
	want.DeniedBurst, want.DeniedWindow = 50, 3*time.Minute
	want.ExfilBytes, want.ExfilFlowBytes, want.ExfilMinFlows = 500<<20, 10<<20, 5
	if !reflect.DeepEqual(got, want) {
		t.Errorf("all set:\n got  %+v\n want %+v", got, want)
	}
	if def := heuristicsConfig(&config.Config{}); !reflect.DeepEqual(def, heuristics.Defaults()) {
		t.Errorf("nothing set:\n got  %+v\n want %+v", def, heuristics.Defaults())
	}
}
