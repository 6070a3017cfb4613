package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// tmpMarker is part of the names of files being written by Put; List skips them.
const tmpMarker = ".spotlake-tmp-"

// Local is a Store over a folder.
type Local struct{ root string }

// NewLocal returns a store rooted at dir (a path or a file:// URL).
func NewLocal(dir string) (*Local, error) {
	dir = strings.TrimPrefix(dir, "file://")
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return &Local{root: abs}, nil
}

// Root is the folder the store is rooted at.
func (l *Local) Root() string { return l.root }

// URL implements Store.
func (l *Local) URL() string { return "file://" + filepath.ToSlash(l.root) }

func (l *Local) path(key string) (string, error) {
	clean := path.Clean("/" + key)
	if clean != "/"+strings.TrimPrefix(key, "/") && clean != "/"+strings.TrimSuffix(strings.TrimPrefix(key, "/"), "/") {
		return "", fmt.Errorf("invalid object key %q", key)
	}
	return filepath.Join(l.root, filepath.FromSlash(clean)), nil
}

// List implements Store.
func (l *Local) List(ctx context.Context, prefix string) ([]Object, error) {
	base, err := l.path(prefix)
	if err != nil {
		return nil, err
	}
	// The prefix may end inside a name ("raw/a" lists "raw/ab"), so walk its folder.
	dir := base
	if !strings.HasSuffix(prefix, "/") && prefix != "" {
		dir = filepath.Dir(base)
	}
	var out []Object
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return fs.SkipAll
			}
			if errors.Is(err, fs.ErrPermission) && p != dir {
				// Keep listing; Open will report the file itself.
				return nil
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.IsDir() || strings.Contains(d.Name(), tmpMarker) {
			return nil
		}
		rel, err := filepath.Rel(l.root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, strings.TrimPrefix(prefix, "/")) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Stat(p)
			if err != nil {
				// A link to nothing is listed so that reading it fails loudly
				// instead of the object silently vanishing.
				out = append(out, Object{Key: filepath.ToSlash(rel), ModTime: info.ModTime(), ETag: "unreadable"})
				return nil
			}
			info = target
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		out = append(out, Object{
			Key:     key,
			Size:    info.Size(),
			ModTime: info.ModTime(),
			ETag:    strconv.FormatInt(info.Size(), 16) + "-" + strconv.FormatInt(info.ModTime().UnixNano(), 16),
		})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Open implements Store.
func (l *Local) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", key, ErrNotExist)
	}
	return f, err
}

// Put implements Store.
func (l *Local) Put(ctx context.Context, key string, data []byte) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), filepath.Base(p)+tmpMarker+"*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), p)
}

// Delete implements Store.
func (l *Local) Delete(ctx context.Context, key string) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
