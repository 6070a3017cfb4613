package heuristics

import (
	"fmt"

	"github.com/zeebo/xxh3"

	"github.com/spotlake/spotlake/stages/detect/words"
)

// DNS tunnelling: answers whose subdomain is long and random are kept by
// (client, registrable domain): val = hash of the name (distinct names are
// counted), a = subdomain length, b = entropy in millibits per character.
// The client is dst_ip (dns rows are responses from the server to the
// client), src_ip when there is no dst_ip.

func (s *Set) observeDNS(r *words.Row, t int64) {
	if !s.on[KindDNSTunneling] || len(r.DNSQuery) < s.cfg.TunnelMinLength {
		return
	}
	client := r.DstIP
	if client == "" {
		client = r.SrcIP
	}
	if client == "" {
		return
	}
	name := words.NormDomain(r.DNSQuery)
	reg, sub := words.SplitDomain(name)
	if reg == "" || len(sub) < s.cfg.TunnelMinLength || s.allow.Contains(name) {
		return
	}
	h := entropy(sub)
	if h < s.cfg.TunnelMinEntropy {
		return
	}
	c, d := s.str.id(client), s.str.id(reg)
	keep(s, s.tunnel, pair{c, d}, r, ev{t: t, val: xxh3.HashString(name), a: uint32(len(sub)), b: uint32(h * 1000)})
}

func (s *Set) tunnels() []Finding {
	var out []Finding
	for _, p := range sortedPairs(s, s.tunnel) {
		b := s.tunnel[p]
		if len(b.evs) < s.cfg.TunnelMinQueries {
			continue
		}
		for _, sp := range s.window(b, nil, true, s.cfg.TunnelWindow, s.cfg.TunnelMinQueries) {
			evs := s.around(b, sp)
			names := map[uint64]bool{}
			var length, bits float64
			for _, e := range evs {
				names[e.val] = true
				length += float64(e.a)
				bits += float64(e.b) / 1000
			}
			n := float64(len(evs))
			client, dom := s.str.str(p.a), s.str.str(p.b)
			reason := fmt.Sprintf("%s looked up %d random names under %s in %s (subdomains of %.0f characters, %.1f bits per character on average)",
				client, len(names), dom, fmtDur(sp.hi-sp.lo), length/n, bits/n)
			sev := SeverityMedium
			if len(names) >= 5*s.cfg.TunnelMinQueries {
				sev = SeverityHigh
			}
			out = append(out, s.finding(KindDNSTunneling, sev, client, reason, evs, nil, b))
		}
	}
	return out
}
