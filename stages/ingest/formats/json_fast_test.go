package formats

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// scanAttrs reads line with the JSON scanner the way the JSON formats do and
// returns every field as attributes (objects flattened, arrays as JSON text).
func scanAttrs(d *jsonDec, line []byte) ([]KV, error) {
	var ev Event
	ev.Reset()
	if err := d.open(line); err != nil {
		return nil, err
	}
	for {
		k, v, ok, err := d.it.member()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		d.attrNamed(&ev, k, v)
	}
	if err := d.it.end(); err != nil {
		return nil, err
	}
	return ev.Attrs, nil
}

// refFlatten is the reference: encoding/json's decoding, flattened the same way.
func refFlatten(prefix string, v any, out map[string]any) {
	switch x := v.(type) {
	case nil:
	case map[string]any:
		if len(x) == 0 {
			out[prefix] = "{}"
			return
		}
		for k, e := range x {
			refFlatten(prefix+"."+k, e, out)
		}
	case []any:
		out[prefix] = x // compared by value: our text is re-decoded
	case bool:
		if x {
			out[prefix] = "true"
		} else {
			out[prefix] = "false"
		}
	case json.Number:
		out[prefix] = string(x)
	case string:
		out[prefix] = x // "" too: an empty string is kept
	}
}

func decodeRef(line []byte) (map[string]any, bool) {
	if !json.Valid(line) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

// hasDupKeys reports whether an object of a valid JSON text repeats a key.
func hasDupKeys(line []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(line))
	type frame struct {
		obj  bool
		keys map[string]bool
		key  bool // the next token of an object is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.obj && top.key {
			if s, ok := tok.(string); ok {
				if top.keys[s] {
					return true
				}
				top.keys[s] = true
				top.key = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{obj: true, keys: map[string]bool{}, key: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 && stack[len(stack)-1].obj {
			stack[len(stack)-1].key = true
		}
	}
}

func decodeAny(s string) any {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return err
	}
	return v
}

// checkAgainstReference compares the scanner with encoding/json on one line.
func checkAgainstReference(t *testing.T, d *jsonDec, line []byte) {
	t.Helper()
	attrs, err := scanAttrs(d, line)
	ref, refOK := decodeRef(line)
	trimmed := bytes.TrimLeft(line, " \t\r\n")
	if len(trimmed) == 0 {
		if err != ErrSkip {
			t.Fatalf("%q: blank line gave %v, want ErrSkip", line, err)
		}
		return
	}
	// Leniencies: raw control characters in strings, nesting beyond 512, a BOM.
	hasCtl := bytes.ContainsFunc(line, func(r rune) bool { return r < 0x20 && r != ' ' })
	deep := bytes.Count(line, []byte("["))+bytes.Count(line, []byte("{")) > jsonMaxDepth
	bom := bytes.HasPrefix(trimmed, []byte("\xef\xbb\xbf"))
	if refOK && err != nil && !deep {
		t.Fatalf("%q: encoding/json accepts it, the scanner says %v", line, err)
	}
	if !refOK && err == nil && !hasCtl && !bom {
		t.Fatalf("%q: encoding/json rejects it, the scanner accepts it", line)
	}
	if err != nil || !refOK {
		return
	}
	if hasDupKeys(line) {
		return // encoding/json keeps the last of repeated keys, the scanner all of them
	}
	want := map[string]any{}
	for k, v := range ref {
		refFlatten(k, v, want)
	}
	got := map[string]any{}
	keys := map[string]int{}
	for _, kv := range attrs {
		got[kv.Key] = kv.Value
		keys[kv.Key]++
	}
	for _, n := range keys {
		if n > 1 {
			return // a dotted key and a nested one flatten to the same name
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%q: got %d attributes %v, want %d %v", line, len(got), got, len(want), want)
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Fatalf("%q: attribute %q missing (got %v)", line, k, got)
		}
		if arr, isArr := w.([]any); isArr {
			if !reflect.DeepEqual(decodeAny(g.(string)), any(arr)) {
				t.Fatalf("%q: attribute %q = %s, want %v", line, k, g, arr)
			}
			continue
		}
		if g != w {
			t.Fatalf("%q: attribute %q = %q, want %q", line, k, g, w)
		}
	}
}

var scannerCases = []string{
	`{}`,
	` { } `,
	`{"a":1}`,
	`{"a":-0.5e+10,"b":0,"c":-0,"d":1E3,"e":123456789012345678901234567890}`,
	`{"s":"plain","e":"\"\\\/\b\f\n\r\t","u":"\u00e9\u4e2d\ud83d\ude00","lone":"\udc80x\ud800"}`,
	`{"n":null,"t":true,"f":false,"empty":""}`,
	`{"o":{"p":{"q":[1,{"r":2}]}},"arr":[],"eo":{},"a2":[null,"x",["y"]]}`,
	`{"k\u0065y":"escaped key","sp ace":"v"}`,
	"{\"raw\":\"caf\xc3\xa9 \xe2\x98\x83 \xff\xfe bad\"}",
	"{\"raw\":[\"\xff\"]}",
	`{"a":1,}`, `{"a":1`, `{"a"}`, `{"a":}`, `{a:1}`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`,
	`{"a":+1}`, `{"a":1e}`, `{"a":tru}`, `{"a":nul}`, `{"a":"\x"}`, `{"a":"\u12"}`, `{"a":[1,]}`,
	`{"a":[1 2]}`, `{"a":{"b":1,}}`, `{"a":1}}`, `{"a":1} x`, `[1]`, `"s"`, `1`, `nul`, ``, ` `,
	`{"a":"unterminated`, `{"a":"x\"}`, `{"a":"x\\"}`, `{"a":"\\\""}`, `{"\"":1}`,
	`{"a":1,"a":2}`, `{"a.b":1,"a":{"c":2}}`,
	`{"a":[` + strings.Repeat(`[`, 600) + strings.Repeat(`]`, 600) + `]}`,
	"\xef\xbb\xbf{\"bom\":1}",
	`{"long":"` + strings.Repeat("x", 40) + `\"` + strings.Repeat("y", 40) + `\\` + strings.Repeat("z", 9) + `"}`,
	`{"long":"` + strings.Repeat("x", 33) + `\u00e9` + strings.Repeat("y", 70) + `","k":[` + `"` + strings.Repeat("w", 50) + `\"q"]}`,
	`{"long":"` + strings.Repeat("x", 100) + `\x"}`,
	`{"long":"` + strings.Repeat("x", 100),
	`{"` + strings.Repeat("k", 45) + `\"k":"v"}`,
	`{"a":["` + strings.Repeat("x", 64) + `\\"],"b":"` + strings.Repeat("\u0041", 12) + `"}`,
}

func TestScannerAgainstEncodingJSON(t *testing.T) {
	var d jsonDec
	for _, c := range scannerCases {
		checkAgainstReference(t, &d, []byte(c))
	}
}

// TestScannerRandom mutates valid lines at random and compares with encoding/json.
func TestScannerRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	seeds := []string{
		`{"eventid":"cowrie.command.input","input":"echo \"hi\" \u00e9","n":[1,2,{"x":null}],"o":{"p":true,"q":-1.5e3}}`,
		`{"a":{"b":{"c":"d"}},"e":["f",{"g":"h"}],"i":"\ud83d\ude00"}`,
	}
	alphabet := []byte("{}[]\":,\\u0123456789abcdefnrtlsE.-+ \t\x00\xff\xc3")
	var d jsonDec
	for i := 0; i < 20000; i++ {
		b := []byte(seeds[r.IntN(len(seeds))])
		for n := r.IntN(4); n >= 0; n-- {
			switch pos := r.IntN(len(b)); r.IntN(3) {
			case 0:
				b[pos] = alphabet[r.IntN(len(alphabet))]
			case 1:
				b = append(b[:pos], b[pos+1:]...)
			default:
				b = append(b[:pos], append([]byte{alphabet[r.IntN(len(alphabet))]}, b[pos:]...)...)
			}
			if len(b) == 0 {
				break
			}
		}
		checkAgainstReference(t, &d, b)
	}
}

