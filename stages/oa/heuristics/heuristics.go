// Package heuristics finds well-known attack shapes in a day of events by
// rule, beside the LDA scores of the detection stage: port scans, beaconing,
// DNS tunnelling, SSH brute force, HDFS mass deletes and bursts of denied
// HDFS operations, and slow exfiltration. Each finding names its principal,
// says in one line why it fired and lists every event it covers, so the
// operational-analytics stage can explain it and link it to the events.
//
// A Set makes one pass over a day: Observe every row (in any order: rows come
// from several Parquet files), then call Findings. Observe keeps only the
// rows a heuristic could use (README.md says which), compactly: a time, an
// event id of 16 bytes and a few small fields, with strings interned. Per key
// (an address, a user, a client and domain) at most Config.MaxEventsPerKey
// events are kept; a finding of a key that was cut says so in its Reason.
//
// Windows slide by time within each key: a burst is the union of the windows
// that reach the threshold, and the finding covers every kept event of the
// key from Config.Context before the burst to Config.Context after it.
package heuristics

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spotlake/spotlake/stages/detect/words"
)

// Kinds of findings.
const (
	KindPortScan        = "port_scan"
	KindBeaconing       = "beaconing"
	KindDNSTunneling    = "dns_tunneling"
	KindSSHBruteForce   = "ssh_brute_force"
	KindHDFSMassDelete  = "hdfs_mass_delete"
	KindHDFSDeniedBurst = "hdfs_denied_burst"
	KindExfiltration    = "exfiltration"
)

var kinds = []string{KindAdminCommand, KindBeaconing, KindDNSTunneling, KindExfiltration, KindHDFSDeniedBurst, KindHDFSMassDelete, KindPortScan, KindSSHBruteForce}

// Kinds lists the kinds of findings, sorted.
func Kinds() []string { return slices.Clone(kinds) }

// Severities, lowest first.
const (
	SeverityLow    = "low"
	SeverityMedium = "medium"
	SeverityHigh   = "high"
)

// Finding is one detected behaviour.
type Finding struct {
	Kind     string // one of Kinds
	Severity string // low, medium or high
	// Reason says in one line what was seen, e.g. "185.220.3.9 probed 40
	// ports on 2 hosts in 2m31s (31 rejected)".
	Reason string
	// Key is the principal: an IP address or a user name.
	Key string
	// EventIDs are the events of the finding, by time: the burst and the
	// key's kept events within Config.Context of it (for a port scan, also
	// the targets' replies; for exfiltration, the receiver's packets back).
	EventIDs    []string
	First, Last time.Time // times of the first and last of EventIDs (UTC)
}

