package heuristics

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spotlake/spotlake/stages/detect/words"
)

// SSH brute force: kept by source address are every honeypot event (cowrie:
// connect, version, key exchange, logins, commands, close) and every sshd
// line that names the address. a = the device (sensor or host), b = the
// user of a successful login.

const (
	flagFailed  = 1
	flagSuccess = 2
	flagHoney   = 4
)

func (s *Set) observeSSH(r *words.Row, t int64) {
	if !s.on[KindSSHBruteForce] {
		return
	}
	var flag uint8
	switch r.Format {
	case "cowrie":
		flag = flagHoney
		switch et := r.EventType; {
		case strings.HasSuffix(et, "login.failed"):
			flag |= flagFailed
		case strings.HasSuffix(et, "login.success"):
			flag |= flagSuccess
		}
	case "syslog":
		if r.App != "sshd" && r.App != "sshd-session" {
			return
		}
		switch {
		case strings.HasPrefix(r.Message, "Failed "):
			flag = flagFailed
		case strings.HasPrefix(r.Message, "Accepted "):
			flag = flagSuccess
		}
	}
	src := r.SrcIP
	if src == "" {
		src = r.SrcHost
	}
	if src == "" || src == "-" {
		return
	}
	e := ev{t: t, a: s.str.id(r.DvcHost), flag: flag}
	if flag&flagSuccess != 0 {
		e.b = s.str.id(r.UserName)
	}
	keep(s, s.ssh, s.str.id(src), r, e)
}

func (s *Set) bruteForce() []Finding {
	var out []Finding
	failed := func(e *ev) bool { return e.flag&flagFailed != 0 }
	for _, src := range sortedKeys(s, s.ssh) {
		b := s.ssh[src]
		for _, sp := range s.window(b, failed, false, s.cfg.BruteForceWindow, s.cfg.BruteForceFailures) {
			evs := s.around(b, sp)
			honey, n := 0, 0
			hosts := map[string]int{} // real hosts' failures
			var logins []string
			realLogin := false
			for _, e := range evs {
				dev := s.str.str(e.a)
				if e.flag&flagFailed != 0 && e.t >= sp.lo && e.t <= sp.hi {
					n++
					if e.flag&flagHoney != 0 {
						honey++
					} else {
						hosts[cmpName(dev)]++
					}
				}
				if e.flag&flagSuccess != 0 {
					l := "as " + cmpName(s.str.str(e.b)) + " on " + cmpName(dev)
					if e.flag&flagHoney != 0 {
						l += " (honeypot)"
					} else {
						realLogin = true
					}
					if !slices.Contains(logins, l) {
						logins = append(logins, l)
					}
				}
			}
			key := s.str.str(src)
			var where []string
			if honey > 0 {
				where = append(where, fmt.Sprintf("%d on honeypots", honey))
			}
			if len(hosts) > 0 {
				where = append(where, topCounts(hosts, 3, "%[2]d on %[1]s"))
			}
			reason := fmt.Sprintf("%s failed %d SSH logins in %s (%s)", key, n, fmtDur(sp.hi-sp.lo), strings.Join(where, ", "))
			if len(logins) > 0 {
				if len(logins) > 3 {
					logins = append(logins[:3], "...")
				}
				reason += "; logged in " + strings.Join(logins, ", ")
			}
			sev := SeverityLow // a honeypot's daily weather
			switch {
			case realLogin:
				sev = SeverityHigh
			case len(hosts) > 0:
				sev = SeverityMedium
			}
			out = append(out, s.finding(KindSSHBruteForce, sev, key, reason, evs, nil, b))
		}
	}
	return out
}

// cmpName is v, or "?" when empty.
func cmpName(v string) string {
	if v == "" {
		return "?"
	}
	return v
}