func FuzzScanner(f *testing.F) {
	for _, c := range scannerCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var d jsonDec
		checkAgainstReference(t, &d, line)
	})
}

func TestSyntaxErrorOffsets(t *testing.T) {
	for _, c := range []struct {
		line string
		want string
	}{
		{`{"a":1 "b":2}`, `expected ',' or '}' after object member, found '"' (offset 7)`},
		{`{"a":"x`, `unterminated string (offset 5)`},
		{`{"a":{"b":[1,}]}}`, `invalid character '}' looking for a value (offset 13)`},
		{"\x00", `invalid character '\x00' (offset 0)`},
		{`  [1]`, `found an array (offset 2)`},
		{`{"a":1} {}`, `data after the object (offset 8)`},
	} {
		var d jsonDec
		_, err := scanAttrs(&d, []byte(c.line))
		if err == nil || err.Error() != c.want {
			t.Errorf("%q: error %v, want %q", c.line, err, c.want)
		}
	}
}

// TestStringsOutliveTheLine: the strings an event keeps must not change when
// the caller reuses its line buffer, as the ingest reader does.
func TestStringsOutliveTheLine(t *testing.T) {
	lines := map[string]string{
		"cowrie":    `{"eventid":"cowrie.login.failed","username":"r\u00f6ot","password":"x","src_ip":"1.2.3.4","timestamp":"2026-11-21T00:00:00Z","tags":["a"],"o":{"k":"v"}}`,
		"navigator": `{"type":"HDFS","allowed":"true","time":"1795219200000","user":"u","ip":"h/1.2.3.4","op":"open","src":"/x"}`,
		"jsonl":     `{"timestamp":"2026-11-21T00:00:00Z","user":"u","msg":"m\tx","n":{"a":[1]}}`,
		"nfdump":    `2026-11-21 00:00:00,2026-11-21 00:00:01,1.000,10.0.0.1,10.0.0.2,1,2,TCP,......,0,0,1,40,0,0,0,0,0,0,0,0,0,0,0.0.0.0,0.0.0.0,0,0,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0.000,0.000,0.000,10.0.0.254,0/0,1,1970-01-01 00:00:00.000`,
		"dns":       `Nov 21, 2026 00:00:00.000000000 UTC,1795219200.000000000,90,10.0.0.1,10.0.0.2,a.example,1,0x0001,0,192.0.2.1`,
	}
	for name, line := range lines {
		f, _ := Lookup(name)
		p, err := f.New(FileInfo{Key: "x", Location: time.UTC}, nil)
		if err != nil {
			t.Fatal(err)
		}
		buf := []byte(line)
		var ev Event
		ev.Reset()
		if err := p.Parse(buf, &ev); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		before := fmtEvent(&ev)
		for i := range buf {
			buf[i] = 'Z'
		}
		// Parse another line with the same parser, as the next line would.
		var ev2 Event
		ev2.Reset()
		_ = p.Parse([]byte(`{"x":1}`), &ev2)
		if after := fmtEvent(&ev); after != before {
			t.Errorf("%s: event changed after the line buffer was reused:\n%s\n%s", name, before, after)
		}
	}
}

