package gen

import "strings"

// Cloudera Navigator audit events exported as JSON lines: HDFS, HIVE and
// IMPALA service events.

func init() {
	register(&source{name: "navigator", lines: 2000, per: 1.32, shape: &batch, weekend: 0.7,
		new: func(w *world) generator { return &navGen{w: w, hiveIP: w.hostNamed("hive-1").ip} }})
}

type navGen struct {
	w      *world
	hiveIP string
}

func (g *navGen) layout(d *day) {
	cuts := d.timeSplit(d.fileCount())
	for _, c := range cuts {
		gz, sfx := d.gz()
		b := append([]byte("navigator-audit-"), d.dt.compact...)
		b = append(b, 'T')
		b = app2(b, int(c/(3600*nsPerSec)))
		b = append(b, "00.json"...)
		b = append(b, sfx...)
		d.newFile(string(b), gz)
	}
}

var (
	hiveQueries = []string{
		"SELECT * FROM %s LIMIT 100",
		"SELECT customer_id, sum(amount) FROM %s WHERE dt = '2026-11-20' GROUP BY customer_id",
		"SELECT count(*) FROM %s",
		"INSERT OVERWRITE TABLE %s PARTITION (dt) SELECT * FROM staging_import",
		"SELECT o.id, c.email FROM %s o JOIN sales.customers c ON o.customer_id = c.id WHERE o.status = 'open'",
	}
	hdfsNavOps = []string{"open", "open", "getfileinfo", "listStatus", "create", "mkdirs", "rename", "delete", "setPermission", "setOwner"}
)

func (g *navGen) activity(d *day, t int64) {
	r, w := d.r, g.w
	client := w.workstation(r)
	user := client.user
	tbl := hiveTables[skewMild(r, len(hiveTables))]
	db, table, _ := strings.Cut(tbl, "/")
	db = strings.TrimSuffix(db, ".db")
	switch x := r.IntN(100); {
	case x < 30: // a Hive query through HiveServer2 (impersonating the user)
		op, text, obj := "QUERY", strings.Replace(pick(r, hiveQueries), "%s", db+"."+table, 1), "TABLE"
		switch y := r.IntN(40); {
		case y == 0:
			op, text = "CREATETABLE", "CREATE TABLE "+db+"."+table+"_tmp AS SELECT * FROM "+db+"."+table
		case y == 1:
			op, text = "DROPTABLE", "DROP TABLE IF EXISTS "+db+"."+table+"_tmp"
		case y == 2:
			op, text = "ALTERTABLE_ADDCOLS", "ALTER TABLE "+db+"."+table+" ADD COLUMNS (note string)"
		case y < 6:
			op, text, obj = "SWITCHDATABASE", "USE "+db, "DATABASE"
		}
		allowed := !(strings.HasPrefix(db, "hr") || strings.HasPrefix(db, "finance")) || r.IntN(5) > 0
		g.hive(d, t, "HIVE", "HIVE-1", user, "hive", client.ip, op, text, db, table, obj, allowed)
		if op == "QUERY" && allowed {
			t = d.clamp(t + int64(between(r, 200, 3000))*int64(1e6))
			g.hdfs(d, t, "hive", "", g.hiveIP, "open", "/user/hive/warehouse/"+tbl+"/000000_0", "", "", true)
		}
	case x < 45: // an Impala query
		text := strings.Replace(pick(r, hiveQueries), "%s", db+"."+table, 1)
		g.hive(d, t, "IMPALA", "IMPALA-1", user, "", client.ip, "QUERY", text, db, table, "TABLE", true)
	default: // HDFS operations by services and users
		node := &w.hosts[w.hadoop[r.IntN(len(w.hadoop))]]
		u := pick(r, w.svc)
		op := hdfsNavOps[skewMild(r, len(hdfsNavOps))]
		src := "/user/hive/warehouse/" + tbl
		dst, perms := "", ""
		switch op {
		case "create", "mkdirs":
			src = "/tmp/" + u + "/staging/" + string(appRandHex(nil, r, 8))
			perms = "rw-r--r--"
		case "rename":
			src = "/tmp/" + u + "/staging/" + string(appRandHex(nil, r, 8))
			dst = "/user/hive/warehouse/" + tbl + "/dt=" + d.dt.ymd
		case "delete":
			src = "/tmp/" + u + "/staging/" + string(appRandHex(nil, r, 8))
		case "setPermission":
			u, perms = "hdfs", pick(r, []string{"rwxrwxrwt", "rwxr-x---", "rwxrwx---"})
		case "setOwner":
			u = "hdfs"
		}
		imp := ""
		if r.IntN(8) == 0 {
			imp = u
			u = w.user(r)
		}
		g.hdfs(d, t, u, imp, node.ip, op, src, dst, perms, r.IntN(150) > 0)
		if op == "rename" || op == "create" {
			t = d.clamp(t + int64(between(r, 5, 500))*int64(1e6))
			g.hdfs(d, t, u, imp, node.ip, "getfileinfo", src, "", "", true)
		}
	}
}

