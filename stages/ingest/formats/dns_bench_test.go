package formats_test

import "testing"

// BenchmarkParseDNS parses the lines of its golden input over and over.
func BenchmarkParseDNS(b *testing.B) {
	benchParse(b, "dns", nil, benchLines(b, "testdata/dns/spot.log")[1:])
}
