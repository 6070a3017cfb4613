package heuristics

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spotlake/spotlake/stages/detect/words"
)

// KindAdminCommand is one privileged command that destroys data or weakens
// the system's defences: a DROP of a production table, the deletion of a
// whole Hive table's folder, a sudo that creates a second root, flushes the
// firewall, stops auditing or erases logs. Such events are single and rare,
// which LDA (which needs repetition to learn what is normal) ranks poorly.
const KindAdminCommand = "admin_command"

// sudoRules are the sudo commands worth an analyst's look, each with why.
// A rule matches when the command contains every one of its parts.
var sudoRules = []struct {
	parts  []string
	reason string
}{
	{[]string{"useradd", " -o"}, "creates an account with a duplicate (root) uid"},
	{[]string{"useradd", "-u 0"}, "creates an account with uid 0"},
	{[]string{"usermod", "-u 0"}, "gives an account uid 0"},
	{[]string{"base64", "/etc/shadow"}, "encodes the password hashes"},
	{[]string{"xxd", "/etc/shadow"}, "encodes the password hashes"},
	{[]string{"iptables -F"}, "flushes the firewall"},
	{[]string{"nft flush"}, "flushes the firewall"},
	{[]string{"ufw disable"}, "disables the firewall"},
	{[]string{"chattr -i"}, "removes a file's immutable flag"},
	{[]string{"/etc/ssl/private", "tar "}, "archives the TLS private keys"},
	{[]string{"/etc/ssl/private", "cp "}, "copies the TLS private keys"},
	{[]string{"setenforce 0"}, "turns SELinux off"},
	{[]string{"stop auditd"}, "stops auditing"},
	{[]string{"disable auditd"}, "disables auditing"},
	{[]string{"auditctl -D"}, "deletes the audit rules"},
	{[]string{"truncate", "/var/log/"}, "erases a log"},
	{[]string{"rm ", "/var/log/"}, "deletes logs"},
	{[]string{"history -c"}, "clears the shell history"},
}

// temporary reports whether a table or path name looks like scratch space.
func temporary(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "tmp") || strings.Contains(n, "temp") || strings.Contains(n, "staging") || strings.Contains(n, "scratch")
}

func afterHours(hour int) bool { return hour < 7 || hour >= 19 }

// observeAdmin records single-event admin findings.
func (s *Set) observeAdmin(r *words.Row) {
	if !s.on[KindAdminCommand] {
		return
	}
	sev, reason := "", ""
	hour := r.Time.UTC().Hour()
	switch r.Format {
	case "navigator":
		stmt := strings.ToUpper(strings.TrimSpace(r.Message))
		for _, verb := range []string{"DROP TABLE", "DROP DATABASE", "DROP SCHEMA", "TRUNCATE"} {
			if !strings.HasPrefix(stmt, verb) {
				continue
			}
			obj := strings.Fields(strings.TrimPrefix(strings.TrimPrefix(stmt, verb), " IF EXISTS"))
			if len(obj) == 0 || temporary(obj[0]) {
				break
			}
			sev, reason = SeverityMedium, fmt.Sprintf("%s ran %s %s", r.UserName, strings.ToLower(verb), strings.ToLower(obj[0]))
			if strings.Contains(stmt, " PURGE") {
				sev, reason = SeverityHigh, reason+" with PURGE (no trash to restore from)"
			}
			if afterHours(hour) {
				sev, reason = SeverityHigh, reason+fmt.Sprintf(", after hours (%02d:%02d UTC)", hour, r.Time.UTC().Minute())
			}
		}
		if sev == "" {
			s.observeTableDelete(r, &sev, &reason)
		}
		if sev == "" {
			s.observePermission(r, &sev, &reason)
		}
	case "hdfs_audit":
		s.observeTableDelete(r, &sev, &reason)
		if sev == "" {
			s.observePermission(r, &sev, &reason)
		}
	case "syslog":
		if r.App != "sudo" {
			return
		}
		_, cmd, ok := strings.Cut(r.Message, "COMMAND=")
		if !ok {
			// The session line sudo writes next to a command joins its
			// finding (matched by host, user and second at Findings).
			if _, by, ok := strings.Cut(r.Message, "session opened for user root"); ok {
				_, who, _ := strings.Cut(by, " by ")
				who, _, _ = strings.Cut(who, "(")
				if who != "" {
					s.sudoSessions = append(s.sudoSessions, sudoSession{host: strings.Clone(r.DvcHost), user: strings.Clone(strings.TrimSpace(who)),
						at: r.Time.Unix(), id: strings.Clone(r.EventID)})
				}
			}
			return
		}
		for _, rule := range sudoRules {
			all := true
			for _, p := range rule.parts {
				if !strings.Contains(cmd, p) {
					all = false
					break
				}
			}
			if all {
				who, _, _ := strings.Cut(strings.TrimSpace(r.Message), " ")
				sev, reason = SeverityHigh, fmt.Sprintf("%s on %s ran sudo %s: %s", who, r.DvcHost, strings.TrimSpace(cmd), rule.reason)
				break
			}
		}
	}
	if sev == "" {
		return
	}
	key := r.UserName
	if r.Format == "syslog" {
		key, _, _ = strings.Cut(strings.TrimSpace(r.Message), " ")
	}
	if key == "" {
		key = r.DvcHost
	}
	if s.adminSeen == nil {
		s.adminSeen = map[string]bool{}
	}
	if s.adminSeen[r.EventID] {
		return // the same event observed twice
	}
	s.adminSeen[strings.Clone(r.EventID)] = true
	s.admin = append(s.admin, Finding{Kind: KindAdminCommand, Severity: sev, Reason: reason, Key: strings.Clone(key),
		EventIDs: []string{strings.Clone(r.EventID)}, First: r.Time.UTC(), Last: r.Time.UTC()})
	if r.Format == "syslog" {
		s.adminHosts = append(s.adminHosts, strings.Clone(r.DvcHost))
	} else {
		s.adminHosts = append(s.adminHosts, "")
	}
}

