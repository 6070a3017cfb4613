package ingest

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/zeebo/xxh3"

	"github.com/spotlake/spotlake/stages/ingest/formats"
)

// eventRows builds Arrow record batches of the events table. It addresses the
// builders directly rather than through a generic column loop: this is the
// hottest code of the ingest after Parquet encoding.
type eventRows struct {
	schema *arrow.Schema
	rb     *array.RecordBuilder
	n      int
	extra  []array.Builder // columns of a newer schema this code doesn't fill

	eventID, source, format, object, runID, raw                   *array.StringBuilder
	eventTime                                                     *array.TimestampBuilder
	inputDay                                                      *array.Date32Builder
	lineOffset                                                    *array.Int64Builder
	eventType, action, severity, app, message, proto              strCol
	srcIP, srcHost, dstIP, dstHost, dvcHost, dvcIP, user, session strCol
	srcIPBytes, dstIPBytes                                        binCol
	srcIP4, dstIP4                                                i64Col
	srcPort, dstPort                                              i32Col
	flowBytes, flowPackets, flowOutBytes, flowOutPackets, flowDur i64Col
	flowFlags                                                     strCol
	httpMethod, httpURL, httpHost, httpRef, httpUA, httpCT        strCol
	httpStatus                                                    i32Col
	httpBytes                                                     i64Col
	dnsQuery, dnsQType, dnsQClass, dnsRCode, dnsAnswers           strCol
	dnsFrameLen                                                   i32Col
	filePath, fileDst                                             strCol
	attrs                                                         *array.MapBuilder
	attrKeys, attrVals                                            *array.StringBuilder
	attrNulls                                                     int

	// lazy lists the columns that batch their nulls.
	lazy []interface{ settle() }

	idBuf []byte
	hexID [32]byte
	ip16  [16]byte

	// dataLen is each variable-width builder's data size in the last batch:
	// the next batch reserves it up front instead of growing by copies.
	dataLen map[*array.BinaryBuilder]int
	rows    int
}

// Most columns are null for most rows (a flow has no http_url). Appending
// each null costs a call and a bitmap write per column per row; lazyCol
// counts nulls and appends them in one call when a value comes.
type lazyCol[T comparable, B interface {
	Append(T)
	AppendNulls(int)
}] struct {
	b      B
	absent T // the value that means null
	nulls  int
}

func (c *lazyCol[T, B]) add(v T) {
	if v == c.absent {
		c.nulls++
		return
	}
	if c.nulls > 0 {
		c.b.AppendNulls(c.nulls)
		c.nulls = 0
	}
	c.b.Append(v)
}

func (c *lazyCol[T, B]) settle() {
	if c.nulls > 0 {
		c.b.AppendNulls(c.nulls)
		c.nulls = 0
	}
}

type (
	strCol = lazyCol[string, *array.StringBuilder]
	i64Col = lazyCol[int64, *array.Int64Builder]
	i32Col = lazyCol[int32, *array.Int32Builder]
)

// binCol is lazyCol for byte slices, which are not comparable.
type binCol struct {
	b     *array.BinaryBuilder
	nulls int
}

func (c *binCol) add(v []byte) {
	if v == nil {
		c.nulls++
		return
	}
	if c.nulls > 0 {
		c.b.AppendNulls(c.nulls)
		c.nulls = 0
	}
	c.b.Append(v)
}

func (c *binCol) settle() {
	if c.nulls > 0 {
		c.b.AppendNulls(c.nulls)
		c.nulls = 0
	}
}

