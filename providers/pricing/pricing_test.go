package pricing

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/pricing"

	"github.com/spotlake/spotlake/orchestrator/config"
)

func TestEmbeddedCoversConfig(t *testing.T) {
	tbl, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if tbl.Date == "" || tbl.Source == "" || !strings.Contains(tbl.Note, "refresh") {
		t.Fatalf("table lacks date, source or note: %q %q %q", tbl.Date, tbl.Source, tbl.Note)
	}
	var types []string
	cfg, err := config.Load(filepath.Join("..", "..", "examples", "aws.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	def, err := config.Parse([]byte("apiVersion: spotlake/v1\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*config.Config{cfg, def} {
		for _, r := range c.Clusters {
			types = append(types, r.Master.InstanceTypes...)
			types = append(types, r.Core.InstanceTypes...)
			if r.Task != nil {
				types = append(types, r.Task.InstanceTypes...)
			}
		}
	}
	for _, fam := range []string{"m5", "m5a", "m6i", "m6a", "r5", "r5a", "r6i", "c6i"} {
		for _, size := range []string{"large", "xlarge", "2xlarge", "4xlarge"} {
			types = append(types, fam+"."+size)
		}
	}
	for _, region := range []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1"} {
		for _, it := range types {
			p, err := tbl.Lookup(region, it)
			if err != nil {
				t.Error(err)
				continue
			}
			if p.EC2 <= 0 || p.EMR <= 0 || p.EMR >= p.EC2 {
				t.Errorf("%s %s: implausible %+v", region, it, p)
			}
		}
	}
	// Sizes double.
	a, _ := tbl.Lookup("us-east-1", "m6i.xlarge")
	b, _ := tbl.Lookup("us-east-1", "m6i.2xlarge")
	if a.EC2*2 != b.EC2 {
		t.Errorf("m6i.xlarge %v, 2xlarge %v", a, b)
	}
}

func TestLookupErrors(t *testing.T) {
	tbl, _ := Embedded()
	_, err := tbl.Lookup("us-east-1", "x9.huge")
	if err == nil || !strings.Contains(err.Error(), "x9.huge") || !strings.Contains(err.Error(), "spotlake cost prices") || !strings.Contains(err.Error(), "--refresh") {
		t.Errorf("missing type: %v", err)
	}
	_, err = tbl.Lookup("ap-nowhere-9", "m5.large")
	if err == nil || !strings.Contains(err.Error(), "ap-nowhere-9") || !strings.Contains(err.Error(), "--refresh") {
		t.Errorf("missing region: %v", err)
	}
}

func TestSpot(t *testing.T) {
	p := Price{EC2: 0.2, EMR: 0.05}
	if got := p.Spot(0.6); fmt.Sprintf("%.4f", got) != "0.1300" {
		t.Errorf("spot = %v", got)
	}
	if p.OnDemand() != 0.25 {
		t.Errorf("on-demand = %v", p.OnDemand())
	}
}

func TestLoadOverlay(t *testing.T) {
	dir := t.TempDir()
	tbl, err := Load(dir)
	if err != nil || tbl.From != "embedded" {
		t.Fatalf("no file: %v %v", tbl, err)
	}
	over := &Table{Date: "2030-01-02", Source: "test", SpotDiscount: 0.5, Regions: map[string]map[string]Price{
		"us-east-1":  {"m6i.xlarge": {EC2: 1, EMR: 0.5}},
		"ap-south-1": {"m5.large": {EC2: 0.05, EMR: 0.01}},
	}}
	if err := Save(dir, over); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.From != Path(dir) || got.Date != "2030-01-02" || got.SpotDiscount != 0.5 {
		t.Errorf("overlay header: %+v", got)
	}
	if p, _ := got.Lookup("us-east-1", "m6i.xlarge"); p.EC2 != 1 {
		t.Errorf("overlay price %v", p)
	}
	if _, err := got.Lookup("us-east-1", "r6i.2xlarge"); err != nil {
		t.Errorf("embedded price lost: %v", err)
	}
	if _, err := got.Lookup("ap-south-1", "m5.large"); err != nil {
		t.Errorf("new region: %v", err)
	}
	emb, _ := Embedded()
	ch := Diff(emb, got)
	if len(ch) != 2 || ch[0].Region != "ap-south-1" || ch[0].Old != nil || ch[1].InstanceType != "m6i.xlarge" || ch[1].Old == nil {
		t.Errorf("diff %+v", ch)
	}
	os.WriteFile(Path(dir), []byte("{not json"), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), Path(dir)) {
		t.Errorf("bad file: %v", err)
	}
}

