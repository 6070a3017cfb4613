package formats

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"time"
)

func init() {
	Register(Format{
		Name: "vpcflow",
		Description: "AWS VPC Flow Logs (v2 default format, or custom v3-v8 and Transit Gateway " +
			"formats declared by a header line)",
		Patterns: []string{`\.log(\.gz)?$`},
		New: func(FileInfo, Options) (Parser, error) {
			return &vpcflowParser{cols: vpcDefault, order: "v2 default format"}, nil
		},
	})
}

// vpcKind says which Event field a flow log column fills.
type vpcKind uint8

const (
	vpcAttr vpcKind = iota // no column of its own: an attr under the field name
	vpcInterface
	vpcTGW
	vpcSrcAddr
	vpcDstAddr
	vpcSrcPort
	vpcDstPort
	vpcProtocol
	vpcPackets
	vpcBytes
	vpcStart
	vpcEnd
	vpcAction
	vpcLogStatus
	vpcTCPFlags
)

type vpcCol struct {
	name string
	kind vpcKind
}

var vpcMapped = map[string]vpcKind{
	"interface-id": vpcInterface,
	"tgw-id":       vpcTGW,
	"srcaddr":      vpcSrcAddr,
	"dstaddr":      vpcDstAddr,
	"srcport":      vpcSrcPort,
	"dstport":      vpcDstPort,
	"protocol":     vpcProtocol,
	"packets":      vpcPackets,
	"bytes":        vpcBytes,
	"start":        vpcStart,
	"end":          vpcEnd,
	"action":       vpcAction,
	"log-status":   vpcLogStatus,
	"tcp-flags":    vpcTCPFlags,
}

// vpcKnown lists the documented field names of VPC (v2-v8) and Transit
// Gateway flow logs. A line whose first word is one of them is a header;
// data lines never start with a bare field name.
var vpcKnown = func() map[string]bool {
	known := map[string]bool{}
	for _, f := range strings.Fields(`version account-id interface-id srcaddr dstaddr srcport dstport
		protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type
		pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service
		pkt-dst-aws-service flow-direction traffic-path ecs-cluster-arn ecs-cluster-name
		ecs-container-instance-arn ecs-container-instance-id ecs-container-id ecs-second-container-id
		ecs-service-name ecs-task-definition-arn ecs-task-arn ecs-task-id reject-reason resource-type
		tgw-id tgw-attachment-id tgw-src-vpc-account-id tgw-dst-vpc-account-id tgw-src-vpc-id
		tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id
		tgw-dst-az-id tgw-pair-attachment-id packets-lost-no-route packets-lost-blackhole
		packets-lost-mtu-exceeded packets-lost-ttl-expired`) {
		known[f] = true
	}
	return known
}()

var vpcDefault = vpcColumns(strings.Fields(
	"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"))

func vpcColumns(names []string) []vpcCol {
	cols := make([]vpcCol, len(names))
	hasInterface := false
	for i, n := range names {
		cols[i] = vpcCol{name: n, kind: vpcMapped[n]}
		hasInterface = hasInterface || n == "interface-id"
	}
	// The device is the ENI, or the transit gateway in TGW flow logs.
	for i := range cols {
		if cols[i].kind == vpcTGW && hasInterface {
			cols[i].kind = vpcAttr
		}
	}
	return cols
}

// vpcflowParser holds the column order of the file: v2 default until a
// header line declares a custom format.
type vpcflowParser struct {
	cols  []vpcCol
	order string // where cols came from, for error messages
}

var errVPCNoStart = errors.New("vpcflow: the format has no start field")