// Config holds the thresholds. New and Validate read a zero field as its
// default (Defaults); a negative one is an error.
type Config struct {
	// Port scan: one source address sends probes to at least PortScanPorts
	// distinct (host, protocol, port) targets within PortScanWindow. A probe
	// is a TCP or UDP flow that was rejected (action REJECT) or is tiny: at
	// most ProbeMaxPackets packets and ProbeMaxBytes bytes per packet.
	PortScanPorts   int           // 25
	PortScanWindow  time.Duration // 10m
	ProbeMaxPackets int64         // 3
	ProbeMaxBytes   int64         // 80 (a SYN is 40-60 bytes over IPv4, 60-80 over IPv6)

	// Beaconing: a client's web-proxy requests to one host (squid: src_ip,
	// http_host) arrive at a steady pace all day: at least BeaconMin beats,
	// the coefficient of variation (standard deviation / mean) of the gaps
	// between beats at most BeaconMaxCV, and a mean gap of at least
	// BeaconMinPeriod. Requests less than BeaconMerge after the previous one
	// belong to the same beat (a retry, a redirect, a 407 then the request).
	BeaconMin       int           // 12
	BeaconMaxCV     float64       // 0.1
	BeaconMinPeriod time.Duration // 1m
	BeaconMerge     time.Duration // 2s
	// BeaconMaxPairs caps the (client, host) pairs followed; requests of
	// further pairs are not kept (Stats.DroppedPairs counts them).
	BeaconMaxPairs int // 1,000,000

	// DNS tunnelling: a client receives answers for at least
	// TunnelMinQueries distinct names under one registrable domain (ICANN
	// section of the Public Suffix List) within TunnelWindow, each with a
	// subdomain (the labels before the registrable domain, dots included) of
	// at least TunnelMinLength characters and a Shannon entropy of at least
	// TunnelMinEntropy bits per character. Names under TunnelAllowDomains
	// (a name equal to an entry or ending in "." + entry) never count.
	TunnelMinQueries   int           // 20
	TunnelWindow       time.Duration // 1h
	TunnelMinLength    int           // 30
	TunnelMinEntropy   float64       // 3.5
	TunnelAllowDomains []string

	// SSH brute force: one source address fails at least
	// BruteForceFailures SSH logins within BruteForceWindow, counted over the
	// honeypots (cowrie.login.failed) and the hosts' sshd ("Failed password
	// ...", "Failed publickey ..." and so on) together.
	BruteForceFailures int           // 14
	BruteForceWindow   time.Duration // 2m

	// HDFS mass delete: one user deletes at least MassDelete distinct paths
	// within MassDeleteWindow (hdfs_audit and navigator "delete", allowed or
	// denied).
	MassDelete       int           // 25
	MassDeleteWindow time.Duration // 10m
	// HDFS denied burst: one user is denied at least DeniedBurst operations
	// within DeniedWindow (hdfs_audit, navigator).
	DeniedBurst  int           // 20
	DeniedWindow time.Duration // 10m

	// Exfiltration: an internal (private) address sends at least ExfilBytes
	// to one public address over the day in at least ExfilMinFlows flows of
	// ExfilFlowBytes or more (vpcflow, nfdump flow_bytes; counted in the
	// source that saw the most, so two sources seeing the same flows do not
	// add up).
	ExfilBytes     int64 // 100 MiB
	ExfilFlowBytes int64 // 1 MiB
	ExfilMinFlows  int   // 3

	// Context: events of the key this close before or after a burst join the
	// finding (a honeypot session's connect and close around its failed
	// logins, the SYN-ACKs of the probed ports).
	Context time.Duration // 1m
	// MaxEventsPerKey caps the events kept per key; further events of that
	// key are counted but not kept, and its findings say so.
	MaxEventsPerKey int // 100,000
	// Disable lists kinds not to look for.
	Disable []string
}

// Defaults returns the default thresholds.
func Defaults() Config {
	return Config{
		PortScanPorts:   25,
		PortScanWindow:  10 * time.Minute,
		ProbeMaxPackets: 3,
		ProbeMaxBytes:   80,

		BeaconMin:       12,
		BeaconMaxCV:     0.1,
		BeaconMinPeriod: time.Minute,
		BeaconMerge:     2 * time.Second,
		BeaconMaxPairs:  1_000_000,

		TunnelMinQueries: 20,
		TunnelWindow:     time.Hour,
		TunnelMinLength:  30,
		TunnelMinEntropy: 3.5,

		BruteForceFailures: 14,
		BruteForceWindow:   2 * time.Minute,

		MassDelete:       25,
		MassDeleteWindow: 10 * time.Minute,
		DeniedBurst:      20,
		DeniedWindow:     10 * time.Minute,

		ExfilBytes:     100 << 20,
		ExfilFlowBytes: 1 << 20,
		ExfilMinFlows:  3,

		Context:         time.Minute,
		MaxEventsPerKey: 100_000,
	}
}

