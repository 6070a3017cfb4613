// Package storetest is the conformance suite every objstore.Store runs.
package storetest

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/spotlake/spotlake/providers/objstore"
)

// Run checks that s behaves as an objstore.Store. s must be empty.
func Run(t *testing.T, s objstore.Store) {
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	objs, err := s.List(ctx, "a/")
	must(err)
	if len(objs) != 0 {
		t.Fatalf("empty store lists %v", objs)
	}
	must(s.Put(ctx, "a/dt=2026-11-21/x.log", []byte("one\n")))
	must(s.Put(ctx, "a/dt=2026-11-21/y.log", []byte("two\ntwo\n")))
	must(s.Put(ctx, "ab/z.log", []byte("z")))
	must(s.Put(ctx, "b/z.log", []byte("zz")))

	objs, err = s.List(ctx, "a/")
	must(err)
	if len(objs) != 2 || objs[0].Key != "a/dt=2026-11-21/x.log" || objs[1].Key != "a/dt=2026-11-21/y.log" {
		t.Fatalf("List(a/) = %+v", objs)
	}
	if objs[1].Size != 8 || objs[1].ETag == "" {
		t.Errorf("size/etag wrong: %+v", objs[1])
	}
	objs, err = s.List(ctx, "a")
	must(err)
	if len(objs) != 3 {
		t.Errorf("List(a) should match a/ and ab/: %+v", objs)
	}

	rc, err := s.Open(ctx, "a/dt=2026-11-21/y.log")
	must(err)
	b, err := io.ReadAll(rc)
	must(err)
	rc.Close()
	if string(b) != "two\ntwo\n" {
		t.Errorf("read %q", b)
	}
	before := objs[1].ETag
	must(s.Put(ctx, "a/dt=2026-11-21/y.log", []byte("changed content\n")))
	objs, err = s.List(ctx, "a/")
	must(err)
	if objs[1].ETag == before {
		t.Errorf("etag did not change after overwrite")
	}

	if _, err := s.Open(ctx, "a/missing"); !errors.Is(err, objstore.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want ErrNotExist", err)
	}
	must(s.Delete(ctx, "a/dt=2026-11-21/x.log"))
	must(s.Delete(ctx, "a/dt=2026-11-21/x.log"))
	objs, err = s.List(ctx, "a/")
	must(err)
	if len(objs) != 1 {
		t.Errorf("after delete: %+v", objs)
	}

	if c, ok := s.(objstore.Versioned); ok {
		versioned(t, ctx, s, c)
	}
}

// versioned checks compare-and-swap: create only if absent, replace and
// delete only at the version read.
func versioned(t *testing.T, ctx context.Context, s objstore.Store, c objstore.Versioned) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	created, err := c.PutIfAbsent(ctx, "lock/run", []byte("first"))
	must(err)
	if !created {
		t.Errorf("PutIfAbsent on a new key did not create it")
	}
	created, err = c.PutIfAbsent(ctx, "lock/run", []byte("second"))
	must(err)
	if created {
		t.Errorf("PutIfAbsent replaced an existing object")
	}
	b, v1, err := c.GetVersion(ctx, "lock/run")
	must(err)
	if string(b) != "first" || v1 == "" {
		t.Errorf("after a refused PutIfAbsent the object reads %q at version %q, want %q", b, v1, "first")
	}
	v2, ok, err := c.PutIfMatch(ctx, "lock/run", []byte("renewed"), v1)
	must(err)
	if !ok || v2 == "" || v2 == v1 {
		t.Errorf("PutIfMatch at the current version: ok %v, version %q after %q", ok, v2, v1)
	}
	if _, ok, err := c.PutIfMatch(ctx, "lock/run", []byte("stale"), v1); err != nil || ok {
		t.Errorf("PutIfMatch at a replaced version: ok %v, %v", ok, err)
	}
	if ok, err := c.DeleteIfMatch(ctx, "lock/run", v1); err != nil || ok {
		t.Errorf("DeleteIfMatch at a replaced version: ok %v, %v", ok, err)
	}
	if b, v, err := c.GetVersion(ctx, "lock/run"); err != nil || string(b) != "renewed" || v != v2 {
		t.Errorf("after refused conditional calls the object reads %q at %q (%v), want %q at %q", b, v, err, "renewed", v2)
	}
	if ok, err := c.DeleteIfMatch(ctx, "lock/run", v2); err != nil || !ok {
		t.Errorf("DeleteIfMatch at the current version: ok %v, %v", ok, err)
	}
	if _, _, err := c.GetVersion(ctx, "lock/run"); !errors.Is(err, objstore.ErrNotExist) {
		t.Errorf("GetVersion after DeleteIfMatch: %v, want ErrNotExist", err)
	}
	if _, ok, err := c.PutIfMatch(ctx, "lock/run", []byte("gone"), v2); err != nil || ok {
		t.Errorf("PutIfMatch on a deleted key: ok %v, %v", ok, err)
	}
	created, err = c.PutIfAbsent(ctx, "lock/run", []byte("third"))
	must(err)
	if !created {
		t.Errorf("PutIfAbsent after a delete did not create the key")
	}
}
