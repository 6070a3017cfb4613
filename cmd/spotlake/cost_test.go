package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/pricing"

	"github.com/spotlake/spotlake/orchestrator"
	pricetable "github.com/spotlake/spotlake/providers/pricing"
)

func initProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if code, out, errs := cli(t, "init", "--dir", dir); code != ExitOK {
		t.Fatalf("init: %d %s %s", code, out, errs)
	}
	return filepath.Join(dir, "spotlake.yaml")
}

func TestCostCommand(t *testing.T) {
	cfg := initProject(t)
	code, out, errs := cli(t, "--config", cfg, "cost", "--from", "2026-03-01", "--to", "2026-03-03", "--json")
	if code != ExitOK {
		t.Fatalf("cost: %d %s %s", code, out, errs)
	}
	var rep orchestrator.CostReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if rep.Days != 3 || len(rep.PerDay) != 3 || rep.Baseline.USD <= 0 || rep.Baseline.Role != "ml" || rep.SavingPct != 100 || rep.Prices.Region != "us-east-1" {
		t.Errorf("report: %+v", rep)
	}
	code, out, _ = cli(t, "--config", cfg, "cost", "--from", "2026-03-01", "--to", "2026-03-03", "--spot-discount", "0.5")
	if code != ExitOK || !strings.Contains(out, "always-on baseline") || !strings.Contains(out, "saving: $") || !strings.Contains(out, "2026-03-02") {
		t.Errorf("text: %d %s", code, out)
	}
	for _, args := range [][]string{
		{"--from", "March"},
		{"--from", "2026-03-05", "--to", "2026-03-01"},
		{"--spot-discount", "1.5"},
	} {
		if code, out, errs := cli(t, append([]string{"--config", cfg, "cost"}, args...)...); code != ExitUsage {
			t.Errorf("%v: %d %s %s", args, code, out, errs)
		}
	}
}

func TestCostPricesCommand(t *testing.T) {
	cfg := initProject(t)
	code, out, errs := cli(t, "--config", cfg, "cost", "prices", "--region", "eu-west-1")
	if code != ExitOK || !strings.Contains(out, "r6i.2xlarge") || !strings.Contains(out, "source:") || !strings.Contains(out, "eu-west-1") || strings.Contains(out, "us-west-2") {
		t.Errorf("prices: %d %s %s", code, out, errs)
	}
	code, out, _ = cli(t, "--config", cfg, "cost", "prices", "--json")
	var tbl pricetable.Table
	if err := json.Unmarshal([]byte(out), &tbl); code != ExitOK || err != nil || len(tbl.Regions) < 4 || tbl.Date == "" {
		t.Errorf("prices --json: %d %v %s", code, err, out)
	}
	if code, _, errs := cli(t, "--config", cfg, "cost", "prices", "--region", "mars-north-1"); code != ExitUsage || !strings.Contains(errs, "--refresh") {
		t.Errorf("unknown region: %d %s", code, errs)
	}

	// --refresh through a fake Price List API.
	fake := &fakePriceList{prices: map[string]string{"AmazonEC2/m6i.xlarge": "0.2", "ElasticMapReduce/m6i.xlarge": "0.048"}}
	defer func(f func(context.Context) (pricetable.PricingAPI, error)) { newPricingAPI = f }(newPricingAPI)
	newPricingAPI = func(context.Context) (pricetable.PricingAPI, error) { return fake, nil }
	code, out, errs = cli(t, "--config", cfg, "cost", "prices", "--refresh", "--region", "us-east-1", "--types", "m6i.xlarge")
	if code != ExitOK || !strings.Contains(out, "1 changed") || !strings.Contains(out, "m6i.xlarge") || !strings.Contains(out, "0.1920 → $0.2000") {
		t.Fatalf("refresh: %d %s %s", code, out, errs)
	}
	state := filepath.Join(filepath.Dir(cfg), ".spotlake", pricetable.FileName)
	if _, err := os.Stat(state); err != nil {
		t.Fatalf("no refreshed table: %v", err)
	}
	code, out, _ = cli(t, "--config", cfg, "cost", "prices", "--region", "us-east-1")
	if code != ExitOK || !strings.Contains(out, state) || !strings.Contains(out, "2025-06-01") || !strings.Contains(out, "0.2000") {
		t.Errorf("after refresh: %d %s", code, out)
	}
	// Again: nothing changes.
	code, out, _ = cli(t, "--config", cfg, "cost", "prices", "--refresh", "--region", "us-east-1", "--types", "m6i.xlarge")
	if code != ExitOK || !strings.Contains(out, "no price changed") {
		t.Errorf("second refresh: %d %s", code, out)
	}
	// A type the API does not know fails, naming it, and keeps the table.
	code, _, errs = cli(t, "--config", cfg, "cost", "prices", "--refresh", "--region", "us-east-1", "--types", "q9.nano")
	if code != ExitError || !strings.Contains(errs, "q9.nano") {
		t.Errorf("unknown type: %d %s", code, errs)
	}
}

type fakePriceList struct{ prices map[string]string }

func (f *fakePriceList) GetProducts(_ context.Context, in *pricing.GetProductsInput, _ ...func(*pricing.Options)) (*pricing.GetProductsOutput, error) {
	var it string
	for _, flt := range in.Filters {
		if *flt.Field == "instanceType" {
			it = *flt.Value
		}
	}
	p, ok := f.prices[*in.ServiceCode+"/"+it]
	if !ok {
		return &pricing.GetProductsOutput{}, nil
	}
	doc := fmt.Sprintf(`{"product":{"productFamily":"Compute Instance","attributes":{"instanceType":%q,"regionCode":"us-east-1","operatingSystem":"Linux","tenancy":"Shared","softwareType":"EMR"},"sku":"ABC"},"serviceCode":%q,"terms":{"OnDemand":{"ABC.JRTCKXETXF":{"priceDimensions":{"ABC.JRTCKXETXF.6YS6EN2CT7":{"unit":"Hrs","pricePerUnit":{"USD":%q}}}}}},"publicationDate":"2025-06-01T00:00:00Z"}`, it, *in.ServiceCode, p)
	return &pricing.GetProductsOutput{PriceList: []string{doc}}, nil
}