func newEventRows(mem memory.Allocator, schema *arrow.Schema) (*eventRows, error) {
	r := &eventRows{schema: schema, rb: array.NewRecordBuilder(mem, schema)}
	known := map[string]any{
		"event_id": &r.eventID, "event_time": &r.eventTime, "source": &r.source, "format": &r.format,
		"input_day": &r.inputDay, "object": &r.object, "line_offset": &r.lineOffset, "ingest_run_id": &r.runID,
		"event_type": &r.eventType, "action": &r.action, "severity": &r.severity, "app": &r.app,
		"message": &r.message, "proto": &r.proto,
		"src_ip": &r.srcIP, "src_ip_bytes": &r.srcIPBytes, "src_ip4_num": &r.srcIP4, "src_port": &r.srcPort, "src_host": &r.srcHost,
		"dst_ip": &r.dstIP, "dst_ip_bytes": &r.dstIPBytes, "dst_ip4_num": &r.dstIP4, "dst_port": &r.dstPort, "dst_host": &r.dstHost,
		"dvc_host": &r.dvcHost, "dvc_ip": &r.dvcIP, "user_name": &r.user, "session_id": &r.session,
		"flow_bytes": &r.flowBytes, "flow_packets": &r.flowPackets, "flow_out_bytes": &r.flowOutBytes,
		"flow_out_packets": &r.flowOutPackets, "flow_duration_ms": &r.flowDur, "flow_tcp_flags": &r.flowFlags,
		"http_method": &r.httpMethod, "http_url": &r.httpURL, "http_host": &r.httpHost, "http_status": &r.httpStatus,
		"http_bytes": &r.httpBytes, "http_referrer": &r.httpRef, "http_user_agent": &r.httpUA, "http_content_type": &r.httpCT,
		"dns_query": &r.dnsQuery, "dns_qtype": &r.dnsQType, "dns_qclass": &r.dnsQClass, "dns_rcode": &r.dnsRCode,
		"dns_answers": &r.dnsAnswers, "dns_frame_len": &r.dnsFrameLen,
		"file_path": &r.filePath, "file_dst": &r.fileDst, "attrs": &r.attrs, "raw": &r.raw,
	}
	filled := map[string]bool{}
	for i, f := range schema.Fields() {
		b := r.rb.Field(i)
		dst, ok := known[f.Name]
		if !ok {
			if !f.Nullable {
				return nil, fmt.Errorf("events column %s is required but this release cannot fill it: upgrade spotlake", f.Name)
			}
			r.extra = append(r.extra, b)
			continue
		}
		lazy, err := assign(dst, b)
		if err != nil {
			return nil, fmt.Errorf("events column %s: %w", f.Name, err)
		}
		if lazy != nil {
			r.lazy = append(r.lazy, lazy)
		}
		filled[f.Name] = true
	}
	for name := range known {
		if !filled[name] {
			return nil, fmt.Errorf("events table has no column %s: it was created by an older spotlake and not evolved", name)
		}
	}
	r.attrKeys = r.attrs.KeyBuilder().(*array.StringBuilder)
	r.attrVals = r.attrs.ItemBuilder().(*array.StringBuilder)
	r.dataLen = map[*array.BinaryBuilder]int{}
	return r, nil
}

// binaryBuilders lists the variable-width builders.
func (r *eventRows) binaryBuilders() []*array.BinaryBuilder {
	var out []*array.BinaryBuilder
	for i := range r.schema.Fields() {
		switch b := r.rb.Field(i).(type) {
		case *array.StringBuilder:
			out = append(out, b.BinaryBuilder)
		case *array.BinaryBuilder:
			out = append(out, b)
		}
	}
	return append(out, r.attrKeys.BinaryBuilder, r.attrVals.BinaryBuilder)
}

// reserve sizes the builders for a batch like the last one.
func (r *eventRows) reserve() {
	if r.rows == 0 {
		return
	}
	r.rb.Reserve(r.rows)
	for b, n := range r.dataLen {
		b.ReserveData(n + n/8)
	}
}

// assign stores builder b into *dst when the types agree, and returns the
// column when it batches its nulls.
func assign(dst any, b array.Builder) (interface{ settle() }, error) {
	ok := false
	var lazy interface{ settle() }
	switch p := dst.(type) {
	case **array.StringBuilder:
		*p, ok = b.(*array.StringBuilder)
	case **array.Int64Builder:
		*p, ok = b.(*array.Int64Builder)
	case **array.TimestampBuilder:
		*p, ok = b.(*array.TimestampBuilder)
	case **array.Date32Builder:
		*p, ok = b.(*array.Date32Builder)
	case **array.MapBuilder:
		*p, ok = b.(*array.MapBuilder)
	case *strCol:
		p.b, ok = b.(*array.StringBuilder)
		lazy = p
	case *binCol:
		p.b, ok = b.(*array.BinaryBuilder)
		lazy = p
	case *i64Col:
		p.b, ok = b.(*array.Int64Builder)
		p.absent = formats.Absent
		lazy = p
	case *i32Col:
		p.b, ok = b.(*array.Int32Builder)
		p.absent = formats.Absent
		lazy = p
	}
	if !ok {
		return nil, fmt.Errorf("unexpected Arrow type %s", b.Type())
	}
	return lazy, nil
}

