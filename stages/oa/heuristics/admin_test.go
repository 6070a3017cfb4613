package heuristics

import (
	"testing"
	"time"

	"github.com/spotlake/spotlake/stages/detect/words"
)

func TestAdminCommands(t *testing.T) {
	night := time.Date(2026, 11, 21, 22, 10, 0, 0, time.UTC)
	noon := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		row  words.Row
		sev  string // "" = no finding
	}{
		{"drop purge at night", words.Row{Format: "navigator", UserName: "quinn", Time: night, Message: "DROP TABLE finance.ledger PURGE"}, SeverityHigh},
		{"drop at noon", words.Row{Format: "navigator", UserName: "quinn", Time: noon, Message: "drop table sales.orders"}, SeverityMedium},
		{"drop of a temp table", words.Row{Format: "navigator", UserName: "etl", Time: night, Message: "DROP TABLE IF EXISTS sales.orders_tmp"}, ""},
		{"select", words.Row{Format: "navigator", UserName: "ana", Time: night, Message: "SELECT * FROM sales.orders"}, ""},
		{"table folder deleted", words.Row{Format: "hdfs_audit", UserName: "hive", Time: noon, EventType: "delete", Action: "allowed", FilePath: "/user/hive/warehouse/finance.db/ledger"}, SeverityMedium},
		{"partition deleted", words.Row{Format: "hdfs_audit", UserName: "etl", Time: noon, EventType: "delete", Action: "allowed", FilePath: "/user/hive/warehouse/finance.db/ledger/dt=2026-11-20"}, ""},
		{"denied delete", words.Row{Format: "hdfs_audit", UserName: "eve", Time: noon, EventType: "delete", Action: "denied", FilePath: "/user/hive/warehouse/finance.db/ledger"}, ""},
		{"second root", words.Row{Format: "syslog", App: "sudo", DvcHost: "db-1", Time: noon, Message: "bob : TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/sbin/useradd -o -u 0 -g 0 x"}, SeverityHigh},
		{"auditd stopped", words.Row{Format: "syslog", App: "sudo", DvcHost: "db-1", Time: noon, Message: "bob : TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/systemctl stop auditd"}, SeverityHigh},
		{"reading shadow is routine here", words.Row{Format: "syslog", App: "sudo", DvcHost: "db-1", Time: noon, Message: "bob : TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/cat /etc/shadow"}, ""},
		{"not sudo", words.Row{Format: "syslog", App: "bash", DvcHost: "db-1", Time: noon, Message: "COMMAND=iptables -F"}, ""},
		{"world-writable table at night", words.Row{Format: "navigator", UserName: "lena", Time: night, EventType: "setPermission", Action: "allowed", FilePath: "/user/hive/warehouse/sales.db/orders", Perm: "rwxrwxrwx"}, SeverityHigh},
		{"world-writable, hdfs audit, octal", words.Row{Format: "hdfs_audit", UserName: "bob", Time: noon, EventType: "setPermission", Action: "allowed", FilePath: "/data/raw/crm", Perm: "bob:hdfs:0777"}, SeverityMedium},
		{"group-writable is routine", words.Row{Format: "hdfs_audit", UserName: "hive", Time: night, EventType: "setPermission", Action: "allowed", FilePath: "/user/hive/warehouse/finance.db/ledger", Perm: "hive:hdfs:rwxrwx---"}, ""},
		{"sticky shared folder", words.Row{Format: "hdfs_audit", UserName: "hdfs", Time: noon, EventType: "setPermission", Action: "allowed", FilePath: "/apps/shared", Perm: "hdfs:hdfs:rwxrwxrwt"}, ""},
		{"sticky octal", words.Row{Format: "hdfs_audit", UserName: "hdfs", Time: noon, EventType: "setPermission", Action: "allowed", FilePath: "/apps/shared", Perm: "1777"}, ""},
		{"under /tmp", words.Row{Format: "hdfs_audit", UserName: "etl", Time: noon, EventType: "setPermission", Action: "allowed", FilePath: "/tmp/hive/etl", Perm: "etl:hdfs:rwxrwxrwx"}, ""},
		{"denied setPermission", words.Row{Format: "hdfs_audit", UserName: "eve", Time: noon, EventType: "setPermission", Action: "denied", FilePath: "/data/raw/crm", Perm: "eve:hdfs:rwxrwxrwx"}, ""},
		{"no permission read", words.Row{Format: "navigator", UserName: "lena", Time: night, EventType: "setPermission", Action: "allowed", FilePath: "/user/hive/warehouse/sales.db/orders"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.row.EventID = "e1"
			s := New(Defaults())
			s.Observe(&c.row)
			s.Observe(&c.row) // twice: one finding
			var got []Finding
			for _, f := range s.Findings() {
				if f.Kind == KindAdminCommand {
					got = append(got, f)
				}
			}
			switch {
			case c.sev == "" && len(got) > 0:
				t.Errorf("unexpected finding: %+v", got)
			case c.sev != "" && (len(got) != 1 || got[0].Severity != c.sev || got[0].Reason == ""):
				t.Errorf("want one %s finding, got %+v", c.sev, got)
			}
		})
	}
}
