package lda

import (
	"math"
	"strings"
)

// Corpus accumulates (document, word) token counts. It is built incrementally
// with Add and AddN; repeated pairs add up. A rolling window of days is one
// Corpus that several days' pairs were added to (or that were Merged into it).
//
// The zero value is ready to use. A Corpus is not safe for concurrent
// mutation; Fit only reads it.
type Corpus struct {
	docIdx  map[string]int32
	docs    []string
	wordIdx map[string]int32
	words   []string
	// pairs maps doc<<32|word (insertion ids) to the pair's token count.
	pairs  map[uint64]int64
	tokens int64
}

// NewCorpus returns an empty corpus.
func NewCorpus() *Corpus {
	return &Corpus{}
}

func (c *Corpus) init() {
	if c.pairs == nil {
		c.docIdx = make(map[string]int32)
		c.wordIdx = make(map[string]int32)
		c.pairs = make(map[uint64]int64)
	}
}

// Add adds one token of word to document doc.
func (c *Corpus) Add(doc, word string) { c.AddN(doc, word, 1) }

// AddN adds n tokens of word to document doc. n <= 0 is ignored. Counts
// saturate at math.MaxInt64 instead of wrapping.
func (c *Corpus) AddN(doc, word string, n int) { c.add(doc, word, int64(n)) }

func (c *Corpus) add(doc, word string, n int64) {
	if n <= 0 {
		return
	}
	c.init()
	d, ok := c.docIdx[doc]
	if !ok {
		d = int32(len(c.docs))
		doc = strings.Clone(doc) // do not pin the caller's (possibly large) buffer
		c.docs = append(c.docs, doc)
		c.docIdx[doc] = d
	}
	w, ok := c.wordIdx[word]
	if !ok {
		w = int32(len(c.words))
		word = strings.Clone(word)
		c.words = append(c.words, word)
		c.wordIdx[word] = w
	}
	key := uint64(uint32(d))<<32 | uint64(uint32(w))
	c.pairs[key] = satAdd(c.pairs[key], n)
	c.tokens = satAdd(c.tokens, n)
}

// Merge adds every count of o to c (o is unchanged).
func (c *Corpus) Merge(o *Corpus) {
	if o == nil || o == c {
		if o == c && c != nil && c.pairs != nil {
			for k, n := range c.pairs { // doubling: counts add to themselves
				c.pairs[k] = satAdd(n, n)
			}
			c.tokens = satAdd(c.tokens, c.tokens)
		}
		return
	}
	for k, n := range o.pairs {
		c.add(o.docs[k>>32], o.words[uint32(k)], n)
	}
}

// Count returns the number of tokens of word in doc.
func (c *Corpus) Count(doc, word string) int64 {
	d, ok := c.docIdx[doc]
	if !ok {
		return 0
	}
	w, ok := c.wordIdx[word]
	if !ok {
		return 0
	}
	return c.pairs[uint64(uint32(d))<<32|uint64(uint32(w))]
}

// Docs returns the number of distinct documents.
func (c *Corpus) Docs() int { return len(c.docs) }

// Words returns the number of distinct words (the vocabulary size).
func (c *Corpus) Words() int { return len(c.words) }

// Pairs returns the number of distinct (doc, word) pairs.
func (c *Corpus) Pairs() int { return len(c.pairs) }

// Tokens returns the total token count (saturating at math.MaxInt64).
func (c *Corpus) Tokens() int64 { return c.tokens }

func satAdd(a, b int64) int64 {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxInt64
}