// filled returns c with its zero fields set to their defaults.
func (c Config) filled() Config {
	d := Defaults()
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	def64 := func(p *int64, v int64) {
		if *p == 0 {
			*p = v
		}
	}
	dur := func(p *time.Duration, v time.Duration) {
		if *p == 0 {
			*p = v
		}
	}
	flt := func(p *float64, v float64) {
		if *p == 0 {
			*p = v
		}
	}
	def(&c.PortScanPorts, d.PortScanPorts)
	dur(&c.PortScanWindow, d.PortScanWindow)
	def64(&c.ProbeMaxPackets, d.ProbeMaxPackets)
	def64(&c.ProbeMaxBytes, d.ProbeMaxBytes)
	def(&c.BeaconMin, d.BeaconMin)
	flt(&c.BeaconMaxCV, d.BeaconMaxCV)
	dur(&c.BeaconMinPeriod, d.BeaconMinPeriod)
	dur(&c.BeaconMerge, d.BeaconMerge)
	def(&c.BeaconMaxPairs, d.BeaconMaxPairs)
	def(&c.TunnelMinQueries, d.TunnelMinQueries)
	dur(&c.TunnelWindow, d.TunnelWindow)
	def(&c.TunnelMinLength, d.TunnelMinLength)
	flt(&c.TunnelMinEntropy, d.TunnelMinEntropy)
	def(&c.BruteForceFailures, d.BruteForceFailures)
	dur(&c.BruteForceWindow, d.BruteForceWindow)
	def(&c.MassDelete, d.MassDelete)
	dur(&c.MassDeleteWindow, d.MassDeleteWindow)
	def(&c.DeniedBurst, d.DeniedBurst)
	dur(&c.DeniedWindow, d.DeniedWindow)
	def64(&c.ExfilBytes, d.ExfilBytes)
	def64(&c.ExfilFlowBytes, d.ExfilFlowBytes)
	def(&c.ExfilMinFlows, d.ExfilMinFlows)
	dur(&c.Context, d.Context)
	def(&c.MaxEventsPerKey, d.MaxEventsPerKey)
	return c
}

// Validate lists every problem of c (zero fields take their defaults first).
func (c Config) Validate() error {
	c = c.filled()
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for _, p := range []struct {
		name string
		v    int64
	}{
		{"port_scan_ports", int64(c.PortScanPorts)}, {"probe_max_packets", c.ProbeMaxPackets}, {"probe_max_bytes", c.ProbeMaxBytes},
		{"beacon_min", int64(c.BeaconMin)}, {"beacon_max_pairs", int64(c.BeaconMaxPairs)},
		{"tunnel_min_queries", int64(c.TunnelMinQueries)}, {"tunnel_min_length", int64(c.TunnelMinLength)},
		{"brute_force_failures", int64(c.BruteForceFailures)}, {"mass_delete", int64(c.MassDelete)},
		{"denied_burst", int64(c.DeniedBurst)}, {"exfil_bytes", c.ExfilBytes}, {"exfil_flow_bytes", c.ExfilFlowBytes},
		{"exfil_min_flows", int64(c.ExfilMinFlows)}, {"max_events_per_key", int64(c.MaxEventsPerKey)},
	} {
		if p.v < 0 {
			bad("%s is %d: must be positive (0 takes the default)", p.name, p.v)
		}
	}
	for _, p := range []struct {
		name string
		v    time.Duration
	}{
		{"port_scan_window", c.PortScanWindow}, {"beacon_min_period", c.BeaconMinPeriod}, {"beacon_merge", c.BeaconMerge},
		{"tunnel_window", c.TunnelWindow}, {"brute_force_window", c.BruteForceWindow},
		{"mass_delete_window", c.MassDeleteWindow}, {"denied_window", c.DeniedWindow}, {"context", c.Context},
	} {
		switch {
		case p.v < 0:
			bad("%s is %s: must be positive (0 takes the default)", p.name, p.v)
		case p.v > 24*time.Hour:
			bad("%s is %s: at most 24h (a set sees one day)", p.name, p.v)
		case p.v < time.Microsecond:
			bad("%s is %s: at least 1µs (times are kept in microseconds)", p.name, p.v)
		}
	}
	if c.BeaconMin < 3 && c.BeaconMin > 0 {
		bad("beacon_min is %d: at least 3 (two gaps make a pace)", c.BeaconMin)
	}
	if c.BeaconMaxCV < 0 || c.BeaconMaxCV > 1 {
		bad("beacon_max_cv is %g: must be in (0, 1]", c.BeaconMaxCV)
	}
	if c.BeaconMerge >= c.BeaconMinPeriod && c.BeaconMerge > 0 {
		bad("beacon_merge (%s) must be shorter than beacon_min_period (%s)", c.BeaconMerge, c.BeaconMinPeriod)
	}
	if c.TunnelMinEntropy < 0 || c.TunnelMinEntropy > 8 {
		bad("tunnel_min_entropy is %g bits per character: must be in (0, 8]", c.TunnelMinEntropy)
	}
	if c.TunnelMinLength > 253 {
		bad("tunnel_min_length is %d: no DNS name is longer than 253 characters", c.TunnelMinLength)
	}
	if c.ExfilFlowBytes > c.ExfilBytes {
		bad("exfil_flow_bytes (%d) is more than exfil_bytes (%d)", c.ExfilFlowBytes, c.ExfilBytes)
	}
	for _, d := range c.TunnelAllowDomains {
		if words.NormDomain(d) == "" {
			bad("tunnel_allow_domains: %q is no domain", d)
		}
	}
	for _, k := range c.Disable {
		if !slices.Contains(kinds, k) {
			bad("disable: unknown kind %q (kinds: %s)", k, strings.Join(kinds, ", "))
		}
	}
	return errors.Join(errs...)
}

