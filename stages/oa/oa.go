// Package oa is the operational-analytics stage: it turns the day's scores
// into what an analyst reads first. Known-benign results are removed by the
// allow/suppress lists and by analysts' benign labels, heuristics explain or
// add findings (scans, beacons, tunnels, brute force, mass deletes), alert
// rules over per-window aggregates raise alerts once each and post them to a
// webhook, and malicious labels keep their patterns at the top.
package oa

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/spotlake/spotlake/providers/notify"
	"github.com/spotlake/spotlake/schemas"
	"github.com/spotlake/spotlake/stages/commit"
	"github.com/spotlake/spotlake/stages/detect"
	"github.com/spotlake/spotlake/stages/detect/words"
	"github.com/spotlake/spotlake/stages/oa/heuristics"
	"github.com/spotlake/spotlake/stages/oa/rules"
	"github.com/spotlake/spotlake/stages/tableio"
)

// Suppress is one allow/suppress rule: a result matching every field set is
// removed from suspicious (and counted).
type Suppress struct {
	Name         string
	CIDR         netip.Prefix // matches src_ip or dst_ip (or the document / key when it is an address)
	DomainSuffix string       // matches the document or word's host for DNS/proxy, and dst host
	User         string
	Port         int32 // dst_port; -1 = any
	Source       string
}

// Options tune one run of the stage.
type Options struct {
	Day        time.Time
	RunID      string
	Suppress   []Suppress
	Heuristics heuristics.Config
	Rules      []rules.Rule
	Notifier   notify.Notifier
}

// Stage runs OA for days.
type Stage struct {
	Events, Scores, Suspicious, Alerts, Feedback *table.Table
	Committer                                    *commit.Committer
	Log                                          *slog.Logger
}

// Result is what a run of the stage did.
type Result struct {
	Day           string         `json:"day"`
	Scored        int            `json:"scored"`
	Suppressed    map[string]int `json:"suppressed"` // by rule name, "feedback" for benign labels
	Findings      map[string]int `json:"findings"`   // heuristic findings by kind
	FindingEvents int            `json:"finding_events"`
	Alerts        int            `json:"alerts"`      // new alert rows
	AlertsKnown   int            `json:"alerts_seen"` // hits already in the alerts table
	Notified      int            `json:"notified"`
	NotifyFailed  int            `json:"notify_failed"`
	Suspicious    int            `json:"suspicious"`
	Malicious     int            `json:"kept_by_feedback"`
}

type row struct {
	eventID, source, origin, kind, severity, reason string
	eventTime                                       time.Time
	score                                           float64
	hasScore                                        bool
	document, word, key, srcIP, dstIP, user         string
	dstPort                                         int32
	// finding orders a heuristic's rows: its finding's place among the
	// day's findings (the rows of one finding stay together).
	finding int
}

