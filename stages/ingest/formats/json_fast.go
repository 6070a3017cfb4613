package formats

// Shared helpers of the JSON formats (cowrie, navigator, jsonl): a scanner
// that walks one JSON object line member by member without building a tree,
// strings that share one copy of the line (one allocation per event), and
// time parsers that work on bytes.
//
// The scanner is strict about JSON syntax (RFC 8259) with three leniencies,
// all of which keep data rather than reject it: raw control characters inside
// strings are accepted, invalid UTF-8 and lone surrogate escapes become
// U+FFFD (as encoding/json does), and a UTF-8 byte order mark before the
// object is skipped.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"time"
	"unicode/utf8"
)

// jsonKind is the type of a JSON value.
type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonFalse
	jsonTrue
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

// jsonVal is one JSON value of a line. b is the unescaped text of a string,
// the literal of a number, true, false or null, and the JSON text of an array
// or object. b points into the line or the scanner's scratch buffer and is
// valid until the next line; off is the offset of b in the line when b is a
// verbatim part of it, -1 when b is text of its own (unescaped, repaired).
type jsonVal struct {
	kind jsonKind
	b    []byte
	off  int
}

// slice returns the part b[i:j] of v.
func (v jsonVal) slice(i, j int) jsonVal {
	off := -1
	if v.off >= 0 {
		off = v.off + i
	}
	return jsonVal{kind: v.kind, b: v.b[i:j], off: off}
}

// jsonMaxDepth bounds the nesting of arrays and objects.
const jsonMaxDepth = 512

// jsonSyntaxError is malformed JSON: what is wrong and the byte offset in the line.
type jsonSyntaxError struct {
	msg string
	off int
}

func (e *jsonSyntaxError) Error() string {
	return e.msg + " (offset " + strconv.Itoa(e.off) + ")"
}

// jsonIter reads the members of one object (or the elements of one array).
type jsonIter struct {
	b     []byte
	pos   int
	base  int  // offset of b in the line, -1 when b is not part of it
	n     int  // members or elements read so far
	ascii bool // b is all ASCII: strings need no UTF-8 check
	esc   *[]byte
}

func (it *jsonIter) fail(msg string, pos int) error {
	return &jsonSyntaxError{msg: msg, off: it.base + pos}
}

// at returns the line offset of b[pos:], -1 when b is not part of the line.
func (it *jsonIter) at(pos int) int {
	if it.base < 0 {
		return -1
	}
	return it.base + pos
}

func (it *jsonIter) skipWS() {
	if it.pos < len(it.b) && it.b[it.pos] > ' ' {
		return // compact JSON: no white space here
	}
	it.skipWSSlow()
}

func (it *jsonIter) skipWSSlow() {
	for it.pos < len(it.b) {
		switch it.b[it.pos] {
		case ' ', '\t', '\n', '\r':
			it.pos++
		default:
			return
		}
	}
}

// jsonOpenLine starts reading line as one JSON object. A blank line gives ErrSkip.
func jsonOpenLine(it *jsonIter, line []byte, esc *[]byte) error {
	*esc = (*esc)[:0]
	*it = jsonIter{b: line, esc: esc, ascii: jsonASCII(line)}
	if len(line) >= 3 && line[0] == 0xEF && line[1] == 0xBB && line[2] == 0xBF {
		it.pos = 3
	}
	it.skipWS()
	if it.pos >= len(line) {
		return ErrSkip // a blank line
	}
	switch c := line[it.pos]; c {
	case '{':
		it.pos++
		return nil
	case '[':
		return it.fail("found an array", it.pos)
	case '"':
		return it.fail("found a string", it.pos)
	default:
		return it.fail("invalid character "+jsonQuoteByte(c), it.pos)
	}
}

// jsonSub returns an iterator over the members or elements of a nested
// object or array, given its value as read (and so validated) by value.
// Strings it unescapes go to esc.
func jsonSub(raw jsonVal, esc *[]byte) jsonIter {
	return jsonIter{b: raw.b, pos: 1, base: raw.off, esc: esc, ascii: jsonASCII(raw.b)}
}

// end checks that nothing but white space follows the object.
func (it *jsonIter) end() error {
	it.skipWS()
	if it.pos < len(it.b) {
		return it.fail("data after the object", it.pos)
	}
	return nil
}