// objectCtx is what every row of one object shares.
type objectCtx struct {
	source, format, object, runID string
	inputDay                      arrow.Date32
}

// ip fills the three columns of one address. Addresses already in
// canonical form (almost all IPv4 text) are kept as given, not re-printed.
func (r *eventRows) ip(s string, txt *strCol, bytes *binCol, num *i64Col) {
	if s == "" {
		txt.add("")
		bytes.add(nil)
		num.add(formats.Absent)
		return
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		// Not an address after all: keep the text, it is probably a name.
		txt.add(s)
		bytes.add(nil)
		num.add(formats.Absent)
		return
	}
	if a.Zone() != "" || a.Is6() && !a.Is4In6() {
		txt.add(a.WithZone("").String())
	} else if a.Is4() && canonical4(s) {
		txt.add(s)
	} else {
		txt.add(a.String())
	}
	r.ip16 = a.As16()
	bytes.add(r.ip16[:])
	if a.Is4() || a.Is4In6() {
		v4 := a.Unmap().As4()
		num.add(int64(v4[0])<<24 | int64(v4[1])<<16 | int64(v4[2])<<8 | int64(v4[3]))
	} else {
		num.add(formats.Absent)
	}
}

// canonical4 reports whether a parsed IPv4 text has no leading zeros (then
// it is exactly what netip would print).
func canonical4(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '0' && (i == 0 || s[i-1] == '.') && s[i+1] != '.' {
			return false
		}
	}
	return true
}

// EventID is the stable id of the line at offset of object in source.
func EventID(source, object string, offset int64) string {
	var r eventRows
	return string(r.id(source, object, offset))
}

func (r *eventRows) id(source, object string, offset int64) []byte {
	b := r.idBuf[:0]
	b = append(b, source...)
	b = append(b, 0)
	b = append(b, object...)
	b = append(b, 0)
	b = strconv.AppendInt(b, offset, 10)
	r.idBuf = b
	h := xxh3.Hash128(b).Bytes()
	hex.Encode(r.hexID[:], h[:])
	return r.hexID[:]
}

