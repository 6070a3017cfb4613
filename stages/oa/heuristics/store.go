package heuristics

import (
	"bytes"
	"encoding/hex"
	"math"
	"slices"
	"strings"
)

// idChunk is how many event ids one chunk of an idStore holds (1 MiB).
const idChunk = 1 << 16

// idStore keeps event ids compactly: an id of 32 lower-case hex digits (what
// ingest writes: hex of xxh3-128) takes 16 bytes; any other id is kept as a
// string beside. Chunks keep growth from copying everything.
type idStore struct {
	chunks [][]byte
	n      uint32
	odd    map[uint32]string
}

// full reports whether no more ids fit (2³² - 1 of them).
func (s *idStore) full() bool { return s.n == math.MaxUint32 }

// add stores id and returns its slot.
func (s *idStore) add(id string) uint32 {
	k := s.n
	s.n++
	c := int(k / idChunk)
	if c == len(s.chunks) {
		s.chunks = append(s.chunks, make([]byte, idChunk*16))
	}
	off := int(k%idChunk) * 16
	if !decodeHex16(s.chunks[c][off:off+16], id) {
		if s.odd == nil {
			s.odd = map[uint32]string{}
		}
		s.odd[k] = strings.Clone(id)
	}
	return k
}

func (s *idStore) raw(k uint32) []byte {
	off := int(k%idChunk) * 16
	return s.chunks[k/idChunk][off : off+16]
}

// get returns the id in slot k.
func (s *idStore) get(k uint32) string {
	if v, ok := s.odd[k]; ok {
		return v
	}
	return hex.EncodeToString(s.raw(k))
}

// cmp orders the ids of two slots as their strings order (lower-case hex
// preserves byte order).
func (s *idStore) cmp(a, b uint32) int {
	_, oa := s.odd[a]
	_, ob := s.odd[b]
	if !oa && !ob {
		return bytes.Compare(s.raw(a), s.raw(b))
	}
	return strings.Compare(s.get(a), s.get(b))
}

// decodeHex16 decodes 32 lower-case hex digits into dst.
func decodeHex16(dst []byte, id string) bool {
	if len(id) != 32 {
		return false
	}
	for i := 0; i < 16; i++ {
		hi, ok1 := unhex(id[2*i])
		lo, ok2 := unhex(id[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// interner keeps one copy of each small string (addresses, users, hosts,
// domains) and names it by a number; 0 is "".
type interner struct {
	m map[string]uint32
	s []string
}

func newInterner() interner { return interner{m: map[string]uint32{"": 0}, s: []string{""}} }

// id returns v's number, copying v the first time it is seen.
func (in *interner) id(v string) uint32 {
	if k, ok := in.m[v]; ok {
		return k
	}
	c := strings.Clone(v)
	k := uint32(len(in.s))
	in.s = append(in.s, c)
	in.m[c] = k
	return k
}

// lookup returns v's number without adding it.
func (in *interner) lookup(v string) (uint32, bool) {
	k, ok := in.m[v]
	return k, ok
}

func (in *interner) str(k uint32) string { return in.s[k] }

// ev is one stored event of a key. What val, a, b and flag hold depends on
// the heuristic (see each one).
type ev struct {
	t    int64 // event time, Unix microseconds
	val  uint64
	id   uint32 // slot in the idStore
	a, b uint32
	flag uint8
}

// bucket is the stored events of one key, at most Config.MaxEventsPerKey.
type bucket struct {
	evs     []ev
	dropped int  // events not kept: the key was full
	sorted  bool // evs are in order (sort has run since the last add)
}

// sort orders the events by time, then id, and drops repeats of an event
// (the same id at the same time, e.g. a row observed twice).
func (b *bucket) sort(ids *idStore) {
	if b.sorted {
		return
	}
	slices.SortFunc(b.evs, func(x, y ev) int {
		if x.t != y.t {
			if x.t < y.t {
				return -1
			}
			return 1
		}
		return ids.cmp(x.id, y.id)
	})
	out := b.evs[:0]
	for i, e := range b.evs {
		if i > 0 && e.t == out[len(out)-1].t && ids.cmp(e.id, out[len(out)-1].id) == 0 {
			continue
		}
		out = append(out, e)
	}
	b.evs = out
	b.sorted = true
}

// between returns the events with lo <= t <= hi (evs sorted by time).
func between(evs []ev, lo, hi int64) []ev {
	i, _ := slices.BinarySearchFunc(evs, lo, func(e ev, t int64) int { return cmpInt(e.t, t) })
	j, _ := slices.BinarySearchFunc(evs, hi+1, func(e ev, t int64) int { return cmpInt(e.t, t) })
	return evs[i:j]
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// span is a burst: the times of the first and last counted events of the
// merged windows that reached the threshold.
type span struct{ lo, hi int64 }

// bursts slides a window of w microseconds over evs (sorted by time) and
// returns the spans where one window holds at least need counted events
// (with distinct, at least need distinct vals among them). Overlapping
// windows that reach min merge into one span; spans whose context (ctx
// either side) overlaps merge too.
func bursts(evs []ev, counts func(*ev) bool, distinct bool, w int64, need int, ctx int64) []span {
	var out []span
	var m map[uint64]int
	if distinct {
		m = map[uint64]int{}
	}
	var idx []int
	for i := range evs {
		if counts == nil || counts(&evs[i]) {
			idx = append(idx, i)
		}
	}
	n, left := 0, 0
	for _, i := range idx {
		e := &evs[i]
		if distinct {
			if m[e.val] == 0 {
				n++
			}
			m[e.val]++
		} else {
			n++
		}
		for evs[idx[left]].t < e.t-w {
			l := &evs[idx[left]]
			if distinct {
				if m[l.val]--; m[l.val] == 0 {
					delete(m, l.val)
					n--
				}
			} else {
				n--
			}
			left++
		}
		if n >= need {
			lo := evs[idx[left]].t
			if k := len(out); k > 0 && lo-ctx <= out[k-1].hi+ctx {
				out[k-1].hi = e.t
			} else {
				out = append(out, span{lo, e.t})
			}
		}
	}
	return out
}