// member reads the next member of the object. ok is false after the closing brace.
func (it *jsonIter) member() (key []byte, v jsonVal, ok bool, err error) {
	it.skipWS()
	if it.pos >= len(it.b) {
		return nil, v, false, it.fail("unexpected end of line in object", it.pos)
	}
	c := it.b[it.pos]
	if c == '}' {
		it.pos++
		return nil, v, false, nil
	}
	if it.n > 0 {
		if c != ',' {
			return nil, v, false, it.fail("expected ',' or '}' after object member, found "+jsonQuoteByte(c), it.pos)
		}
		it.pos++
		it.skipWS()
		if it.pos >= len(it.b) {
			return nil, v, false, it.fail("unexpected end of line in object", it.pos)
		}
		c = it.b[it.pos]
	}
	if c != '"' {
		return nil, v, false, it.fail("expected '\"' to start an object key, found "+jsonQuoteByte(c), it.pos)
	}
	it.pos++
	key, err = it.key()
	if err != nil {
		return nil, v, false, err
	}
	it.skipWS()
	if it.pos >= len(it.b) || it.b[it.pos] != ':' {
		if it.pos >= len(it.b) {
			return nil, v, false, it.fail("unexpected end of line after object key", it.pos)
		}
		return nil, v, false, it.fail("expected ':' after object key, found "+jsonQuoteByte(it.b[it.pos]), it.pos)
	}
	it.pos++
	it.skipWS()
	v, err = it.value(1)
	if err != nil {
		return nil, v, false, err
	}
	it.n++
	return key, v, true, nil
}

// element reads the next element of an array. ok is false after the closing bracket.
func (it *jsonIter) element() (v jsonVal, ok bool, err error) {
	it.skipWS()
	if it.pos >= len(it.b) {
		return v, false, it.fail("unexpected end of line in array", it.pos)
	}
	c := it.b[it.pos]
	if c == ']' {
		it.pos++
		return v, false, nil
	}
	if it.n > 0 {
		if c != ',' {
			return v, false, it.fail("expected ',' or ']' after array element, found "+jsonQuoteByte(c), it.pos)
		}
		it.pos++
		it.skipWS()
	}
	v, err = it.value(1)
	if err != nil {
		return v, false, err
	}
	it.n++
	return v, true, nil
}

// value reads the value at the current position (white space skipped).
func (it *jsonIter) value(depth int) (jsonVal, error) {
	if it.pos >= len(it.b) {
		return jsonVal{}, it.fail("unexpected end of line, expected a value", it.pos)
	}
	start := it.pos
	switch c := it.b[it.pos]; c {
	case '"':
		it.pos++
		s, off, err := it.str()
		return jsonVal{kind: jsonString, b: s, off: off}, err
	case '{':
		if err := it.skipObject(depth); err != nil {
			return jsonVal{}, err
		}
		return jsonVal{kind: jsonObject, b: it.b[start:it.pos], off: it.at(start)}, nil
	case '[':
		if err := it.skipArray(depth); err != nil {
			return jsonVal{}, err
		}
		return jsonVal{kind: jsonArray, b: it.b[start:it.pos], off: it.at(start)}, nil
	case 't':
		return it.literal("true", jsonTrue)
	case 'f':
		return it.literal("false", jsonFalse)
	case 'n':
		return it.literal("null", jsonNull)
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return it.number()
		}
		return jsonVal{}, it.fail("invalid character "+jsonQuoteByte(c)+" looking for a value", it.pos)
	}
}

func (it *jsonIter) literal(lit string, kind jsonKind) (jsonVal, error) {
	start := it.pos
	if len(it.b)-start < len(lit) || string(it.b[start:start+len(lit)]) != lit {
		return jsonVal{}, it.fail("invalid literal, expected "+lit, start)
	}
	it.pos += len(lit)
	return jsonVal{kind: kind, b: it.b[start:it.pos], off: it.at(start)}, nil
}

func (it *jsonIter) number() (jsonVal, error) {
	b, i, start := it.b, it.pos, it.pos
	if b[i] == '-' {
		i++
	}
	digits := func() int {
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i - j
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if digits() == 0 {
		return jsonVal{}, it.fail("invalid number", start)
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return jsonVal{}, it.fail("invalid number", start)
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return jsonVal{}, it.fail("invalid number", start)
		}
	}
	it.pos = i
	return jsonVal{kind: jsonNumber, b: b[start:i], off: it.at(start)}, nil
}

// str reads a string whose opening quote is just before it.pos and returns
// its unescaped text and that text's offset in the line (-1 when unescaped).
func (it *jsonIter) str() ([]byte, int, error) {
	b := it.b
	start := it.pos
	i := jsonFindQB(b, start)
	if i < 0 {
		return nil, -1, it.fail("unterminated string", start-1)
	}
	s := b[start:i]
	if b[i] == '\\' || (!it.ascii && !utf8.Valid(s)) {
		s, err := it.strSlow(start, start)
		return s, -1, err
	}
	it.pos = i + 1
	return s, it.at(start), nil
}

