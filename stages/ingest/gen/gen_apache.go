package gen

// Apache combined log format, one file per web server of the public shop.

func init() {
	register(&source{name: "apache", lines: 3500, per: 2.66, shape: &webShape, weekend: 1.15,
		new: func(w *world) generator { return &apacheGen{w: w} }})
}

type apacheGen struct {
	w     *world
	hosts []int // file index -> web host
}

func (g *apacheGen) layout(d *day) {
	k := d.fileCount()
	for i := range k {
		gz, sfx := d.gz()
		name := g.w.hosts[g.w.web[i]].name
		d.newFile(name+"-access.log"+sfx, gz)
	}
}

type page struct {
	path, ctype string
	size        int
}

var (
	pages = []page{
		{"/", "html", 18230}, {"/index.html", "html", 18230}, {"/products", "html", 42113}, {"/products?page=2", "html", 40871},
		{"/products/shoes/trail-runner-2", "html", 25410}, {"/products/bags/city-tote", "html", 23877}, {"/cart", "html", 9120},
		{"/checkout", "html", 11840}, {"/account", "html", 8450}, {"/search?q=shoes", "html", 31002}, {"/search?q=rain+jacket", "html", 29450},
		{"/about", "html", 7020}, {"/contact", "html", 6200}, {"/blog/2026/11/winter-collection", "html", 21400},
	}
	assets = []page{
		{"/static/css/main.3f2a9c.css", "css", 48211}, {"/static/js/app.8d1e4b.js", "js", 212004}, {"/static/js/vendor.c0ffee.js", "js", 389120},
		{"/images/logo.svg", "img", 4210}, {"/images/hero-winter.jpg", "img", 284113}, {"/images/products/trail-runner-2.webp", "img", 61290},
		{"/images/products/city-tote.webp", "img", 55021}, {"/favicon.ico", "img", 1150}, {"/fonts/inter-var.woff2", "img", 98112},
	}
	apis = []page{
		{"/api/v1/products?limit=24", "json", 12890}, {"/api/v1/cart", "json", 812}, {"/api/v1/recommendations", "json", 4410},
		{"/api/v1/stock/trail-runner-2", "json", 96}, {"/api/v1/session", "json", 210},
	}
	probes = []string{"/wp-login.php", "/.env", "/phpmyadmin/index.php", "/admin/config.php", "/.git/config", "/cgi-bin/luci",
		"/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", "/boaform/admin/formLogin", "/actuator/env", "/server-status",
		"/HNAP1/", "/solr/admin/info/system", "/owa/auth/logon.aspx", "/wp-content/plugins/revslider/temp/update_extract/revslider/shell.php"}
	browserUAs = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.39 Mobile Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	}
	botUAs = []string{
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
		"Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
		"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
	}
	toolUAs  = []string{"curl/8.5.0", "python-requests/2.32.3", "Go-http-client/1.1", "Wget/1.21.4", "okhttp/4.12.0"}
	scanUAs  = []string{"Mozilla/5.0 zgrab/0.x", "masscan/1.3 (https://github.com/robertdavidgraham/masscan)", "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)", "-"}
	referers = []string{"https://www.google.com/", "https://www.bing.com/", "https://duckduckgo.com/", "https://www.instagram.com/", "https://t.co/xk2Lq9"}
)

const shopURL = "https://shop.example.com"

// load balancer nodes in the public subnets
var lbIPs = []string{"10.0.0.37", "10.0.0.142", "10.0.0.201"}

