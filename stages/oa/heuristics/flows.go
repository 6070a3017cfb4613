package heuristics

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/spotlake/spotlake/stages/detect/words"
)

// Flows (vpcflow, nfdump).
//
// Port scan probes are kept by source address: val = destination (interned)
// << 32 | protocol << 16 | port (what distinct counts count), a = the
// destination, flag = rejected.
//
// Large flows (at least largeFlow bytes, or ExfilFlowBytes when smaller) are
// kept by source address: val = bytes, a = destination, b = the row's
// source (config source name).

// largeFlow is the smallest flow kept for exfiltration: the uploads, and the
// receiver's acknowledgements back.
const largeFlow = 64 << 10

const flagRejected = 1

func (s *Set) observeFlow(r *words.Row, t int64) {
	if r.SrcIP == "" || r.DstIP == "" {
		return
	}
	if s.on[KindPortScan] && r.DstPort >= 0 && r.DstPort <= 65535 {
		var proto uint64
		switch strings.ToLower(r.Proto) {
		case "tcp", "6":
			proto = 6
		case "udp", "17":
			proto = 17
		}
		rejected := strings.EqualFold(r.Action, "REJECT")
		tiny := r.FlowPackets >= 1 && r.FlowPackets <= s.cfg.ProbeMaxPackets && r.FlowBytes >= 0 &&
			r.FlowBytes <= s.cfg.ProbeMaxBytes*r.FlowPackets
		if proto != 0 && (rejected || tiny) {
			src, dst := s.str.id(r.SrcIP), s.str.id(r.DstIP)
			e := ev{t: t, val: uint64(dst)<<32 | proto<<16 | uint64(r.DstPort), a: dst, b: uint32(max(r.SrcPort, 0))}
			if rejected {
				e.flag = flagRejected
			}
			keep(s, s.scan, src, r, e)
		}
	}
	if s.on[KindExfiltration] && r.FlowBytes >= min(largeFlow, s.cfg.ExfilFlowBytes) {
		src, dst := s.str.id(r.SrcIP), s.str.id(r.DstIP)
		keep(s, s.big, src, r, ev{t: t, val: uint64(r.FlowBytes), a: dst, b: s.str.id(r.Source)})
	}
}

func (s *Set) portScans() []Finding {
	var out []Finding
	for _, src := range sortedKeys(s, s.scan) {
		b := s.scan[src]
		for _, sp := range s.window(b, nil, true, s.cfg.PortScanWindow, s.cfg.PortScanPorts) {
			evs := s.around(b, sp)
			probes := between(b.evs, sp.lo, sp.hi)
			hosts := map[uint32]bool{}
			ports := map[uint64]bool{}
			rejected := 0
			for _, e := range probes {
				hosts[e.a] = true
				ports[e.val&0xffffffff] = true
				if e.flag&flagRejected != 0 {
					rejected++
				}
			}
			// The targets' answers (a SYN-ACK is a tiny flow back to the
			// scanner): they join the finding and tell the open ports.
			var replies []ev
			open := map[uint64]bool{} // host << 16 | port
			for h := range hosts {
				tb := s.scan[h]
				if tb == nil || h == src {
					continue
				}
				tb.sort(&s.ids)
				for _, e := range s.around(tb, sp) {
					if e.a == src && e.flag&flagRejected == 0 {
						replies = append(replies, e)
						open[uint64(h)<<16|uint64(e.b)] = true
					}
				}
			}
			srcIP := s.str.str(src)
			names := make([]string, 0, len(hosts))
			for h := range hosts {
				names = append(names, s.str.str(h))
			}
			slices.SortFunc(names, compareIP)
			targets := map[uint64]bool{}
			for _, e := range probes {
				targets[e.val] = true
			}
			reason := fmt.Sprintf("%s probed %d targets (%d distinct ports on %s) in %s (%d of %d probe flows rejected",
				srcIP, len(targets), len(ports), hostList(names, 3), fmtDur(sp.hi-sp.lo), rejected, len(probes))
			if len(open) > 0 {
				reason += fmt.Sprintf("; %d answered from %s", len(open), portList(open, 6))
			}
			reason += ")"
			sev := SeverityLow
			switch {
			case isPrivate(srcIP):
				sev = SeverityHigh // a host of ours is scanning
			case len(open) > 0:
				sev = SeverityMedium // it found open ports
			}
			out = append(out, s.finding(KindPortScan, sev, srcIP, reason, evs, replies, b))
		}
	}
	return out
}