// key reads an object key (the opening quote just before it.pos).
func (it *jsonIter) key() ([]byte, error) {
	b := it.b
	start := it.pos
	i := jsonFindQB(b, start)
	if i < 0 {
		return nil, it.fail("unterminated string", start-1)
	}
	s := b[start:i]
	if b[i] == '\\' || (!it.ascii && !utf8.Valid(s)) {
		return it.strSlow(start, start)
	}
	it.pos = i + 1
	return s, nil
}

const (
	jsonLo     = 0x0101010101010101
	jsonHi     = 0x8080808080808080
	jsonQuotes = jsonLo * '"'
	jsonSlashs = jsonLo * '\\'
)

// jsonFindQB returns the index of the first quote or backslash in b from
// i on, -1 if there is none. Short strings (keys, addresses, ids) are
// scanned 8 bytes at a time in registers; past 32 bytes IndexByte's vector
// loop takes over.
func jsonFindQB(b []byte, i int) int {
	for n := 0; n < 4 && i+8 <= len(b); n++ {
		x := binary.LittleEndian.Uint64(b[i:])
		q, s := x^jsonQuotes, x^jsonSlashs
		if m := ((q-jsonLo)&^q | (s-jsonLo)&^s) & jsonHi; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	if i+8 > len(b) {
		for ; i < len(b); i++ {
			if c := b[i]; c == '"' || c == '\\' {
				return i
			}
		}
		return -1
	}
	q := bytes.IndexByte(b[i:], '"')
	if q < 0 {
		if bs := bytes.IndexByte(b[i:], '\\'); bs >= 0 {
			return i + bs
		}
		return -1
	}
	if bs := bytes.IndexByte(b[i:i+q], '\\'); bs >= 0 {
		return i + bs
	}
	return i + q
}

// jsonASCII reports whether b is all ASCII.
func jsonASCII(b []byte) bool {
	const hi = 0x8080808080808080
	var acc uint64
	for len(b) >= 32 {
		acc |= binary.LittleEndian.Uint64(b[0:8]) | binary.LittleEndian.Uint64(b[8:16]) |
			binary.LittleEndian.Uint64(b[16:24]) | binary.LittleEndian.Uint64(b[24:32])
		b = b[32:]
	}
	for len(b) >= 8 {
		acc |= binary.LittleEndian.Uint64(b[0:8])
		b = b[8:]
	}
	for _, c := range b {
		acc |= uint64(c)
	}
	return acc&hi == 0
}

// strSlow unescapes a string into the scratch buffer; b[start:i] is plain text.
func (it *jsonIter) strSlow(start, i int) ([]byte, error) {
	b := it.b
	esc := *it.esc
	mark := len(esc)
	esc = append(esc, b[start:i]...)
	for {
		if i >= len(b) {
			*it.esc = esc
			return nil, it.fail("unterminated string", start-1)
		}
		c := b[i]
		switch {
		case c == '"':
			it.pos = i + 1
			*it.esc = esc
			return esc[mark:], nil
		case c == '\\':
			if i+1 >= len(b) {
				*it.esc = esc
				return nil, it.fail("unterminated string", start-1)
			}
			switch e := b[i+1]; e {
			case '"', '\\', '/':
				esc = append(esc, e)
			case 'b':
				esc = append(esc, '\b')
			case 'f':
				esc = append(esc, '\f')
			case 'n':
				esc = append(esc, '\n')
			case 'r':
				esc = append(esc, '\r')
			case 't':
				esc = append(esc, '\t')
			case 'u':
				r, ok := jsonHex4(b[i+2:])
				if !ok {
					*it.esc = esc
					return nil, it.fail("invalid \\u escape in string", i)
				}
				i += 6
				if r >= 0xD800 && r < 0xDC00 {
					// A high surrogate: combine with a following low one.
					if i+1 < len(b) && b[i] == '\\' && b[i+1] == 'u' {
						if r2, ok := jsonHex4(b[i+2:]); ok && r2 >= 0xDC00 && r2 < 0xE000 {
							r = (r-0xD800)<<10 | (r2 - 0xDC00) + 0x10000
							i += 6
						} else {
							r = utf8.RuneError
						}
					} else {
						r = utf8.RuneError
					}
				} else if r >= 0xDC00 && r < 0xE000 {
					r = utf8.RuneError
				}
				esc = utf8.AppendRune(esc, r)
				continue
			default:
				*it.esc = esc
				return nil, it.fail("invalid escape "+jsonQuoteByte(e)+" in string", i)
			}
			i += 2
		case c < utf8.RuneSelf:
			esc = append(esc, c)
			i++
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				esc = append(esc, "\uFFFD"...)
			} else {
				esc = append(esc, b[i:i+size]...)
			}
			i += size
		}
	}
}

