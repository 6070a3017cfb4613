package gen

import (
	"net/netip"
	"testing"
)

// The fictional company's addresses must be valid and its hosts distinct, or
// the demo's joins across sources (DNS answer = flow destination) go wrong.
func TestWorld(t *testing.T) {
	w := newWorld(1)
	seen := map[string]string{}
	for _, h := range w.hosts {
		if o, ok := seen[h.ip]; ok {
			t.Errorf("%s and %s share %s", o, h.name, h.ip)
		}
		seen[h.ip] = h.name
		for _, ip := range []string{h.ip, h.ip6} {
			if a, err := netip.ParseAddr(ip); ip != "" && (err != nil || (a.Is4() && !a.IsPrivate())) {
				t.Errorf("%s: bad internal address %q", h.name, ip)
			}
		}
	}
	if n := len(w.hosts); n < 200 || n > 500 {
		t.Errorf("%d internal hosts, want a few hundred", n)
	}
	check := func(what, ip string) {
		if a, err := netip.ParseAddr(ip); err != nil || a.IsPrivate() || a.IsLoopback() || a.IsMulticast() || a.IsUnspecified() {
			t.Errorf("%s: bad public address %q", what, ip)
		}
	}
	for _, s := range w.sites {
		check(s.domain, s.ip)
		if s.ip6 != "" {
			check(s.domain, s.ip6)
		}
	}
	for _, ip := range append(append(append([]string{}, w.clients...), w.client6...), w.attacker...) {
		check("client/attacker", ip)
	}
}
