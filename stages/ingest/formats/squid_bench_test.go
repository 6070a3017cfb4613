package formats_test

import "testing"

func BenchmarkParseSquid(b *testing.B) {
	benchParseFiles(b, "squid", "testdata/squid/metron_SquidExampleOutput.log")
}
