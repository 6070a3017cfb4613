package formats_test

import "testing"

// Benchmarks of the other formats over their golden inputs (good lines only
// where a file mixes in rejects). BenchmarkParseCowrie is in cowrie_bench_test.go.

func BenchmarkParseNavigator(b *testing.B) {
	benchParse(b, "navigator", nil, benchLines(b, "testdata/navigator/audit.log"))
}

func BenchmarkParseNfdump(b *testing.B) {
	// The rows of flows.log without its header and summary: the default order.
	lines := benchLines(b, "testdata/nfdump/flows.log")
	benchParse(b, "nfdump", nil, append(lines[1:9:9], lines[13]))
}

func BenchmarkParseDNS(b *testing.B) {
	benchParse(b, "dns", nil, benchLines(b, "testdata/dns/spot.log")[1:])
}

func BenchmarkParseJSONL(b *testing.B) {
	benchParse(b, "jsonl", nil, benchLines(b, "testdata/jsonl/default.log"))
}
