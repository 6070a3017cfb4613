package emr

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emr"
	"github.com/aws/aws-sdk-go-v2/service/emr/types"

	"github.com/spotlake/spotlake/orchestrator/config"
)

// BootstrapScript is the bootstrap action every cluster runs
// (scripts/bootstrap.sh): it installs the binary and the config, and with
// --serve starts `spotlake serve` on the master. The orchestrator uploads
// it and passes its s3:// URL as Spec.BootstrapURL.
//
//go:embed scripts/bootstrap.sh
var BootstrapScript []byte

// Paths on the cluster's nodes, as the bootstrap script installs them.
const (
	NodeBinary = "spotlake"
	NodeConfig = "/etc/spotlake/spotlake.yaml"
)

// Spec is what one cluster request needs besides the config.
type Spec struct {
	// RunID identifies the run: with the pipeline and the role it is the
	// key a cluster is found by (tags), so a retried create finds the
	// first one instead of starting a second.
	RunID string
	// CreatedBy is who asked (user@host).
	CreatedBy string
	// Deadline is when the cluster must be gone (the role's max_runtime
	// after the start); zero: none (a waiting viz cluster ends by its idle
	// timeout or `cluster down`).
	Deadline time.Time
	// Steps are spotlake subcommands, each run as
	// `spotlake --config /etc/spotlake/spotlake.yaml ARGS...`, in order.
	Steps [][]string
	// Waiting keeps the cluster up when it has no steps left (cluster up,
	// viz); otherwise it is transient: it ends after its steps, and the
	// first failed step ends it.
	Waiting bool
	// Serve starts `spotlake serve` on the master (the viz role).
	Serve bool
	// BinaryURL, ConfigURL and BootstrapURL are the s3:// URLs of the
	// uploaded (content-addressed) spotlake binary, the run's config and
	// BootstrapScript.
	BinaryURL    string
	ConfigURL    string
	BootstrapURL string
}

// ClusterName is the name of a role's cluster of one run.
func ClusterName(pipeline, role, runID string) string {
	return "spotlake-" + pipeline + "-" + role + "-" + runID
}

// BuildRunJobFlow builds the request that creates role's cluster: instance
// fleets (master and core on demand, task on spot across its types with
// price-capacity-optimized allocation, switching to on-demand after
// spot_timeout), gp3 volumes, the Glue and Iceberg configuration, the
// auto-termination backstop, spotlake's tags and the steps.
func BuildRunJobFlow(cfg *config.Config, role string, spec Spec) (*emr.RunJobFlowInput, error) {
	r, ok := cfg.Clusters[role]
	if !ok {
		return nil, fmt.Errorf("emr: no role %q in clusters (have %s)", role, strings.Join(config.Roles, ", "))
	}
	var probs []string
	bad := func(f string, a ...any) { probs = append(probs, fmt.Sprintf(f, a...)) }
	if spec.RunID == "" {
		bad("spec: a run id is required")
	}
	for _, u := range []struct{ name, v string }{{"binary", spec.BinaryURL}, {"config", spec.ConfigURL}, {"bootstrap script", spec.BootstrapURL}} {
		if !strings.HasPrefix(u.v, "s3://") {
			bad("spec: the %s URL %q is not an s3:// URL", u.name, u.v)
		}
	}
	if !spec.Waiting && len(spec.Steps) == 0 {
		bad("spec: a transient cluster needs steps")
	}
	for i, s := range spec.Steps {
		if len(s) == 0 {
			bad("spec: step %d is empty", i)
		}
	}
	if !strings.HasPrefix(cfg.AWS.Logs, "s3://") {
		bad("aws.logs: %q is not an s3:// prefix", cfg.AWS.Logs)
	}
	if r.Master.Spot {
		bad("clusters.%s.master.spot: the master runs on demand", role)
	}
	idle := r.IdleTimeout.Duration
	if idle != 0 && (idle < time.Minute || idle > 7*24*time.Hour) {
		bad("clusters.%s.idle_timeout: %s: EMR takes 1m to 7 days", role, idle)
	}
	for k := range cfg.AWS.Tags {
		if strings.HasPrefix(k, "spotlake:") || strings.HasPrefix(k, "aws:") {
			bad("aws.tags.%s: the spotlake: and aws: prefixes are reserved", k)
		}
	}
	if len(probs) > 0 {
		return nil, fmt.Errorf("emr: cannot build the %s cluster request: %s", role, strings.Join(probs, "; "))
	}

	release := r.ReleaseLabel
	if release == "" {
		release = cfg.AWS.ReleaseLabel
	}
	in := &emr.RunJobFlowInput{
		Name:              aws.String(ClusterName(cfg.Pipeline, role, spec.RunID)),
		ReleaseLabel:      aws.String(release),
		LogUri:            aws.String(strings.TrimRight(cfg.AWS.Logs, "/") + "/" + cfg.Pipeline + "/"),
		ServiceRole:       aws.String(cfg.AWS.ServiceRole),
		JobFlowRole:       aws.String(cfg.AWS.InstanceProfile),
		VisibleToAllUsers: aws.Bool(true),
		Instances: &types.JobFlowInstancesConfig{
			KeepJobFlowAliveWhenNoSteps: aws.Bool(spec.Waiting),
			TerminationProtected:        aws.Bool(false),
			Ec2SubnetIds:                append([]string(nil), cfg.AWS.SubnetIDs...),
			InstanceFleets:              fleets(r),
		},
		Configurations: configurations(cfg),
		BootstrapActions: []types.BootstrapActionConfig{{
			Name: aws.String("spotlake install"),
			ScriptBootstrapAction: &types.ScriptBootstrapActionConfig{
				Path: aws.String(spec.BootstrapURL),
				Args: bootstrapArgs(spec),
			},
		}},
		Tags: tags(cfg, role, spec),
	}
	for _, a := range r.Applications {
		in.Applications = append(in.Applications, types.Application{Name: aws.String(a)})
	}
	if idle > 0 {
		in.AutoTerminationPolicy = &types.AutoTerminationPolicy{IdleTimeout: aws.Int64(int64(idle / time.Second))}
	}
	onFailure := types.ActionOnFailureTerminateCluster
	if spec.Waiting {
		onFailure = types.ActionOnFailureContinue
	}
	for _, s := range spec.Steps {
		in.Steps = append(in.Steps, Step(s, onFailure))
	}
	return in, nil
}

