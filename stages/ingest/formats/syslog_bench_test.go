package formats_test

import "testing"

func BenchmarkParseSyslog(b *testing.B) {
	benchParseFiles(b, "syslog",
		"testdata/syslog/metron_Syslog3164Output.log",
		"testdata/syslog/beats_system_auth_test.log",
		"testdata/syslog/metron_Syslog5424Output.log")
}
