package formats_test

import "testing"

func TestSquidAllocs(t *testing.T) {
	checkAllocs(t, "squid", "1461576382.642    161 127.0.0.1 TCP_MISS/200 103701 GET http://www.cnn.com/ - DIRECT/199.27.79.73 text/html", 1)
}