func fmtEvent(ev *Event) string {
	b, _ := json.Marshal(ev)
	return string(b)
}

func TestRFC3339(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	for _, c := range []struct {
		in   string
		loc  *time.Location
		want string // "" = rejected
	}{
		{"2026-11-21T10:00:00Z", nil, "2026-11-21T10:00:00Z"},
		{"2026-11-21t10:00:00.123456789z", nil, "2026-11-21T10:00:00.123456789Z"},
		{"2026-11-21T10:00:00.1234567891Z", nil, "2026-11-21T10:00:00.123456789Z"},
		{"2026-11-21 10:00:00+01:00", nil, "2026-11-21T09:00:00Z"},
		{"2026-11-21T10:00:00-0530", nil, "2026-11-21T15:30:00Z"},
		{"2024-02-29T00:00:00Z", nil, "2024-02-29T00:00:00Z"},
		{"2026-11-21T10:00:00", time.UTC, "2026-11-21T10:00:00Z"},
		{"2026-11-21T10:00:00", cet, "2026-11-21T09:00:00Z"},
		{"2026-11-21T10:00:00", nil, ""},
		{"2023-02-29T00:00:00Z", nil, ""},
		{"2100-02-29T00:00:00Z", nil, ""},
		{"2026-11-21T10:00:60Z", nil, ""},
		{"2026-11-21T10:00:00.Z", nil, ""},
		{"2026-11-21T10:00:00+24:00", nil, ""},
		{"2026-11-21T10:00:00+01", nil, ""},
		{"2026-11-21T10:00:00ZZ", nil, ""},
		{"2026-11-21X10:00:00Z", nil, ""},
		{"2026-1-21T10:00:00Z", nil, ""},
		{"", nil, ""},
	} {
		got, ok := jfRFC3339(c.in, c.loc)
		switch {
		case c.want == "" && ok:
			t.Errorf("%q: accepted as %v", c.in, got)
		case c.want != "" && (!ok || got.Format(time.RFC3339Nano) != c.want):
			t.Errorf("%q: got %v %v, want %s", c.in, got, ok, c.want)
		}
	}
	// Against time.Parse over many random instants.
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		ts := time.Unix(r.Int64N(1<<35)-1<<34, r.Int64N(1e9)).In(time.FixedZone("", (r.IntN(48)-24)*1800))
		if ts.Year() < 1 || ts.Year() > 9999 {
			continue
		}
		s := ts.Format(time.RFC3339Nano)
		got, ok := jfRFC3339(s, nil)
		if !ok || !got.Equal(ts) {
			t.Fatalf("%s: got %v %v", s, got, ok)
		}
	}
}

