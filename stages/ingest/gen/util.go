package gen

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// Append helpers: every line is built with these instead of fmt so that
// WriteCorpus stays well above 200 MB/s.

const digits = "0123456789"
const hexdig = "0123456789abcdef"

func app2(b []byte, v int) []byte { return append(b, digits[v/10%10], digits[v%10]) }

func app3(b []byte, v int) []byte {
	return append(b, digits[v/100%10], digits[v/10%10], digits[v%10])
}

// appPad appends v zero-padded to width digits (v >= 0).
func appPad(b []byte, v int64, width int) []byte {
	var tmp [20]byte
	i := len(tmp)
	for v > 0 || i == len(tmp) {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	for n := len(tmp) - i; n < width; n++ {
		b = append(b, '0')
	}
	return append(b, tmp[i:]...)
}

// appSpacePad appends v right-aligned in width columns (squid's %6d).
func appSpacePad(b []byte, v int64, width int) []byte {
	n := 1
	for x := v; x >= 10; x /= 10 {
		n++
	}
	for ; n < width; n++ {
		b = append(b, ' ')
	}
	return strconv.AppendInt(b, v, 10)
}

func appInt(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }

// appHMS appends HH:MM:SS for a second of the day.
func appHMS(b []byte, sec int) []byte {
	b = app2(b, sec/3600)
	b = append(b, ':')
	b = app2(b, sec/60%60)
	b = append(b, ':')
	return app2(b, sec%60)
}

func appHex(b []byte, v uint64, n int) []byte {
	for i := n - 1; i >= 0; i-- {
		b = append(b, hexdig[(v>>(uint(i)*4))&15])
	}
	return b
}

// appRandHex appends n random lowercase hex digits.
func appRandHex(b []byte, r *rand.Rand, n int) []byte {
	for n > 0 {
		k := min(n, 16)
		b = appHex(b, r.Uint64(), k)
		n -= k
	}
	return b
}

func appIPv4(b []byte, ip uint32) []byte {
	b = strconv.AppendUint(b, uint64(ip>>24), 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, uint64(ip>>16&255), 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, uint64(ip>>8&255), 10)
	b = append(b, '.')
	return strconv.AppendUint(b, uint64(ip&255), 10)
}

func ipv4(a, b, c, d int) uint32 { return uint32(a)<<24 | uint32(b)<<16 | uint32(c)<<8 | uint32(d) }

func ipString(ip uint32) string { return string(appIPv4(nil, ip)) }

// appJSONStr appends s as a JSON string literal.
func appJSONStr(b []byte, s string) []byte {
	b = append(b, '"')
	b = appJSONRaw(b, s)
	return append(b, '"')
}

// appJSONRaw appends s escaped for a JSON string, without quotes.
func appJSONRaw(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexdig[c>>4], hexdig[c&15])
		}
		start = i + 1
	}
	return append(b, s[start:]...)
}

// appKey appends ,"key": (or "key": when first).
func appKey(b []byte, key string) []byte {
	if len(b) > 0 && b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

// dates holds the day's date in every spelling a format needs.
type dates struct {
	midnight int64  // unix seconds
	ymd      string // 2026-11-21
	compact  string // 20261121
	clf      string // 21/Nov/2026 (apache)
	bsd      string // "Nov 21" or "Nov  1" (RFC 3164)
	tshark   string // "Nov 21, 2026" or "Nov  1, 2026"
}

func newDates(day time.Time) dates {
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	mon := day.Format("Jan")
	dd := strconv.Itoa(day.Day())
	if len(dd) == 1 {
		dd = " " + dd
	}
	return dates{
		midnight: day.Unix(),
		ymd:      day.Format("2006-01-02"),
		compact:  day.Format("20060102"),
		clf:      day.Format("02/Jan/2006"),
		bsd:      mon + " " + dd,
		tshark:   mon + " " + dd + ", " + strconv.Itoa(day.Year()),
	}
}

const (
	nsPerSec = int64(time.Second)
	dayNs    = 24 * int64(time.Hour)
)

// appISO appends 2026-11-21T10:05:03 followed by frac digits of fraction
// (3 = millis, 6 = micros) and Z. t is nanoseconds since midnight.
func (dt *dates) appISO(b []byte, t int64, frac int) []byte {
	b = append(b, dt.ymd...)
	b = append(b, 'T')
	b = appHMS(b, int(t/nsPerSec))
	b = appFrac(b, t, frac)
	return append(b, 'Z')
}

// appFrac appends .ddd (frac digits) of t's sub-second part.
func appFrac(b []byte, t int64, frac int) []byte {
	if frac == 0 {
		return b
	}
	ns := t % nsPerSec
	for i := frac; i < 9; i++ {
		ns /= 10
	}
	b = append(b, '.')
	return appPad(b, ns, frac)
}

// appEpoch appends unix seconds with frac fraction digits.
func (dt *dates) appEpoch(b []byte, t int64, frac int) []byte {
	b = appInt(b, dt.midnight+t/nsPerSec)
	return appFrac(b, t, frac)
}

// appEpochMillis appends unix milliseconds.
func (dt *dates) appEpochMillis(b []byte, t int64) []byte {
	return appInt(b, dt.midnight*1000+t/int64(time.Millisecond))
}

// pick returns a random element.
func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// skew returns an index in [0,n) biased towards 0 (a heavy head, long tail).
func skew(r *rand.Rand, n int) int {
	u := r.Float64()
	return int(u * u * u * float64(n))
}

// chance reports true with probability p.
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// between returns a uniform int in [lo,hi].
func between(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }

// longTail returns a positive log-normal value with median m.
func longTail(r *rand.Rand, m float64) float64 {
	return m * math.Exp(r.NormFloat64())
}