func jsonHex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// skipStr validates a string (the opening quote at it.pos) without
// unescaping it. UTF-8 is checked when the text is kept.
func (it *jsonIter) skipStr() error {
	b := it.b
	start := it.pos
	i := start + 1
	for {
		j := jsonFindQB(b, i)
		if j < 0 {
			return it.fail("unterminated string", start)
		}
		if b[j] == '"' {
			it.pos = j + 1
			return nil
		}
		if j+1 >= len(b) {
			return it.fail("unterminated string", start)
		}
		switch b[j+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i = j + 2
		case 'u':
			if _, ok := jsonHex4(b[j+2:]); !ok {
				return it.fail("invalid \\u escape in string", j)
			}
			i = j + 6
		default:
			return it.fail("invalid escape "+jsonQuoteByte(b[j+1])+" in string", j)
		}
	}
}

func (it *jsonIter) skipObject(depth int) error {
	if depth > jsonMaxDepth {
		return it.fail("nesting too deep", it.pos)
	}
	it.pos++ // '{'
	for n := 0; ; n++ {
		it.skipWS()
		if it.pos >= len(it.b) {
			return it.fail("unexpected end of line in object", it.pos)
		}
		c := it.b[it.pos]
		if c == '}' {
			it.pos++
			return nil
		}
		if n > 0 {
			if c != ',' {
				return it.fail("expected ',' or '}' after object member, found "+jsonQuoteByte(c), it.pos)
			}
			it.pos++
			it.skipWS()
			if it.pos >= len(it.b) {
				return it.fail("unexpected end of line in object", it.pos)
			}
			c = it.b[it.pos]
		}
		if c != '"' {
			return it.fail("expected '\"' to start an object key, found "+jsonQuoteByte(c), it.pos)
		}
		if err := it.skipStr(); err != nil {
			return err
		}
		it.skipWS()
		if it.pos >= len(it.b) || it.b[it.pos] != ':' {
			return it.fail("expected ':' after object key", it.pos)
		}
		it.pos++
		it.skipWS()
		if err := it.skipValue(depth + 1); err != nil {
			return err
		}
	}
}

func (it *jsonIter) skipArray(depth int) error {
	if depth > jsonMaxDepth {
		return it.fail("nesting too deep", it.pos)
	}
	it.pos++ // '['
	for n := 0; ; n++ {
		it.skipWS()
		if it.pos >= len(it.b) {
			return it.fail("unexpected end of line in array", it.pos)
		}
		c := it.b[it.pos]
		if c == ']' {
			it.pos++
			return nil
		}
		if n > 0 {
			if c != ',' {
				return it.fail("expected ',' or ']' after array element, found "+jsonQuoteByte(c), it.pos)
			}
			it.pos++
			it.skipWS()
		}
		if err := it.skipValue(depth + 1); err != nil {
			return err
		}
	}
}

func (it *jsonIter) skipValue(depth int) error {
	if it.pos >= len(it.b) {
		return it.fail("unexpected end of line, expected a value", it.pos)
	}
	switch c := it.b[it.pos]; c {
	case '"':
		return it.skipStr()
	case '{':
		return it.skipObject(depth)
	case '[':
		return it.skipArray(depth)
	default:
		_, err := it.value(depth)
		return err
	}
}

// jsonQuoteByte renders a byte for an error message.
func jsonQuoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return "'" + string(rune(c)) + "'"
	}
	const hex = "0123456789abcdef"
	return "'\\x" + string([]byte{hex[c>>4], hex[c&15]}) + "'"
}

// jsonShow renders a value for an error message: strings quoted, everything
// cut to a few dozen bytes so that a message never carries a whole line.
func jsonShow(v jsonVal) string {
	const max = 40
	b := v.b
	cut := len(b) > max
	if cut {
		b = b[:max]
		for len(b) > 0 && !utf8.Valid(b) { // do not split a rune
			b = b[:len(b)-1]
		}
	}
	var s string
	if v.kind == jsonString {
		s = strconv.Quote(string(b))
	} else {
		s = string(b)
	}
	if cut {
		s += "…"
	}
	return s
}

