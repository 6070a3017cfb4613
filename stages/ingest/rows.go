package ingest

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
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
// hottest code of the ingest after the parsers.
type eventRows struct {
	schema *arrow.Schema
	rb     *array.RecordBuilder
	n      int
	extra  []array.Builder // columns of a newer schema this code doesn't fill

	eventID, source, format, object, runID, raw                   *array.StringBuilder
	eventTime                                                     *array.TimestampBuilder
	inputDay                                                      *array.Date32Builder
	lineOffset                                                    *array.Int64Builder
	eventType, action, severity, app, message, proto              *array.StringBuilder
	srcIP, srcHost, dstIP, dstHost, dvcHost, dvcIP, user, session *array.StringBuilder
	srcIPBytes, dstIPBytes                                        *array.BinaryBuilder
	srcIP4, dstIP4                                                *array.Int64Builder
	srcPort, dstPort                                              *array.Int32Builder
	flowBytes, flowPackets, flowOutBytes, flowOutPackets, flowDur *array.Int64Builder
	flowFlags                                                     *array.StringBuilder
	httpMethod, httpURL, httpHost, httpRef, httpUA, httpCT        *array.StringBuilder
	httpStatus                                                    *array.Int32Builder
	httpBytes                                                     *array.Int64Builder
	dnsQuery, dnsQType, dnsQClass, dnsRCode, dnsAnswers           *array.StringBuilder
	dnsFrameLen                                                   *array.Int32Builder
	filePath, fileDst                                             *array.StringBuilder
	attrs                                                         *array.MapBuilder
	attrKeys, attrVals                                            *array.StringBuilder

	idBuf []byte
	hexID [32]byte

	// dataLen is each variable-width builder's data size in the last batch:
	// the next batch reserves it up front instead of growing by copies.
	dataLen map[*array.BinaryBuilder]int
	rows    int
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
		if err := assign(dst, b); err != nil {
			return nil, fmt.Errorf("events column %s: %w", f.Name, err)
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

// assign stores builder b into *dst when the types agree.
func assign(dst any, b array.Builder) error {
	ok := false
	switch p := dst.(type) {
	case **array.StringBuilder:
		*p, ok = b.(*array.StringBuilder)
	case **array.BinaryBuilder:
		*p, ok = b.(*array.BinaryBuilder)
	case **array.Int64Builder:
		*p, ok = b.(*array.Int64Builder)
	case **array.Int32Builder:
		*p, ok = b.(*array.Int32Builder)
	case **array.TimestampBuilder:
		*p, ok = b.(*array.TimestampBuilder)
	case **array.Date32Builder:
		*p, ok = b.(*array.Date32Builder)
	case **array.MapBuilder:
		*p, ok = b.(*array.MapBuilder)
	}
	if !ok {
		return fmt.Errorf("unexpected Arrow type %s", b.Type())
	}
	return nil
}

// objectCtx is what every row of one object shares.
type objectCtx struct {
	source, format, object, runID string
	inputDay                      arrow.Date32
}

func str(b *array.StringBuilder, s string) {
	if s == "" {
		b.AppendNull()
	} else {
		b.Append(s)
	}
}

func i64(b *array.Int64Builder, v int64) {
	if v == formats.Absent {
		b.AppendNull()
	} else {
		b.Append(v)
	}
}

func i32(b *array.Int32Builder, v int32) {
	if v == formats.Absent {
		b.AppendNull()
	} else {
		b.Append(v)
	}
}

func (r *eventRows) ip(s string, txt, host *array.StringBuilder, bytes *array.BinaryBuilder, num *array.Int64Builder) {
	if s == "" {
		txt.AppendNull()
		bytes.AppendNull()
		num.AppendNull()
		return
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		// Not an address after all: keep the text, it is probably a name.
		txt.Append(s)
		bytes.AppendNull()
		num.AppendNull()
		return
	}
	a = a.WithZone("")
	txt.Append(a.String())
	b16 := a.As16()
	bytes.Append(b16[:])
	if a.Is4() || a.Is4In6() {
		v4 := a.Unmap().As4()
		num.Append(int64(v4[0])<<24 | int64(v4[1])<<16 | int64(v4[2])<<8 | int64(v4[3]))
	} else {
		num.AppendNull()
	}
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
	str(r.eventType, ev.EventType)
	str(r.action, ev.Action)
	str(r.severity, ev.Severity)
	str(r.app, ev.App)
	str(r.message, ev.Message)
	str(r.proto, ev.Proto)
	r.ip(ev.SrcIP, r.srcIP, nil, r.srcIPBytes, r.srcIP4)
	i32(r.srcPort, ev.SrcPort)
	str(r.srcHost, ev.SrcHost)
	r.ip(ev.DstIP, r.dstIP, nil, r.dstIPBytes, r.dstIP4)
	i32(r.dstPort, ev.DstPort)
	str(r.dstHost, ev.DstHost)
	str(r.dvcHost, ev.DvcHost)
	str(r.dvcIP, ev.DvcIP)
	str(r.user, ev.UserName)
	str(r.session, ev.SessionID)
	i64(r.flowBytes, ev.FlowBytes)
	i64(r.flowPackets, ev.FlowPackets)
	i64(r.flowOutBytes, ev.FlowOutBytes)
	i64(r.flowOutPackets, ev.FlowOutPackets)
	i64(r.flowDur, ev.FlowDurationMs)
	str(r.flowFlags, ev.FlowTCPFlags)
	str(r.httpMethod, ev.HTTPMethod)
	str(r.httpURL, ev.HTTPURL)
	str(r.httpHost, ev.HTTPHost)
	i32(r.httpStatus, ev.HTTPStatus)
	i64(r.httpBytes, ev.HTTPBytes)
	str(r.httpRef, ev.HTTPReferrer)
	str(r.httpUA, ev.HTTPUserAgent)
	str(r.httpCT, ev.HTTPContentType)
	str(r.dnsQuery, ev.DNSQuery)
	str(r.dnsQType, ev.DNSQType)
	str(r.dnsQClass, ev.DNSQClass)
	str(r.dnsRCode, ev.DNSRCode)
	str(r.dnsAnswers, ev.DNSAnswers)
	i32(r.dnsFrameLen, ev.DNSFrameLen)
	str(r.filePath, ev.FilePath)
	str(r.fileDst, ev.FileDst)
	if len(ev.Attrs) == 0 {
		r.attrs.AppendNull()
	} else {
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
		r.raw.Append(string([]rune(string(line))))
	}
	for _, b := range r.extra {
		b.AppendNull()
	}
	r.n++
}

// flush returns the rows so far as a record batch and starts a new one.
func (r *eventRows) flush() arrow.RecordBatch {
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