// add appends one parsed event.
func (r *eventRows) add(oc *objectCtx, ev *formats.Event, offset int64, line []byte) {
	r.eventID.BinaryBuilder.Append(r.id(oc.source, oc.object, offset))
	r.eventTime.Append(arrow.Timestamp(ev.Time.UnixMicro()))
	r.source.Append(oc.source)
	r.format.Append(oc.format)
	r.inputDay.Append(oc.inputDay)
	r.object.Append(oc.object)
	r.lineOffset.Append(offset)
	r.runID.Append(oc.runID)
	r.eventType.add(ev.EventType)
	r.action.add(ev.Action)
	r.severity.add(ev.Severity)
	r.app.add(ev.App)
	r.message.add(ev.Message)
	r.proto.add(ev.Proto)
	r.ip(ev.SrcIP, &r.srcIP, &r.srcIPBytes, &r.srcIP4)
	r.srcPort.add(ev.SrcPort)
	r.srcHost.add(ev.SrcHost)
	r.ip(ev.DstIP, &r.dstIP, &r.dstIPBytes, &r.dstIP4)
	r.dstPort.add(ev.DstPort)
	r.dstHost.add(ev.DstHost)
	r.dvcHost.add(ev.DvcHost)
	r.dvcIP.add(ev.DvcIP)
	r.user.add(ev.UserName)
	r.session.add(ev.SessionID)
	r.flowBytes.add(ev.FlowBytes)
	r.flowPackets.add(ev.FlowPackets)
	r.flowOutBytes.add(ev.FlowOutBytes)
	r.flowOutPackets.add(ev.FlowOutPackets)
	r.flowDur.add(ev.FlowDurationMs)
	r.flowFlags.add(ev.FlowTCPFlags)
	r.httpMethod.add(ev.HTTPMethod)
	r.httpURL.add(ev.HTTPURL)
	r.httpHost.add(ev.HTTPHost)
	r.httpStatus.add(ev.HTTPStatus)
	r.httpBytes.add(ev.HTTPBytes)
	r.httpRef.add(ev.HTTPReferrer)
	r.httpUA.add(ev.HTTPUserAgent)
	r.httpCT.add(ev.HTTPContentType)
	r.dnsQuery.add(ev.DNSQuery)
	r.dnsQType.add(ev.DNSQType)
	r.dnsQClass.add(ev.DNSQClass)
	r.dnsRCode.add(ev.DNSRCode)
	r.dnsAnswers.add(ev.DNSAnswers)
	r.dnsFrameLen.add(ev.DNSFrameLen)
	r.filePath.add(ev.FilePath)
	r.fileDst.add(ev.FileDst)
	if len(ev.Attrs) == 0 {
		r.attrNulls++
	} else {
		if r.attrNulls > 0 {
			r.attrs.AppendNulls(r.attrNulls)
			r.attrNulls = 0
		}
		r.attrs.Append(true)
		for _, kv := range ev.Attrs {
			r.attrKeys.Append(kv.Key)
			r.attrVals.Append(kv.Value)
		}
	}
	if utf8.Valid(line) {
		r.raw.BinaryBuilder.Append(line)
	} else {
		// Parquet strings must be UTF-8; the exact bytes stay in the object.
		r.raw.Append(strings.ToValidUTF8(string(line), "\uFFFD"))
	}
	r.n++
}

// flush returns the rows so far as a record batch and starts a new one.
func (r *eventRows) flush() arrow.RecordBatch {
	for _, c := range r.lazy {
		c.settle()
	}
	if r.attrNulls > 0 {
		r.attrs.AppendNulls(r.attrNulls)
		r.attrNulls = 0
	}
	for _, b := range r.extra {
		b.AppendNulls(r.n)
	}
	r.rows = r.n
	for _, b := range r.binaryBuilders() {
		r.dataLen[b] = b.DataLen()
	}
	r.n = 0
	rec := r.rb.NewRecordBatch()
	r.reserve()
	return rec
}

func (r *eventRows) release() { r.rb.Release() }

// reject is one line that did not parse.
type reject struct {
	offset, lineNo int64
	raw            []byte
	err            string
}

// rejectRows builds record batches of events_rejected.
func rejectBatch(mem memory.Allocator, schema *arrow.Schema, oc *objectCtx, rs []reject) (arrow.RecordBatch, error) {
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	for i, f := range schema.Fields() {
		b := rb.Field(i)
		for _, rj := range rs {
			switch f.Name {
			case "source":
				b.(*array.StringBuilder).Append(oc.source)
			case "format":
				b.(*array.StringBuilder).Append(oc.format)
			case "input_day":
				b.(*array.Date32Builder).Append(oc.inputDay)
			case "object":
				b.(*array.StringBuilder).Append(oc.object)
			case "line_offset":
				b.(*array.Int64Builder).Append(rj.offset)
			case "line_number":
				b.(*array.Int64Builder).Append(rj.lineNo)
			case "raw":
				b.(*array.BinaryBuilder).Append(rj.raw)
			case "error":
				b.(*array.StringBuilder).Append(rj.err)
			case "ingest_run_id":
				b.(*array.StringBuilder).Append(oc.runID)
			default:
				if !f.Nullable {
					return nil, fmt.Errorf("events_rejected column %s is required but this release cannot fill it", f.Name)
				}
				b.AppendNull()
			}
		}
	}
	return rb.NewRecordBatch(), nil
}

func date32(t time.Time) arrow.Date32 {
	return arrow.Date32FromTime(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC))
}
