package emr

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emr/types"

	"github.com/spotlake/spotlake/orchestrator/config"
)

var update = flag.Bool("update", false, "rewrite testdata/runjobflow-*.json")

func loadExample(t testing.TB) *config.Config {
	t.Helper()
	cfg, err := config.Load("../../../examples/aws.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

var fixedStart = time.Date(2026, 11, 22, 3, 15, 0, 0, time.UTC)

// specFor is the fixed spec of the golden files: transient ingest and ml
// runs, a waiting viz cluster that serves.
func specFor(cfg *config.Config, role string) Spec {
	s := Spec{
		RunID:        "20261122T031500Z-ab12",
		CreatedBy:    "ops@scheduler-1",
		BinaryURL:    "s3://acme-security-lake/spotlake/artifacts/bin/sha256-0f3c/spotlake",
		ConfigURL:    "s3://acme-security-lake/spotlake/artifacts/config/sha256-9a1e/spotlake.yaml",
		BootstrapURL: "s3://acme-security-lake/spotlake/artifacts/bootstrap/sha256-77d0/bootstrap.sh",
	}
	r := cfg.Clusters[role]
	if r.MaxRuntime.Duration > 0 {
		s.Deadline = fixedStart.Add(r.MaxRuntime.Duration)
	}
	switch role {
	case "ingest":
		s.Steps = [][]string{{"stage", "exec", "ingest", "--date", "2026-11-21"}}
	case "ml":
		s.Steps = [][]string{{"stage", "exec", "detect", "--date", "2026-11-21"}, {"stage", "exec", "oa", "--date", "2026-11-21"}}
	case "viz":
		s.Waiting, s.Serve = true, true
		s.Steps = [][]string{{"cache", "refresh"}}
	}
	return s
}

func TestGoldenRunJobFlow(t *testing.T) {
	cfg := loadExample(t)
	for _, role := range config.Roles {
		t.Run(role, func(t *testing.T) {
			in, err := BuildRunJobFlow(cfg, role, specFor(cfg, role))
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(in, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "runjobflow-"+role+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./providers/compute/emr -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the built request (run with -update and review the diff):\n%s", path, got)
			}
		})
	}
}

func fleetOf(in []types.InstanceFleetConfig, k types.InstanceFleetType) *types.InstanceFleetConfig {
	for i := range in {
		if in[i].InstanceFleetType == k {
			return &in[i]
		}
	}
	return nil
}

func TestRunJobFlowInvariants(t *testing.T) {
	cfg := loadExample(t)
	for _, role := range config.Roles {
		t.Run(role, func(t *testing.T) {
			spec := specFor(cfg, role)
			in, err := BuildRunJobFlow(cfg, role, spec)
			if err != nil {
				t.Fatal(err)
			}
			r := cfg.Clusters[role]
			fl := in.Instances.InstanceFleets
			m := fleetOf(fl, types.InstanceFleetTypeMaster)
			if m == nil || aws.ToInt32(m.TargetOnDemandCapacity) != 1 || aws.ToInt32(m.TargetSpotCapacity) != 0 || m.LaunchSpecifications.SpotSpecification != nil {
				t.Errorf("master fleet is not one on-demand node: %+v", m)
			}
			c := fleetOf(fl, types.InstanceFleetTypeCore)
			if c == nil || int(aws.ToInt32(c.TargetOnDemandCapacity)) != r.Core.Count {
				t.Errorf("core fleet: %+v, want %d on demand", c, r.Core.Count)
			}
			task := fleetOf(fl, types.InstanceFleetTypeTask)
			if r.Task.Count == 0 {
				if task != nil {
					t.Errorf("task fleet present with count 0")
				}
			} else {
				if task == nil {
					t.Fatal("no task fleet")
				}
				sp := task.LaunchSpecifications.SpotSpecification
				if sp == nil || sp.AllocationStrategy != types.SpotProvisioningAllocationStrategyPriceCapacityOptimized ||
					sp.TimeoutAction != types.SpotProvisioningTimeoutActionSwitchToOnDemand ||
					time.Duration(aws.ToInt32(sp.TimeoutDurationMinutes))*time.Minute != r.Task.SpotTimeout.Duration {
					t.Errorf("task spot specification: %+v", sp)
				}
				if int(aws.ToInt32(task.TargetSpotCapacity)) != r.Task.Count || len(task.InstanceTypeConfigs) != len(r.Task.InstanceTypes) {
					t.Errorf("task fleet capacity/types: %+v", task)
				}
			}
			for _, f := range fl {
				for _, tc := range f.InstanceTypeConfigs {
					v := tc.EbsConfiguration.EbsBlockDeviceConfigs[0].VolumeSpecification
					if aws.ToString(v.VolumeType) != "gp3" || int(aws.ToInt32(v.SizeInGB)) != r.EBSGB {
						t.Errorf("%s %s: volume %+v, want gp3 %d GiB", f.InstanceFleetType, aws.ToString(tc.InstanceType), v, r.EBSGB)
					}
				}
			}
			if got := aws.ToBool(in.Instances.KeepJobFlowAliveWhenNoSteps); got != spec.Waiting {
				t.Errorf("KeepJobFlowAliveWhenNoSteps = %v, want %v", got, spec.Waiting)
			}
			want := types.ActionOnFailureTerminateCluster
			if spec.Waiting {
				want = types.ActionOnFailureContinue
			}
			for _, s := range in.Steps {
				if s.ActionOnFailure != want || aws.ToString(s.HadoopJarStep.Jar) != "command-runner.jar" ||
					strings.Join(s.HadoopJarStep.Args[:3], " ") != "spotlake --config /etc/spotlake/spotlake.yaml" {
					t.Errorf("step %+v", s)
				}
			}
			if got := aws.ToInt64(in.AutoTerminationPolicy.IdleTimeout); got != int64(r.IdleTimeout.Seconds()) {
				t.Errorf("idle timeout %d s, want %v", got, r.IdleTimeout)
			}
			tm := tagMap(in.Tags)
			for k, v := range map[string]string{TagPipeline: "security", TagRole: role, TagRunID: spec.RunID, TagCreatedBy: spec.CreatedBy, "team": "secops", "cost-center": "4711"} {
				if tm[k] != v {
					t.Errorf("tag %s = %q, want %q", k, tm[k], v)
				}
			}
			if d, ok := tm[TagDeadline]; ok != !spec.Deadline.IsZero() || (ok && d != spec.Deadline.Format(time.RFC3339)) {
				t.Errorf("deadline tag %q (present %v), spec deadline %v", d, ok, spec.Deadline)
			}
			if got, want := aws.ToString(in.Name), "spotlake-security-"+role+"-"+spec.RunID; got != want {
				t.Errorf("name %q, want %q", got, want)
			}
			if got := aws.ToString(in.LogUri); got != "s3://acme-security-lake/spotlake/emr-logs/security/" {
				t.Errorf("LogUri %q", got)
			}
			ba := in.BootstrapActions[0].ScriptBootstrapAction
			if aws.ToString(ba.Path) != spec.BootstrapURL || ba.Args[0] != spec.BinaryURL || ba.Args[1] != spec.ConfigURL || (len(ba.Args) == 3) != spec.Serve {
				t.Errorf("bootstrap action %+v", ba)
			}
			b, _ := json.Marshal(in)
			for _, s := range []string{"SECRET", "Password", "password", "token"} {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("request mentions %q", s)
				}
			}
		})
	}
}

func TestBuildRunJobFlowErrors(t *testing.T) {
	cfg := loadExample(t)
	good := specFor(cfg, "ingest")
	for name, mut := range map[string]func(*Spec){
		"no run id":    func(s *Spec) { s.RunID = "" },
		"no steps":     func(s *Spec) { s.Steps = nil },
		"http binary":  func(s *Spec) { s.BinaryURL = "https://example.com/spotlake" },
		"no bootstrap": func(s *Spec) { s.BootstrapURL = "" },
		"empty step":   func(s *Spec) { s.Steps = [][]string{{}} },
	} {
		s := good
		mut(&s)
		if _, err := BuildRunJobFlow(cfg, "ingest", s); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := BuildRunJobFlow(cfg, "nope", good); err == nil {
		t.Error("unknown role: no error")
	}
	if !bytes.HasPrefix(BootstrapScript, []byte("#!/bin/bash")) || !bytes.Contains(BootstrapScript, []byte("isMaster")) {
		t.Error("BootstrapScript is not the embedded script")
	}
}
