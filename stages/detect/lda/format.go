package lda

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"time"
)

// File format (little-endian):
//
//	magic    8 bytes  "SPOTLDA\x00"
//	version  uint32   FormatVersion
//	length   uint64   body length in bytes
//	body     length bytes
//	crc      uint32   CRC-32C of everything before it
//
// Body, version 1 (uvarint/varint are encoding/binary's; f64 is IEEE bits):
//
//	string Version; uvarint Topics; f64 Alpha, Beta; varint Trained (Unix ns);
//	uvarint Docs, Words; varint Tokens; uvarint Iterations; varint Seed;
//	uvarint Workers; varint Scale; f64 LogLik; varint FitDuration (ns);
//	Docs names, then Words names, each sorted and front-coded
//	  (uvarint shared-prefix length, uvarint suffix length, suffix bytes);
//	per document: uvarint nnz, then nnz × (uvarint topic gap, uvarint n_dk);
//	per word:     uvarint nnz, then nnz × (uvarint topic gap, uvarint n_kw).
//
// θ and φ are not stored: Read derives them from the counts with the same
// code as Fit, so the model read back is bit-for-bit the one written.
const (
	magic = "SPOTLDA\x00"
	// FormatVersion is the model file format this build writes and reads.
	FormatVersion = 1

	headerLen = len(magic) + 4 + 8
	maxBody   = 1 << 40
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// WriteTo writes the model in the versioned binary format.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	K := m.Topics
	if K < 1 || len(m.ndk) != m.Docs*K || len(m.nkw) != m.Words*K || len(m.docNames) != m.Docs || len(m.wordNames) != m.Words {
		return 0, errors.New("lda: WriteTo: not a fitted model")
	}
	b := make([]byte, headerLen, headerLen+64+16*(m.Docs+m.Words)+4*len(m.ndk)/K+4*len(m.nkw)/K)
	copy(b, magic)
	binary.LittleEndian.PutUint32(b[8:], FormatVersion)

	b = appendString(b, m.Version)
	b = binary.AppendUvarint(b, uint64(K))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(m.Alpha))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(m.Beta))
	b = binary.AppendVarint(b, m.Trained.UnixNano())
	b = binary.AppendUvarint(b, uint64(m.Docs))
	b = binary.AppendUvarint(b, uint64(m.Words))
	b = binary.AppendVarint(b, m.Tokens)
	b = binary.AppendUvarint(b, uint64(m.Iterations))
	b = binary.AppendVarint(b, m.Seed)
	b = binary.AppendUvarint(b, uint64(m.Workers))
	b = binary.AppendVarint(b, m.Scale)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(m.LogLik))
	b = binary.AppendVarint(b, int64(m.FitDuration))
	b = appendNames(b, m.docNames)
	b = appendNames(b, m.wordNames)
	b = appendCounts(b, m.ndk, K)
	b = appendCounts(b, m.nkw, K)

	binary.LittleEndian.PutUint64(b[12:], uint64(len(b)-headerLen))
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	n, err := w.Write(b)
	return int64(n), err
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendNames(b []byte, names []string) []byte {
	prev := ""
	for _, s := range names {
		p := 0
		for p < len(s) && p < len(prev) && s[p] == prev[p] {
			p++
		}
		b = binary.AppendUvarint(b, uint64(p))
		b = appendString(b, s[p:])
		prev = s
	}
	return b
}

func appendCounts(b []byte, counts []int32, K int) []byte {
	for r := 0; r < len(counts); r += K {
		row := counts[r : r+K]
		nnz := 0
		for _, x := range row {
			if x != 0 {
				nnz++
			}
		}
		b = binary.AppendUvarint(b, uint64(nnz))
		prev := -1
		for k, x := range row {
			if x != 0 {
				b = binary.AppendUvarint(b, uint64(k-prev-1))
				b = binary.AppendUvarint(b, uint64(x))
				prev = k
			}
		}
	}
	return b
}

