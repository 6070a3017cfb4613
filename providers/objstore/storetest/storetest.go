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

	if c, ok := s.(PutIfAbsenter); ok {
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
		rc, err := s.Open(ctx, "lock/run")
		must(err)
		b, err := io.ReadAll(rc)
		must(err)
		rc.Close()
		if string(b) != "first" {
			t.Errorf("after a refused PutIfAbsent the object reads %q, want %q", b, "first")
		}
		must(s.Delete(ctx, "lock/run"))
		created, err = c.PutIfAbsent(ctx, "lock/run", []byte("third"))
		must(err)
		if !created {
			t.Errorf("PutIfAbsent after Delete did not create the key")
		}
	}
}

// PutIfAbsenter is a store with an atomic create-only write (the run lock's
// primitive); Run checks it when the store has one.
type PutIfAbsenter interface {
	PutIfAbsent(ctx context.Context, key string, data []byte) (created bool, err error)
}