// jsonDec is the per-parser state of the JSON formats.
type jsonDec struct {
	it      jsonIter
	esc     []byte
	keyBuf  []byte
	keys    map[string]string
	line    []byte // the line being read
	lineStr string // string(line), made when a first string is kept
}

// jsonMaxKeys bounds the interned attribute keys of one parser; further keys
// are copied per event.
const jsonMaxKeys = 4096

func (d *jsonDec) open(line []byte) error {
	d.line, d.lineStr = line, ""
	return jsonOpenLine(&d.it, line, &d.esc)
}

// str returns v's text as a string that outlives the line: a substring of
// one copy of the line when v is a verbatim part of it (so that an event
// costs one allocation however many strings it keeps), else a copy of its own.
func (d *jsonDec) str(v jsonVal) string {
	if len(v.b) == 0 {
		return ""
	}
	if v.off < 0 {
		return string(v.b)
	}
	if d.lineStr == "" {
		d.lineStr = string(d.line)
	}
	return d.lineStr[v.off : v.off+len(v.b)]
}

// set stores v's text in *dst; an empty v leaves *dst as it is.
func (d *jsonDec) set(dst *string, v jsonVal) {
	if len(v.b) > 0 {
		*dst = d.str(v)
	}
}

// attr stores one source field as attributes: scalars as their text, arrays
// as their JSON text, objects flattened with dotted keys; null is dropped.
// key is d.keyBuf[:klen].
func (d *jsonDec) attr(ev *Event, klen int, v jsonVal) {
	switch v.kind {
	case jsonNull:
	case jsonObject:
		d.flatten(ev, klen, v)
	default:
		d.attrVal(ev, d.keyBuf[:klen], d.text(v))
	}
}

// attrNamed is attr for a member whose key is not in d.keyBuf.
func (d *jsonDec) attrNamed(ev *Event, key []byte, v jsonVal) {
	switch v.kind {
	case jsonNull:
	case jsonString, jsonNumber, jsonTrue, jsonFalse:
		d.attrVal(ev, key, v)
	default:
		d.keyBuf = append(d.keyBuf[:0], key...)
		d.attr(ev, len(d.keyBuf), v)
	}
}

// attrVal appends attribute key=v. A JSON "" is kept: the source said it
// (an empty password is a finding); only absent values are dropped.
func (d *jsonDec) attrVal(ev *Event, key []byte, v jsonVal) {
	if len(v.b) > 0 || v.kind == jsonString {
		ev.Attrs = append(ev.Attrs, KV{Key: d.intern(key), Value: d.str(v)})
	}
}

// intern returns key as a string, shared between events while the key table has room.
func (d *jsonDec) intern(key []byte) string {
	if k, ok := d.keys[string(key)]; ok {
		return k
	}
	k := string(key)
	if d.keys == nil {
		d.keys = make(map[string]string)
	}
	if len(d.keys) < jsonMaxKeys {
		d.keys[k] = k
	}
	return k
}

// flatten stores the members of object v under "<key>.<member>"; an empty
// object is kept as "{}". key is d.keyBuf[:klen].
func (d *jsonDec) flatten(ev *Event, klen int, v jsonVal) {
	if !jsonHasMember(v.b) {
		ev.Attrs = append(ev.Attrs, KV{Key: d.intern(d.keyBuf[:klen]), Value: "{}"})
		return
	}
	sub := jsonSub(v, &d.esc)
	for {
		k, v, ok, err := sub.member()
		if err != nil || !ok {
			return // the object was validated when it was read
		}
		d.keyBuf = append(append(d.keyBuf[:klen], '.'), k...)
		d.attr(ev, len(d.keyBuf), v)
	}
}

// jsonHasMember reports whether a validated object's text has a member.
func jsonHasMember(raw []byte) bool {
	for _, c := range raw[1:] {
		switch c {
		case ' ', '\t', '\n', '\r':
		case '}':
			return false
		default:
			return true
		}
	}
	return false
}

// text is the value a string column or attribute gets: strings unescaped,
// other scalars as written, arrays and objects as JSON text (invalid UTF-8
// in them replaced by U+FFFD), null as nothing.
func (d *jsonDec) text(v jsonVal) jsonVal {
	switch v.kind {
	case jsonNull:
		return jsonVal{}
	case jsonArray, jsonObject:
		if utf8.Valid(v.b) {
			return v
		}
		mark := len(d.esc)
		s := d.esc
		for b := v.b; len(b) > 0; {
			r, size := utf8.DecodeRune(b)
			if r == utf8.RuneError && size == 1 {
				s = append(s, "\uFFFD"...)
			} else {
				s = append(s, b[:size]...)
			}
			b = b[size:]
		}
		d.esc = s
		return jsonVal{kind: v.kind, b: s[mark:], off: -1}
	}
	return v
}

