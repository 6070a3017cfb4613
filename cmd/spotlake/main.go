// Command spotlake runs a security-log analytics pipeline on transient compute.
package main

import "os"

func main() {
	os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
