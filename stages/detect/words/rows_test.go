package words

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// rowFromEvent fills a Row from an events row written as JSON with the
// table's column names (as the detect stage reads it), the way the caller
// does: absent numbers -1, absent strings "". "input" stands for
// attrs['input']. Keys that are no Row field are returned in unknown.
func rowFromEvent(js []byte) (r Row, unknown []string, err error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return r, nil, err
	}
	r = Row{SrcPort: -1, DstPort: -1, FlowBytes: -1, FlowPackets: -1, DNSFrameLen: -1, HTTPStatus: -1}
	strs := map[string]*string{
		"event_id": &r.EventID, "source": &r.Source, "format": &r.Format,
		"src_ip": &r.SrcIP, "dst_ip": &r.DstIP, "proto": &r.Proto, "src_host": &r.SrcHost,
		"dns_query": &r.DNSQuery, "dns_qtype": &r.DNSQType, "dns_rcode": &r.DNSRCode,
		"http_method": &r.HTTPMethod, "http_url": &r.HTTPURL, "http_host": &r.HTTPHost,
		"http_user_agent": &r.HTTPUserAgent, "http_content_type": &r.HTTPContentType,
		"event_type": &r.EventType, "action": &r.Action, "severity": &r.Severity, "app": &r.App,
		"message": &r.Message, "user_name": &r.UserName, "file_path": &r.FilePath,
		"dvc_host": &r.DvcHost, "input": &r.Input,
	}
	i32 := map[string]*int32{"src_port": &r.SrcPort, "dst_port": &r.DstPort,
		"dns_frame_len": &r.DNSFrameLen, "http_status": &r.HTTPStatus}
	i64 := map[string]*int64{"flow_bytes": &r.FlowBytes, "flow_packets": &r.FlowPackets}
	for k, v := range m {
		switch {
		case k == "event_time":
			s, _ := v.(string)
			r.Time, err = time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return r, nil, err
			}
		case strs[k] != nil:
			s, ok := v.(string)
			if !ok {
				return r, nil, fmt.Errorf("%s: not a string", k)
			}
			*strs[k] = s
		case i32[k] != nil || i64[k] != nil:
			n, ok := v.(json.Number)
			if !ok {
				return r, nil, fmt.Errorf("%s: not a number", k)
			}
			x, err := n.Int64()
			if err != nil {
				return r, nil, fmt.Errorf("%s: %v", k, err)
			}
			if i32[k] != nil {
				*i32[k] = int32(x)
			} else {
				*i64[k] = x
			}
		default:
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	return r, unknown, nil
}
