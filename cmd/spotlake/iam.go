package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spotlake/spotlake/orchestrator"
)

type iamOptions struct {
	account string
	role    string
}

func newIAMCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "iam", Short: "Least-privilege IAM policies for running the pipeline on AWS"}
	o := &iamOptions{}
	policy := &cobra.Command{
		Use:   "policy [--account ID] [--role controller|emr-service-role|instance-profile]",
		Short: "Print the IAM policy documents the config needs",
		Long: `policy prints least-privilege IAM policy documents (JSON) built from the
config's buckets and prefixes, Glue database, roles, subnets and Route 53 record:

  controller        the machine running spotlake run/plan/cluster/cost: EMR on
                    clusters tagged spotlake:pipeline=<pipeline>, PassRole for
                    exactly the service role and the instance profile's role,
                    S3 on artifacts, logs, warehouse (and listing raw), Glue,
                    pricing:GetProducts, Route 53 on the configured record
  emr-service-role  what EMR needs to launch and end the clusters, modelled on
                    AmazonEMRServicePolicy_v2, narrowed to the region, account,
                    subnets and instance-profile role
  instance-profile  the nodes: read raw, read/write warehouse, read artifacts,
                    write logs, Glue on the pipeline's database and tables

Without --account the documents say ${AWS::AccountId} (CloudFormation's pseudo
parameter: use them in Fn::Sub, or replace it). The instance profile's role is
taken to have the profile's name. Without --role it prints an object of all
three, keyed by role. Nothing secret is read or printed.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if o.role != "" && !slices.Contains(orchestrator.IAMRoles, o.role) {
				return usagef("--role %q: use one of %s", o.role, strings.Join(orchestrator.IAMRoles, ", "))
			}
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			pols, err := orchestrator.Policies(cfg, o.account)
			if err != nil {
				return usageError{err}
			}
			var v any = pols
			if o.role != "" {
				v = pols[o.role]
			}
			b, err := json.MarshalIndent(v, "", "  ")
			if err != nil {
				return err
			}
			if o.account == "" {
				fmt.Fprintf(g.stderr, "spotlake: the account is %s in the documents; pass --account ID to fill it in\n", orchestrator.AccountPlaceholder)
			}
			_, err = fmt.Fprintf(g.stdout, "%s\n", b)
			return err
		},
	}
	policy.Flags().StringVar(&o.account, "account", "", "AWS account id (12 digits); default: the ${AWS::AccountId} placeholder")
	policy.Flags().StringVar(&o.role, "role", "", "print one document: controller, emr-service-role or instance-profile")
	c.AddCommand(policy)
	return c
}
