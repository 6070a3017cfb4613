package gen

import (
	"crypto/md5"
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"strings"
)

// world is the fictional company every source describes: its hosts, users,
// the sites they visit and the internet hosts that visit or attack it. It
// depends on the seed only, so all sources and days agree on it.
type world struct {
	account string // AWS account id
	vpc     string
	hosts   []host
	servers []int // indexes into hosts
	web     []int
	hadoop  []int
	works   []int

	users []string // human users
	svc   []string // service accounts

	sites    []site // popular internet destinations, most popular first
	odd      []site // random-looking domains (some do not resolve)
	clients  []string
	client6  []string
	attacker []string
	sensors  []sensor
	resolver string
	gateway  string
	flowLog  [2]string // VPC flow log ids (default format, custom v5)
}

const (
	kindServer = iota
	kindHadoop
	kindWork
)

type host struct {
	ip, ip6  string
	name     string
	fqdn     string
	user     string // primary user of a workstation
	kind     int
	eni      string
	instance string
	subnet   string
	az       string
}

type site struct {
	provider string
	domain   string
	ip       string
	ip6      string
	cname    string // CDN name when the domain is an alias
}

type sensor struct {
	name string
	ip   string
	uuid string
}

var firstNames = []string{
	"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
	"mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "wendy",
	"aisha", "bruno", "chen", "dmitri", "elena", "farid", "gita", "hiro", "ines", "jamal",
	"kenji", "lena", "mateo", "nora", "omar", "priya", "quinn", "rosa", "sanjay", "tomas",
	"uma", "vera", "wei", "ximena", "yusuf", "zoe", "amir", "beatriz", "cyrus", "daria",
}

var serviceUsers = []string{"hive", "hdfs", "spark", "yarn", "impala", "hue", "etl", "airflow", "mapred", "oozie"}

// popular internet destinations with the provider whose address space serves them.
var popular = []struct{ domain, provider, cname string }{
	{"www.google.com", "google", ""},
	{"fonts.googleapis.com", "google", ""},
	{"www.gstatic.com", "google", ""},
	{"login.microsoftonline.com", "microsoft", ""},
	{"outlook.office365.com", "microsoft", ""},
	{"s3.amazonaws.com", "amazon", ""},
	{"github.com", "github", ""},
	{"api.github.com", "github", ""},
	{"slack.com", "amazon", ""},
	{"www.youtube.com", "google", "youtube-ui.l.google.com"},
	{"i.ytimg.com", "google", ""},
	{"graph.microsoft.com", "microsoft", ""},
	{"teams.microsoft.com", "microsoft", ""},
	{"www.microsoft.com", "akamai", "www.microsoft.com-c-3.edgekey.net"},
	{"sts.amazonaws.com", "amazon", ""},
	{"ec2.us-east-1.amazonaws.com", "amazon", ""},
	{"registry.npmjs.org", "cloudflare", ""},
	{"pypi.org", "fastly", ""},
	{"files.pythonhosted.org", "fastly", ""},
	{"proxy.golang.org", "google", ""},
	{"objects.githubusercontent.com", "fastly", ""},
	{"zoom.us", "amazon", ""},
	{"www.linkedin.com", "microsoft", ""},
	{"cdn.jsdelivr.net", "fastly", ""},
	{"cdnjs.cloudflare.com", "cloudflare", ""},
	{"ocsp.digicert.com", "akamai", ""},
	{"ocsp.pki.goog", "google", ""},
	{"api.datadoghq.com", "amazon", ""},
	{"browser-intake-datadoghq.com", "google", ""},
	{"sentry.io", "google", ""},
	{"api.stripe.com", "amazon", ""},
	{"hooks.slack.com", "amazon", ""},
	{"registry-1.docker.io", "amazon", ""},
	{"auth.docker.io", "amazon", ""},
	{"dl.google.com", "google", ""},
	{"archive.ubuntu.com", "other", ""},
	{"security.ubuntu.com", "other", ""},
	{"en.wikipedia.org", "other", "dyna.wikimedia.org"},
	{"www.apple.com", "akamai", "www.apple.com.edgekey.net"},
	{"www.facebook.com", "facebook", "star-mini.c10r.facebook.com"},
	{"static.xx.fbcdn.net", "facebook", ""},
	{"stackoverflow.com", "cloudflare", ""},
	{"www.reddit.com", "fastly", "reddit.map.fastly.net"},
	{"news.ycombinator.com", "other", ""},
	{"www.nytimes.com", "fastly", "nytimes.map.fastly.net"},
	{"www.bbc.co.uk", "other", ""},
	{"login.salesforce.com", "other", ""},
	{"www.dropbox.com", "other", ""},
	{"www.netflix.com", "amazon", ""},
	{"www.cloudflare.com", "cloudflare", ""},
	{"d1.awsstatic.com", "amazon", "d1.awsstatic.com.cdn.cloudfront.net"},
	{"update.googleapis.com", "google", ""},
	{"settings-win.data.microsoft.com", "microsoft", ""},
	{"ctldl.windowsupdate.com", "akamai", ""},
	{"www.example.com", "other", ""},
	{"api.openai.com", "cloudflare", ""},
	{"copilot-proxy.githubusercontent.com", "microsoft", ""},
	{"www.atlassian.com", "amazon", ""},
	{"acme.atlassian.net", "amazon", ""},
	{"www.salesforce.com", "akamai", ""},
}

