package heuristics

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// fmtDur writes a span of microseconds for people: 850ms, 45s, 3m12s, 2h5m.
func fmtDur(us int64) string {
	d := time.Duration(us) * time.Microsecond
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// fmtClock is the UTC time of day of a time in microseconds: 13:05.
func fmtClock(us int64) string { return time.UnixMicro(us).UTC().Format("15:04") }

// fmtBytes writes a byte count with a binary unit: 512 B, 3.2 KiB, 480 MiB.
func fmtBytes(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, units := float64(n), []string{"KiB", "MiB", "GiB", "TiB", "PiB"}
	for i, u := range units {
		v /= 1024
		if v < 1024 || i == len(units)-1 {
			if v < 10 {
				return strconv.FormatFloat(v, 'f', 1, 64) + " " + u
			}
			return strconv.FormatFloat(math.Round(v), 'f', 0, 64) + " " + u
		}
	}
	return ""
}

// hostList names hosts: "10.0.1.20", "2 hosts (10.0.1.20, 10.0.1.21)",
// "40 hosts (10.0.1.1, 10.0.1.2, 10.0.1.3, ...)".
func hostList(names []string, k int) string {
	if len(names) == 1 {
		return names[0]
	}
	if len(names) <= k {
		return fmt.Sprintf("%d hosts (%s)", len(names), strings.Join(names, ", "))
	}
	return fmt.Sprintf("%d hosts (%s, ...)", len(names), strings.Join(names[:k], ", "))
}

// portList writes the distinct ports of host<<16|port keys, sorted, at most k.
func portList(open map[uint64]bool, k int) string {
	var ports []int
	for v := range open {
		p := int(v & 0xffff)
		if !slices.Contains(ports, p) {
			ports = append(ports, p)
		}
	}
	slices.Sort(ports)
	var b strings.Builder
	b.WriteString("port")
	if len(ports) > 1 {
		b.WriteString("s")
	}
	for i, p := range ports {
		if i == k {
			b.WriteString(", ...")
			break
		}
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(" ")
		b.WriteString(strconv.Itoa(p))
	}
	return b.String()
}

// topCounts writes the most common names with their counts, each by format
// (name, count): "delete 20, listStatus 4" (at most k, by count then name).
func topCounts(counts map[string]int, k int, format string) string {
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int {
		if counts[a] != counts[b] {
			return counts[b] - counts[a]
		}
		return strings.Compare(a, b)
	})
	var parts []string
	for i, n := range names {
		if i == k {
			parts = append(parts, fmt.Sprintf("%d more", len(names)-k))
			break
		}
		parts = append(parts, fmt.Sprintf(format, n, counts[n]))
	}
	return strings.Join(parts, ", ")
}

// entropy is the Shannon entropy of s in bits per character.
func entropy(s string) float64 {
	var counts map[rune]int // non-ASCII runes, rare
	n := 0
	var ascii [128]int
	for _, r := range s {
		if r < utf8.RuneSelf {
			ascii[r]++
		} else {
			if counts == nil {
				counts = map[rune]int{}
			}
			counts[r]++
		}
		n++
	}
	if n == 0 {
		return 0
	}
	h := 0.0
	add := func(c int) {
		if c > 0 {
			p := float64(c) / float64(n)
			h -= p * math.Log2(p)
		}
	}
	for _, c := range ascii {
		add(c)
	}
	keys := make([]rune, 0, len(counts))
	for r := range counts {
		keys = append(keys, r)
	}
	slices.Sort(keys) // a fixed order: the same sum on every run
	for _, r := range keys {
		add(counts[r])
	}
	return h
}
