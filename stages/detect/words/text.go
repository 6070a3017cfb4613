package words

import (
	"math"
	"math/bits"
	"strconv"
	"unicode/utf8"
)

// maxToken caps a text field copied into a word, so that one odd line
// cannot make a huge word.
const maxToken = 48

// ceilLog2p1 is ceil(log2(n+1)) for n >= 0, computed exactly: the bit length
// of n. Absent or negative n gives 0.
func ceilLog2p1(n int64) int64 {
	if n <= 0 {
		return 0
	}
	return int64(bits.Len64(uint64(n)))
}

// floorLog2 is floor(log2(n)) for n >= 1, computed exactly; n <= 0 (absent,
// or a log of zero) gives 0.
func floorLog2(n int64) int64 {
	if n <= 1 {
		return 0
	}
	return int64(bits.Len64(uint64(n))) - 1
}

// appendInt appends n and a separator.
func appendInt(b []byte, n int64) []byte {
	return append(strconv.AppendInt(b, n, 10), '_')
}

// appendToken appends the text field s as one word part: "-" when absent;
// "_" (the word separator) becomes "-", bytes outside printable ASCII become
// "?", and it is cut at maxToken bytes. A separator follows.
func appendToken(b []byte, s string) []byte {
	if !present(s) {
		return append(b, '-', '_')
	}
	if len(s) > maxToken {
		s = s[:maxToken]
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_':
			c = '-'
		case c <= ' ' || c >= 0x7f:
			c = '?'
		}
		b = append(b, c)
	}
	return append(b, '_')
}

// finish drops the trailing separator and makes the word.
func finish(b []byte) string { return string(b[:len(b)-1]) }

// xlog2x[c] is c*log2(c), for the entropy of short strings without a log
// call per character.
var xlog2x [256]float64

func init() {
	for c := 1; c < len(xlog2x); c++ {
		xlog2x[c] = float64(c) * math.Log2(float64(c))
	}
}

func clog2c(c uint32) float64 {
	if c < uint32(len(xlog2x)) {
		return xlog2x[c]
	}
	f := float64(c)
	return f * math.Log2(f)
}

// entropy is the Shannon entropy, in bits per character, of the characters
// (Unicode code points; invalid UTF-8 bytes count as U+FFFD) of s: 0 for "".
func entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [128]uint32
	var distinct [128]byte
	nd := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return entropyRunes(s)
		}
		if counts[c] == 0 {
			distinct[nd] = c
			nd++
		}
		counts[c]++
	}
	var sum float64
	for _, c := range distinct[:nd] {
		sum += clog2c(counts[c])
	}
	return entropyOf(len(s), sum)
}

// entropyOf is log2(n) - sum/n, where sum is Σ c·log2(c) over the character
// counts c: the entropy of n characters. It is never negative.
func entropyOf(n int, sum float64) float64 {
	fn := float64(n)
	h := math.Log2(fn) - sum/fn
	if h < 0 || h != h {
		return 0
	}
	return h
}

// entropyRunes is entropy for strings with non-ASCII characters. Counts are
// summed in order of first appearance, so the float sum does not depend on
// map order.
func entropyRunes(s string) float64 {
	counts := map[rune]uint32{}
	var order []rune
	n := 0
	for _, r := range s {
		if counts[r] == 0 {
			order = append(order, r)
		}
		counts[r]++
		n++
	}
	var sum float64
	for _, r := range order {
		sum += clog2c(counts[r])
	}
	return entropyOf(n, sum)
}

// maxEntropyBin is the highest entropy bin.
const maxEntropyBin = 6

// entropyBin discretizes an entropy in bits: 0 for 0 (an empty string, or
// one character repeated), k for (k-1, k] bits with k = 1..5, and 6 for more
// than 5 bits. The small tolerance keeps values that are integers in exact
// arithmetic (log2 of 2, 4, 8 … equally likely characters) in the lower bin
// whatever the floating-point rounding.
func entropyBin(h float64) int64 {
	b := int64(math.Ceil(h - 1e-9))
	if b < 0 {
		return 0
	}
	if b > maxEntropyBin {
		return maxEntropyBin
	}
	return b
}

// isDigit, isHex, isAlnum classify ASCII bytes.
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isHex(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
func isAlnum(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// isSpace is ASCII white space.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// variable reports whether an alphanumeric run of a message is a value
// rather than a word of the message: it holds a digit and starts with one
// (numbers, IPv4 octets, times), or is hex with a digit (ids, hashes), or is
// long (12+) with a digit (tokens, base64). Right after a value and its
// separator (afterValue), any hex run also counts, so that MAC addresses,
// fingerprints and IPv6 addresses are one value.
func variable(seg string, afterValue bool) bool {
	digit, hex := false, true
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if isDigit(c) {
			digit = true
		} else if !isHex(c) {
			hex = false
		}
	}
	if afterValue && hex {
		return true
	}
	return digit && (isDigit(seg[0]) || hex || len(seg) >= 12)
}

// maxTemplate caps the length of a message template.
const maxTemplate = 200

// appendTemplate appends the template of msg: values (see variable) become
// "#", and a run of values joined by . : - / (an address, a time, a UUID,
// ip/port) becomes one "#"; a quoted string becomes "*" in its quotes (a
// quote opens a string only at the start of the text or after a character
// that is not a letter or digit, so "It's" is not a string); runs of white
// space become one space. The template is cut at maxTemplate bytes.
func appendTemplate(b []byte, msg string) []byte {
	start := len(b)
	valueEnd := -1 // len(b) right after the last "#", while only joiners follow it
	for i := 0; i < len(msg) && len(b)-start < maxTemplate; {
		c := msg[i]
		switch {
		case isAlnum(c):
			j := i + 1
			for j < len(msg) && isAlnum(msg[j]) {
				j++
			}
			if variable(msg[i:j], valueEnd >= 0) {
				if valueEnd >= 0 {
					b = b[:valueEnd] // join with the previous value
				} else {
					b = append(b, '#')
					valueEnd = len(b)
				}
			} else {
				b = append(b, msg[i:j]...)
				valueEnd = -1
			}
			i = j
		case (c == '"' || c == '\'') && (i == 0 || !isAlnum(msg[i-1])):
			j := i + 1
			for j < len(msg) && msg[j] != c {
				j++
			}
			b = append(b, c, '*', c)
			valueEnd = -1
			i = j + 1
		case isSpace(c):
			for i < len(msg) && isSpace(msg[i]) {
				i++
			}
			b = append(b, ' ')
			valueEnd = -1
		case c == '.' || c == ':' || c == '-' || c == '/':
			b = append(b, c)
			i++
		default:
			b = append(b, c)
			valueEnd = -1
			i++
		}
	}
	if len(b)-start > maxTemplate {
		b = b[:start+maxTemplate]
	}
	return b
}
