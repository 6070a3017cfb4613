// Package objstore is the narrow interface spotlake uses for object storage
// (input logs, bookkeeping next to the warehouse) and its local-folder
// implementation. Keys are slash-separated and relative to the store's root.
package objstore

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrNotExist is returned for a key that has no object.
var ErrNotExist = errors.New("object does not exist")

// Object describes one stored object.
type Object struct {
	Key     string
	Size    int64
	ETag    string // changes whenever the content may have changed
	ModTime time.Time
}

// Store is an object store rooted at some location.
type Store interface {
	// List returns every object under prefix (recursively), sorted by key.
	// Objects being written (temporary names) are not listed.
	List(ctx context.Context, prefix string) ([]Object, error)
	// Open reads an object.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Put writes an object atomically: readers see the old or the new bytes.
	Put(ctx context.Context, key string, data []byte) error
	// Delete removes an object; deleting a missing object is not an error.
	Delete(ctx context.Context, key string) error
	// URL is the store's root as a URL (file:///..., s3://...).
	URL() string
}

// Versioned is a store with compare-and-swap on an object's version (on S3,
// conditional requests on the ETag): the primitive of a lock that
// controllers on different machines share. Each conditional call answers
// false, not an error, when its condition does not hold.
type Versioned interface {
	// PutIfAbsent writes the object only when key has none.
	PutIfAbsent(ctx context.Context, key string, data []byte) (created bool, err error)
	// GetVersion reads an object and the version it read.
	GetVersion(ctx context.Context, key string) (data []byte, version string, err error)
	// PutIfMatch replaces the object only while it is still at version.
	PutIfMatch(ctx context.Context, key string, data []byte, version string) (newVersion string, ok bool, err error)
	// DeleteIfMatch removes the object only while it is still at version.
	DeleteIfMatch(ctx context.Context, key, version string) (ok bool, err error)
}