type sudoSession struct {
	host, user, id string
	at             int64
}

// adminFindings returns the admin findings with the sudo session lines
// that belong to them.
func (s *Set) adminFindings() []Finding {
	out := make([]Finding, len(s.admin))
	for i, f := range s.admin {
		f.EventIDs = append([]string(nil), f.EventIDs...)
		if host := s.adminHosts[i]; host != "" {
			for _, ss := range s.sudoSessions {
				if ss.host == host && ss.user == f.Key && abs(ss.at-f.First.Unix()) <= 2 && !slices.Contains(f.EventIDs, ss.id) {
					f.EventIDs = append(f.EventIDs, ss.id)
				}
			}
		}
		out[i] = f
	}
	return out
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// observeTableDelete flags the deletion of a whole Hive table's folder
// (/user/hive/warehouse/<db>.db/<table>), which only a DROP should cause.
func (s *Set) observeTableDelete(r *words.Row, sev, reason *string) {
	if r.EventType != "delete" || r.Action == "denied" {
		return
	}
	rest, ok := strings.CutPrefix(strings.TrimSuffix(r.FilePath, "/"), "/user/hive/warehouse/")
	if !ok || strings.Count(rest, "/") != 1 || temporary(rest) {
		return
	}
	*sev, *reason = SeverityMedium, fmt.Sprintf("%s deleted the whole table folder /user/hive/warehouse/%s", r.UserName, rest)
}

// observePermission flags a setPermission that lets anyone write: others
// get w, without the sticky bit that makes shared temporary folders safe.
func (s *Set) observePermission(r *words.Row, sev, reason *string) {
	if r.EventType != "setPermission" || r.Action == "denied" || !worldWritable(r.Perm) {
		return
	}
	path := strings.TrimSuffix(r.FilePath, "/")
	if path == "" || temporary(path[strings.LastIndexByte(path, '/')+1:]) || strings.HasPrefix(path, "/tmp") {
		return
	}
	*sev, *reason = SeverityMedium, fmt.Sprintf("%s made %s writable by anyone (%s)", r.UserName, path, r.Perm)
	if hour := r.Time.UTC().Hour(); afterHours(hour) {
		*sev, *reason = SeverityHigh, *reason+fmt.Sprintf(", after hours (%02d:%02d UTC)", hour, r.Time.UTC().Minute())
	}
}

// worldWritable reads a permission as HDFS logs it: symbolic, possibly
// after owner:group: ("hive:hdfs:rwxrwxrwx"), or octal ("777", "1777").
func worldWritable(perm string) bool {
	mode := perm[strings.LastIndexByte(perm, ':')+1:]
	switch {
	case len(mode) == 9 || len(mode) == 10: // rwxrwxrwx, or drwxrwxrwx
		mode = mode[len(mode)-9:]
		return mode[7] == 'w' && mode[8] != 't' && mode[8] != 'T'
	case len(mode) == 3 || len(mode) == 4:
		for _, c := range mode {
			if c < '0' || c > '7' {
				return false
			}
		}
		sticky := len(mode) == 4 && (mode[0]-'0')&1 != 0
		return (mode[len(mode)-1]-'0')&2 != 0 && !sticky
	}
	return false
}
