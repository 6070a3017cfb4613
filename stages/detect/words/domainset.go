package words

import "strings"

// NormDomain normalizes a domain as written in a config or a query: no
// surrounding space, no leading "*." or dots, no trailing dot, lower case.
func NormDomain(d string) string { return normDomain(d) }

// SplitDomain splits a normalized name into its registrable domain (ICANN
// section of the Public Suffix List) and the subdomain in front of it, as
// the word recipes do (see splitDomain).
func SplitDomain(name string) (reg, sub string) { return splitDomain(name) }

// DomainSet is a set of domains; a name is in it when it is one of them or
// under one.
type DomainSet map[string]struct{}

// NewDomainSet normalizes domains (NormDomain) into a set, skipping empty
// ones.
func NewDomainSet(domains []string) DomainSet {
	s := DomainSet{}
	for _, d := range domains {
		if d = normDomain(d); d != "" {
			s[d] = struct{}{}
		}
	}
	return s
}

// Contains reports whether the normalized name is one of the domains or
// under one.
func (s DomainSet) Contains(name string) bool {
	if len(s) == 0 {
		return false
	}
	for {
		if _, ok := s[name]; ok {
			return true
		}
		i := strings.IndexByte(name, '.')
		if i < 0 {
			return false
		}
		name = name[i+1:]
	}
}