// exfiltration finds internal addresses that sent much to one public
// address in large flows.
func (s *Set) exfiltration() []Finding {
	var out []Finding
	for _, src := range sortedKeys(s, s.big) {
		srcIP := s.str.str(src)
		if !isPrivate(srcIP) {
			continue
		}
		b := s.big[src]
		b.sort(&s.ids)
		byDst := map[uint32][]ev{}
		for _, e := range b.evs {
			if int64(e.val) >= s.cfg.ExfilFlowBytes {
				byDst[e.a] = append(byDst[e.a], e)
			}
		}
		dsts := make([]uint32, 0, len(byDst))
		for d := range byDst {
			if isPublic(s.str.str(d)) {
				dsts = append(dsts, d)
			}
		}
		slices.SortFunc(dsts, func(x, y uint32) int { return compareIP(s.str.str(x), s.str.str(y)) })
		for _, d := range dsts {
			evs := byDst[d]
			// Sum per source: vpcflow and nfdump may both log each upload.
			sums := map[uint32]int64{}
			counts := map[uint32]int{}
			for _, e := range evs {
				sums[e.b] += int64(e.val)
				counts[e.b]++
			}
			var best uint32
			for k := range sums {
				if sums[k] > sums[best] || sums[k] == sums[best] && s.str.str(k) < s.str.str(best) {
					best = k
				}
			}
			total, n := sums[best], counts[best]
			if total < s.cfg.ExfilBytes || n < s.cfg.ExfilMinFlows {
				continue
			}
			lo, hi := evs[0].t, evs[len(evs)-1].t
			var replies []ev
			if db := s.big[d]; db != nil {
				db.sort(&s.ids)
				for _, e := range between(db.evs, lo-s.ctx, hi+s.ctx) {
					if e.a == src {
						replies = append(replies, e)
					}
				}
			}
			var small, large int64 = -1, 0
			for _, e := range evs {
				if e.b == best {
					if small < 0 || int64(e.val) < small {
						small = int64(e.val)
					}
					large = max(large, int64(e.val))
				}
			}
			size := fmtBytes(small)
			if large != small {
				size += " to " + fmtBytes(large)
			}
			reason := fmt.Sprintf("%s sent %s to %s in %d flows of %s, %s-%s UTC", srcIP, fmtBytes(total), s.str.str(d), n,
				size, fmtClock(lo), fmtClock(hi))
			if len(sums) > 1 {
				var srcs []string
				for k := range sums {
					srcs = append(srcs, s.str.str(k))
				}
				slices.Sort(srcs)
				reason += " (seen by " + strings.Join(srcs, ", ") + ")"
			}
			sev := SeverityMedium
			if total >= 10*s.cfg.ExfilBytes {
				sev = SeverityHigh
			}
			out = append(out, s.finding(KindExfiltration, sev, srcIP, reason, evs, replies, b))
		}
	}
	return out
}

func parseIP(v string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(v)
	return a.Unmap(), err == nil
}

// isPrivate: RFC 1918, unique local IPv6, loopback, link local.
func isPrivate(v string) bool {
	a, ok := parseIP(v)
	return ok && (a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast())
}

// isPublic: a global unicast address that is not private.
func isPublic(v string) bool {
	a, ok := parseIP(v)
	return ok && a.IsGlobalUnicast() && !a.IsPrivate()
}

// compareIP orders addresses numerically (text that is no address last, by
// text).
func compareIP(x, y string) int {
	a, okA := parseIP(x)
	b, okB := parseIP(y)
	switch {
	case okA && okB:
		if c := a.Compare(b); c != 0 {
			return c
		}
	case okA:
		return -1
	case okB:
		return 1
	}
	return strings.Compare(x, y)
}
