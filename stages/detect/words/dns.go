package words

import "strings"

// dnsWords is the recipe of dns rows: see README.md. The tshark rows are
// responses, from the server (SrcIP) to the client (DstIP): the client is
// the document.
func (s *Stats) dnsWords(dst []Pair, r *Row) []Pair {
	doc := r.DstIP
	if !present(doc) {
		return dst
	}
	name := normName(r.DNSQuery)
	if name == "-" {
		name = ""
	}
	reg, sub := splitDomain(name)
	labels := int64(0)
	if name != "" {
		labels = int64(strings.Count(name, ".")) + 1
	}

	var arr [96]byte
	b := arr[:0]
	b = appendInt(b, s.domainClass(name, reg))
	b = appendInt(b, floorLog2(int64(r.DNSFrameLen)))
	b = appendInt(b, hour(r.Time))
	b = appendInt(b, floorLog2(int64(len(sub))+1))
	b = appendInt(b, entropyBin(entropy(sub)))
	b = appendInt(b, floorLog2(labels))
	b = appendToken(b, r.DNSQType)
	b = appendToken(b, r.DNSRCode)
	return append(dst, Pair{doc, finish(b)})
}
