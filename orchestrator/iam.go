package orchestrator

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/spotlake/spotlake/orchestrator/config"
)

// IAM roles Policies writes a document for, in order.
const (
	IAMController      = "controller"
	IAMEMRServiceRole  = "emr-service-role"
	IAMInstanceProfile = "instance-profile"
)

// IAMRoles lists the roles Policies writes, in order.
var IAMRoles = []string{IAMController, IAMEMRServiceRole, IAMInstanceProfile}

// AccountPlaceholder stands for the AWS account id when none is given: it is
// CloudFormation's pseudo parameter, so the documents work as they are in a
// template's Fn::Sub, and anywhere else after replacing it.
const AccountPlaceholder = "${AWS::AccountId}"

// TagPipeline is the tag every spotlake cluster carries (providers/compute/emr
// sets it): the controller's EMR permissions are conditioned on it.
const TagPipeline = "spotlake:pipeline"

// emrManagedTag is the tag Amazon EMR puts on what it creates and that
// AWS's AmazonEMRServicePolicy_v2 conditions the service role on.
const emrManagedTag = "for-use-with-amazon-emr-managed-policies"

// PolicyDocument is an IAM policy document.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a policy document.
type Statement struct {
	Sid       string                    `json:"Sid"`
	Effect    string                    `json:"Effect"`
	Action    []string                  `json:"Action"`
	Resource  []string                  `json:"Resource"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

var accountRE = regexp.MustCompile(`^[0-9]{12}$`)

// Policies returns least-privilege IAM policy documents for running cfg on
// AWS, by role:
//
//   - controller: the machine that runs `spotlake run`, `plan`, `cluster`
//     and `cost`: EMR on clusters tagged spotlake:pipeline=<pipeline> only,
//     iam:PassRole for exactly the EMR service role and the instance
//     profile's role, S3 on the artifacts, logs, warehouse and (list only)
//     raw prefixes, Glue on the catalog, the pipeline's database and its
//     tables, pricing:GetProducts, and Route 53 on the configured record.
//   - emr-service-role: what Amazon EMR itself needs to run the clusters,
//     modelled on AWS's AmazonEMRServicePolicy_v2 (including its
//     for-use-with-amazon-emr-managed-policies tag conditions, which EMR
//     sets on what it creates) but narrowed to the config's region, account,
//     subnets and instance-profile role.
//   - instance-profile: the cluster nodes: read raw, read/write warehouse,
//     read artifacts, write logs, Glue on the database and tables. Nothing
//     else.
//
// account "" writes AccountPlaceholder. The instance profile's role is
// taken to have the profile's name (as EMR_EC2_DefaultRole does); the
// service role and instance profile may also be given as ARNs. Nothing in
// the documents comes from the environment, and no secret is read.
func Policies(cfg *config.Config, account string) (map[string]PolicyDocument, error) {
	if account == "" {
		account = AccountPlaceholder
	} else if !accountRE.MatchString(account) {
		return nil, fmt.Errorf("--account %q: an AWS account id is 12 digits", account)
	}
	if cfg.AWS.Region == "" {
		return nil, fmt.Errorf("aws.region is not set: IAM policies are for provider aws")
	}
	b := &policyBuilder{cfg: cfg, account: account, region: cfg.AWS.Region, part: partition(cfg.AWS.Region)}
	locs := map[string]string{"warehouse": cfg.Warehouse, "raw": cfg.Raw, "aws.artifacts": cfg.AWS.Artifacts, "aws.logs": cfg.AWS.Logs}
	parsed := map[string]s3Loc{}
	for _, k := range []string{"warehouse", "raw", "aws.artifacts", "aws.logs"} {
		l, err := parseS3(locs[k])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		parsed[k] = l
	}
	wh, raw, art, logs := parsed["warehouse"], parsed["raw"], parsed["aws.artifacts"], parsed["aws.logs"]
	return map[string]PolicyDocument{
		IAMController:      b.controller(wh, raw, art, logs),
		IAMEMRServiceRole:  b.serviceRole(),
		IAMInstanceProfile: b.instanceProfile(wh, raw, art, logs),
	}, nil
}

type policyBuilder struct {
	cfg                   *config.Config
	account, region, part string
}

func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// s3Loc is an s3:// URL: a bucket and a prefix without slashes at its ends.
type s3Loc struct{ bucket, prefix string }

func parseS3(s string) (s3Loc, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return s3Loc{}, fmt.Errorf("%q is not an s3:// URL: IAM policies are for provider aws", s)
	}
	return s3Loc{bucket: u.Host, prefix: strings.Trim(u.Path, "/")}, nil
}

func (b *policyBuilder) bucketARN(l s3Loc) string { return "arn:" + b.part + ":s3:::" + l.bucket }

func (b *policyBuilder) objectsARN(l s3Loc) string {
	if l.prefix == "" {
		return b.bucketARN(l) + "/*"
	}
	return b.bucketARN(l) + "/" + l.prefix + "/*"
}

// s3Statements grants listing of every location's prefix (one statement per
// bucket), reading the read locations' objects and writing the write ones'.
func (b *policyBuilder) s3Statements(sid string, list, read, write []s3Loc) []Statement {
	var out []Statement
	prefixes := map[string][]string{} // bucket → s3:prefix patterns
	whole := map[string]bool{}
	for _, l := range list {
		if l.prefix == "" {
			whole[l.bucket] = true
			continue
		}
		prefixes[l.bucket] = append(prefixes[l.bucket], l.prefix, l.prefix+"/*")
	}
	var buckets []string
	for _, l := range list {
		if !contains(buckets, l.bucket) {
			buckets = append(buckets, l.bucket)
		}
	}
	sort.Strings(buckets)
	for i, bk := range buckets {
		st := Statement{Sid: fmt.Sprintf("%sListBucket%d", sid, i+1), Effect: "Allow",
			Action: []string{"s3:ListBucket"}, Resource: []string{b.bucketARN(s3Loc{bucket: bk})}}
		if !whole[bk] {
			st.Condition = map[string]map[string]any{"StringLike": {"s3:prefix": uniqSorted(prefixes[bk])}}
		}
		out = append(out, st, Statement{Sid: fmt.Sprintf("%sBucketLocation%d", sid, i+1), Effect: "Allow",
			Action: []string{"s3:GetBucketLocation"}, Resource: []string{b.bucketARN(s3Loc{bucket: bk})}})
	}
	objs := func(ls []s3Loc) []string {
		var r []string
		for _, l := range ls {
			r = append(r, b.objectsARN(l))
		}
		return uniqSorted(r)
	}
	if len(read) > 0 {
		out = append(out, Statement{Sid: sid + "ReadObjects", Effect: "Allow", Action: []string{"s3:GetObject"}, Resource: objs(read)})
	}
	if len(write) > 0 {
		out = append(out, Statement{Sid: sid + "WriteObjects", Effect: "Allow",
			Action:   []string{"s3:AbortMultipartUpload", "s3:DeleteObject", "s3:PutObject"},
			Resource: objs(write)})
	}
	return out
}

func (b *policyBuilder) glueStatement(withDatabaseCreate bool) Statement {
	arn := "arn:" + b.part + ":glue:" + b.region + ":" + b.account + ":"
	db := b.cfg.Pipeline
	actions := []string{"glue:CreateTable", "glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:UpdateTable"}
	if withDatabaseCreate {
		actions = append(actions, "glue:CreateDatabase")
	}
	sort.Strings(actions)
	return Statement{Sid: "GlueCatalogDatabaseAndTables", Effect: "Allow", Action: actions,
		Resource: []string{arn + "catalog", arn + "database/" + db, arn + "table/" + db + "/*"}}
}

func (b *policyBuilder) roleARN(name string) string {
	if strings.HasPrefix(name, "arn:") {
		return name
	}
	return "arn:" + b.part + ":iam::" + b.account + ":role/" + name
}

// instanceRole is the instance profile's role: the profile's name (or an
// instance-profile ARN's last element).
func (b *policyBuilder) instanceRole() string {
	name := b.cfg.AWS.InstanceProfile
	if strings.HasPrefix(name, "arn:") {
		name = name[strings.LastIndex(name, "/")+1:]
	}
	return b.roleARN(name)
}

func (b *policyBuilder) controller(wh, raw, art, logs s3Loc) PolicyDocument {
	clusters := "arn:" + b.part + ":elasticmapreduce:" + b.region + ":" + b.account + ":cluster/*"
	pipeline := map[string]any{"aws:RequestTag/" + TagPipeline: b.cfg.Pipeline}
	own := map[string]any{"aws:ResourceTag/" + TagPipeline: b.cfg.Pipeline}
	st := []Statement{
		{Sid: "EMRCreateTaggedClusters", Effect: "Allow", Action: []string{"elasticmapreduce:RunJobFlow"},
			// RunJobFlow supports no resource-level permission: the request
			// must tag the cluster with the pipeline.
			Resource: []string{"*"}, Condition: map[string]map[string]any{"StringEquals": pipeline}},
		{Sid: "EMRTagAndConfigureOnCreate", Effect: "Allow",
			Action:   []string{"elasticmapreduce:AddTags", "elasticmapreduce:PutAutoTerminationPolicy"},
			Resource: []string{clusters}, Condition: map[string]map[string]any{"StringEquals": pipeline}},
		{Sid: "EMRManagePipelineClusters", Effect: "Allow", Action: []string{
			"elasticmapreduce:AddJobFlowSteps", "elasticmapreduce:AddTags", "elasticmapreduce:CancelSteps",
			"elasticmapreduce:DescribeCluster", "elasticmapreduce:DescribeStep",
			"elasticmapreduce:GetAutoTerminationPolicy", "elasticmapreduce:ListBootstrapActions",
			"elasticmapreduce:ListInstanceFleets", "elasticmapreduce:ListInstances", "elasticmapreduce:ListSteps",
			"elasticmapreduce:PutAutoTerminationPolicy", "elasticmapreduce:TerminateJobFlows",
		}, Resource: []string{clusters}, Condition: map[string]map[string]any{"StringEquals": own}},
		{Sid: "EMRListClusters", Effect: "Allow", Action: []string{"elasticmapreduce:ListClusters"},
			// Read-only and without resource-level permission.
			Resource: []string{"*"}},
		{Sid: "PassEMRServiceRole", Effect: "Allow", Action: []string{"iam:PassRole"},
			Resource:  []string{b.roleARN(b.cfg.AWS.ServiceRole)},
			Condition: map[string]map[string]any{"StringLike": {"iam:PassedToService": "elasticmapreduce.amazonaws.com*"}}},
		{Sid: "PassInstanceProfileRole", Effect: "Allow", Action: []string{"iam:PassRole"},
			Resource:  []string{b.instanceRole()},
			Condition: map[string]map[string]any{"StringLike": {"iam:PassedToService": "ec2.amazonaws.com*"}}},
	}
	// Artifacts: the binary, configs and bootstrap it uploads; logs: read
	// to show step output; the warehouse: commits and bookkeeping; raw:
	// listed by `plan`.
	st = append(st, b.s3Statements("S3", []s3Loc{art, logs, wh, raw}, []s3Loc{art, logs, wh}, []s3Loc{art, wh})...)
	st = append(st, b.glueStatement(true))
	st = append(st, Statement{Sid: "PriceList", Effect: "Allow", Action: []string{"pricing:GetProducts"},
		// The Price List API has no resources.
		Resource: []string{"*"}})
	if r := b.cfg.AWS.Route53; r.ZoneID != "" {
		zone := "arn:" + b.part + ":route53:::hostedzone/" + r.ZoneID
		ch := Statement{Sid: "Route53VizRecord", Effect: "Allow", Action: []string{"route53:ChangeResourceRecordSets"}, Resource: []string{zone}}
		if r.Name != "" {
			ch.Condition = map[string]map[string]any{"ForAllValues:StringEquals": {
				"route53:ChangeResourceRecordSetsNormalizedRecordNames": []string{strings.ToLower(strings.TrimSuffix(r.Name, "."))},
			}}
		}
		st = append(st, ch,
			Statement{Sid: "Route53ReadZone", Effect: "Allow", Action: []string{"route53:ListResourceRecordSets"}, Resource: []string{zone}},
			Statement{Sid: "Route53WaitForChange", Effect: "Allow", Action: []string{"route53:GetChange"}, Resource: []string{"arn:" + b.part + ":route53:::change/*"}})
	}
	return PolicyDocument{Version: "2012-10-17", Statement: st}
}

func (b *policyBuilder) instanceProfile(wh, raw, art, logs s3Loc) PolicyDocument {
	st := b.s3Statements("S3", []s3Loc{raw, wh, art, logs}, []s3Loc{raw, wh, art}, []s3Loc{wh, logs})
	st = append(st, b.glueStatement(true))
	return PolicyDocument{Version: "2012-10-17", Statement: st}
}

func (b *policyBuilder) serviceRole() PolicyDocument {
	ec2 := func(res string) string {
		return "arn:" + b.part + ":ec2:" + b.region + ":" + b.account + ":" + res
	}
	tagged := map[string]map[string]any{"StringEquals": {"aws:ResourceTag/" + emrManagedTag: "true"}}
	tagging := map[string]map[string]any{"StringEquals": {"aws:RequestTag/" + emrManagedTag: "true"}}
	launch := []string{"ec2:CreateFleet", "ec2:CreateLaunchTemplate", "ec2:CreateLaunchTemplateVersion", "ec2:CreateNetworkInterface", "ec2:RunInstances"}
	var st []Statement
	if subnets := b.cfg.AWS.SubnetIDs; len(subnets) > 0 {
		var res []string
		for _, s := range subnets {
			res = append(res, ec2("subnet/"+s))
		}
		st = append(st, Statement{Sid: "CreateInConfiguredSubnets", Effect: "Allow", Action: launch, Resource: res})
	} else {
		st = append(st, Statement{Sid: "CreateInTaggedSubnets", Effect: "Allow", Action: launch, Resource: []string{ec2("subnet/*")}, Condition: tagged})
	}
	st = append(st,
		Statement{Sid: "CreateWithTaggedSecurityGroups", Effect: "Allow", Action: launch, Resource: []string{ec2("security-group/*")}, Condition: tagged},
		Statement{Sid: "CreateWithEMRTaggedLaunchTemplate", Effect: "Allow",
			Action: []string{"ec2:CreateFleet", "ec2:CreateLaunchTemplateVersion", "ec2:RunInstances"}, Resource: []string{ec2("launch-template/*")}, Condition: tagged},
		Statement{Sid: "CreateEMRTaggedLaunchTemplate", Effect: "Allow",
			Action: []string{"ec2:CreateLaunchTemplate"}, Resource: []string{ec2("launch-template/*")}, Condition: tagging},
		Statement{Sid: "CreateEMRTaggedInstancesAndVolumes", Effect: "Allow",
			Action: []string{"ec2:CreateFleet", "ec2:RunInstances"}, Resource: []string{ec2("instance/*"), ec2("volume/*")}, Condition: tagging},
		Statement{Sid: "ResourcesToLaunchEC2", Effect: "Allow",
			Action: []string{"ec2:CreateFleet", "ec2:CreateLaunchTemplate", "ec2:CreateLaunchTemplateVersion", "ec2:RunInstances"},
			Resource: []string{ec2("network-interface/*"), "arn:" + b.part + ":ec2:" + b.region + "::image/*", ec2("key-pair/*"),
				ec2("capacity-reservation/*"), ec2("placement-group/EMR_*"), ec2("fleet/*"), ec2("dedicated-host/*")}},
		Statement{Sid: "CreateNetworkInterfaceNeededForPrivateSubnet", Effect: "Allow",
			Action: []string{"ec2:CreateNetworkInterface"}, Resource: []string{ec2("network-interface/*")}, Condition: tagging},
		Statement{Sid: "TagOnCreateTaggedEMRResources", Effect: "Allow", Action: []string{"ec2:CreateTags"},
			Resource:  []string{ec2("network-interface/*"), ec2("instance/*"), ec2("volume/*"), ec2("launch-template/*")},
			Condition: map[string]map[string]any{"StringEquals": {"ec2:CreateAction": []string{"CreateFleet", "CreateLaunchTemplate", "CreateNetworkInterface", "RunInstances"}}}},
		Statement{Sid: "ManageTagsOnEMRTaggedResources", Effect: "Allow", Action: []string{"ec2:CreateTags", "ec2:DeleteTags"},
			Resource:  []string{ec2("instance/*"), ec2("volume/*"), ec2("network-interface/*"), ec2("launch-template/*")},
			Condition: tagged},
		Statement{Sid: "ManageEMRTaggedResources", Effect: "Allow",
			Action: []string{"ec2:CreateLaunchTemplateVersion", "ec2:DeleteLaunchTemplate", "ec2:DeleteNetworkInterface",
				"ec2:ModifyInstanceAttribute", "ec2:TerminateInstances"},
			Resource:  []string{ec2("instance/*"), ec2("network-interface/*"), ec2("launch-template/*")},
			Condition: tagged},
		Statement{Sid: "CreateDefaultSecurityGroupWithEMRTags", Effect: "Allow", Action: []string{"ec2:CreateSecurityGroup"},
			Resource: []string{ec2("security-group/*")}, Condition: tagging},
		Statement{Sid: "CreateDefaultSecurityGroupInVPCWithEMRTags", Effect: "Allow", Action: []string{"ec2:CreateSecurityGroup"},
			Resource: []string{ec2("vpc/*")}, Condition: tagged},
		Statement{Sid: "TagOnCreateDefaultSecurityGroupWithEMRTags", Effect: "Allow", Action: []string{"ec2:CreateTags"},
			Resource:  []string{ec2("security-group/*")},
			Condition: map[string]map[string]any{"StringEquals": {"aws:RequestTag/" + emrManagedTag: "true", "ec2:CreateAction": "CreateSecurityGroup"}}},
		Statement{Sid: "ManageSecurityGroups", Effect: "Allow",
			Action: []string{"ec2:AuthorizeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupIngress",
				"ec2:RevokeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress"},
			Resource: []string{ec2("security-group/*")}, Condition: tagged},
		Statement{Sid: "ListActionsForEC2Resources", Effect: "Allow", Action: []string{
			"ec2:DescribeAccountAttributes", "ec2:DescribeCapacityReservations", "ec2:DescribeDhcpOptions",
			"ec2:DescribeImages", "ec2:DescribeInstanceTypeOfferings", "ec2:DescribeInstances",
			"ec2:DescribeLaunchTemplates", "ec2:DescribeNetworkAcls", "ec2:DescribeNetworkInterfaces",
			"ec2:DescribePlacementGroups", "ec2:DescribeRouteTables", "ec2:DescribeSecurityGroups",
			"ec2:DescribeSubnets", "ec2:DescribeVolumeStatus", "ec2:DescribeVolumes",
			"ec2:DescribeVpcAttribute", "ec2:DescribeVpcEndpoints", "ec2:DescribeVpcs",
		},
			// Describe calls support no resource-level permission.
			Resource: []string{"*"}},
		Statement{Sid: "PassRoleForEC2", Effect: "Allow", Action: []string{"iam:PassRole"},
			Resource:  []string{b.instanceRole()},
			Condition: map[string]map[string]any{"StringLike": {"iam:PassedToService": "ec2.amazonaws.com*"}}},
	)
	if b.usesSpot() {
		st = append(st, Statement{Sid: "CreateServiceLinkedRoleForSpot", Effect: "Allow", Action: []string{"iam:CreateServiceLinkedRole"},
			Resource:  []string{"arn:" + b.part + ":iam::" + b.account + ":role/aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot"},
			Condition: map[string]map[string]any{"StringEquals": {"iam:AWSServiceName": "spot.amazonaws.com"}}})
	}
	return PolicyDocument{Version: "2012-10-17", Statement: st}
}

func (b *policyBuilder) usesSpot() bool {
	for _, r := range b.cfg.Clusters {
		if r.Master.Spot || r.Core.Spot || (r.Task != nil && r.Task.Count > 0 && r.Task.Spot) {
			return true
		}
	}
	return false
}

func uniqSorted(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	j := 0
	for i, s := range out {
		if i == 0 || s != out[j-1] {
			out[j] = s
			j++
		}
	}
	return out[:j]
}
