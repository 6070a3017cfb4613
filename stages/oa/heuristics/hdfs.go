package heuristics

import (
	"fmt"
	"strings"

	"github.com/zeebo/xxh3"

	"github.com/spotlake/spotlake/stages/detect/words"
)

// HDFS (hdfs_audit, navigator). Deletes are kept by user: val = hash of the
// path (distinct paths are counted), a = the path's first three components,
// flag = denied. Denied operations are kept by user: a = the command, b =
// the path's first three components.

const flagDenied = 1

func (s *Set) observeHDFS(r *words.Row, t int64) {
	if r.UserName == "" || r.UserName == "-" {
		return
	}
	denied := strings.EqualFold(r.Action, "denied")
	if s.on[KindHDFSMassDelete] && strings.EqualFold(r.EventType, "delete") {
		e := ev{t: t, val: xxh3.HashString(r.FilePath), a: s.str.id(pathHead(r.FilePath))}
		if denied {
			e.flag = flagDenied
		}
		keep(s, s.del, s.str.id(r.UserName), r, e)
	}
	if s.on[KindHDFSDeniedBurst] && denied {
		keep(s, s.deny, s.str.id(r.UserName), r, ev{t: t, a: s.str.id(r.EventType), b: s.str.id(pathHead(r.FilePath))})
	}
}

// pathHead is the first three components of a path: /user/hive/warehouse.
func pathHead(p string) string {
	n := 0
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && i > 0 {
			if n++; n == 3 {
				return p[:i]
			}
		}
	}
	return p
}

func (s *Set) massDeletes() []Finding {
	var out []Finding
	for _, u := range sortedKeys(s, s.del) {
		b := s.del[u]
		if len(b.evs) < s.cfg.MassDelete {
			continue
		}
		for _, sp := range s.window(b, nil, true, s.cfg.MassDeleteWindow, s.cfg.MassDelete) {
			evs := s.around(b, sp)
			paths := map[uint64]bool{}
			heads := map[string]int{}
			denied := 0
			for _, e := range between(b.evs, sp.lo, sp.hi) {
				paths[e.val] = true
				heads[cmpName(s.str.str(e.a))]++
				if e.flag&flagDenied != 0 {
					denied++
				}
			}
			user := s.str.str(u)
			reason := fmt.Sprintf("%s deleted %d paths in %s", user, len(paths), fmtDur(sp.hi-sp.lo))
			if denied > 0 {
				reason += fmt.Sprintf(" (%d denied)", denied)
			}
			reason += ", under " + topCounts(heads, 3, "%[1]s (%[2]d)")
			sev := SeverityMedium
			if len(paths) >= 4*s.cfg.MassDelete {
				sev = SeverityHigh
			}
			out = append(out, s.finding(KindHDFSMassDelete, sev, user, reason, evs, nil, b))
		}
	}
	return out
}

func (s *Set) deniedBursts() []Finding {
	var out []Finding
	for _, u := range sortedKeys(s, s.deny) {
		b := s.deny[u]
		if len(b.evs) < s.cfg.DeniedBurst {
			continue
		}
		for _, sp := range s.window(b, nil, false, s.cfg.DeniedWindow, s.cfg.DeniedBurst) {
			evs := s.around(b, sp)
			in := between(b.evs, sp.lo, sp.hi)
			cmds, heads := map[string]int{}, map[string]int{}
			for _, e := range in {
				cmds[cmpName(s.str.str(e.a))]++
				heads[cmpName(s.str.str(e.b))]++
			}
			user := s.str.str(u)
			reason := fmt.Sprintf("%s was denied %d operations in %s (%s), under %s", user, len(in), fmtDur(sp.hi-sp.lo),
				topCounts(cmds, 3, "%[1]s %[2]d"), topCounts(heads, 3, "%[1]s (%[2]d)"))
			sev := SeverityMedium
			if len(in) >= 4*s.cfg.DeniedBurst {
				sev = SeverityHigh
			}
			out = append(out, s.finding(KindHDFSDeniedBurst, sev, user, reason, evs, nil, b))
		}
	}
	return out
}
