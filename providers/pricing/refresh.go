package pricing

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	"github.com/aws/aws-sdk-go-v2/service/pricing/types"
)

// APIRegion is where the Price List Query API is served (it also answers in
// ap-south-1 and eu-central-1; us-east-1 is its home).
const APIRegion = "us-east-1"

// Source is the Source of a refreshed table.
const Source = "AWS Price List Query API (pricing:GetProducts): AmazonEC2 on-demand Linux shared tenancy, and ElasticMapReduce"

// PricingAPI is the part of the Price List Query API Refresh uses; a
// *pricing.Client (made for APIRegion) is one.
type PricingAPI interface {
	GetProducts(ctx context.Context, params *pricing.GetProductsInput, optFns ...func(*pricing.Options)) (*pricing.GetProductsOutput, error)
}

var _ PricingAPI = (*pricing.Client)(nil)

// NewClient returns a Price List API client for cfg's credentials, in
// APIRegion whatever cfg's region.
func NewClient(cfg sdkaws.Config) *pricing.Client {
	return pricing.NewFromConfig(cfg, func(o *pricing.Options) { o.Region = APIRegion })
}

// Refresh asks the Price List API for the on-demand EC2 (Linux, shared
// tenancy) price and the EMR fee of each instance type in region and
// returns a table of that region only (merge it over Load's with Merge).
// A type without an EC2 or EMR price in region is an error naming it.
func Refresh(ctx context.Context, api PricingAPI, region string, instanceTypes []string) (*Table, error) {
	if region == "" {
		return nil, fmt.Errorf("pricing: refresh needs a region")
	}
	t := &Table{
		Source:       Source,
		Note:         "List prices in USD per instance-hour fetched from the AWS Price List API; estimates for planning, not billing.",
		Currency:     "USD",
		SpotDiscount: DefaultSpotDiscount,
		Regions:      map[string]map[string]Price{region: {}},
	}
	var latest string
	var missing []string
	for _, it := range dedupe(instanceTypes) {
		ec2, d1, err := price(ctx, api, "AmazonEC2", it, []types.Filter{
			term("regionCode", region),
			term("instanceType", it),
			term("operatingSystem", "Linux"),
			term("tenancy", "Shared"),
			term("preInstalledSw", "NA"),
			term("capacitystatus", "Used"),
			term("licenseModel", "No License required"),
		}, func(attrs map[string]string) bool { return true })
		if err != nil {
			return nil, err
		}
		emr, d2, err := price(ctx, api, "ElasticMapReduce", it, []types.Filter{
			term("regionCode", region),
			term("instanceType", it),
		}, func(attrs map[string]string) bool {
			// EMR on EC2 (not EMR on Outposts, EKS or Serverless).
			sw := attrs["softwareType"]
			return sw == "" || sw == "EMR"
		})
		if err != nil {
			return nil, err
		}
		if ec2 == nil || emr == nil {
			what := "EC2"
			if ec2 != nil {
				what = "EMR"
			} else if emr == nil {
				what = "EC2 and EMR"
			}
			missing = append(missing, fmt.Sprintf("%s (no %s price)", it, what))
			continue
		}
		t.Regions[region][it] = Price{EC2: *ec2, EMR: *emr}
		latest = max(latest, d1, d2)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("pricing: the Price List API has no on-demand price in %s for %s: is the type offered there?", region, strings.Join(missing, ", "))
	}
	if latest == "" {
		latest = time.Now().UTC().Format("2006-01-02")
	}
	t.Date = latest
	return t, nil
}

func term(field, value string) types.Filter {
	return types.Filter{Type: types.FilterTypeTermMatch, Field: sdkaws.String(field), Value: sdkaws.String(value)}
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// price pages through GetProducts and returns the one on-demand hourly USD
// price of the matching products (nil when none), and the documents'
// latest publication date.
func price(ctx context.Context, api PricingAPI, service, instanceType string, filters []types.Filter, keep func(map[string]string) bool) (*float64, string, error) {
	in := &pricing.GetProductsInput{
		ServiceCode:   sdkaws.String(service),
		Filters:       filters,
		FormatVersion: sdkaws.String("aws_v1"),
		MaxResults:    sdkaws.Int32(100),
	}
	found := map[float64]bool{}
	var date string
	for pages := 0; ; pages++ {
		if pages == 1000 {
			return nil, "", fmt.Errorf("pricing: GetProducts %s %s: too many pages", service, instanceType)
		}
		out, err := api.GetProducts(ctx, in)
		if err != nil {
			return nil, "", fmt.Errorf("pricing: GetProducts %s %s: %w", service, instanceType, err)
		}
		for _, doc := range out.PriceList {
			p, d, ok, err := onDemandHourly(doc, instanceType, keep)
			if err != nil {
				return nil, "", fmt.Errorf("pricing: %s %s: %w", service, instanceType, err)
			}
			if ok {
				found[p] = true
				date = max(date, d)
			}
		}
		if out.NextToken == nil || *out.NextToken == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	switch len(found) {
	case 0:
		return nil, date, nil
	case 1:
		for p := range found {
			return &p, date, nil
		}
	}
	var ps []string
	for p := range found {
		ps = append(ps, strconv.FormatFloat(p, 'f', -1, 64))
	}
	sort.Strings(ps)
	return nil, "", fmt.Errorf("pricing: %s %s: several on-demand prices (%s); the filters match more than one product", service, instanceType, strings.Join(ps, ", "))
}

// priceDoc is the part of a price-list JSON document (format aws_v1) read here.
type priceDoc struct {
	Product struct {
		ProductFamily string            `json:"productFamily"`
		Attributes    map[string]string `json:"attributes"`
		SKU           string            `json:"sku"`
	} `json:"product"`
	Terms struct {
		OnDemand map[string]struct {
			PriceDimensions map[string]struct {
				Unit         string            `json:"unit"`
				PricePerUnit map[string]string `json:"pricePerUnit"`
			} `json:"priceDimensions"`
		} `json:"OnDemand"`
	} `json:"terms"`
	PublicationDate string `json:"publicationDate"`
}

// onDemandHourly reads one price-list document: the on-demand USD price per
// hour of a product of instanceType that keep accepts.
func onDemandHourly(doc, instanceType string, keep func(map[string]string) bool) (float64, string, bool, error) {
	var d priceDoc
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return 0, "", false, fmt.Errorf("not a price-list document: %w", err)
	}
	if d.Product.Attributes["instanceType"] != instanceType || !keep(d.Product.Attributes) {
		return 0, "", false, nil
	}
	date := d.PublicationDate
	if len(date) >= 10 {
		date = date[:10]
	}
	for _, term := range d.Terms.OnDemand {
		for _, dim := range term.PriceDimensions {
			switch dim.Unit {
			case "Hrs", "Hours", "Hour", "hours":
			default:
				continue
			}
			s, ok := dim.PricePerUnit["USD"]
			if !ok {
				continue
			}
			p, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return 0, "", false, fmt.Errorf("sku %s: price %q: %w", d.Product.SKU, s, err)
			}
			if p > 0 {
				return p, date, true, nil
			}
		}
	}
	return 0, "", false, nil
}
