package formats_test

import "testing"

// BenchmarkParseVpcflow parses files of one header and many records, as AWS
// writes them, built from the real samples.
func BenchmarkParseVpcflow(b *testing.B) {
	var lines [][]byte
	for _, name := range []string{
		"testdata/vpcflow/otel_valid_vpc_flow_log_multi.log",
		"testdata/vpcflow/otel_valid_vpc_flow_log_ecs.log",
		"testdata/vpcflow/otel_valid_tgw_flow_log.log",
	} {
		file := readBenchLines(b, name)
		lines = append(lines, file[0])
		for range 100 {
			lines = append(lines, file[1:]...)
		}
	}
	benchParseLines(b, "vpcflow", lines)
}