func TestEpoch(t *testing.T) {
	for _, c := range []struct {
		in   string
		unit int64
		want string
	}{
		{"1795219200", 1e9, "2026-11-21T00:00:00Z"},
		{"1795219200.5", 1e9, "2026-11-21T00:00:00.5Z"},
		{"1795219200.123456789123", 1e9, "2026-11-21T00:00:00.123456789Z"},
		{"1795219200123", 1e6, "2026-11-21T00:00:00.123Z"},
		{"1795219200123.5", 1e6, "2026-11-21T00:00:00.1235Z"},
		{"1795219200123456", 1e3, "2026-11-21T00:00:00.123456Z"},
		{"1795219200123456789", 1, "2026-11-21T00:00:00.123456789Z"},
		{"-1", 1e9, "1969-12-31T23:59:59Z"},
		{"1.7952192e9", 1e9, "2026-11-21T00:00:00Z"},
		{"", 1e9, ""}, {"abc", 1e9, ""}, {"1.", 1e9, ""}, {"99999999999999999999", 1e9, ""}, {"1e999", 1e9, ""},
	} {
		got, ok := jfEpoch(c.in, c.unit)
		if c.want == "" {
			if ok {
				t.Errorf("%q: accepted as %v", c.in, got)
			}
			continue
		}
		if !ok || got.Format(time.RFC3339Nano) != c.want {
			t.Errorf("%q (unit %d): got %v %v, want %s", c.in, c.unit, got, ok, c.want)
		}
	}
}

func TestJSONInt(t *testing.T) {
	for _, c := range []struct {
		v            jsonVal
		n            int64
		absent, okay bool
	}{
		{jsonVal{kind: jsonNumber, b: []byte("443")}, 443, false, true},
		{jsonVal{kind: jsonNumber, b: []byte("443.0")}, 443, false, true},
		{jsonVal{kind: jsonString, b: []byte("22")}, 22, false, true},
		{jsonVal{kind: jsonString, b: []byte("")}, 0, true, true},
		{jsonVal{kind: jsonString, b: []byte("-")}, 0, true, true},
		{jsonVal{kind: jsonNull}, 0, true, true},
		{jsonVal{kind: jsonNumber, b: []byte("65536")}, 0, false, false},
		{jsonVal{kind: jsonNumber, b: []byte("-1")}, 0, false, false},
		{jsonVal{kind: jsonNumber, b: []byte("1e3")}, 0, false, false},
		{jsonVal{kind: jsonNumber, b: []byte("99999999999999999999")}, 0, false, false},
		{jsonVal{kind: jsonTrue, b: []byte("true")}, 0, false, false},
	} {
		n, absent, ok := jsonInt(c.v, 0, 65535)
		if n != c.n || absent != c.absent || ok != c.okay {
			t.Errorf("%s: got %d %v %v", c.v.b, n, absent, ok)
		}
	}
}

func TestFindQB(t *testing.T) {
	naive := func(b []byte, i int) int {
		for ; i < len(b); i++ {
			if b[i] == '"' || b[i] == '\\' {
				return i
			}
		}
		return -1
	}
	r := rand.New(rand.NewPCG(5, 6))
	alphabet := []byte("ab\"\\\x00\x80\xff\xa2\xdc ")
	for n := 0; n < 120; n++ {
		for trial := 0; trial < 200; trial++ {
			b := make([]byte, n)
			for i := range b {
				b[i] = 'x'
				if r.IntN(20) == 0 {
					b[i] = alphabet[r.IntN(len(alphabet))]
				}
			}
			for start := 0; start <= n; start += 1 + r.IntN(7) {
				if got, want := jsonFindQB(b, start), naive(b, start); got != want {
					t.Fatalf("%q from %d: %d, want %d", b, start, got, want)
				}
			}
		}
	}
}

// TestTimeCache: the cached parse must agree with jfRFC3339 on every input,
// including the ones that share a cached second but differ after it.
func TestTimeCache(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	secs := []string{"2026-11-21T10:00:00", "2026-11-21T10:00:01", "2026-11-21 10:00:01", "2026-02-30T10:00:00"}
	fracs := []string{"", ".5", ".123456", ".1234567891", ".", ".x"}
	zones := []string{"Z", "z", "+01:00", "-0530", "", "ZZ", "+1", " "}
	locs := []*time.Location{nil, time.UTC, time.FixedZone("X", 7200)}
	var c jfTimeCache
	for i := 0; i < 20000; i++ {
		s := secs[r.IntN(len(secs))] + fracs[r.IntN(len(fracs))] + zones[r.IntN(len(zones))]
		loc := locs[r.IntN(len(locs))]
		want, wok := jfRFC3339(s, loc)
		got, gok := c.parse([]byte(s), loc)
		if wok != gok || !got.Equal(want) {
			t.Fatalf("%q in %v: cache %v %v, direct %v %v", s, loc, got, gok, want, wok)
		}
	}
}