func bootstrapArgs(spec Spec) []string {
	args := []string{spec.BinaryURL, spec.ConfigURL}
	if spec.Serve {
		args = append(args, "--serve")
	}
	return args
}

// Step is a command-runner.jar step running `spotlake --config
// /etc/spotlake/spotlake.yaml ARGS...` on the master.
func Step(args []string, onFailure types.ActionOnFailure) types.StepConfig {
	full := append([]string{NodeBinary, "--config", NodeConfig}, args...)
	return types.StepConfig{
		Name:            aws.String(stepName(append([]string{"spotlake"}, args...))),
		ActionOnFailure: onFailure,
		HadoopJarStep: &types.HadoopJarStepConfig{
			Jar:  aws.String("command-runner.jar"),
			Args: full,
		},
	}
}

// SparkStep is a command-runner.jar step running spark-submit in client
// mode (the driver on the master): for the spark engine, with the Iceberg
// catalog the cluster's spark-defaults configure.
func SparkStep(name string, sparkArgs []string, onFailure types.ActionOnFailure) types.StepConfig {
	full := append([]string{"spark-submit", "--deploy-mode", "client"}, sparkArgs...)
	return types.StepConfig{
		Name:            aws.String(stepName([]string{name})),
		ActionOnFailure: onFailure,
		HadoopJarStep: &types.HadoopJarStepConfig{
			Jar:  aws.String("command-runner.jar"),
			Args: full,
		},
	}
}

// stepName joins args into a step name of at most 256 characters (EMR's limit).
func stepName(args []string) string {
	n := strings.Join(args, " ")
	if len(n) > 256 {
		n = n[:253] + "..."
	}
	return n
}

// fleets are the role's instance fleets: master, core and task, each
// left out when its count is 0 (the master never is).
func fleets(r config.Role) []types.InstanceFleetConfig {
	master := r.Master
	master.Count = 1
	out := []types.InstanceFleetConfig{fleet(types.InstanceFleetTypeMaster, "master", master, r.EBSGB)}
	if r.Core.Count > 0 {
		out = append(out, fleet(types.InstanceFleetTypeCore, "core", r.Core, r.EBSGB))
	}
	if r.Task != nil && r.Task.Count > 0 {
		out = append(out, fleet(types.InstanceFleetTypeTask, "task", *r.Task, r.EBSGB))
	}
	return out
}

