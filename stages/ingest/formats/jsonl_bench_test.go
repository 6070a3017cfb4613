package formats_test

import "testing"

// BenchmarkParseJSONL parses the lines of its golden input over and over.
func BenchmarkParseJSONL(b *testing.B) {
	benchParse(b, "jsonl", nil, benchLines(b, "testdata/jsonl/default.log"))
}
