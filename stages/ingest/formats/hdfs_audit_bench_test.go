package formats_test

import "testing"

func BenchmarkParseHdfsAudit(b *testing.B) {
	benchParseFiles(b, "hdfs_audit", "testdata/hdfs_audit/eagle_hdfs_securityAuditLog.log")
}
