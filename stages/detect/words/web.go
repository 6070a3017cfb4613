package words

import "strings"

// webWords is the recipe of proxy and web access rows (squid, apache): see
// README.md. The client is the document.
func (s *Stats) webWords(dst []Pair, r *Row) []Pair {
	doc := first(r.SrcIP, r.SrcHost)
	if doc == "" {
		return dst
	}
	host := hostOf(r.HTTPHost, r.HTTPURL, r.HTTPMethod)
	reg, _ := splitDomain(host)
	uri := pathQuery(r.HTTPURL, r.HTTPMethod)

	var arr [128]byte
	b := arr[:0]
	b = appendInt(b, s.domainClass(host, reg))
	b = appendInt(b, hour(r.Time))
	b = appendToken(b, r.HTTPMethod)
	b = appendInt(b, entropyBin(entropy(uri)))
	b = append(append(b, contentClass(r.HTTPContentType)...), '_')
	b = appendInt(b, floorLog2(int64(s.userAgentCount(r.Source, r.HTTPUserAgent))))
	b = appendInt(b, floorLog2(int64(len(uri))+1))
	if r.HTTPStatus < 0 {
		b = append(b, '-', '_')
	} else {
		b = appendInt(b, int64(r.HTTPStatus))
	}
	return append(dst, Pair{doc, finish(b)})
}

// pathQuery is the path and query of a request target: the target itself
// when it starts with "/", the part after the authority of an absolute URL
// ("" when it has none), "" for CONNECT's authority form, and any other
// target ("*", junk) as is, so that its oddity shows.
func pathQuery(url, method string) string {
	if !present(url) || method == "CONNECT" {
		return ""
	}
	if url[0] == '/' {
		return url
	}
	if i := strings.Index(url, "://"); i >= 0 {
		rest := url[i+3:]
		if j := strings.IndexAny(rest, "/?"); j >= 0 {
			return rest[j:]
		}
		return ""
	}
	return url
}

// contentClass names the kind of a response's content type: html, image,
// js, json, binary (executables, archives, octet streams), other, or none.
func contentClass(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	if !present(ct) {
		return "none"
	}
	slash := strings.IndexByte(ct, '/')
	if slash < 0 {
		return "other"
	}
	typ, sub := ct[:slash], ct[slash+1:]
	switch {
	case strings.EqualFold(typ, "image"):
		return "image"
	case strings.EqualFold(sub, "html") && strings.EqualFold(typ, "text"),
		strings.EqualFold(sub, "xhtml+xml"):
		return "html"
	case strings.EqualFold(sub, "javascript"), strings.EqualFold(sub, "x-javascript"),
		strings.EqualFold(sub, "ecmascript"), strings.EqualFold(sub, "x-ecmascript"):
		return "js"
	case strings.EqualFold(sub, "json"), hasSuffixFold(sub, "+json"):
		return "json"
	case strings.EqualFold(typ, "application") && binarySubtype(sub):
		return "binary"
	}
	return "other"
}

// binarySubtype reports whether application/<sub> is an octet stream, an
// executable or an archive.
func binarySubtype(sub string) bool {
	switch strings.ToLower(sub) {
	case "octet-stream", "x-msdownload", "x-dosexec", "x-executable", "x-elf",
		"x-sharedlib", "x-mach-binary", "vnd.microsoft.portable-executable",
		"x-msi", "x-ms-installer", "java-archive", "x-java-archive",
		"vnd.android.package-archive", "x-sh", "x-shellscript",
		"zip", "x-zip-compressed", "gzip", "x-gzip", "x-tar", "x-bzip2",
		"x-xz", "x-7z-compressed", "x-rar-compressed", "vnd.rar", "x-rar":
		return true
	}
	return false
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}
