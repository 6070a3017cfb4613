package formats_test

import "testing"

// BenchmarkParseNavigator parses the lines of its golden input over and over.
func BenchmarkParseNavigator(b *testing.B) {
	benchParse(b, "navigator", nil, benchLines(b, "testdata/navigator/audit.log"))
}
