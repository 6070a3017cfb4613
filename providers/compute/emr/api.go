// Package emr runs spotlake's roles (ingest, ml, viz) on Amazon EMR: one
// cluster per role and run, created from the config (BuildRunJobFlow, a
// pure function with golden tests), watched to its end by a Controller that
// never creates a duplicate cluster, terminates what it started on any
// error, interruption or deadline, and reports EMR's own reasons (step
// failure details and the tail of the step's logs, bootstrap failures,
// capacity timeouts).
//
// Clusters are found by their tags (spotlake:pipeline, spotlake:role,
// spotlake:run-id), never by name alone: RunJobFlow has no idempotency
// token, so tags are what makes a create retryable.
package emr

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/emr"
)

// API is the part of the EMR client spotlake uses; *emr.Client satisfies
// it, and emrfake.Fake scripts it for tests.
type API interface {
	RunJobFlow(ctx context.Context, params *emr.RunJobFlowInput, optFns ...func(*emr.Options)) (*emr.RunJobFlowOutput, error)
	DescribeCluster(ctx context.Context, params *emr.DescribeClusterInput, optFns ...func(*emr.Options)) (*emr.DescribeClusterOutput, error)
	ListClusters(ctx context.Context, params *emr.ListClustersInput, optFns ...func(*emr.Options)) (*emr.ListClustersOutput, error)
	ListSteps(ctx context.Context, params *emr.ListStepsInput, optFns ...func(*emr.Options)) (*emr.ListStepsOutput, error)
	DescribeStep(ctx context.Context, params *emr.DescribeStepInput, optFns ...func(*emr.Options)) (*emr.DescribeStepOutput, error)
	AddJobFlowSteps(ctx context.Context, params *emr.AddJobFlowStepsInput, optFns ...func(*emr.Options)) (*emr.AddJobFlowStepsOutput, error)
	TerminateJobFlows(ctx context.Context, params *emr.TerminateJobFlowsInput, optFns ...func(*emr.Options)) (*emr.TerminateJobFlowsOutput, error)
	AddTags(ctx context.Context, params *emr.AddTagsInput, optFns ...func(*emr.Options)) (*emr.AddTagsOutput, error)
	// PutAutoTerminationPolicy is optional in practice: moto answers 500.
	PutAutoTerminationPolicy(ctx context.Context, params *emr.PutAutoTerminationPolicyInput, optFns ...func(*emr.Options)) (*emr.PutAutoTerminationPolicyOutput, error)
}

var _ API = (*emr.Client)(nil)

// Tag keys spotlake puts on every cluster it creates.
const (
	TagPipeline  = "spotlake:pipeline"
	TagRole      = "spotlake:role"
	TagRunID     = "spotlake:run-id"
	TagCreatedBy = "spotlake:created-by"
	// TagDeadline is when the cluster must be gone (RFC 3339, UTC); GC
	// terminates active clusters past it. Absent: no deadline (viz).
	TagDeadline = "spotlake:deadline"
	// TagTerminateReason is added just before spotlake terminates a
	// cluster (interrupted, deadline, error, gc, down).
	TagTerminateReason = "spotlake:terminate-reason"
)
