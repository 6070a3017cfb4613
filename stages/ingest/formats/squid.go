package formats

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

func init() {
	Register(Format{
		Name: "squid",
		Description: "Squid native access.log: time elapsed client result/status bytes method URL user " +
			"hierarchy/peer content-type",
		Patterns: []string{`\.log(\.gz)?$`},
		New:      func(FileInfo, Options) (Parser, error) { return squidParser{}, nil },
	})
}

type squidParser struct{}

var squidFieldNames = [10]string{"time", "elapsed", "client", "result/status", "bytes",
	"method", "url", "user", "hierarchy/peer", "content-type"}

func (squidParser) Parse(line []byte, ev *Event) error {
	s := string(line)
	var f [10]string
	rest := s
	for i := range f {
		f[i], rest = cutField(rest)
		if f[i] == "" {
			return errors.New("squid: " + strconv.Itoa(i) + " fields, want 10")
		}
	}

	secs, frac, _ := strings.Cut(f[0], ".")
	sec, ok := decimal(secs)
	nsec, n := fraction(frac)
	if !ok || n != len(frac) {
		return squidNumErr(0, f[0])
	}
	ev.Time = time.Unix(sec, int64(nsec)).UTC()

	if ev.FlowDurationMs, ok = decimal(f[1]); !ok {
		return squidNumErr(1, f[1])
	}
	if isIPAddr(f[2]) {
		ev.SrcIP = f[2]
	} else {
		ev.SrcHost = f[2] // log_fqdn on
	}

	code, status, ok := strings.Cut(f[3], "/")
	st, ok2 := decimal(status)
	if !ok || !ok2 || st > 999 {
		return errors.New("squid: field 4 (result/status): " + quoteShort(f[3]) + " is not CODE/status")
	}
	ev.Action = code
	ev.HTTPStatus = int32(st)

	if ev.HTTPBytes, ok = decimal(f[4]); !ok {
		return squidNumErr(4, f[4])
	}
	ev.HTTPMethod = f[5]
	ev.HTTPURL = f[6]
	ev.HTTPHost = urlHost(f[6])
	if f[7] != "-" {
		ev.UserName = f[7]
	}

	hier, peer, ok := strings.Cut(f[8], "/")
	if !ok {
		return errors.New("squid: field 9 (hierarchy/peer): " + quoteShort(f[8]) + " has no /peer")
	}
	ev.Attr("hierarchy", hier)
	if peer != "-" && peer != "" {
		if isIPAddr(peer) {
			ev.DstIP = peer
		} else {
			ev.DstHost = peer // a parent cache by name
		}
	}
	if f[9] != "-" {
		ev.HTTPContentType = f[9]
	}
	// logformat lines extending the native format add fields; keep them.
	ev.Attr("extra", strings.TrimSpace(rest))
	return nil
}

func squidNumErr(i int, v string) error {
	return errors.New("squid: field " + strconv.Itoa(i+1) + " (" + squidFieldNames[i] + "): " + quoteShort(v) + " is not a number")
}

// urlHost returns the host of an absolute URL or of a CONNECT target
// "host:port", without port or brackets; "" for anything else.
func urlHost(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		if j := strings.IndexAny(u, "/?#"); j >= 0 {
			u = u[:j]
		}
		if j := strings.LastIndexByte(u, '@'); j >= 0 {
			u = u[j+1:]
		}
	} else if i := strings.LastIndexByte(u, ':'); i <= 0 {
		return ""
	} else if _, ok := decimal(u[i+1:]); !ok {
		return "" // "error:invalid-request" and other non-URLs
	}
	if strings.HasPrefix(u, "[") {
		if j := strings.IndexByte(u, ']'); j > 0 {
			return u[1:j]
		}
		return ""
	}
	if i := strings.LastIndexByte(u, ':'); i >= 0 {
		u = u[:i]
	}
	return u
}
