// Package awstest runs moto_server, an AWS emulator, for wire-level tests:
// one process per test on a free loopback port, with the SDK pointed at it
// through the standard environment variables.
package awstest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	spaws "github.com/spotlake/spotlake/providers/aws"
)

// Region is the region tests use.
const Region = "us-east-1"

// Moto is a running moto_server.
type Moto struct {
	Endpoint string
}

// Start runs moto_server for the test and points the AWS SDK at it
// (AWS_ENDPOINT_URL, fake credentials). AWS_MAX_ATTEMPTS is 3, not 1:
// moto's server now and then resets a kept-alive connection under load
// ("use of closed network connection"), which the SDK retries; a call moto
// does not implement (HTTP 500) then fails after two short retries. Without
// moto_server the test is skipped, or fails when CI=true.
func Start(t testing.TB) *Moto {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("awstest: moto_server is not installed (pip install 'moto[server]')")
		}
		t.Skip("awstest: moto_server is not installed")
	}
	port := freePort(t)
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		t.Fatalf("awstest: start moto_server: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	m := &Moto{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port)}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(m.Endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("awstest: moto_server did not answer on %s: %v", m.Endpoint, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":            m.Endpoint,
		"AWS_ACCESS_KEY_ID":           "testing",
		"AWS_SECRET_ACCESS_KEY":       "testing",
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  Region,
		"AWS_DEFAULT_REGION":          Region,
		"AWS_MAX_ATTEMPTS":            "3",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	} {
		t.Setenv(k, v)
	}
	return m
}

// Reset drops every resource moto holds.
func (m *Moto) Reset(t testing.TB) {
	t.Helper()
	resp, err := http.Post(m.Endpoint+"/moto-api/reset", "application/json", nil)
	if err != nil {
		t.Fatalf("awstest: reset: %v", err)
	}
	resp.Body.Close()
}

// Config is the SDK configuration for the emulator, loaded the way
// spotlake loads it.
func (m *Moto) Config(t testing.TB) sdkaws.Config {
	t.Helper()
	cfg, err := spaws.Load(context.Background(), Region)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Bucket creates an S3 bucket in the emulator.
func (m *Moto) Bucket(t testing.TB, name string) {
	t.Helper()
	c := s3.NewFromConfig(m.Config(t), func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: sdkaws.String(name)}); err != nil {
		t.Fatalf("awstest: create bucket %s: %v", name, err)
	}
}
