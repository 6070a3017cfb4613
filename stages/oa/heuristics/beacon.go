package heuristics

import (
	"fmt"
	"math"
	"time"

	"github.com/spotlake/spotlake/stages/detect/words"
)

// Beaconing: every web-proxy request is kept by (client, host): the client
// is src_ip (src_host when the proxy logged a name), the host http_host (the
// peer dst_ip when there is none). Nothing else is kept but the time and the
// event id (a beat), and at most BeaconMaxPairs pairs are followed.

func (s *Set) observeWeb(r *words.Row, t int64) {
	if !s.on[KindBeaconing] {
		return
	}
	client := r.SrcIP
	if client == "" || client == "-" {
		client = r.SrcHost
	}
	host := r.HTTPHost
	if host == "" || host == "-" {
		host = r.DstIP
	}
	if client == "" || client == "-" || host == "" || host == "-" {
		return
	}
	c, ok := s.str.lookup(client)
	h, ok2 := s.str.lookup(host)
	if !ok || !ok2 || s.beacon[pair{c, h}] == nil {
		if len(s.beacon) >= s.cfg.BeaconMaxPairs {
			s.stats.DroppedPairs++
			return
		}
		c, h = s.str.id(client), s.str.id(host)
	}
	b := s.beacon[pair{c, h}]
	if b == nil {
		b = &beats{}
		s.beacon[pair{c, h}] = b
	}
	if len(b.b) >= s.cfg.MaxEventsPerKey {
		b.dropped++
		s.stats.DroppedEvents++
		return
	}
	b.b = append(b.b, beat{t, s.id(r)})
	s.kept = true
}

// beat is one web request: half the size of an ev, as every request of the
// day is kept.
type beat struct {
	t  int64
	id uint32
}

type beats struct {
	b       []beat
	dropped int
}

func (s *Set) beacons() []Finding {
	var out []Finding
	clients := map[uint32]int{} // host → clients that went there
	for p := range s.beacon {
		clients[p.b]++
	}
	merge := s.cfg.BeaconMerge.Microseconds()
	pairs := make([]pair, 0, len(s.beacon))
	for p, b := range s.beacon {
		if len(b.b) >= s.cfg.BeaconMin {
			pairs = append(pairs, p)
		}
	}
	sortPairs(s, pairs)
	for _, p := range pairs {
		bb := s.beacon[p]
		b := &bucket{evs: make([]ev, len(bb.b)), dropped: bb.dropped}
		for i, x := range bb.b {
			b.evs[i] = ev{t: x.t, id: x.id}
		}
		b.sort(&s.ids)
		var starts []int64
		last := int64(math.MinInt64)
		for _, e := range b.evs {
			if len(starts) == 0 || e.t-last >= merge {
				starts = append(starts, e.t)
			}
			last = e.t
		}
		if len(starts) < s.cfg.BeaconMin {
			continue
		}
		n := float64(len(starts) - 1)
		mean := float64(starts[len(starts)-1]-starts[0]) / n
		if mean < float64(s.cfg.BeaconMinPeriod.Microseconds()) {
			continue
		}
		var ss float64
		for i := 1; i < len(starts); i++ {
			d := float64(starts[i]-starts[i-1]) - mean
			ss += d * d
		}
		cv := math.Sqrt(ss/n) / mean
		if cv > s.cfg.BeaconMaxCV {
			continue
		}
		client, host := s.str.str(p.a), s.str.str(p.b)
		every := time.Duration(mean) * time.Microsecond
		reason := fmt.Sprintf("%s polled %s %d times, every %s (cv %.3f), %s-%s UTC", client, host, len(starts),
			fmtDur(every.Round(time.Second).Microseconds()), cv, fmtClock(starts[0]), fmtClock(starts[len(starts)-1]))
		if len(b.evs) > len(starts) {
			reason += fmt.Sprintf(" (%d requests)", len(b.evs))
		}
		sev := SeverityMedium
		if clients[p.b] == 1 {
			sev = SeverityHigh
			reason += "; no other client went there"
		}
		out = append(out, s.finding(KindBeaconing, sev, client, reason, b.evs, nil, b))
	}
	return out
}