// fakeAPI answers GetProducts from price-list documents shaped like the real
// API's, pageSize at a time.
type fakeAPI struct {
	docs     map[string][]string // service → documents
	pageSize int
	calls    int
}

func (f *fakeAPI) GetProducts(ctx context.Context, in *pricing.GetProductsInput, _ ...func(*pricing.Options)) (*pricing.GetProductsOutput, error) {
	f.calls++
	var match []string
	for _, d := range f.docs[*in.ServiceCode] {
		ok := true
		for _, flt := range in.Filters {
			// The documents carry their attributes as "k":"v".
			if !strings.Contains(d, strconv.Quote(*flt.Field)+":"+strconv.Quote(*flt.Value)) {
				ok = false
			}
		}
		if ok {
			match = append(match, d)
		}
	}
	start := 0
	if in.NextToken != nil {
		start, _ = strconv.Atoi(*in.NextToken)
	}
	end := min(start+f.pageSize, len(match))
	out := &pricing.GetProductsOutput{PriceList: match[start:end], FormatVersion: in.FormatVersion}
	if end < len(match) {
		tok := strconv.Itoa(end)
		out.NextToken = &tok
	}
	return out, nil
}

func ec2Doc(region, it, capacity, price string) string {
	return fmt.Sprintf(`{"product":{"productFamily":"Compute Instance","attributes":{"enhancedNetworkingSupported":"Yes","memory":"16 GiB","vcpu":"4","capacitystatus":%q,"locationType":"AWS Region","storage":"EBS only","instanceFamily":"General purpose","operatingSystem":"Linux","regionCode":%q,"physicalProcessor":"Intel Xeon 8375C (Ice Lake)","servicecode":"AmazonEC2","usagetype":"BoxUsage:%s","instanceType":%q,"tenancy":"Shared","licenseModel":"No License required","servicename":"Amazon Elastic Compute Cloud","preInstalledSw":"NA","operation":"RunInstances"},"sku":"SKU%s"},"serviceCode":"AmazonEC2","terms":{"OnDemand":{"SKU%s.JRTCKXETXF":{"priceDimensions":{"SKU%s.JRTCKXETXF.6YS6EN2CT7":{"unit":"Hrs","endRange":"Inf","description":"$%s per On Demand Linux %s Instance Hour","appliesTo":[],"rateCode":"SKU%s.JRTCKXETXF.6YS6EN2CT7","beginRange":"0","pricePerUnit":{"USD":"%s0000000"}}},"sku":"SKU%s","effectiveDate":"2025-05-01T00:00:00Z","offerTermCode":"JRTCKXETXF","termAttributes":{}}},"Reserved":{"SKU%s.4NA7Y494T4":{"priceDimensions":{"SKU%s.4NA7Y494T4.6YS6EN2CT7":{"unit":"Hrs","pricePerUnit":{"USD":"0.0010000000"}}}}}},"version":"20250601000000","publicationDate":"2025-06-01T18:04:51Z"}`,
		capacity, region, it, it, it, it, it, price, it, it, price, it, it, it)
}

func emrDoc(region, it, sw, price string) string {
	return fmt.Sprintf(`{"product":{"productFamily":"Elastic Map Reduce Instance","attributes":{"softwareType":%q,"instanceFamily":"General purpose","regionCode":%q,"servicecode":"ElasticMapReduce","usagetype":"BoxUsage:%s","locationType":"AWS Region","location":"US East (N. Virginia)","servicename":"Amazon EMR","instanceType":%q,"operation":""},"sku":"EMR%s"},"serviceCode":"ElasticMapReduce","terms":{"OnDemand":{"EMR%s.JRTCKXETXF":{"priceDimensions":{"EMR%s.JRTCKXETXF.6YS6EN2CT7":{"unit":"Hrs","endRange":"Inf","description":"$%s per hour for EMR %s","appliesTo":[],"rateCode":"x","beginRange":"0","pricePerUnit":{"USD":"%s"}}},"sku":"EMR%s","effectiveDate":"2025-03-01T00:00:00Z","offerTermCode":"JRTCKXETXF","termAttributes":{}}}},"version":"20250520000000","publicationDate":"2025-05-20T10:00:00Z"}`,
		sw, region, it, it, it, it, it, price, it, price, it)
}