// 16-bit prefixes (a.b) of each provider's address space.
var providerNets = map[string][][2]int{
	"google":     {{142, 250}, {142, 251}, {172, 217}, {216, 58}, {172, 253}},
	"amazon":     {{52, 1}, {52, 20}, {54, 239}, {3, 5}, {18, 205}, {52, 216}},
	"microsoft":  {{20, 190}, {13, 107}, {40, 126}, {52, 113}, {20, 42}},
	"akamai":     {{23, 45}, {23, 215}, {2, 16}, {104, 90}},
	"fastly":     {{151, 101}, {199, 232}},
	"cloudflare": {{104, 16}, {104, 18}, {172, 67}, {104, 21}},
	"facebook":   {{157, 240}, {31, 13}},
	"github":     {{140, 82}},
	"other":      {{93, 184}, {91, 189}, {185, 125}, {151, 139}, {198, 41}},
}

var provider6 = map[string]string{
	"google":     "2607:f8b0:4004:c1b::",
	"amazon":     "2600:9000:2345::",
	"microsoft":  "2603:1036:303::",
	"akamai":     "2600:1408:ec00::",
	"fastly":     "2a04:4e42::",
	"cloudflare": "2606:4700::",
	"facebook":   "2a03:2880:f12f:83:face:b00c:0:",
	"github":     "",
	"other":      "",
}

var oddTLDs = []string{"info", "xyz", "top", "biz", "ru", "cc", "net", "click"}

var sensorNames = []string{"hp-fra-1", "hp-nyc-1", "hp-sgp-1", "hp-sao-1"}

func newWorld(seed int64) *world {
	r := rand.New(rand.NewPCG(seedFor(seed, "world", 0)))
	w := &world{
		account:  strconv.FormatInt(100000000000+int64(r.IntN(900000000000)), 10),
		resolver: "10.0.0.2",
		gateway:  "10.0.0.1",
	}
	w.vpc = "vpc-" + string(appRandHex(nil, r, 17))
	w.flowLog = [2]string{"fl-" + string(appRandHex(nil, r, 17)), "fl-" + string(appRandHex(nil, r, 17))}
	w.users = append(w.users, firstNames...)
	w.svc = serviceUsers
	azs := []string{"use1-az1", "use1-az2", "use1-az4"}
	subnets := map[int]string{}
	subnetOf := func(c int) string {
		if s, ok := subnets[c]; ok {
			return s
		}
		s := "subnet-" + string(appRandHex(nil, r, 17))
		subnets[c] = s
		return s
	}
	add := func(kind int, name string, c, d int, user string) {
		h := host{
			ip:       ipString(ipv4(10, 0, c, d)),
			name:     name,
			fqdn:     name + ".corp.example.com",
			user:     user,
			kind:     kind,
			eni:      "eni-" + string(appRandHex(nil, r, 17)),
			instance: "i-" + string(appRandHex(nil, r, 17)),
			subnet:   subnetOf(c),
			az:       azs[c%len(azs)],
		}
		if kind == kindServer && r.IntN(4) == 0 {
			h.ip6 = "2600:1f18:4a3:6b" + string(app2(nil, c%100)) + ":" + string(appRandHex(nil, r, 4)) + ":" + string(appRandHex(nil, r, 4)) + ":" + string(appRandHex(nil, r, 4)) + ":" + string(appRandHex(nil, r, 4))
		}
		w.hosts = append(w.hosts, h)
		i := len(w.hosts) - 1
		switch kind {
		case kindServer:
			w.servers = append(w.servers, i)
			if strings.HasPrefix(name, "web-") {
				w.web = append(w.web, i)
			}
		case kindHadoop:
			w.hadoop = append(w.hadoop, i)
		default:
			w.works = append(w.works, i)
		}
	}
	servers := []string{"web-1", "web-2", "web-3", "web-4", "app-1", "app-2", "app-3", "app-4", "app-5", "app-6",
		"db-1", "db-2", "db-3", "cache-1", "cache-2", "kafka-1", "kafka-2", "kafka-3", "bastion-1", "proxy-1", "proxy-2",
		"ci-1", "ci-2", "git-1", "vault-1", "ldap-1", "ldap-2", "mail-1", "mon-1", "log-1", "billing-1", "billing-2",
		"auth-1", "auth-2", "orders-1", "orders-2", "search-1", "search-2", "files-1", "vpn-1"}
	for i, n := range servers {
		add(kindServer, n, 1+i/20, 10+i%20*5, "")
	}
	hadoop := []string{"nn1", "nn2", "rm1", "hive-1", "impala-1", "hue-1", "edge-1", "edge-2"}
	for i := 1; i <= 24; i++ {
		hadoop = append(hadoop, "dn"+string(app2(nil, i)))
	}
	for i, n := range hadoop {
		add(kindHadoop, n, 4, 10+i, "")
	}
	for i := 0; i < 260; i++ {
		u := w.users[r.IntN(len(w.users))]
		add(kindWork, "ws-"+string(appPad(nil, int64(i+1), 4)), 8+i/64, 20+i%64*3, u)
	}

	for _, p := range popular {
		nets := providerNets[p.provider]
		n := nets[r.IntN(len(nets))]
		s := site{provider: p.provider, domain: p.domain, cname: p.cname, ip: ipString(ipv4(n[0], n[1], r.IntN(256), 1+r.IntN(254)))}
		if pre := provider6[p.provider]; pre != "" {
			s.ip6 = pre + strconv.FormatUint(uint64(r.IntN(0xffff)), 16)
		}
		w.sites = append(w.sites, s)
	}
	for i := 0; i < 40; i++ {
		var b []byte
		for n := between(r, 9, 17); n > 0; n-- {
			if r.IntN(5) == 0 {
				b = append(b, digits[r.IntN(10)])
			} else {
				b = append(b, byte('a'+r.IntN(26)))
			}
		}
		s := site{domain: string(b) + "." + pick(r, oddTLDs)}
		if r.IntN(3) > 0 { // the rest does not resolve (NXDOMAIN)
			s.ip = ipString(publicIP(r))
		}
		w.odd = append(w.odd, s)
	}
	for i := 0; i < 3000; i++ {
		w.clients = append(w.clients, ipString(publicIP(r)))
	}
	for i := 0; i < 40; i++ {
		w.client6 = append(w.client6, pick(r, []string{"2a02:8108:", "2600:1700:", "2001:4860:", "2a01:e0a:", "2406:da18:"})+
			strconv.FormatUint(uint64(r.IntN(0xffff)), 16)+":"+strconv.FormatUint(uint64(r.IntN(0xffff)), 16)+"::"+
			strconv.FormatUint(uint64(1+r.IntN(0xfffe)), 16))
	}
	// Attackers cluster in a few hosting ranges, plus a long tail.
	hosting := [][2]int{{45, 148}, {185, 220}, {193, 32}, {61, 177}, {218, 92}, {222, 186}, {103, 145}, {141, 98}, {194, 26}, {116, 110}}
	for i := 0; i < 1500; i++ {
		if i%3 == 0 {
			n := hosting[r.IntN(len(hosting))]
			w.attacker = append(w.attacker, ipString(ipv4(n[0], n[1], r.IntN(256), 1+r.IntN(254))))
		} else {
			w.attacker = append(w.attacker, ipString(publicIP(r)))
		}
	}
	for i, n := range sensorNames {
		u := appRandHex(nil, r, 8)
		u = append(u, '-')
		u = appRandHex(u, r, 4)
		u = append(u, "-11f1-"...)
		u = appRandHex(u, r, 4)
		u = append(u, '-')
		u = appRandHex(u, r, 12)
		w.sensors = append(w.sensors, sensor{name: n, ip: ipString(ipv4(10, 0, 200, 11+i)), uuid: string(u)})
	}
	return w
}