// Stats counts what a Set kept.
type Stats struct {
	Rows          int64 // rows observed
	Kept          int64 // rows kept by at least one heuristic
	DroppedEvents int64 // events not kept because their key was full (MaxEventsPerKey)
	DroppedPairs  int64 // web requests not kept because BeaconMaxPairs pairs were followed
}

// Set runs the heuristics over one day's rows. It is not safe for
// concurrent use.
type Set struct {
	cfg   Config
	on    map[string]bool
	allow words.DomainSet
	ctx   int64 // Context in microseconds

	ids idStore
	str interner

	scan   map[uint32]*bucket // port scan probes by source address
	big    map[uint32]*bucket // large flows by source address (exfiltration)
	beacon map[pair]*beats    // web requests by (client, host)
	tunnel map[pair]*bucket   // long high-entropy DNS names by (client, registrable domain)
	ssh    map[uint32]*bucket // SSH events by source address
	del    map[uint32]*bucket // HDFS deletes by user
	deny   map[uint32]*bucket // denied HDFS operations by user

	stats Stats
	// the row being observed: its id's slot once stored
	slot    uint32
	hasSlot bool
	kept    bool

	admin        []Finding // single-event admin command findings
	adminHosts   []string  // the syslog host of each admin finding ("" otherwise)
	adminSeen    map[string]bool
	sudoSessions []sudoSession
}

type pair struct{ a, b uint32 }

// New returns an empty Set. Zero fields of cfg take their defaults; call
// cfg.Validate first, New does not check.
func New(cfg Config) *Set {
	cfg = cfg.filled()
	s := &Set{
		cfg:    cfg,
		on:     map[string]bool{},
		allow:  words.NewDomainSet(cfg.TunnelAllowDomains),
		ctx:    cfg.Context.Microseconds(),
		str:    newInterner(),
		scan:   map[uint32]*bucket{},
		big:    map[uint32]*bucket{},
		beacon: map[pair]*beats{},
		tunnel: map[pair]*bucket{},
		ssh:    map[uint32]*bucket{},
		del:    map[uint32]*bucket{},
		deny:   map[uint32]*bucket{},
	}
	for _, k := range kinds {
		s.on[k] = !slices.Contains(cfg.Disable, k)
	}
	return s
}

// Stats says what the Set kept so far.
func (s *Set) Stats() Stats { return s.stats }

// Observe adds one row. It copies what it keeps, so the caller may reuse r
// and its strings. Rows without a time or an event id are ignored.
func (s *Set) Observe(r *words.Row) {
	s.stats.Rows++
	if r.Time.IsZero() || r.EventID == "" || s.ids.full() {
		return
	}
	s.hasSlot, s.kept = false, false
	t := r.Time.UnixMicro()
	switch r.Format {
	case "vpcflow", "nfdump":
		s.observeFlow(r, t)
	case "squid":
		s.observeWeb(r, t)
	case "dns":
		s.observeDNS(r, t)
	case "cowrie", "syslog":
		s.observeSSH(r, t)
	case "hdfs_audit", "navigator":
		s.observeHDFS(r, t)
	}
	switch r.Format {
	case "navigator", "hdfs_audit", "syslog":
		s.observeAdmin(r)
	}
	if s.kept {
		s.stats.Kept++
	}
}

