package gen

// HDFS NameNode audit log (hdfs-audit.log), rolled into a few files a day.

func init() {
	register(&source{name: "hdfs_audit", lines: 4000, per: 4.63, shape: &batch, weekend: 0.8,
		new: func(w *world) generator { return &hdfsGen{w: w} }})
}

type hdfsGen struct{ w *world }

var (
	hiveTables = []string{"sales.db/orders", "sales.db/customers", "sales.db/returns", "web.db/clicks", "web.db/sessions",
		"finance.db/ledger", "finance.db/invoices", "hr.db/employees", "marketing.db/campaigns", "ops.db/metrics"}
	rawFeeds = []string{"clickstream", "payments", "crm", "inventory", "vpcflow"}
)

func (g *hdfsGen) layout(d *day) {
	cuts := d.timeSplit(d.fileCount())
	for _, c := range cuts {
		gz, sfx := d.gz()
		b := append([]byte("hdfs-audit-nn1."), d.dt.ymd...)
		b = append(b, '-')
		b = app2(b, int(c/(3600*nsPerSec)))
		b = append(b, ".log"...)
		b = append(b, sfx...)
		d.newFile(string(b), gz)
	}
}

type hdfsOp struct {
	allowed  bool
	user     string
	via      string // proxy user (hue)
	ip       string
	cmd      string
	src, dst string
	perm     string
	webhdfs  bool
}

func (g *hdfsGen) activity(d *day, t int64) {
	r, w := d.r, g.w
	node := &w.hosts[w.hadoop[r.IntN(len(w.hadoop))]]
	op := hdfsOp{allowed: true, ip: node.ip}
	step := func() { t = d.clamp(t + int64(between(r, 1, 400))*int64(1e6)) }
	table := "/user/hive/warehouse/" + hiveTables[skewMild(r, len(hiveTables))]
	switch x := r.IntN(100); {
	case x < 45: // a query reads a table
		op.user = pick(r, []string{"hive", "impala", "spark", "hive"})
		if r.IntN(3) == 0 {
			op.user, op.via = w.user(r), "hue"
		}
		op.cmd, op.src = "getfileinfo", table
		g.write(d, t, &op)
		step()
		op.cmd = "listStatus"
		g.write(d, t, &op)
		for n := between(r, 1, 8); n > 0; n-- {
			step()
			op.cmd, op.src = "open", g.part(d, table)
			g.write(d, t, &op)
		}
	case x < 70: // ETL lands a partition
		op.user = pick(r, []string{"etl", "spark", "airflow"})
		feed := pick(r, rawFeeds)
		tmp := "/tmp/" + op.user + "/_temporary/" + string(appRandHex(nil, r, 8))
		op.cmd, op.src, op.perm = "mkdirs", tmp, op.user+":hdfs:rwxr-xr-x"
		g.write(d, t, &op)
		parts := between(r, 1, 5)
		for i := 0; i < parts; i++ {
			step()
			op.cmd, op.src, op.perm = "create", tmp+"/part-"+string(appPad(nil, int64(i), 5)), op.user+":hdfs:rw-r--r--"
			g.write(d, t, &op)
		}
		step()
		op.cmd, op.src, op.dst, op.perm = "rename", tmp, "/data/raw/"+feed+"/dt="+d.dt.ymd+"/batch-"+string(appRandHex(nil, r, 6)), ""
		g.write(d, t, &op)
		op.dst = ""
	case x < 80: // someone browses their home directory
		op.user = w.user(r)
		if r.IntN(2) == 0 {
			op.via = "hue"
		} else {
			op.webhdfs = r.IntN(3) == 0
		}
		home := "/user/" + op.user
		op.cmd, op.src = "listStatus", home
		g.write(d, t, &op)
		for n := r.IntN(3); n > 0; n-- {
			step()
			op.cmd, op.src = "getfileinfo", home+"/"+pick(r, []string{"notebooks", "exports", "tmp", ".Trash"})
			g.write(d, t, &op)
		}
		if r.IntN(12) == 0 { // and wanders where they may not
			step()
			op.allowed, op.cmd, op.src = false, "listStatus", "/user/hive/warehouse/"+pick(r, []string{"finance.db/ledger", "hr.db/employees"})
			g.write(d, t, &op)
		}
	case x < 88: // housekeeping deletes old temporary data
		op.user = pick(r, []string{"hdfs", "etl", "spark"})
		op.cmd, op.src = "delete", "/tmp/"+op.user+"/_temporary/"+string(appRandHex(nil, r, 8))
		g.write(d, t, &op)
		if r.IntN(3) == 0 {
			step()
			op.src = "/apps/spark/eventlogs/application_17637" + string(appPad(nil, int64(r.IntN(100000000)), 8)) + "_" + string(appPad(nil, int64(r.IntN(10000)), 4))
			g.write(d, t, &op)
		}
	case x < 91: // permissions
		op.user = "hdfs"
		op.cmd, op.src, op.perm = "setPermission", table, "hive:hdfs:rwxrwx---"
		g.write(d, t, &op)
	default: // services poll
		op.user = pick(r, []string{"yarn", "mapred", "oozie", "hdfs"})
		op.cmd = pick(r, []string{"getfileinfo", "listStatus"})
		op.src = pick(r, []string{"/tmp/logs", "/user/history/done_intermediate", "/app-logs", "/user/oozie/share/lib", "/"})
		g.write(d, t, &op)
	}
}

func (g *hdfsGen) part(d *day, table string) string {
	b := append([]byte(table), "/dt="...)
	b = append(b, d.dt.ymd...)
	b = append(b, "/part-"...)
	b = appPad(b, int64(d.r.IntN(200)), 5)
	b = append(b, '-')
	b = appRandHex(b, d.r, 8)
	b = append(b, ".snappy.parquet"...)
	return string(b)
}

func (g *hdfsGen) write(d *day, t int64, op *hdfsOp) {
	st := d.mark()
	b := append(d.arena, d.dt.ymd...)
	b = append(b, ' ')
	b = appHMS(b, int(t/nsPerSec))
	b = append(b, ',')
	b = app3(b, int(t/1e6%1000))
	b = append(b, " INFO FSNamesystem.audit: allowed="...)
	if op.allowed {
		b = append(b, "true"...)
	} else {
		b = append(b, "false"...)
	}
	b = append(b, "\tugi="...)
	b = append(b, op.user...)
	if op.via != "" {
		b = append(b, " (auth:PROXY) via "...)
		b = append(b, op.via...)
	}
	b = append(b, " (auth:SIMPLE)\tip=/"...)
	b = append(b, op.ip...)
	b = append(b, "\tcmd="...)
	b = append(b, op.cmd...)
	b = append(b, "\tsrc="...)
	b = append(b, op.src...)
	b = append(b, "\tdst="...)
	if op.dst == "" {
		b = append(b, "null"...)
	} else {
		b = append(b, op.dst...)
	}
	b = append(b, "\tperm="...)
	if op.perm == "" || !op.allowed {
		b = append(b, "null"...)
	} else {
		b = append(b, op.perm...)
	}
	if op.webhdfs {
		b = append(b, "\tproto=webhdfs"...)
	} else {
		b = append(b, "\tproto=rpc"...)
	}
	d.arena = b
	d.emit(d.fileAt(t), t, st)
}

func (g *hdfsGen) corrupt(d *day, kind int, line []byte) []byte {
	switch kind {
	case badTruncate: // cut inside the timestamp
		return line[:between(d.r, 5, 18)]
	case badNumber: // a letter in the hour
		return breakAt(line, 11)
	}
	return d.garbage()
}