func TestRefresh(t *testing.T) {
	f := &fakeAPI{pageSize: 2, docs: map[string][]string{
		"AmazonEC2": {
			ec2Doc("us-east-1", "m6i.xlarge", "Used", "0.192"),
			ec2Doc("us-east-1", "m6i.xlarge", "UnusedCapacityReservation", "0.192"),
			ec2Doc("us-east-1", "m6i.xlarge", "AllocatedCapacityReservation", "0.000"),
			ec2Doc("eu-west-1", "m6i.xlarge", "Used", "0.214"),
			ec2Doc("us-east-1", "r6i.2xlarge", "Used", "0.504"),
		},
		"ElasticMapReduce": {
			emrDoc("us-east-1", "m6i.xlarge", "EMR", "0.048"),
			emrDoc("us-east-1", "m6i.xlarge", "EMR-Outposts", "0.07"),
			emrDoc("us-east-1", "r6i.2xlarge", "EMR", "0.126"),
		},
	}}
	// The fake matches filters textually: the Outposts and unused-capacity
	// documents are dropped by Refresh's own checks or filters.
	tbl, err := Refresh(context.Background(), f, "us-east-1", []string{"r6i.2xlarge", "m6i.xlarge", "m6i.xlarge"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Price{"m6i.xlarge": {EC2: 0.192, EMR: 0.048}, "r6i.2xlarge": {EC2: 0.504, EMR: 0.126}}
	if fmt.Sprint(tbl.Regions["us-east-1"]) != fmt.Sprint(want) || len(tbl.Regions) != 1 {
		t.Errorf("refreshed %v, want %v", tbl.Regions, want)
	}
	if tbl.Date != "2025-06-01" || tbl.Source != Source {
		t.Errorf("date %q source %q", tbl.Date, tbl.Source)
	}
	if f.calls != 4 {
		t.Errorf("%d calls, want 4 (2 types × EC2 and EMR, one page each)", f.calls)
	}

	// Pagination: seven documents over three pages, all the same product
	// price under different SKUs (as reruns of the offer file produce).
	var many []string
	for i := range 7 {
		many = append(many, strings.ReplaceAll(ec2Doc("us-east-1", "c6i.large", "Used", "0.085"), "SKUc6i.large", fmt.Sprintf("SKU%d", i)))
	}
	f = &fakeAPI{pageSize: 3, docs: map[string][]string{"AmazonEC2": many, "ElasticMapReduce": {emrDoc("us-east-1", "c6i.large", "EMR", "0.02125")}}}
	tbl, err = Refresh(context.Background(), f, "us-east-1", []string{"c6i.large"})
	if err != nil {
		t.Fatal(err)
	}
	if p := tbl.Regions["us-east-1"]["c6i.large"]; p.EC2 != 0.085 || p.EMR != 0.02125 {
		t.Errorf("paged price %+v", p)
	}
	if f.calls != 4 {
		t.Errorf("%d calls, want 3 EC2 pages + 1 EMR", f.calls)
	}

	// A type with no price is named.
	_, err = Refresh(context.Background(), f, "us-east-1", []string{"c6i.large", "z1d.metal"})
	if err == nil || !strings.Contains(err.Error(), "z1d.metal") {
		t.Errorf("missing type: %v", err)
	}
	// Conflicting prices are an error, not a guess.
	f.docs["AmazonEC2"] = append(f.docs["AmazonEC2"], ec2Doc("us-east-1", "c6i.large", "Used", "0.1"))
	_, err = Refresh(context.Background(), f, "us-east-1", []string{"c6i.large"})
	if err == nil || !strings.Contains(err.Error(), "several") {
		t.Errorf("conflict: %v", err)
	}
	// API errors pass through.
	_, err = Refresh(context.Background(), errAPI{}, "us-east-1", []string{"c6i.large"})
	if err == nil || !strings.Contains(err.Error(), "throttled") {
		t.Errorf("api error: %v", err)
	}
}

type errAPI struct{}

func (errAPI) GetProducts(context.Context, *pricing.GetProductsInput, ...func(*pricing.Options)) (*pricing.GetProductsOutput, error) {
	return nil, errors.New("throttled")
}
