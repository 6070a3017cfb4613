package cache

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// layoutVersion changes when a day file's contents change shape; every day
// is rebuilt on the next refresh.
const layoutVersion = 2

const manifestName = "manifest.json"

// Manifest is the cache's commit point: a refresh writes day files first and
// then replaces the manifest in one rename, so a reader sees the old cache or
// the new one, never a half-loaded day.
type Manifest struct {
	Version    int        `json:"version"`
	Generation int64      `json:"generation"`
	BuiltAt    time.Time  `json:"built_at"`
	WindowDays int        `json:"window_days"`
	Days       []DayEntry `json:"days"`
	// Meta is the file with runs and feedback (whole tables, small).
	Meta string `json:"meta"`
}

// DayEntry is one input day held by the cache.
type DayEntry struct {
	Day         string           `json:"day"`
	File        string           `json:"file"`
	Fingerprint string           `json:"fingerprint"`
	Rows        map[string]int64 `json:"rows"`
	LoadedAt    time.Time        `json:"loaded_at"`
	// EventsFrom and EventsTo bound the day's event times (late or early
	// events fall outside the day itself), so a time-range query reads
	// only the days that can hold a match.
	EventsFrom time.Time `json:"events_from,omitzero"`
	EventsTo   time.Time `json:"events_to,omitzero"`
}

// DayNames lists the days held, ascending.
func (m *Manifest) DayNames() []string {
	out := make([]string, len(m.Days))
	for i, d := range m.Days {
		out[i] = d.Day
	}
	return out
}

func (m *Manifest) day(d string) (DayEntry, bool) {
	for _, e := range m.Days {
		if e.Day == d {
			return e, true
		}
	}
	return DayEntry{}, false
}

// ReadManifest reads the cache's manifest; a cache never refreshed has none
// (ok false, no error).
func ReadManifest(dir string) (m Manifest, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	if errors.Is(err, os.ErrNotExist) {
		return Manifest{}, false, nil
	}
	if err != nil {
		return Manifest{}, false, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return Manifest{}, false, fmt.Errorf("%s: %w; delete the cache folder and run `spotlake cache refresh`", filepath.Join(dir, manifestName), err)
	}
	return m, true, nil
}

func writeManifest(dir string, m Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, manifestName), append(b, '\n'))
}

// writeAtomic writes a file under a temporary name, syncs it and renames it
// into place, then syncs the folder so the rename survives a crash.
func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