// Run runs OA for one day.
func (s *Stage) Run(ctx context.Context, o Options) (*Result, error) {
	res := &Result{Day: o.Day.Format("2006-01-02"), Suppressed: map[string]int{}, Findings: map[string]int{}}
	fb, err := readFeedback(ctx, s.Feedback)
	if err != nil {
		return nil, err
	}
	scores, err := readScores(ctx, s.Scores, o.Day)
	if err != nil {
		return nil, err
	}
	res.Scored = len(scores)

	// One pass over the day's events: heuristics and alert rules observe.
	set := heuristics.New(o.Heuristics)
	var engine *rules.Engine
	if len(o.Rules) > 0 {
		if engine, err = rules.NewEngine(o.Rules); err != nil {
			return nil, err
		}
		defer engine.Close()
	}
	// The permissions HDFS events set live in attrs, read for those events
	// only: a world-writable setPermission is an admin finding.
	perms, err := detect.EventAttrs(ctx, s.Events, o.Day, iceberg.EqualTo(iceberg.Reference("event_type"), "setPermission"), "perm", "perms")
	if err != nil {
		return nil, err
	}
	if err := detect.ScanDay(ctx, s.Events, o.Day, func(r *words.Row) error {
		if r.EventType == "setPermission" {
			r.Perm = perms[r.EventID]
		}
		set.Observe(r)
		if engine != nil {
			return engine.Observe(r)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	findings := set.Findings()
	need := map[string]bool{}
	for _, f := range findings {
		for _, id := range f.EventIDs {
			need[id] = true
		}
	}
	// The findings' events, for their key fields.
	fields := map[string]words.Row{}
	if len(need) > 0 {
		if err := detect.ScanDay(ctx, s.Events, o.Day, func(r *words.Row) error {
			if need[r.EventID] {
				fields[r.EventID] = *r
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}

	var out []row
	seen := map[string]bool{}
	add := func(r row) {
		if name, ok := suppressed(o.Suppress, r); ok {
			res.Suppressed[name]++
			return
		}
		if fb.benign(r) {
			res.Suppressed["feedback"]++
			return
		}
		if fb.malicious(r) {
			r.origin, r.severity = "feedback", "high"
			r.reason = "labelled malicious by an analyst; " + r.reason
			res.Malicious++
		}
		if seen[r.eventID] {
			return // a scored event that a heuristic explains too: keep the first
		}
		seen[r.eventID] = true
		out = append(out, r)
	}
	// Order findings so that each kind's strongest comes early: first the
	// most intense finding of every kind (by severity), then the second of
	// every kind, and so on. Intensity is events per second of the burst:
	// an attack is fast where background noise that trips the same threshold
	// is slow, and a busy day has plenty of the latter — without this, one
	// noisy kind (honeypot brute force) fills the top of the list.
	sort.SliceStable(findings, func(i, j int) bool {
		a, b := findings[i], findings[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if sa, sb := sevRank(a.Severity), sevRank(b.Severity); sa != sb {
			return sa < sb
		}
		if ra, rb := rate(a), rate(b); ra != rb {
			return ra > rb
		}
		return a.Key < b.Key
	})
	round := make([]int, len(findings))
	for i := range findings {
		if i > 0 && findings[i].Kind == findings[i-1].Kind {
			round[i] = round[i-1] + 1
		}
	}
	order := make([]int, len(findings))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(x, y int) bool {
		i, j := order[x], order[y]
		if round[i] != round[j] {
			return round[i] < round[j]
		}
		if si, sj := sevRank(findings[i].Severity), sevRank(findings[j].Severity); si != sj {
			return si < sj
		}
		return rate(findings[i]) > rate(findings[j])
	})
	sorted := make([]heuristics.Finding, len(findings))
	for k, i := range order {
		sorted[k] = findings[i]
	}
	findings = sorted
	for fi, f := range findings {
		res.Findings[f.Kind]++
		for _, id := range f.EventIDs {
			ev := fields[id]
			res.FindingEvents++
			add(row{eventID: id, source: ev.Source, origin: "heuristic", kind: f.Kind, severity: f.Severity, reason: f.Reason,
				eventTime: ev.Time, key: f.Key, srcIP: ev.SrcIP, dstIP: ev.DstIP, dstPort: ev.DstPort, user: ev.UserName, finding: fi})
		}
	}
	for _, sc := range scores {
		sev := "low"
		if sc.rank <= 10 {
			sev = "medium"
		}
		add(row{eventID: sc.eventID, source: sc.source, origin: "score", kind: "suspicious_connect", severity: sev,
			reason:    fmt.Sprintf("rank %d of the day's LDA scores (%.2e): %s is unlikely for %s", sc.rank, sc.score, sc.word, sc.document),
			eventTime: sc.eventTime, score: sc.score, hasScore: true, document: sc.document, word: sc.word,
			srcIP: sc.srcIP, dstIP: sc.dstIP, dstPort: sc.dstPort, user: sc.user})
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if pa, pb := priority(a), priority(b); pa != pb {
			return pa < pb
		}
		if a.origin == "heuristic" && b.origin == "heuristic" && a.finding != b.finding {
			return a.finding < b.finding
		}
		if a.hasScore && b.hasScore && a.score != b.score {
			return a.score < b.score
		}
		if !a.eventTime.Equal(b.eventTime) {
			return a.eventTime.Before(b.eventTime)
		}
		return a.eventID < b.eventID
	})
	res.Suspicious = len(out)

	// Alert rules.
	var alerts []alertRow
	if engine != nil {
		hits, err := engine.Evaluate(ctx)
		if err != nil {
			return nil, fmt.Errorf("alert rules: %w", err)
		}
		known, err := alertIDs(ctx, s.Alerts)
		if err != nil {
			return nil, err
		}
		for _, h := range hits {
			if known[h.ID] {
				res.AlertsKnown++
				continue
			}
			a := alertRow{hit: h}
			// After a post failed despite its retries, the endpoint is down:
			// don't spend the run retrying every other alert. They are in the
			// alerts table, unposted, for whoever looks.
			if o.Notifier != nil && res.NotifyFailed > 0 {
				res.NotifyFailed++
			} else if o.Notifier != nil {
				fields := map[string]string{"rule": h.Rule, "severity": h.Severity, "window": h.WindowStart.Format(time.RFC3339)}
				for k, v := range h.Group {
					fields[k] = v
				}
				if err := o.Notifier.Notify(ctx, "spotlake alert: "+h.Reason, fields); err != nil {
					res.NotifyFailed++
					s.log().Warn("alert not posted; it is in the alerts table", "rule", h.Rule, "error", err)
				} else {
					a.notified = true
					res.Notified++
				}
			}
			alerts = append(alerts, a)
		}
		res.Alerts = len(alerts)
	}
	if err := s.commit(ctx, o, out, alerts); err != nil {
		return nil, err
	}
	return res, nil
}

func (s *Stage) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

func sevRank(s string) int {
	switch s {
	case "high":
		return 0
	case "medium":
		return 1
	}
	return 2
}

// rate is a finding's events per second over its burst.
func rate(f heuristics.Finding) float64 {
	d := f.Last.Sub(f.First).Seconds()
	if d < 1 {
		d = 1
	}
	return float64(len(f.EventIDs)) / d
}

// priority orders the rows: what analysts said is malicious, then the
// heuristics' findings (each with its reason; in the round-robin order of
// the findings), then the LDA scores, lowest first.
func priority(r row) int {
	switch {
	case r.origin == "feedback":
		return 0
	case r.origin == "heuristic":
		return 1
	case r.severity == "medium":
		return 2
	}
	return 3
}

func suppressed(rs []Suppress, r row) (string, bool) {
	for _, s := range rs {
		if s.match(r) {
			return s.Name, true
		}
	}
	return "", false
}

func (s Suppress) match(r row) bool {
	if s.Source != "" && s.Source != r.source {
		return false
	}
	if s.User != "" && s.User != r.user && s.User != r.key && s.User != r.document {
		return false
	}
	if s.Port >= 0 && s.Port != r.dstPort {
		return false
	}
	if s.CIDR.IsValid() && !anyIn(s.CIDR, r.srcIP, r.dstIP, r.document, r.key) {
		return false
	}
	if s.DomainSuffix != "" {
		suf := strings.ToLower(strings.TrimPrefix(s.DomainSuffix, "."))
		ok := false
		for _, v := range []string{r.document, r.key, r.word, r.reason} {
			if v = strings.ToLower(v); strings.Contains(v, "."+suf) || strings.HasPrefix(v, suf) {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func anyIn(p netip.Prefix, addrs ...string) bool {
	for _, a := range addrs {
		if ip, err := netip.ParseAddr(a); err == nil && p.Contains(ip.Unmap()) {
			return true
		}
	}
	return false
}

type scoreRow struct {
	eventID, source, document, word, srcIP, dstIP, user string
	eventTime                                           time.Time
	score                                               float64
	rank, dstPort                                       int32
}

func readScores(ctx context.Context, tbl *table.Table, day time.Time) ([]scoreRow, error) {
	var out []scoreRow
	err := tableio.Scan(ctx, tbl, tableio.DayFilter(day), nil, func(r tableio.Row) error {
		out = append(out, scoreRow{eventID: r.Str("event_id"), source: r.Str("source"), document: r.Str("document"), word: r.Str("word"),
			srcIP: r.Str("src_ip"), dstIP: r.Str("dst_ip"), user: r.Str("user_name"), eventTime: r.Time("event_time"),
			score: r.Float64("score"), rank: r.Int32("rank"), dstPort: r.Int32("dst_port")})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].rank < out[j].rank })
	return out, err
}

func alertIDs(ctx context.Context, tbl *table.Table) (map[string]bool, error) {
	out := map[string]bool{}
	err := tableio.Scan(ctx, tbl, nil, []string{"alert_id"}, func(r tableio.Row) error {
		out[r.Str("alert_id")] = true
		return nil
	})
	return out, err
}

// feedbackSet is what analysts said, by pattern.
type feedbackSet struct{ benignP, maliciousP map[string]bool }

func patternKeys(r row) []string {
	var ks []string
	if r.document != "" || r.word != "" {
		ks = append(ks, "s\x00"+r.source+"\x00"+r.document+"\x00"+r.word)
	}
	if r.kind != "" && r.key != "" && r.origin != "score" {
		ks = append(ks, "h\x00"+r.kind+"\x00"+r.key)
	}
	return ks
}

func (f feedbackSet) benign(r row) bool    { return f.has(f.benignP, r) }
func (f feedbackSet) malicious(r row) bool { return f.has(f.maliciousP, r) }
func (f feedbackSet) has(m map[string]bool, r row) bool {
	for _, k := range patternKeys(r) {
		if m[k] {
			return true
		}
	}
	return false
}

func readFeedback(ctx context.Context, tbl *table.Table) (feedbackSet, error) {
	type lab struct {
		label string
		at    time.Time
	}
	latest := map[string]lab{}
	err := tableio.Scan(ctx, tbl, nil, nil, func(fr tableio.Row) error {
		r := row{source: fr.Str("source"), document: fr.Str("document"), word: fr.Str("word"), kind: fr.Str("kind"), key: fr.Str("key"), origin: "feedback"}
		at := fr.Time("labelled_at")
		for _, k := range patternKeys(r) {
			if prev, ok := latest[k]; !ok || at.After(prev.at) {
				latest[k] = lab{fr.Str("label"), at}
			}
		}
		return nil
	})
	fs := feedbackSet{benignP: map[string]bool{}, maliciousP: map[string]bool{}}
	for k, l := range latest {
		if l.label == "benign" {
			fs.benignP[k] = true
		} else if l.label == "malicious" {
			fs.maliciousP[k] = true
		}
	}
	return fs, err
}

type alertRow struct {
	hit      rules.Hit
	notified bool
}

func (s *Stage) commit(ctx context.Context, o Options, rows []row, alerts []alertRow) error {
	day := arrow.Date32FromTime(o.Day)
	susp, err := tableio.Write(ctx, s.Suspicious, func(f arrow.Field, b array.Builder) error {
		for i, r := range rows {
			if err := appendSuspicious(f, b, r, i+1, day, o.RunID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write suspicious: %w", err)
	}
	var al []string
	if len(alerts) > 0 {
		al, err = tableio.Write(ctx, s.Alerts, func(f arrow.Field, b array.Builder) error {
			for _, a := range alerts {
				if err := appendAlert(f, b, a, day, o.RunID); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("write alerts: %w", err)
		}
	}
	return s.Committer.Commit(ctx, commit.Intent{
		ID: commit.NewID(o.RunID, 200), RunID: o.RunID, Created: time.Now().UTC(),
		Changes: []commit.Change{
			{Table: schemas.Suspicious, Add: susp, ReplaceDay: o.Day.Format("2006-01-02")},
			{Table: schemas.Alerts, Add: al},
		},
	})
}

func appendSuspicious(f arrow.Field, b array.Builder, r row, rank int, day arrow.Date32, runID string) error {
	switch f.Name {
	case "event_id":
		tableio.AppendString(f, b, r.eventID)
	case "input_day":
		b.(*array.Date32Builder).Append(day)
	case "source":
		tableio.AppendString(f, b, r.source)
	case "event_time":
		b.(*array.TimestampBuilder).Append(arrow.Timestamp(r.eventTime.UnixMicro()))
	case "origin":
		tableio.AppendString(f, b, r.origin)
	case "kind":
		tableio.AppendString(f, b, r.kind)
	case "severity":
		tableio.AppendString(f, b, r.severity)
	case "reason":
		tableio.AppendString(f, b, r.reason)
	case "rank":
		b.(*array.Int32Builder).Append(int32(rank))
	case "score":
		if r.hasScore {
			b.(*array.Float64Builder).Append(r.score)
		} else {
			b.AppendNull()
		}
	case "document":
		tableio.AppendString(f, b, r.document)
	case "word":
		tableio.AppendString(f, b, r.word)
	case "key":
		tableio.AppendString(f, b, r.key)
	case "src_ip":
		tableio.AppendString(f, b, r.srcIP)
	case "dst_ip":
		tableio.AppendString(f, b, r.dstIP)
	case "dst_port":
		if r.dstPort < 0 {
			b.AppendNull()
		} else {
			b.(*array.Int32Builder).Append(r.dstPort)
		}
	case "user_name":
		tableio.AppendString(f, b, r.user)
	case "run_id":
		tableio.AppendString(f, b, runID)
	default:
		if !f.Nullable {
			return fmt.Errorf("suspicious column %s is required but this release cannot fill it", f.Name)
		}
		b.AppendNull()
	}
	return nil
}

func appendAlert(f arrow.Field, b array.Builder, a alertRow, day arrow.Date32, runID string) error {
	h := a.hit
	switch f.Name {
	case "alert_id":
		tableio.AppendString(f, b, h.ID)
	case "input_day":
		b.(*array.Date32Builder).Append(day)
	case "rule":
		tableio.AppendString(f, b, h.Rule)
	case "severity":
		tableio.AppendString(f, b, h.Severity)
	case "window_start":
		b.(*array.TimestampBuilder).Append(arrow.Timestamp(h.WindowStart.UnixMicro()))
	case "window_end":
		b.(*array.TimestampBuilder).Append(arrow.Timestamp(h.WindowEnd.UnixMicro()))
	case "group_values":
		mb := b.(*array.MapBuilder)
		if len(h.Group) == 0 {
			mb.AppendNull()
			break
		}
		mb.Append(true)
		keys := make([]string, 0, len(h.Group))
		for k := range h.Group {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			mb.KeyBuilder().(*array.StringBuilder).Append(k)
			mb.ItemBuilder().(*array.StringBuilder).Append(h.Group[k])
		}
	case "aggregates":
		j, _ := json.Marshal(h.Values)
		tableio.AppendString(f, b, string(j))
	case "reason":
		tableio.AppendString(f, b, h.Reason)
	case "notified":
		b.(*array.BooleanBuilder).Append(a.notified)
	case "run_id":
		tableio.AppendString(f, b, runID)
	default:
		if !f.Nullable {
			return fmt.Errorf("alerts column %s is required but this release cannot fill it", f.Name)
		}
		b.AppendNull()
	}
	return nil
}