func fleet(kind types.InstanceFleetType, name string, f config.Fleet, ebsGB int) types.InstanceFleetConfig {
	fc := types.InstanceFleetConfig{
		InstanceFleetType: kind,
		Name:              aws.String(name),
		LaunchSpecifications: &types.InstanceFleetProvisioningSpecifications{
			OnDemandSpecification: &types.OnDemandProvisioningSpecification{
				AllocationStrategy: types.OnDemandProvisioningAllocationStrategyLowestPrice,
			},
		},
	}
	for _, it := range f.InstanceTypes {
		tc := types.InstanceTypeConfig{InstanceType: aws.String(it), WeightedCapacity: aws.Int32(1)}
		if ebsGB > 0 {
			tc.EbsConfiguration = &types.EbsConfiguration{
				EbsBlockDeviceConfigs: []types.EbsBlockDeviceConfig{{
					VolumeSpecification: &types.VolumeSpecification{SizeInGB: aws.Int32(int32(ebsGB)), VolumeType: aws.String("gp3")},
					VolumesPerInstance:  aws.Int32(1),
				}},
			}
		}
		if f.Spot {
			// Pay at most the on-demand price.
			tc.BidPriceAsPercentageOfOnDemandPrice = aws.Float64(100)
		}
		fc.InstanceTypeConfigs = append(fc.InstanceTypeConfigs, tc)
	}
	if f.Spot {
		fc.TargetSpotCapacity = aws.Int32(int32(f.Count))
		fc.TargetOnDemandCapacity = aws.Int32(0)
		timeout := int32(f.SpotTimeout.Duration / time.Minute)
		timeout = min(max(timeout, 5), 1440) // EMR takes 5 to 1440 minutes
		fc.LaunchSpecifications.SpotSpecification = &types.SpotProvisioningSpecification{
			AllocationStrategy:     types.SpotProvisioningAllocationStrategyPriceCapacityOptimized,
			TimeoutAction:          types.SpotProvisioningTimeoutActionSwitchToOnDemand,
			TimeoutDurationMinutes: aws.Int32(timeout),
		}
	} else {
		fc.TargetOnDemandCapacity = aws.Int32(int32(f.Count))
	}
	return fc
}

// configurations make Spark on the cluster see the pipeline's Iceberg
// tables through the Glue catalog, under cfg.Catalog.Name. Only the Glue
// catalog is configured: a SQL catalog's URI may hold credentials, and
// nothing secret goes into a cluster request.
func configurations(cfg *config.Config) []types.Configuration {
	out := []types.Configuration{
		{Classification: aws.String("iceberg-defaults"), Properties: map[string]string{"iceberg.enabled": "true"}},
	}
	if cfg.Catalog.Type != "glue" {
		return out
	}
	cat := "spark.sql.catalog." + cfg.Catalog.Name
	return append([]types.Configuration{
		{Classification: aws.String("spark-hive-site"), Properties: map[string]string{
			"hive.metastore.client.factory.class": "com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory",
		}},
	}, append(out, types.Configuration{
		Classification: aws.String("spark-defaults"), Properties: map[string]string{
			cat:                    "org.apache.iceberg.spark.SparkCatalog",
			cat + ".catalog-impl":  "org.apache.iceberg.aws.glue.GlueCatalog",
			cat + ".warehouse":     cfg.Warehouse,
			cat + ".io-impl":       "org.apache.iceberg.aws.s3.S3FileIO",
			"spark.sql.extensions": "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
		},
	})...)
}

// tags are spotlake's own tags, then aws.tags sorted by key.
func tags(cfg *config.Config, role string, spec Spec) []types.Tag {
	out := []types.Tag{
		{Key: aws.String(TagPipeline), Value: aws.String(cfg.Pipeline)},
		{Key: aws.String(TagRole), Value: aws.String(role)},
		{Key: aws.String(TagRunID), Value: aws.String(spec.RunID)},
	}
	if spec.CreatedBy != "" {
		out = append(out, types.Tag{Key: aws.String(TagCreatedBy), Value: aws.String(spec.CreatedBy)})
	}
	if !spec.Deadline.IsZero() {
		out = append(out, types.Tag{Key: aws.String(TagDeadline), Value: aws.String(spec.Deadline.UTC().Format(time.RFC3339))})
	}
	keys := make([]string, 0, len(cfg.AWS.Tags))
	for k := range cfg.AWS.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(cfg.AWS.Tags[k])})
	}
	return out
}

// tagMap reads tags into a map.
func tagMap(ts []types.Tag) map[string]string {
	m := make(map[string]string, len(ts))
	for _, t := range ts {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}
