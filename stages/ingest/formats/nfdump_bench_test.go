package formats_test

import "testing"

// BenchmarkParseNfdump parses the flow rows of testdata/nfdump/flows.log
// (without its header and summary lines) over and over, in the default order.
func BenchmarkParseNfdump(b *testing.B) {
	lines := benchLines(b, "testdata/nfdump/flows.log")
	benchParse(b, "nfdump", nil, append(lines[1:9:9], lines[13]))
}
