package objstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/spotlake/spotlake/providers/aws/awstest"
	"github.com/spotlake/spotlake/providers/objstore"
	"github.com/spotlake/spotlake/providers/objstore/storetest"
)

func newBucket(t *testing.T, cfg aws.Config, name string) {
	t.Helper()
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
}

// TestS3 runs the conformance suite against S3 on moto, at a bucket's root
// and under a prefix. moto 5.2.1 honours If-None-Match: * on PutObject
// (answering 412 PreconditionFailed), so the suite's PutIfAbsent checks run
// against the emulator's real conditional write.
func TestS3(t *testing.T) {
	m := awstest.Start(t)
	cfg := m.Config(t)
	ctx := context.Background()
	newBucket(t, cfg, "lake")
	for _, u := range []string{"s3://lake", "s3://lake/wh/_spotlake/p1"} {
		t.Run(u, func(t *testing.T) {
			s, err := objstore.NewS3(ctx, u, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(s.URL(), u) || !strings.HasSuffix(s.URL(), "/") {
				t.Errorf("URL() = %q", s.URL())
			}
			if u == "s3://lake" {
				// The root store must be empty for the suite: use a fresh bucket.
				newBucket(t, cfg, "lake-root")
				if s, err = objstore.NewS3(ctx, "s3://lake-root", cfg); err != nil {
					t.Fatal(err)
				}
			}
			storetest.Run(t, s)
		})
	}
}

// TestS3PrefixIsolation: a store under a prefix sees and touches only its
// own keys, lists keys relative to its root, and skips temporary names.
func TestS3PrefixIsolation(t *testing.T) {
	m := awstest.Start(t)
	cfg := m.Config(t)
	ctx := context.Background()
	newBucket(t, cfg, "lake")
	root, err := objstore.NewS3(ctx, "s3://lake/", cfg)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := objstore.NewS3(ctx, "s3://lake/raw/", cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"rawx/a.log", "raw/b.log", "raw/c/d.log", "raw/c/e.log.spotlake-tmp-123"} {
		if err := root.Put(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	// A console's folder marker is not an object of the store.
	if _, err := root.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("lake"), Key: aws.String("raw/folder/"), Body: strings.NewReader("")}); err != nil {
		t.Fatal(err)
	}
	objs, err := sub.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range objs {
		keys = append(keys, o.Key)
		if o.ModTime.IsZero() || o.ETag == "" {
			t.Errorf("%s: no mtime/etag: %+v", o.Key, o)
		}
	}
	if strings.Join(keys, ",") != "b.log,c/d.log" {
		t.Errorf("List = %v", keys)
	}
	rc, err := sub.Open(ctx, "c/d.log")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "raw/c/d.log" {
		t.Errorf("read %q", b)
	}
	for _, bad := range []string{"../rawx/a.log", "a/../../x", "", "a//b", "./a"} {
		if err := sub.Put(ctx, bad, []byte("x")); err == nil {
			t.Errorf("Put(%q) accepted an invalid key", bad)
		}
	}
}

func TestS3MissingBucketAndKey(t *testing.T) {
	m := awstest.Start(t)
	cfg := m.Config(t)
	ctx := context.Background()
	s, err := objstore.NewS3(ctx, "s3://no-such-bucket/p", cfg)
	if err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"list": func() error { _, err := s.List(ctx, ""); return err }(),
		"put":  s.Put(ctx, "k", []byte("x")),
		"open": func() error { _, err := s.Open(ctx, "k"); return err }(),
	} {
		if err == nil || !strings.Contains(err.Error(), `bucket "no-such-bucket" does not exist`) || !strings.Contains(err.Error(), "s3://no-such-bucket/p/") {
			t.Errorf("%s on a missing bucket: %v", name, err)
		}
		if errors.Is(err, objstore.ErrNotExist) {
			t.Errorf("%s: a missing bucket is not a missing key: %v", name, err)
		}
	}

	newBucket(t, cfg, "lake")
	s, _ = objstore.NewS3(ctx, "s3://lake/p", cfg)
	_, err = s.Open(ctx, "missing/key")
	if !errors.Is(err, objstore.ErrNotExist) || !strings.Contains(err.Error(), "s3://lake/p/missing/key") {
		t.Errorf("Open(missing) = %v", err)
	}
	if err := s.Delete(ctx, "missing/key"); err != nil {
		t.Errorf("Delete(missing) = %v", err)
	}

	for _, bad := range []string{"http://lake/p", "s3:///p", "lake/p", "s3://lake/a/../b"} {
		if _, err := objstore.NewS3(ctx, bad, cfg); err == nil {
			t.Errorf("NewS3(%q) accepted", bad)
		}
	}
}

// TestS3PutIfAbsentRace: of concurrent claimers of one key exactly one wins.
// (moto serialises requests, so this checks our handling of 412, not S3's
// own atomicity.)
func TestS3PutIfAbsentRace(t *testing.T) {
	m := awstest.Start(t)
	cfg := m.Config(t)
	ctx := context.Background()
	newBucket(t, cfg, "lake")
	s, err := objstore.NewS3(ctx, "s3://lake/_spotlake/p", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.PutIfAbsent(ctx, "lock", []byte(fmt.Sprint(i)))
			if err != nil {
				errs <- err
			}
			if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if wins.Load() != 1 {
		t.Errorf("%d claimers won, want 1", wins.Load())
	}
}

// TestS3PutFile: a file above the multipart threshold uploads in parts from
// disk and reads back byte for byte; Exists sees it, and not a missing key.
func TestS3PutFile(t *testing.T) {
	m := awstest.Start(t)
	cfg := m.Config(t)
	ctx := context.Background()
	newBucket(t, cfg, "art")
	s, err := objstore.NewS3(ctx, "s3://art/spotlake", cfg)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 20<<20+12345) // 3 parts of 8 MiB
	r := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	path := filepath.Join(t.TempDir(), "spotlake")
	if err := os.WriteFile(path, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Exists(ctx, "bin/x"); err != nil || ok {
		t.Fatalf("Exists before upload: %v, %v", ok, err)
	}
	if err := s.PutFile(ctx, "bin/x", path); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Exists(ctx, "bin/x"); err != nil || !ok {
		t.Fatalf("Exists after upload: %v, %v", ok, err)
	}
	rc, err := s.Open(ctx, "bin/x")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes (want %d), equal %v, %v", len(got), len(data), bytes.Equal(got, data), err)
	}
	objs, err := s.List(ctx, "bin/")
	if err != nil || len(objs) != 1 || !strings.Contains(objs[0].ETag, "-") {
		t.Errorf("a multipart upload's ETag ends in -N: %+v, %v", objs, err)
	}
	if err := s.PutFile(ctx, "bin/y", filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("PutFile of a missing file succeeded")
	}
}