// jsonScalar is a scalar for a string column: null gives nothing.
func jsonScalar(v jsonVal) jsonVal {
	if v.kind == jsonNull {
		return jsonVal{}
	}
	return v
}

// jsonInt parses an integer value given as a JSON number or a string of
// digits; ok is false for anything else, and for numbers out of [min, max].
// null and "" give absent=true.
func jsonInt(v jsonVal, min, max int64) (n int64, absent, ok bool) {
	switch v.kind {
	case jsonNull:
		return 0, true, true
	case jsonNumber, jsonString:
		if v.kind == jsonString && (len(v.b) == 0 || (len(v.b) == 1 && v.b[0] == '-')) {
			return 0, true, true
		}
		n, ok := jfDec64(v.b)
		if !ok || n < min || n > max {
			return 0, false, false
		}
		return n, false, true
	}
	return 0, false, false
}

// jfDec64 parses an optionally signed decimal integer. A fraction of
// zeros (443.0, as some JSON writers render integers) is accepted.
func jfDec64(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	neg := b[0] == '-'
	if neg || b[0] == '+' {
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	var n int64
	i := 0
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			break
		}
		if n > (1<<63-1-9)/10 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if i == 0 {
		return 0, false
	}
	if i < len(b) {
		if b[i] != '.' || i+1 == len(b) {
			return 0, false
		}
		for _, c := range b[i+1:] {
			if c != '0' {
				return 0, false
			}
		}
	}
	if neg {
		n = -n
	}
	return n, true
}

// jfRFC3339 parses an RFC 3339 time: YYYY-MM-DD, 'T' (or 't' or a space),
// hh:mm:ss, an optional fraction and a zone (Z or ±hh:mm, also ±hhmm). A time
// without zone is read in noZone, and rejected when noZone is nil.
func jfRFC3339[T string | []byte](b T, noZone *time.Location) (time.Time, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	if c := b[10]; c != 'T' && c != 't' && c != ' ' {
		return time.Time{}, false
	}
	year, ok1 := jfDigits(b[0:4])
	month, ok2 := jfDigits(b[5:7])
	day, ok3 := jfDigits(b[8:10])
	hour, ok4 := jfDigits(b[11:13])
	min, ok5 := jfDigits(b[14:16])
	sec, ok6 := jfDigits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return time.Time{}, false
	}
	i := 19
	nsec := 0
	if i < len(b) && b[i] == '.' {
		i++
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if i-j < 9 {
				nsec = nsec*10 + int(b[i]-'0')
			}
			i++
		}
		if i == j {
			return time.Time{}, false
		}
		if n := i - j; n < 9 {
			nsec *= jfPow10[9-n]
		}
	}
	offset := 0
	switch {
	case i == len(b):
		if noZone == nil {
			return time.Time{}, false
		}
		if noZone != time.UTC {
			if !jfCivilOK(year, month, day, hour, min, sec) {
				return time.Time{}, false
			}
			return time.Date(year, time.Month(month), day, hour, min, sec, nsec, noZone).UTC(), true
		}
	case b[i] == 'Z' || b[i] == 'z':
		i++
	case b[i] == '+' || b[i] == '-':
		z := b[i+1:]
		var zh, zm int
		var ok bool
		switch {
		case len(z) == 5 && z[2] == ':':
			var okh, okm bool
			zh, okh = jfDigits(z[0:2])
			zm, okm = jfDigits(z[3:5])
			ok = okh && okm
		case len(z) == 4:
			var okh, okm bool
			zh, okh = jfDigits(z[0:2])
			zm, okm = jfDigits(z[2:4])
			ok = okh && okm
		}
		if !ok || zh > 23 || zm > 59 {
			return time.Time{}, false
		}
		offset = zh*3600 + zm*60
		if b[i] == '-' {
			offset = -offset
		}
		i = len(b)
	}
	if i != len(b) || !jfCivilOK(year, month, day, hour, min, sec) {
		return time.Time{}, false
	}
	secs := jfDays(year, month, day)*86400 + int64(hour*3600+min*60+sec) - int64(offset)
	return time.Unix(secs, int64(nsec)).UTC(), true
}

// jfTimeCache parses RFC 3339 times, remembering the seconds of the last
// "YYYY-MM-DDThh:mm:ss" and zone seen: consecutive log lines mostly share
// them, so only the fraction is left to read.
type jfTimeCache struct {
	prefix [19]byte
	zone   [8]byte
	zlen   int
	loc    *time.Location
	secs   int64
	ok     bool
}

