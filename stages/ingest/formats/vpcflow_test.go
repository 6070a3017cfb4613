package formats_test

import "testing"

func TestVpcflowAllocs(t *testing.T) {
	checkAllocs(t, "vpcflow", "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK", 1)
}
