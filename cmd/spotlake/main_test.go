package main

import (
	"bytes"
	"os"
	"testing"
)

// TestMain lets tests run the real CLI in a child process (the test binary
// re-executed with SPOTLAKE_TEST_MAIN=1), so they can kill it.
func TestMain(m *testing.M) {
	if os.Getenv("SPOTLAKE_TEST_MAIN") == "1" {
		os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// cli runs the CLI in-process and returns its exit code and output.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, nil, &out, &errb)
	return code, out.String(), errb.String()
}