func (g *apacheGen) activity(d *day, t int64) {
	r, w := d.r, g.w
	fi := r.IntN(len(d.files))
	switch x := r.IntN(100); {
	case x < 4: // load balancer health check
		g.write(d, fi, t, pick(r, lbIPs), "-", "GET", "/healthz", 200, 2, "-", "ELB-HealthChecker/2.0")
	case x < 10: // a scanner probing
		ip := w.attacker[skew(r, len(w.attacker))]
		ua := pick(r, scanUAs)
		for n := between(r, 1, 4); n > 0; n-- {
			g.write(d, fi, t, ip, "-", "GET", pick(r, probes), 404, int64(between(r, 196, 320)), "-", ua)
			t = d.clamp(t + int64(between(r, 20, 900))*int64(1e6))
		}
	case x < 16: // bots and tools
		ip := w.clients[r.IntN(len(w.clients))]
		ua := pick(r, botUAs)
		if r.IntN(3) == 0 {
			ua = pick(r, toolUAs)
		}
		p := pick(r, pages)
		g.write(d, fi, t, ip, "-", "GET", p.path, 200, int64(p.size+r.IntN(400)), "-", ua)
		if r.IntN(4) == 0 {
			g.write(d, fi, d.clamp(t+int64(r.IntN(2000))*1e6), ip, "-", "GET", "/robots.txt", 200, 68, "-", ua)
		}
	default: // a visitor: a page, its assets, maybe an API call or a login
		var ip string
		if r.IntN(60) == 0 {
			ip = w.client6[r.IntN(len(w.client6))]
		} else {
			ip = w.clients[skew(r, len(w.clients))]
		}
		ua := browserUAs[skewMild(r, len(browserUAs))]
		user := "-"
		ref := "-"
		if r.IntN(3) == 0 {
			ref = pick(r, referers)
		}
		p := pages[skew(r, len(pages))]
		status := 200
		if r.IntN(200) == 0 {
			status = 500
		} else if r.IntN(60) == 0 {
			status = 404
		}
		g.write(d, fi, t, ip, user, "GET", p.path, status, int64(p.size+r.IntN(900)), ref, ua)
		ref = shopURL + p.path
		for n := r.IntN(4); n > 0; n-- {
			t = d.clamp(t + int64(between(r, 5, 400))*int64(1e6))
			a := pick(r, assets)
			if r.IntN(3) == 0 {
				g.write(d, fi, t, ip, user, "GET", a.path, 304, -1, ref, ua)
			} else {
				g.write(d, fi, t, ip, user, "GET", a.path, 200, int64(a.size), ref, ua)
			}
		}
		if r.IntN(4) == 0 {
			t = d.clamp(t + int64(between(r, 300, 20000))*int64(1e6))
			a := pick(r, apis)
			method := "GET"
			if a.path == "/api/v1/cart" && r.IntN(2) == 0 {
				method = "POST"
			}
			g.write(d, fi, t, ip, user, method, a.path, 200, int64(a.size+r.IntN(200)), ref, ua)
		}
		if r.IntN(12) == 0 {
			t = d.clamp(t + int64(between(r, 2000, 60000))*int64(1e6))
			status := 302
			if r.IntN(8) == 0 {
				status = 401
			}
			g.write(d, fi, t, ip, "-", "POST", "/login", status, int64(between(r, 0, 300)), shopURL+"/login", ua)
			if status == 302 && r.IntN(5) == 0 { // basic-auth back office
				t = d.clamp(t + int64(between(r, 500, 5000))*int64(1e6))
				g.write(d, fi, t, ip, w.user(r), "GET", "/admin/orders", 200, int64(between(r, 8000, 30000)), shopURL+"/account", ua)
			}
		}
	}
}

// write appends one combined-format line. size < 0 logs "-".
func (g *apacheGen) write(d *day, fi int, t int64, ip, user, method, path string, status int, size int64, ref, ua string) {
	st := d.mark()
	b := append(d.arena, ip...)
	b = append(b, " - "...)
	b = append(b, user...)
	b = append(b, " ["...)
	b = append(b, d.dt.clf...)
	b = append(b, ':')
	b = appHMS(b, int(t/nsPerSec))
	b = append(b, ` +0000] "`...)
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, ` HTTP/1.1" `...)
	b = appInt(b, int64(status))
	b = append(b, ' ')
	if size < 0 || status == 304 {
		b = append(b, '-')
	} else {
		b = appInt(b, size)
	}
	b = append(b, ` "`...)
	b = append(b, ref...)
	b = append(b, `" "`...)
	b = append(b, ua...)
	b = append(b, '"')
	d.arena = b
	d.emit(fi, t, st)
}

func (g *apacheGen) corrupt(d *day, kind int, line []byte) []byte {
	switch kind {
	case badTruncate:
		// cut inside the request line, before the status
		if i := after(line, `] "`); i > 0 {
			return line[:i+d.r.IntN(6)]
		}
	case badNumber:
		return breakAt(line, after(line, `" `)) // the status
	}
	return d.garbage()
}