func (c *jfTimeCache) parse(b []byte, noZone *time.Location) (time.Time, bool) {
	if c.ok && len(b) >= 19 && c.loc == noZone && string(b[:19]) == string(c.prefix[:]) {
		// Same second and zone: read the fraction only.
		i, nsec := 19, 0
		if i < len(b) && b[i] == '.' {
			i++
			j := i
			for i < len(b) && b[i] >= '0' && b[i] <= '9' {
				if i-j < 9 {
					nsec = nsec*10 + int(b[i]-'0')
				}
				i++
			}
			if i == j {
				return time.Time{}, false
			}
			if n := i - j; n < 9 {
				nsec *= jfPow10[9-n]
			}
		}
		if string(b[i:]) == string(c.zone[:c.zlen]) {
			return time.Unix(c.secs, int64(nsec)).UTC(), true
		}
	}
	t, ok := jfRFC3339(b, noZone)
	if !ok {
		return t, false
	}
	// Remember the second (the zone: what follows the fraction).
	i := 19
	if i < len(b) && b[i] == '.' {
		i++
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if z := b[i:]; len(z) <= len(c.zone) {
		copy(c.prefix[:], b[:19])
		c.zlen = copy(c.zone[:], z)
		c.loc = noZone
		c.secs = t.Unix()
		c.ok = true
	} else {
		c.ok = false
	}
	return t, true
}

var jfPow10 = [...]int{1, 10, 100, 1000, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}

// jfDigits parses a fixed-width run of decimal digits.
func jfDigits[T string | []byte](b T) (int, bool) {
	n := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// jfCivilOK checks the ranges of a calendar date and clock time.
func jfCivilOK(year, month, day, hour, min, sec int) bool {
	if month < 1 || month > 12 || day < 1 || hour > 23 || min > 59 || sec > 59 {
		return false
	}
	dim := jfDaysIn[month-1]
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		dim = 29
	}
	return day <= dim
}

var jfDaysIn = [12]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// jfDays returns the days from 1970-01-01 to the given date
// (proleptic Gregorian; H. Hinnant's algorithm).
func jfDays(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// jfEpoch parses a decimal number of units since 1970 (unit is the
// length of one unit in nanoseconds: 1e9 for seconds, 1e6 for ms...), with an
// optional fraction. Exponents are accepted through a float conversion.
func jfEpoch[T string | []byte](b T, unit int64) (time.Time, bool) {
	if len(b) == 0 {
		return time.Time{}, false
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	var ip int64
	i := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if ip > (1<<63-1-9)/10 {
			return time.Time{}, false
		}
		ip = ip*10 + int64(b[i]-'0')
	}
	if i == 0 {
		return time.Time{}, false
	}
	var frac, scale int64 = 0, 1
	if i < len(b) && b[i] == '.' {
		i++
		j := i
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if i-j < 9 {
				frac = frac*10 + int64(b[i]-'0')
				scale *= 10
			}
		}
		if i == j {
			return time.Time{}, false
		}
	}
	if i < len(b) {
		if b[i] != 'e' && b[i] != 'E' {
			return time.Time{}, false
		}
		s := string(b)
		if neg {
			s = "-" + s
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f*float64(unit) > 9e18 || f*float64(unit) < -9e18 {
			return time.Time{}, false
		}
		ns := int64(f * float64(unit))
		return time.Unix(0, ns).UTC(), true
	}
	if ip > (1<<63-1)/unit-1 {
		return time.Time{}, false
	}
	ns := ip*unit + frac*unit/scale
	if neg {
		ns = -ns
	}
	return time.Unix(ns/1e9, ns%1e9).UTC(), true
}

// jfNotObject is the error for a line that is not a JSON object (ErrSkip,
// for a blank line, passes through).
func jfNotObject(format string, err error) error {
	if err == ErrSkip {
		return err
	}
	return errors.New(format + ": not a JSON object: " + err.Error())
}

// jfFieldError is the error for a field whose value does not fit its column,
// e.g. `cowrie: field "timestamp": "yesterday" is not an RFC 3339 time`.
func jfFieldError(format, field string, v jsonVal, what string) error {
	return errors.New(format + ": field " + strconv.Quote(field) + ": " + jsonShow(v) + " " + what)
}

// jfNoOptions rejects options for a format that has none.
func jfNoOptions(format string, opts Options) error {
	for k := range opts {
		return fmt.Errorf("%s: unknown option %q (the format has no options)", format, k)
	}
	return nil
}

// jsonTarget is where a JSON path goes in a mapper: a target id of the format
// and a rank (lower wins when several paths of one line fill the same target;
// the losers become attributes). explicit targets take objects as JSON text
// instead of descending into them.
type jsonTarget struct {
	id       int
	rank     int
	explicit bool
}

// jsonSlot is the value a line offers a target.
type jsonSlot struct {
	set  bool
	rank int
	key  string // the dotted path, for messages and for the attribute if displaced
	v    jsonVal
}

// jsonMapper walks a line's object, sending the values of known dotted paths
// to target slots and every other field to attributes.
type jsonMapper struct {
	d     jsonDec
	keys  map[string]*jsonKey // dotted paths seen: targets and interned names
	slots []jsonSlot
	used  []int
	subs  []*jsonIter // iterators of nested objects, one per depth, reused
}

// jsonKey is what the mapper knows of a dotted path.
type jsonKey struct {
	name   string
	t      jsonTarget
	mapped bool
}

func newJSONMapper(targets int, paths map[string]jsonTarget) *jsonMapper {
	m := &jsonMapper{keys: make(map[string]*jsonKey, len(paths)), slots: make([]jsonSlot, targets)}
	for p, t := range paths {
		m.keys[p] = &jsonKey{name: p, t: t, mapped: true}
	}
	return m
}

// key returns the entry of path, adding one while the table has room (nil
// when it is full: the path is then neither mapped nor interned).
func (m *jsonMapper) key(path []byte) *jsonKey {
	if k, ok := m.keys[string(path)]; ok {
		return k
	}
	if len(m.keys) >= jsonMaxKeys {
		return nil
	}
	k := &jsonKey{name: string(path)}
	m.keys[k.name] = k
	return k
}

// read parses line into slots and attributes. The slots stay valid until the
// next line.
func (m *jsonMapper) read(line []byte, ev *Event) error {
	for _, id := range m.used {
		m.slots[id] = jsonSlot{}
	}
	m.used = m.used[:0]
	if err := m.d.open(line); err != nil {
		return err
	}
	if err := m.walk(ev, &m.d.it, 0, 0); err != nil {
		return err
	}
	return m.d.it.end()
}

// walk reads the members of one object; plen is the length of its dotted
// path prefix in d.keyBuf (0 at the top level), depth its nesting.
func (m *jsonMapper) walk(ev *Event, it *jsonIter, plen, depth int) error {
	d := &m.d
	for {
		k, v, ok, err := it.member()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		path := k
		if plen > 0 {
			d.keyBuf = append(append(d.keyBuf[:plen], '.'), k...)
			path = d.keyBuf
		}
		ki := m.key(path)
		if ki != nil && ki.mapped && (v.kind != jsonObject || ki.t.explicit) {
			m.offer(ev, ki, v)
			continue
		}
		switch v.kind {
		case jsonNull:
		case jsonObject:
			if plen == 0 {
				d.keyBuf = append(d.keyBuf[:0], k...)
			}
			n := len(d.keyBuf)
			if !jsonHasMember(v.b) {
				ev.Attrs = append(ev.Attrs, KV{Key: m.name(ki, d.keyBuf[:n]), Value: "{}"})
				continue
			}
			if depth >= len(m.subs) {
				m.subs = append(m.subs, new(jsonIter))
			}
			sub := m.subs[depth]
			*sub = jsonSub(v, &d.esc)
			if err := m.walk(ev, sub, n, depth+1); err != nil {
				return err
			}
		default:
			if t := d.text(v); len(t.b) > 0 {
				ev.Attrs = append(ev.Attrs, KV{Key: m.name(ki, path), Value: d.str(t)})
			}
		}
	}
}

func (m *jsonMapper) name(ki *jsonKey, path []byte) string {
	if ki != nil {
		return ki.name
	}
	return string(path)
}

// offer gives v to the target of ki unless a better-ranked path already
// filled it. null and "" offer nothing (they stay out of the attributes too,
// as absent values).
func (m *jsonMapper) offer(ev *Event, ki *jsonKey, v jsonVal) {
	if v.kind == jsonNull || (v.kind == jsonString && len(v.b) == 0) {
		return
	}
	s := &m.slots[ki.t.id]
	if s.set {
		if ki.t.rank >= s.rank {
			m.d.attrNamed(ev, []byte(ki.name), v)
			return
		}
		m.d.attrNamed(ev, []byte(s.key), s.v)
	} else {
		m.used = append(m.used, ki.t.id)
	}
	*s = jsonSlot{set: true, rank: ki.t.rank, key: ki.name, v: v}
}
