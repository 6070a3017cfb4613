package lda

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"slices"
	"strings"
	"testing"
)

func encoded(t testing.TB, m *Model) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := m.WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("WriteTo returned %d, wrote %d", n, buf.Len())
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	c := planted(3, 10, 15, 40, 1, 4)
	c.AddN("10.0.0.1", "g0_w0", 5000) // a heavy triple
	c.Add("", "")                     // empty names are names too
	m := fit(t, c, Config{Topics: 6, Iterations: 5, Seed: 9, Workers: 2})
	b := encoded(t, m)

	// Trailing data after the model stays unread.
	r := bytes.NewReader(append(slices.Clone(b), "tail"...))
	got, err := Read(r)
	if err != nil {
		t.Fatal(err)
	}
	if rest, _ := io.ReadAll(r); string(rest) != "tail" {
		t.Fatalf("Read consumed past the model: rest %q", rest)
	}
	if got.Version != m.Version || got.Topics != m.Topics || got.Alpha != m.Alpha || got.Beta != m.Beta ||
		!got.Trained.Equal(m.Trained) || got.Trained != m.Trained || got.Docs != m.Docs || got.Words != m.Words ||
		got.Tokens != m.Tokens || got.Iterations != m.Iterations || got.Seed != m.Seed || got.Workers != m.Workers ||
		got.Scale != m.Scale || got.LogLik != m.LogLik || got.FitDuration != m.FitDuration {
		t.Fatalf("header differs:\n%+v\n%+v", got, m)
	}
	if !slices.Equal(got.docNames, m.docNames) || !slices.Equal(got.wordNames, m.wordNames) ||
		!slices.Equal(got.ndk, m.ndk) || !slices.Equal(got.nkw, m.nkw) {
		t.Fatal("names or counts differ")
	}
	if !slices.Equal(got.theta, m.theta) || !slices.Equal(got.phi, m.phi) {
		t.Fatal("θ/φ not bit-for-bit equal")
	}
	if got.Score("10.1.0.3", "g1_w2") != m.Score("10.1.0.3", "g1_w2") || got.Score("?", "?") != m.Score("?", "?") {
		t.Fatal("scores differ")
	}
	if !bytes.Equal(encoded(t, got), b) {
		t.Fatal("re-encoding differs")
	}
}

func TestReadRejects(t *testing.T) {
	c := planted(2, 5, 10, 20, 1, 4)
	m := fit(t, c, Config{Topics: 3, Iterations: 2})
	good := encoded(t, m)

	withVersion := slices.Clone(good)
	binary.LittleEndian.PutUint32(withVersion[8:], 7)
	// Even a correct checksum does not make version 7 readable.
	binary.LittleEndian.PutUint32(withVersion[len(withVersion)-4:], crc32.Checksum(withVersion[:len(withVersion)-4], castagnoli))

	flipped := slices.Clone(good)
	flipped[len(flipped)/2] ^= 0x10

	hugeLen := slices.Clone(good)
	binary.LittleEndian.PutUint64(hugeLen[12:], 1<<62)

	for _, tc := range []struct {
		name string
		in   []byte
		want error
		msg  string
	}{
		{"empty", nil, ErrNotModel, "empty"},
		{"text", []byte("hello, this is not a model at all"), ErrNotModel, "bad magic"},
		{"gzip", []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, ErrNotModel, "bad magic"},
		{"short magic", good[:5], ErrCorrupt, "truncated header"},
		{"unknown version", withVersion, ErrUnsupportedVersion, "version 7 (this build reads version 1)"},
		{"flipped bit", flipped, ErrCorrupt, "checksum"},
		{"truncated body", good[:len(good)-10], ErrCorrupt, "truncated"},
		{"missing checksum", good[:len(good)-4], ErrCorrupt, "truncated"},
		{"huge length", hugeLen, ErrCorrupt, "body length"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tc.in))
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %v containing %q", err, tc.want, tc.msg)
			}
		})
	}
	// Every truncation is an error, never a panic.
	for n := range len(good) {
		if _, err := Read(bytes.NewReader(good[:n])); err == nil {
			t.Fatalf("truncated to %d bytes: accepted", n)
		}
	}
}

// TestReadRejectsInconsistent re-signs damaged bodies, so the structural
// checks (not the checksum) must catch them.
func TestReadRejectsInconsistent(t *testing.T) {
	c := planted(2, 5, 10, 20, 1, 4)
	m := fit(t, c, Config{Topics: 3, Iterations: 2})
	good := encoded(t, m)
	resign := func(b []byte) []byte {
		binary.LittleEndian.PutUint64(b[12:], uint64(len(b)-headerLen-4))
		binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.Checksum(b[:len(b)-4], castagnoli))
		return b
	}
	accepted := 0
	for i := headerLen; i < len(good)-4; i++ {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			b := slices.Clone(good)
			b[i] ^= x
			got, err := Read(bytes.NewReader(resign(b)))
			if err == nil {
				accepted++
				// A change the checks cannot see (a count moved between
				// topics, a name renamed in order) must still be a usable model.
				if s := got.Score("x", "y"); !(s > 0 && s <= 1) {
					t.Fatalf("byte %d ^ %#x: accepted model scores %v", i, x, s)
				}
			} else if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("byte %d ^ %#x: %v", i, x, err)
			}
		}
	}
	t.Logf("%d of %d re-signed single-byte corruptions passed the structural checks", accepted, 3*(len(good)-4-headerLen))
	// Trailing bytes inside the body.
	b := slices.Clone(good[:len(good)-4])
	b = append(b, 0, 0, 0, 0, 0)
	if _, err := Read(bytes.NewReader(resign(b))); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("trailing body bytes: %v", err)
	}
}

func TestWriteToUnfitted(t *testing.T) {
	if _, err := (&Model{}).WriteTo(io.Discard); err == nil {
		t.Fatal("zero model written")
	}
	if s := (&Model{}).Score("a", "b"); s < 0 || s > 1 {
		t.Fatalf("zero model score %v", s)
	}
}

func FuzzRead(f *testing.F) {
	c := planted(2, 3, 5, 10, 1, 4)
	m, err := Fit(f.Context(), c, Config{Topics: 2, Iterations: 1})
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	m.WriteTo(&buf)
	f.Add(buf.Bytes())
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		// Let the fuzzer past the checksum: re-sign whatever it made.
		if len(b) >= headerLen+4 && string(b[:len(magic)]) == magic {
			b = slices.Clone(b)
			binary.LittleEndian.PutUint64(b[12:], uint64(len(b)-headerLen-4))
			binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.Checksum(b[:len(b)-4], castagnoli))
		}
		m, err := Read(bytes.NewReader(b))
		if err == nil {
			m.Score("a", "b")
			m.WriteTo(io.Discard)
		}
	})
}
