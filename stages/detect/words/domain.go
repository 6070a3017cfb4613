package words

import (
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Domain classes: the first part of DNS and web words.
const (
	classOther   = 0 // any other name, an IP address, no name
	classPopular = 1 // registrable domain on the popular list
	classAllowed = 2 // name under one of Options.AllowDomains
)

// normName prepares a DNS name or host for classification: trailing dots
// dropped, ASCII upper case lowered (no allocation when there is none).
func normName(name string) string {
	for len(name) > 0 && name[len(name)-1] == '.' {
		name = name[:len(name)-1]
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; 'A' <= c && c <= 'Z' || c >= 0x80 {
			return strings.ToLower(name)
		}
	}
	return name
}

// isIPLiteral reports whether a (normalized) name is an IP address rather
// than a domain name: IPv6 (it has a ':') or a last label of digits only (no
// top-level domain is numeric), which covers IPv4.
func isIPLiteral(name string) bool {
	if strings.IndexByte(name, ':') >= 0 {
		return true
	}
	last := name[strings.LastIndexByte(name, '.')+1:]
	if last == "" {
		return false
	}
	for i := 0; i < len(last); i++ {
		if !isDigit(last[i]) {
			return false
		}
	}
	return true
}

// icannSuffix is the public suffix of name under the ICANN section of the
// Public Suffix List only. The private section (s3.amazonaws.com,
// github.io, akamaiedge.net, blogspot.co.uk …) is set aside on purpose: it
// would make every customer of a hosting service a registrable domain of its
// own, and a subdomain of a popular service (a bucket, a CDN edge) would
// lose both its popularity and its subdomain. An unlisted top-level label
// ("corp.local") is its own suffix, as the PSL's default rule says.
func icannSuffix(name string) string {
	// Fast path: the ICANN section has no rules below com, net and org
	// (us.com, za.net, eu.org … are all private), so their suffix is the
	// top-level label; TestICANNFastPath checks it against the list.
	switch name[strings.LastIndexByte(name, '.')+1:] {
	case "com":
		return "com"
	case "net":
		return "net"
	case "org":
		return "org"
	}
	return icannSuffixPSL(name)
}

// icannSuffixPSL is icannSuffix by the Public Suffix List alone.
func icannSuffixPSL(name string) string {
	x := name
	for {
		s, icann := publicsuffix.PublicSuffix(x)
		if icann || strings.IndexByte(s, '.') < 0 {
			return s
		}
		if len(s) < len(x) {
			x = s // ask again for the private suffix alone
			continue
		}
		x = x[strings.IndexByte(x, '.')+1:] // x is a private suffix: drop its first label
	}
}

// splitDomain splits a normalized DNS name into its registrable domain (one
// label more than the ICANN public suffix) and the subdomain in front of it:
// "a.b.example.co.uk" → ("example.co.uk", "a.b"). A name that is itself a
// public suffix, a single label or an IP address has no registrable domain:
// ("", "").
func splitDomain(name string) (reg, sub string) {
	if name == "" || isIPLiteral(name) {
		return "", ""
	}
	suf := icannSuffix(name)
	i := len(name) - len(suf) - 1 // the dot before the suffix
	if i <= 0 || name[i] != '.' {
		return "", ""
	}
	start := strings.LastIndexByte(name[:i], '.') + 1
	if start == i { // empty label before the suffix ("a..com")
		return "", ""
	}
	reg = name[start:]
	if start > 0 {
		sub = name[:start-1]
	}
	return reg, sub
}

// domainClass classifies a normalized name whose registrable domain is reg:
// 2 allow-listed, 1 popular, 0 other (IP addresses and empty names are 0).
func (s *Stats) domainClass(name, reg string) int64 {
	if name == "" || isIPLiteral(name) {
		return classOther
	}
	if s.allow.Contains(name) {
		return classAllowed
	}
	if reg != "" {
		if _, ok := s.popular[reg]; ok {
			return classPopular
		}
	}
	return classOther
}

// hostOf is the host of an HTTP request: host, else the authority of an
// absolute URL, else the authority of a CONNECT target ("host:443"); port,
// user info and IPv6 brackets removed, normalized. "" when there is none.
func hostOf(host, url, method string) string {
	if !present(host) {
		host = ""
		if i := strings.Index(url, "://"); i >= 0 {
			host = url[i+3:]
		} else if method == "CONNECT" {
			host = url
		}
		if j := strings.IndexAny(host, "/?#"); j >= 0 {
			host = host[:j]
		}
		if j := strings.LastIndexByte(host, '@'); j >= 0 {
			host = host[j+1:]
		}
	}
	if strings.HasPrefix(host, "[") {
		if j := strings.IndexByte(host, ']'); j >= 0 {
			host = host[1:j]
		}
	} else if j := strings.IndexByte(host, ':'); j >= 0 && strings.IndexByte(host[j+1:], ':') < 0 {
		host = host[:j] // host:port; two or more colons is a bare IPv6 address
	}
	return normName(host)
}