func (g *navGen) common(b []byte, d *day, t int64, typ, service, user, imp, ip string, allowed bool) []byte {
	b = append(b, `{"type":"`...)
	b = append(b, typ...)
	if allowed {
		b = append(b, `","allowed":"true","time":"`...)
	} else {
		b = append(b, `","allowed":"false","time":"`...)
	}
	b = d.dt.appEpochMillis(b, t)
	b = append(b, `","service":"`...)
	b = append(b, service...)
	b = append(b, `","user":"`...)
	b = append(b, user...)
	b = append(b, `","impersonator":"`...)
	b = append(b, imp...)
	b = append(b, `","ip":"/`...)
	b = append(b, ip...)
	return append(b, '"')
}

func (g *navGen) hdfs(d *day, t int64, user, imp, ip, op, src, dst, perms string, allowed bool) {
	st := d.mark()
	b := g.common(d.arena, d, t, "HDFS", "HDFS-1", user, imp, ip, allowed)
	b = append(b, `,"op":"`...)
	b = append(b, op...)
	b = append(b, `","src":`...)
	b = appJSONStr(b, src)
	b = append(b, `,"dst":`...)
	if dst == "" {
		b = append(b, "null"...)
	} else {
		b = appJSONStr(b, dst)
	}
	b = append(b, `,"perms":`...)
	if perms == "" {
		b = append(b, "null"...)
	} else {
		b = appJSONStr(b, perms)
	}
	b = append(b, `,"delegationTokenId":null}`...)
	d.arena = b
	d.emit(d.fileAt(t), t, st)
}

func (g *navGen) hive(d *day, t int64, typ, service, user, imp, ip, op, text, db, table, obj string, allowed bool) {
	st := d.mark()
	b := g.common(d.arena, d, t, typ, service, user, imp, ip, allowed)
	b = append(b, `,"op":"`...)
	b = append(b, op...)
	b = append(b, `","opText":`...)
	b = appJSONStr(b, text)
	if typ == "IMPALA" {
		b = append(b, `,"status":"","queryId":"`...)
		b = appRandHex(b, d.r, 16)
		b = append(b, ':')
		b = appRandHex(b, d.r, 16)
		b = append(b, '"')
	}
	b = append(b, `,"db":`...)
	b = appJSONStr(b, db)
	if obj == "DATABASE" {
		b = append(b, `,"table":null`...)
	} else {
		b = append(b, `,"table":`...)
		b = appJSONStr(b, table)
	}
	b = append(b, `,"path":null,"objType":"`...)
	b = append(b, obj...)
	b = append(b, `"}`...)
	d.arena = b
	d.emit(d.fileAt(t), t, st)
}

func (g *navGen) corrupt(d *day, kind int, line []byte) []byte {
	switch kind {
	case badTruncate:
		return d.truncate(line, 10, 0.6)
	case badNumber:
		return breakAt(line, after(line, `"time":"`)+3)
	}
	return d.garbage()
}
