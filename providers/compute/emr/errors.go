package emr

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/aws/smithy-go"
)

// Kind classifies why a cluster run failed.
type Kind string

const (
	KindStep        Kind = "step failed"
	KindBootstrap   Kind = "bootstrap failed"
	KindCapacity    Kind = "no capacity"
	KindValidation  Kind = "rejected by EMR"
	KindInstance    Kind = "instance failure"
	KindInternal    Kind = "EMR internal error"
	KindTerminated  Kind = "terminated"
	KindDeadline    Kind = "deadline passed"
	KindInterrupted Kind = "interrupted"
	KindAPI         Kind = "EMR API error"
)

// Error is a failed cluster run, with EMR's own reason.
type Error struct {
	Kind      Kind
	ClusterID string
	Name      string
	// Code and Message are the cluster's state change reason (or the API
	// error's code and message).
	Code    string
	Message string
	// Step is the failed step, with its failure details and log tails.
	Step *StepResult
	// Err is the underlying error (ctx.Err(), an API error).
	Err error
}

func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("emr: ")
	if e.ClusterID != "" || e.Name != "" {
		fmt.Fprintf(&b, "cluster %s (%s): ", orDash(e.ClusterID), e.Name)
	}
	b.WriteString(string(e.Kind))
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Err != nil && (e.Message == "" || !strings.Contains(e.Message, e.Err.Error())) {
		b.WriteString(": " + e.Err.Error())
	}
	if s := e.Step; s != nil {
		b.WriteString("\n" + s.Report())
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

var throttleCodes = map[string]bool{
	"ThrottlingException": true, "Throttling": true, "ThrottledException": true,
	"RequestLimitExceeded": true, "TooManyRequestsException": true, "RequestThrottled": true,
	"RequestThrottledException": true, "SlowDown": true,
}

// IsThrottle reports whether err is EMR asking the caller to slow down.
func IsThrottle(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) && throttleCodes[ae.ErrorCode()] {
		return true
	}
	return httpStatus(err) == 429
}

func httpStatus(err error) int {
	var hs interface{ HTTPStatusCode() int }
	if errors.As(err, &hs) {
		return hs.HTTPStatusCode()
	}
	return 0
}

// definite reports whether err is a definite answer from EMR that the
// request was not carried out (a client fault: bad request, access
// denied), as opposed to one whose outcome is unknown (a timeout, a
// dropped connection, a 5xx) after which the request may have succeeded.
// Throttling is definite too (nothing was done) but worth retrying.
func definite(err error) bool {
	if IsThrottle(err) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if s := httpStatus(err); s >= 400 && s < 500 && s != 408 {
		return true
	} else if s >= 500 {
		return false
	}
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorFault() == smithy.FaultClient
}
