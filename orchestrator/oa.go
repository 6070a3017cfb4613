package orchestrator

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/apache/iceberg-go/table"

	"github.com/spotlake/spotlake/orchestrator/config"
	"github.com/spotlake/spotlake/providers/notify"
	"github.com/spotlake/spotlake/schemas"
	"github.com/spotlake/spotlake/stages/oa"
	"github.com/spotlake/spotlake/stages/oa/heuristics"
	"github.com/spotlake/spotlake/stages/oa/rules"
	"github.com/spotlake/spotlake/stages/tableio"
)

// oaOptions turns the config's oa section into the stage's options.
func (p *Pipeline) oaOptions(day time.Time, runID string) (oa.Options, error) {
	c := p.Config.OA
	o := oa.Options{Day: day, RunID: runID, Heuristics: heuristicsConfig(p.Config)}
	for _, s := range c.Suppress {
		r := oa.Suppress{Name: s.Name, DomainSuffix: s.DomainSuffix, User: s.User, Source: s.Source, Port: -1}
		if s.CIDR != "" {
			pfx, err := netip.ParsePrefix(s.CIDR)
			if err != nil {
				return o, fmt.Errorf("oa.suppress %s: %w", s.Name, err)
			}
			r.CIDR = pfx
		}
		if s.Port != nil {
			r.Port = int32(*s.Port)
		}
		o.Suppress = append(o.Suppress, r)
	}
	o.Rules = Rules(p.Config)
	if url := os.Getenv(c.WebhookEnv); c.WebhookEnv != "" && strings.TrimSpace(url) != "" {
		o.Notifier = &notify.Webhook{URL: strings.TrimSpace(url), Retries: 3}
	}
	return o, nil
}

// Rules converts the config's alert rules.
func Rules(c *config.Config) []rules.Rule {
	var out []rules.Rule
	for _, r := range c.OA.Rules {
		out = append(out, rules.Rule{Name: r.Name, Source: r.Source, GroupBy: r.GroupBy, Window: r.Window.Duration, When: r.When, Severity: r.Severity})
	}
	return out
}

func (p *Pipeline) runOA(ctx context.Context, sr *StageReport, day time.Time, runID string) {
	st := &oa.Stage{Committer: p.Committer, Log: p.Log}
	for name, dst := range map[string]**table.Table{schemas.Events: &st.Events, schemas.Scores: &st.Scores,
		schemas.Suspicious: &st.Suspicious, schemas.Alerts: &st.Alerts, schemas.Feedback: &st.Feedback} {
		t, err := p.Table(ctx, name)
		if err != nil {
			sr.Status, sr.Message = StatusFailed, err.Error()
			return
		}
		*dst = t
	}
	o, err := p.oaOptions(day, runID)
	if err != nil {
		sr.Status, sr.Message = StatusFailed, err.Error()
		return
	}
	res, err := st.Run(ctx, o)
	if err != nil {
		sr.Status, sr.Message = StatusFailed, err.Error()
		return
	}
	sr.OA = res
	sr.Lines, sr.Rows = int64(res.Scored), int64(res.Suspicious)
	supp := 0
	for _, n := range res.Suppressed {
		supp += n
	}
	sr.Message = fmt.Sprintf("%d suspicious (%d scored, %d suppressed, %d heuristic findings over %d events, %d kept by feedback); %d new alerts, %d posted",
		res.Suspicious, res.Scored, supp, len(res.Findings), res.FindingEvents, res.Malicious, res.Alerts, res.Notified)
	if res.NotifyFailed > 0 {
		sr.Message += fmt.Sprintf(", %d not posted (see the log)", res.NotifyFailed)
	}
}

// Suspicious is one row of the suspicious table.
type Suspicious struct {
	Rank     int32  `json:"rank"`
	Severity string `json:"severity"`
	Source   string `json:"source"`
	Kind     string `json:"kind"`
	Reason   string `json:"reason"`
	EventID  string `json:"event_id"`
}

// TopSuspicious returns the first n rows of day's suspicious table, by rank,
// skipping repeats of the same reason (a finding covers many events).
func (p *Pipeline) TopSuspicious(ctx context.Context, day time.Time, n int) ([]Suspicious, error) {
	tbl, err := p.Table(ctx, schemas.Suspicious)
	if err != nil || tbl.CurrentSnapshot() == nil {
		return nil, err
	}
	var all []Suspicious
	err = tableio.Scan(ctx, tbl, tableio.DayFilter(day), []string{"rank", "severity", "source", "kind", "reason", "event_id"}, func(r tableio.Row) error {
		all = append(all, Suspicious{Rank: r.Int32("rank"), Severity: r.Str("severity"), Source: r.Str("source"),
			Kind: r.Str("kind"), Reason: r.Str("reason"), EventID: r.Str("event_id")})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Rank < all[j].Rank })
	var out []Suspicious
	seen := map[string]bool{}
	for _, s := range all {
		if len(out) == n {
			break
		}
		if seen[s.Reason] {
			continue
		}
		seen[s.Reason] = true
		out = append(out, s)
	}
	return out, nil
}

// heuristicsConfig is the config's oa.heuristics over the defaults: a field
// left out keeps its default. The DNS tunnelling check never counts the
// organisation's own domains (detect.allow_domains).
func heuristicsConfig(cfg *config.Config) heuristics.Config {
	h := cfg.OA.Heuristics
	d := heuristics.Defaults()
	d.Disable = slices.Clone(h.Disable)
	setIf(&d.Context, h.Context.Duration)
	setIf(&d.PortScanPorts, h.PortScan.Ports)
	setIf(&d.PortScanWindow, h.PortScan.Window.Duration)
	setIf(&d.ProbeMaxPackets, h.PortScan.ProbeMaxPackets)
	setIf(&d.ProbeMaxBytes, h.PortScan.ProbeMaxBytes)
	setIf(&d.BeaconMin, h.Beaconing.MinBeats)
	setIf(&d.BeaconMaxCV, h.Beaconing.MaxCV)
	setIf(&d.BeaconMinPeriod, h.Beaconing.MinPeriod.Duration)
	setIf(&d.TunnelMinQueries, h.DNSTunneling.MinQueries)
	setIf(&d.TunnelWindow, h.DNSTunneling.Window.Duration)
	setIf(&d.TunnelMinLength, h.DNSTunneling.MinLength)
	setIf(&d.TunnelMinEntropy, h.DNSTunneling.MinEntropy)
	d.TunnelAllowDomains = slices.Clone(cfg.Detect.AllowDomains)
	setIf(&d.BruteForceFailures, h.SSHBruteForce.Failures)
	setIf(&d.BruteForceWindow, h.SSHBruteForce.Window.Duration)
	setIf(&d.MassDelete, h.HDFSMassDelete.Deletes)
	setIf(&d.MassDeleteWindow, h.HDFSMassDelete.Window.Duration)
	setIf(&d.DeniedBurst, h.HDFSDeniedBurst.Denied)
	setIf(&d.DeniedWindow, h.HDFSDeniedBurst.Window.Duration)
	setIf(&d.ExfilBytes, h.Exfiltration.MB<<20)
	setIf(&d.ExfilFlowBytes, h.Exfiltration.FlowMB<<20)
	setIf(&d.ExfilMinFlows, h.Exfiltration.MinFlows)
	return d
}

// setIf sets *dst to v unless v is the zero value (a field left out).
func setIf[T comparable](dst *T, v T) {
	var zero T
	if v != zero {
		*dst = v
	}
}
