package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/zeebo/xxh3"
)

// ErrUnreadable marks an object that cannot be read as a text log at all; the
// whole object fails and nothing of it is committed.
var ErrUnreadable = errors.New("object cannot be read")

// countingHasher counts and hashes the stored bytes as they stream by, so the
// ledger records a checksum without a second read.
type countingHasher struct {
	r io.Reader
	h *xxh3.Hasher
	n int64
}

func (c *countingHasher) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.h.Write(p[:n])
	return n, err
}

// lineReader yields the lines of an object, with the byte offset of each in
// the decompressed stream. Compression is detected from the bytes.
type lineReader struct {
	raw        *countingHasher
	br         *bufio.Reader
	gz         *gzip.Reader
	max        int
	off        int64
	lineNo     int64
	long       []byte
	compressed bool
}

func newLineReader(r io.Reader, maxLine int) (*lineReader, error) {
	raw := &countingHasher{r: r, h: xxh3.New()}
	lr := &lineReader{raw: raw, max: maxLine}
	br := bufio.NewReaderSize(raw, 256<<10)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %v", ErrUnreadable, err)
	}
	var text io.Reader = br
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: gzip header: %v", ErrUnreadable, err)
		}
		lr.gz = gz
		lr.compressed = true
		text = gz
	}
	lr.br = bufio.NewReaderSize(text, 1<<20)
	head, err := lr.br.Peek(8 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, readErr(lr.compressed, err)
	}
	if i := bytes.IndexByte(head, 0); i >= 0 {
		return nil, fmt.Errorf("%w: binary data (a NUL byte at offset %d): not a text log; if it is UTF-16, convert it to UTF-8", ErrUnreadable, i)
	}
	return lr, nil
}

func readErr(compressed bool, err error) error {
	if compressed {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: gzip stream is truncated (the file was cut short or is still being written)", ErrUnreadable)
		}
		return fmt.Errorf("%w: gzip: %v", ErrUnreadable, err)
	}
	return fmt.Errorf("%w: %v", ErrUnreadable, err)
}

// next returns the next line without its line ending, its offset, and
// whether it was cut at the line limit. It returns io.EOF at the end.
func (lr *lineReader) next() (line []byte, offset int64, tooLong bool, err error) {
	offset = lr.off
	line, err = lr.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		// A line longer than the buffer: keep up to max bytes, skip the rest.
		lr.long = append(lr.long[:0], line...)
		total := len(line)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = lr.br.ReadSlice('\n')
			total += len(line)
			if len(lr.long) < lr.max {
				lr.long = append(lr.long, line[:min(len(line), lr.max-len(lr.long))]...)
			}
		}
		line = lr.long
		lr.off += int64(total)
		tooLong = total > lr.max
	} else {
		lr.off += int64(len(line))
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, offset, false, readErr(lr.compressed, err)
	}
	if len(line) == 0 && errors.Is(err, io.EOF) {
		return nil, offset, false, io.EOF
	}
	lr.lineNo++
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) > lr.max {
		tooLong = true
		line = line[:lr.max]
	}
	return line, offset, tooLong, nil
}

// finish drains what is left (a gzip trailer) and reports a truncated or
// corrupt stream, which must fail the object.
func (lr *lineReader) finish() error {
	if lr.gz != nil {
		if _, err := io.Copy(io.Discard, lr.gz); err != nil {
			return readErr(true, err)
		}
		if err := lr.gz.Close(); err != nil {
			return readErr(true, err)
		}
	}
	return nil
}

func (lr *lineReader) checksum() string { return fmt.Sprintf("%016x", lr.raw.h.Sum64()) }