// Read reads a model written by WriteTo. It rejects other files (ErrNotModel),
// other format versions (ErrUnsupportedVersion) and damaged or inconsistent
// data (ErrCorrupt), and reads exactly the model's bytes from r.
func Read(r io.Reader) (*Model, error) {
	var hdr [headerLen]byte
	n0, err := io.ReadFull(r, hdr[:])
	if err != nil && err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("lda: reading model: %w", err)
	}
	if n0 == 0 {
		return nil, fmt.Errorf("%w: empty input", ErrNotModel)
	}
	if got := hdr[:min(n0, len(magic))]; string(got) != magic[:len(got)] {
		return nil, fmt.Errorf("%w (bad magic %q)", ErrNotModel, got)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: truncated header (%d bytes)", ErrCorrupt, n0)
	}
	if v := binary.LittleEndian.Uint32(hdr[8:]); v != FormatVersion {
		return nil, fmt.Errorf("%w %d (this build reads version %d)", ErrUnsupportedVersion, v, FormatVersion)
	}
	n := binary.LittleEndian.Uint64(hdr[12:])
	if n > maxBody {
		return nil, fmt.Errorf("%w: body length %d", ErrCorrupt, n)
	}
	// Grow with the data rather than trusting the length for the allocation.
	var buf bytes.Buffer
	buf.Grow(int(min(n, 1<<24)) + 4)
	buf.Write(hdr[:])
	if _, err := io.CopyN(&buf, r, int64(n)+4); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: truncated (want %d body bytes)", ErrCorrupt, n)
		}
		return nil, fmt.Errorf("lda: reading model: %w", err)
	}
	all := buf.Bytes()
	body, sum := all[:len(all)-4], binary.LittleEndian.Uint32(all[len(all)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	m, err := decode(&decoder{b: body[headerLen:]})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return m, nil
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad or truncated varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad or truncated varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) f64() float64 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 8 {
		d.fail("truncated float")
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return v
}

func (d *decoder) bytes(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail("truncated string")
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

// size reads a count of items that each take at least minBytes bytes.
func (d *decoder) size(what string, minBytes int) int {
	v := d.uvarint()
	if d.err == nil && v > uint64(len(d.b)/minBytes) {
		d.fail("%s = %d exceeds the data", what, v)
		return 0
	}
	return int(v)
}

func (d *decoder) names(n int) []string {
	out := make([]string, 0, n)
	var prev []byte
	for i := range n {
		p := d.uvarint()
		suf := d.bytes(d.uvarint())
		if d.err != nil {
			return nil
		}
		if p > uint64(len(prev)) {
			d.fail("name %d: bad prefix length", i)
			return nil
		}
		s := string(append(prev[:p:p], suf...))
		if i > 0 && s <= out[i-1] {
			d.fail("names not strictly increasing at %d", i)
			return nil
		}
		out = append(out, s)
		prev = []byte(s)
	}
	return out
}

func (d *decoder) counts(rows, K int) []int32 {
	out := make([]int32, rows*K)
	for r := range rows {
		nnz := d.uvarint()
		if d.err != nil {
			return nil
		}
		if nnz > uint64(K) {
			d.fail("row %d: %d non-zero topics", r, nnz)
			return nil
		}
		k := -1
		for range nnz {
			gap := d.uvarint()
			x := d.uvarint()
			if d.err != nil {
				return nil
			}
			if gap >= uint64(K) || k+1+int(gap) >= K || x == 0 || x > math.MaxInt32 {
				d.fail("row %d: bad entry", r)
				return nil
			}
			k += 1 + int(gap)
			out[r*K+k] = int32(x)
		}
	}
	return out
}

func decode(d *decoder) (*Model, error) {
	m := &Model{}
	m.Version = string(d.bytes(d.uvarint()))
	K := d.uvarint()
	m.Alpha, m.Beta = d.f64(), d.f64()
	m.Trained = time.Unix(0, d.varint()).UTC()
	m.Docs = d.size("docs", 2)
	m.Words = d.size("words", 2)
	m.Tokens = d.varint()
	m.Iterations = int(d.uvarint())
	m.Seed = d.varint()
	m.Workers = int(d.uvarint())
	m.Scale = d.varint()
	m.LogLik = d.f64()
	m.FitDuration = time.Duration(d.varint())
	if d.err != nil {
		return nil, d.err
	}
	switch {
	case K < 1 || K > MaxTopics:
		return nil, fmt.Errorf("topics = %d", K)
	case !(m.Alpha > 0) || math.IsInf(m.Alpha, 0) || !(m.Beta > 0) || math.IsInf(m.Beta, 0):
		return nil, fmt.Errorf("priors alpha = %v, beta = %v", m.Alpha, m.Beta)
	case m.Docs < 1 || m.Words < 1 || m.Tokens < 1 || m.Scale < 1:
		return nil, fmt.Errorf("docs = %d, words = %d, tokens = %d, scale = %d", m.Docs, m.Words, m.Tokens, m.Scale)
	case m.Docs*int(K) > maxCells || m.Words*int(K) > maxCells:
		return nil, fmt.Errorf("model too large: %d docs, %d words, %d topics", m.Docs, m.Words, K)
	}
	m.Topics = int(K)
	m.docNames = d.names(m.Docs)
	m.wordNames = d.names(m.Words)
	m.ndk = d.counts(m.Docs, m.Topics)
	m.nkw = d.counts(m.Words, m.Topics)
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%d trailing bytes", len(d.b))
	}
	var sd, sw int64
	for _, x := range m.ndk {
		sd += int64(x)
	}
	for _, x := range m.nkw {
		sw += int64(x)
	}
	if sd != sw || sd < 1 {
		return nil, fmt.Errorf("document counts (%d) and word counts (%d) disagree", sd, sw)
	}
	m.derive()
	return m, nil
}
