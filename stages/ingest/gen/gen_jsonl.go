package gen

// Generic application audit events as JSON lines, one file per application.
// No malformed lines: the demo shows jsonl as the clean source.

func init() {
	register(&source{name: "jsonl", lines: 2000, per: 3.07, shape: &office, weekend: 0.4, noBad: true,
		new: func(w *world) generator { return &jsonlGen{w: w} }})
}

type jsonlGen struct{ w *world }

var jsonApps = []struct{ name, file string }{
	{"billing", "billing-audit.jsonl"},
	{"auth", "auth-audit.ndjson"},
	{"orders", "orders-audit.json"},
	{"admin-portal", "admin-portal-audit.jsonl"},
}

func (g *jsonlGen) layout(d *day) {
	for i := range d.fileCount() {
		gz, sfx := d.gz()
		d.newFile(jsonApps[i].file+sfx, gz)
	}
}

var jsonActions = []struct{ level, typ, msg, resource string }{
	{"info", "view", "viewed record", "invoice"},
	{"info", "view", "viewed record", "customer"},
	{"info", "search", "search", "customer"},
	{"info", "update", "record updated", "invoice"},
	{"info", "export", "export started", "report"},
	{"warn", "delete", "record deleted", "invoice"},
	{"info", "api_call", "api key used", "api"},
	{"warn", "permission_change", "role granted", "role"},
}

type jsonEvent struct {
	level, typ, msg, resource string
	status                    int
}

func (g *jsonlGen) activity(d *day, t int64) {
	r, w := d.r, g.w
	fi := r.IntN(len(d.files))
	app := jsonApps[fi].name
	ws := w.workstation(r)
	user := ws.user
	ip := ws.ip
	if r.IntN(10) == 0 { // remote, through the VPN
		ip = w.clients[r.IntN(len(w.clients))]
	}
	var sid [10]byte
	appRandHex(sid[:0], r, 10)
	mfa := r.IntN(10) > 0
	step := func() { t = d.clamp(t + int64(between(r, 300, 120000))*1e6) }
	if r.IntN(12) == 0 {
		g.write(d, fi, t, user, ip, app, sid[:], mfa, jsonEvent{"warn", "login_failed", "invalid password", "", 401})
		step()
	}
	g.write(d, fi, t, user, ip, app, sid[:], mfa, jsonEvent{"info", "login", "login ok", "", 200})
	for n := r.IntN(4); n > 0; n-- {
		step()
		a := jsonActions[skewMild(r, len(jsonActions))]
		g.write(d, fi, t, user, ip, app, sid[:], mfa, jsonEvent{a.level, a.typ, a.msg, a.resource, 200})
	}
	if r.IntN(2) == 0 {
		step()
		g.write(d, fi, t, user, ip, app, sid[:], mfa, jsonEvent{"info", "logout", "logout", "", 200})
	}
}

func (g *jsonlGen) write(d *day, fi int, t int64, user, ip, app string, sid []byte, mfa bool, e jsonEvent) {
	st := d.mark()
	b := append(d.arena, `{"time":"`...)
	b = d.dt.appISO(b, t, 3)
	b = append(b, `","level":"`...)
	b = append(b, e.level...)
	b = append(b, `","user":`...)
	b = appJSONStr(b, user)
	b = append(b, `,"event_type":"`...)
	b = append(b, e.typ...)
	b = append(b, `","src_ip":"`...)
	b = append(b, ip...)
	b = append(b, `","app":"`...)
	b = append(b, app...)
	b = append(b, `","msg":`...)
	b = appJSONStr(b, e.msg)
	if e.resource != "" {
		b = append(b, `,"resource":{"type":"`...)
		b = append(b, e.resource...)
		b = append(b, `","id":"`...)
		b = appRandHex(b, d.r, 8)
		b = append(b, `"}`...)
	}
	b = append(b, `,"status":`...)
	b = appInt(b, int64(e.status))
	b = append(b, `,"session":{"id":"s-`...)
	b = append(b, sid...)
	if mfa {
		b = append(b, `","mfa":true}}`...)
	} else {
		b = append(b, `","mfa":false}}`...)
	}
	d.arena = b
	d.emit(fi, t, st)
}

func (g *jsonlGen) corrupt(d *day, kind int, line []byte) []byte { return d.garbage() }