// publicIP returns a random routable IPv4 address (no private, reserved,
// documentation or multicast ranges).
func publicIP(r *rand.Rand) uint32 {
	for {
		ip := r.Uint32()
		a, b := ip>>24, ip>>16&255
		switch {
		case a == 0 || a == 10 || a == 127 || a >= 224:
		case a == 100 && b >= 64 && b < 128:
		case a == 169 && b == 254:
		case a == 172 && b >= 16 && b < 32:
		case a == 192 && (b == 168 || b == 0):
		case a == 198 && (b == 18 || b == 19 || b == 51):
		case a == 203 && b == 0:
		default:
			if ip&255 != 0 && ip&255 != 255 {
				return ip
			}
		}
	}
}

// work returns a random workstation, server or hadoop host by weight.
func (w *world) anyHost(r *rand.Rand) *host {
	switch x := r.IntN(10); {
	case x < 6:
		return &w.hosts[w.works[r.IntN(len(w.works))]]
	case x < 9:
		return &w.hosts[w.servers[r.IntN(len(w.servers))]]
	default:
		return &w.hosts[w.hadoop[r.IntN(len(w.hadoop))]]
	}
}

func (w *world) workstation(r *rand.Rand) *host {
	return &w.hosts[w.works[skewMild(r, len(w.works))]]
}

func (w *world) server(r *rand.Rand) *host { return &w.hosts[w.servers[r.IntN(len(w.servers))]] }

func (w *world) hostNamed(name string) *host {
	for i := range w.hosts {
		if w.hosts[i].name == name {
			return &w.hosts[i]
		}
	}
	panic("gen: no host " + name)
}

func (w *world) site(r *rand.Rand) *site { return &w.sites[skew(r, len(w.sites))] }

func (w *world) user(r *rand.Rand) string { return w.users[skewMild(r, len(w.users))] }

// skewMild biases towards 0 less than skew does.
func skewMild(r *rand.Rand, n int) int {
	u := r.Float64()
	return int(u * u * float64(n))
}

// md5hex returns the hex MD5 of s (cowrie's hassh is the MD5 of its algorithm list).
func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}