func (p *vpcflowParser) Parse(line []byte, ev *Event) error {
	if vpcIsHeader(line) {
		p.header(string(line))
		return ErrSkip
	}
	// AWS separates fields by single spaces: count those fast, and count
	// words properly only when that does not give the expected number.
	n := bytes.Count(line, []byte{' '}) + 1
	if n != len(p.cols) {
		n = countFields(line)
	}
	if n != len(p.cols) {
		return errors.New("vpcflow: " + strconv.Itoa(n) + " fields, " + p.order + " has " + strconv.Itoa(len(p.cols)))
	}

	s := string(line)
	var start, end int64 = Absent, Absent
	endText := ""
	for i, c := range p.cols {
		var v string
		v, s = cutField(s)
		if v == "-" {
			if c.kind == vpcStart {
				return errors.New("vpcflow: field " + strconv.Itoa(i+1) + ` (start) is "-"; a record needs its start time`)
			}
			continue
		}
		switch c.kind {
		case vpcAttr:
			ev.Attr(c.name, v)
		case vpcInterface:
			ev.DvcHost = v
		case vpcTGW:
			ev.DvcHost = v
		case vpcSrcAddr:
			ev.SrcIP = v
		case vpcDstAddr:
			ev.DstIP = v
		case vpcSrcPort, vpcDstPort:
			port, ok := decimal(v)
			if !ok {
				return vpcNumErr(i, c.name, v)
			}
			if port > 65535 {
				return errors.New("vpcflow: field " + strconv.Itoa(i+1) + " (" + c.name + "): " + v + " is not a port")
			}
			if c.kind == vpcSrcPort {
				ev.SrcPort = int32(port)
			} else {
				ev.DstPort = int32(port)
			}
		case vpcProtocol:
			num, ok := decimal(v)
			if !ok {
				return vpcNumErr(i, c.name, v)
			}
			if num > 255 {
				return errors.New("vpcflow: field " + strconv.Itoa(i+1) + " (protocol): " + v + " is not an IP protocol number")
			}
			ev.Proto = ipProtoName(v)
		case vpcPackets, vpcBytes, vpcStart, vpcEnd:
			num, ok := decimal(v)
			if !ok {
				return vpcNumErr(i, c.name, v)
			}
			switch c.kind {
			case vpcPackets:
				ev.FlowPackets = num
			case vpcBytes:
				ev.FlowBytes = num
			case vpcStart:
				start = num
			case vpcEnd:
				end, endText = num, v
			}
		case vpcAction:
			ev.Action = v
		case vpcLogStatus:
			ev.EventType = v
		case vpcTCPFlags:
			ev.FlowTCPFlags = v
		}
	}
	if start == Absent {
		return errVPCNoStart
	}
	ev.Time = time.Unix(start, 0).UTC()
	switch {
	case end >= start:
		ev.FlowDurationMs = (end - start) * 1000
	case end != Absent:
		ev.Attr("end", endText) // a duration would be negative; keep the source value
	}
	return nil
}

// header takes the column order from a header line. Files written to S3
// carry one; some exporters write the format string itself ("${srcaddr}").
func (p *vpcflowParser) header(s string) {
	names := strings.Fields(s)
	for i, n := range names {
		names[i] = strings.TrimSuffix(strings.TrimPrefix(n, "${"), "}")
	}
	p.cols = vpcColumns(names)
	p.order = "header"
}

func vpcIsHeader(line []byte) bool {
	first := line
	if i := bytes.IndexByte(line, ' '); i >= 0 {
		first = line[:i]
	}
	first = bytes.TrimSuffix(bytes.TrimPrefix(first, []byte("${")), []byte("}"))
	return vpcKnown[string(first)] // map index by string(bytes) does not allocate
}

func vpcNumErr(i int, name, v string) error {
	return errors.New("vpcflow: field " + strconv.Itoa(i+1) + " (" + name + "): " + quoteShort(v) + " is not a number")
}

// countFields counts space-separated words without converting the line.
func countFields(b []byte) int {
	n := 0
	in := false
	for _, c := range b {
		if c == ' ' {
			in = false
		} else if !in {
			in = true
			n++
		}
	}
	return n
}

// ipProtoName names the common IP protocol numbers as nfdump and Zeek do, so
// proto values agree across flow sources.
func ipProtoName(num string) string {
	switch num {
	case "6":
		return "tcp"
	case "17":
		return "udp"
	case "1":
		return "icmp"
	case "58":
		return "icmpv6"
	}
	return num
}
