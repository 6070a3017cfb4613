package words

import "strings"

// Spot's encodings of the key port when it is not one service port.
const (
	portBothZero = 0      // both ports 0 (ICMP and other protocols without ports)
	portLowLow   = 111111 // both ports ≤ 1024
	portHighHigh = 333333 // both ports > 1024
)

// serverPrefix marks the word as seen from the side that holds the service
// port.
const serverPrefix = "-1_"

// flowWords is the recipe of vpcflow and nfdump rows: see README.md.
func (s *Stats) flowWords(dst []Pair, r *Row) []Pair {
	srcOK, dstOK := present(r.SrcIP), present(r.DstIP)
	if !srcOK && !dstOK {
		return dst
	}
	sp, dp := r.SrcPort, r.DstPort
	if sp < 0 {
		sp = 0 // absent: ICMP rows carry no ports (nfdump) or 0 (VPC)
	}
	if dp < 0 {
		dp = 0
	}
	var key int32
	lowSrc, lowDst := false, false
	// As Spot's FlowWordCreator: port 0 is no port, so when one port is 0 the
	// other is the service port whatever its value; otherwise the low port
	// (≤ 1024) against a high one is.
	switch {
	case sp == 0 && dp == 0:
		key = portBothZero
	case dp == 0:
		key, lowSrc = sp, true
	case sp == 0:
		key, lowDst = dp, true
	case sp <= 1024 && dp <= 1024:
		key = portLowLow
	case sp > 1024 && dp > 1024:
		key = portHighHigh
	case dp <= 1024:
		key, lowDst = dp, true
	default:
		key, lowSrc = sp, true
	}

	var arr [64]byte
	b := append(arr[:0], serverPrefix...)
	b = appendInt(b, int64(key))
	b = appendProto(b, r.Proto)
	b = appendInt(b, hour(r.Time))
	b = appendInt(b, ceilLog2p1(r.FlowBytes))
	b = appendInt(b, ceilLog2p1(r.FlowPackets))
	w := finish(b) // one allocation for both sides
	base := w[len(serverPrefix):]

	if srcOK {
		sw := base
		if lowSrc {
			sw = w
		}
		dst = append(dst, Pair{r.SrcIP, sw})
	}
	if dstOK {
		dw := base
		if lowDst {
			dw = w
		}
		dst = append(dst, Pair{r.DstIP, dw})
	}
	return dst
}

// appendProto appends the protocol as its IANA number: tcp 6, udp 17, icmp 1
// and a few other names; a number as is; any other name as text.
func appendProto(b []byte, p string) []byte {
	var n string
	switch p {
	case "tcp":
		n = "6"
	case "udp":
		n = "17"
	case "icmp":
		n = "1"
	default:
		switch strings.ToLower(p) {
		case "tcp":
			n = "6"
		case "udp":
			n = "17"
		case "icmp":
			n = "1"
		case "icmp6", "ipv6-icmp", "icmpv6":
			n = "58"
		case "gre":
			n = "47"
		case "esp":
			n = "50"
		case "ah":
			n = "51"
		case "sctp":
			n = "132"
		default:
			return appendToken(b, p)
		}
	}
	return append(append(b, n...), '_')
}