// id returns the slot of the current row's event id, storing it the first
// time.
func (s *Set) id(r *words.Row) uint32 {
	if !s.hasSlot {
		s.slot, s.hasSlot = s.ids.add(r.EventID), true
	}
	return s.slot
}

// keep adds e (with the row's id) to the bucket of key k in m.
func keep[K comparable](s *Set, m map[K]*bucket, k K, r *words.Row, e ev) {
	b := m[k]
	if b == nil {
		b = &bucket{}
		m[k] = b
	}
	if len(b.evs) >= s.cfg.MaxEventsPerKey {
		b.dropped++
		s.stats.DroppedEvents++
		return
	}
	e.id = s.id(r)
	b.evs = append(b.evs, e)
	b.sorted = false
	s.kept = true
}

// Findings returns the findings of the rows observed so far, by kind, key
// and first time. It may be called more than once.
func (s *Set) Findings() []Finding {
	var out []Finding
	if s.on[KindPortScan] {
		out = append(out, s.portScans()...)
	}
	if s.on[KindExfiltration] {
		out = append(out, s.exfiltration()...)
	}
	if s.on[KindBeaconing] {
		out = append(out, s.beacons()...)
	}
	if s.on[KindDNSTunneling] {
		out = append(out, s.tunnels()...)
	}
	if s.on[KindSSHBruteForce] {
		out = append(out, s.bruteForce()...)
	}
	if s.on[KindHDFSMassDelete] {
		out = append(out, s.massDeletes()...)
	}
	if s.on[KindHDFSDeniedBurst] {
		out = append(out, s.deniedBursts()...)
	}
	if s.on[KindAdminCommand] {
		out = append(out, s.adminFindings()...)
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(strings.Compare(a.Kind, b.Kind), strings.Compare(a.Key, b.Key), a.First.Compare(b.First),
			a.Last.Compare(b.Last), strings.Compare(a.Reason, b.Reason))
	})
	return out
}

// finding makes a Finding of evs (sorted by time, not empty) plus extra
// events (any order).
func (s *Set) finding(kind, sev, key, reason string, evs []ev, extra []ev, b *bucket) Finding {
	all := evs
	if len(extra) > 0 {
		all = append(slices.Clone(evs), extra...)
		tmp := bucket{evs: all}
		tmp.sort(&s.ids)
		all = tmp.evs
	}
	if b != nil && b.dropped > 0 {
		reason += fmt.Sprintf(" (only the first %d events of %s kept; %d more not)", s.cfg.MaxEventsPerKey, key, b.dropped)
	}
	f := Finding{Kind: kind, Severity: sev, Key: key, Reason: reason,
		First: time.UnixMicro(all[0].t).UTC(), Last: time.UnixMicro(all[len(all)-1].t).UTC()}
	f.EventIDs = make([]string, len(all))
	for i, e := range all {
		f.EventIDs[i] = s.ids.get(e.id)
	}
	return f
}

// sortedKeys returns m's keys ordered by the interned strings they name.
func sortedKeys(s *Set, m map[uint32]*bucket) []uint32 {
	keys := make([]uint32, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b uint32) int { return strings.Compare(s.str.str(a), s.str.str(b)) })
	return keys
}

func sortedPairs(s *Set, m map[pair]*bucket) []pair {
	keys := make([]pair, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortPairs(s, keys)
	return keys
}

func sortPairs(s *Set, keys []pair) {
	slices.SortFunc(keys, func(x, y pair) int {
		return cmp.Or(strings.Compare(s.str.str(x.a), s.str.str(y.a)), strings.Compare(s.str.str(x.b), s.str.str(y.b)))
	})
}

// window runs bursts over a sorted bucket with a window in Go units.
func (s *Set) window(b *bucket, counts func(*ev) bool, distinct bool, w time.Duration, need int) []span {
	b.sort(&s.ids)
	return bursts(b.evs, counts, distinct, w.Microseconds(), need, s.ctx)
}

// around returns the bucket's events within Context of sp.
func (s *Set) around(b *bucket, sp span) []ev { return between(b.evs, sp.lo-s.ctx, sp.hi+s.ctx) }
