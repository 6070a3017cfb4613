// Package formats holds one parser per supported log format. Each parser turns
// one input line into an Event, the normalized row of the events table, named
// after Apache Spot's Open Data Model (src_, dst_, dvc_, user_, http_, dns_,
// flow_ prefixes). Fields a source carries that have no column go to Attrs, so
// nothing of the source is lost; the original line is kept by the ingest stage.
package formats

import (
	"errors"
	"time"
)

// ErrSkip is returned by Parse for lines that carry no event by design (a
// format's header line, a comment). Skipped lines are counted, never rejected.
var ErrSkip = errors.New("line carries no event")

// Absent marks a numeric field the source did not provide (0 is a valid port).
const Absent = -1

// KV is one source field without a column of its own.
type KV struct {
	Key, Value string
}

// Event is one parsed line. String fields left "" and numeric fields left
// Absent are written as nulls. Reset before reuse.
type Event struct {
	Time time.Time // event_time, required

	EventType string // event_type: cowrie eventid, hdfs cmd, navigator operation, syslog msgid, vpc log-status...
	Action    string // action: ACCEPT/REJECT, allowed/denied, squid result code...
	Severity  string // severity: syslog severity name, ...
	App       string // app: syslog program / app-name, service name
	Message   string // message: free text (syslog MSG, cowrie message)
	Proto     string // proto: tcp, udp, icmp, or the number when unknown

	SrcIP   string
	SrcPort int32
	SrcHost string
	DstIP   string
	DstPort int32
	DstHost string

	DvcHost string // dvc_host: the device that logged the event (syslog hostname, sensor)
	DvcIP   string

	UserName  string
	SessionID string

	FlowBytes      int64 // flow_bytes: bytes from src to dst (or total when the source has one figure)
	FlowPackets    int64
	FlowOutBytes   int64 // flow_out_bytes: bytes from dst back to src, when the source has them
	FlowOutPackets int64
	FlowDurationMs int64
	FlowTCPFlags   string

	HTTPMethod      string
	HTTPURL         string
	HTTPHost        string
	HTTPStatus      int32
	HTTPBytes       int64
	HTTPReferrer    string
	HTTPUserAgent   string
	HTTPContentType string

	DNSQuery    string
	DNSQType    string
	DNSQClass   string
	DNSRCode    string
	DNSAnswers  string
	DNSFrameLen int32

	FilePath string // file_path: hdfs src, navigator path, cowrie download
	FileDst  string

	Attrs []KV
}

// Reset clears ev for reuse, keeping the Attrs backing array.
func (ev *Event) Reset() {
	attrs := ev.Attrs[:0]
	*ev = Event{
		SrcPort: Absent, DstPort: Absent,
		FlowBytes: Absent, FlowPackets: Absent, FlowOutBytes: Absent, FlowOutPackets: Absent, FlowDurationMs: Absent,
		HTTPStatus: Absent, HTTPBytes: Absent, DNSFrameLen: Absent,
		Attrs: attrs,
	}
}

// Attr appends a source field without a column. Empty values are dropped.
func (ev *Event) Attr(k, v string) {
	if v == "" {
		return
	}
	ev.Attrs = append(ev.Attrs, KV{k, v})
}

// FileInfo tells a parser about the file it reads: some formats need it
// (RFC 3164 syslog has no year; the input day supplies it).
type FileInfo struct {
	Key      string         // object key, for messages
	Day      time.Time      // the input day (dt=YYYY-MM-DD partition), midnight UTC
	Location *time.Location // zone for timestamps that carry none; UTC when nil
}

// Parser parses the lines of one file. A parser may keep state between lines
// (a VPC flow log's header decides its columns), so make one per file.
type Parser interface {
	// Parse fills ev (already Reset) from line, which has no trailing newline.
	// It returns ErrSkip for lines with no event, or an error that says what is
	// wrong with the line; the line then goes to events_rejected.
	Parse(line []byte, ev *Event) error
}

// Options are a source's format options from config (format_options).
type Options map[string]string

// Format declares a log format once: its name, what it is, its options and
// default file patterns. Config validation, docs and the parser come from it.
type Format struct {
	Name        string
	Description string
	// Patterns are the default file-name regular expressions (Spot's
	// supported_files) matched against the base name of an object.
	Patterns []string
	// Options lists the accepted format_options keys with a one-line description.
	Options map[string]string
	// New returns a parser for one file.
	New func(fi FileInfo, opts Options) (Parser, error)
}

var registry = map[string]Format{}

// Register adds a format; parsers call it from init.
func Register(f Format) {
	if _, dup := registry[f.Name]; dup {
		panic("formats: duplicate format " + f.Name)
	}
	registry[f.Name] = f
}

// Lookup returns the named format.
func Lookup(name string) (Format, bool) {
	f, ok := registry[name]
	return f, ok
}

// Names returns the registered format names, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sortStrings(names)
	return names
}
