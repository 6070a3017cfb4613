// Package pricing is spotlake's price table for cost estimates: EC2
// on-demand (Linux, shared tenancy) and the EMR fee per instance-hour, per
// region and instance type.
//
// The table compiled into the binary (prices.json) holds list prices as
// published at its date, for the instance types of the config defaults and
// examples/aws.yaml and the common m5, m5a, m6i, m6a, r5, r5a, r6i and c6i
// sizes (large to 4xlarge) in us-east-1, us-west-2, eu-west-1 and
// eu-central-1. `spotlake cost prices --refresh` fetches current prices from
// the AWS Price List API (Refresh) into <state>/prices.json, which Load
// prefers from then on.
//
// Spot prices move by the minute and the Price List API does not publish
// them: a spot node is estimated as the on-demand EC2 price times
// (1 - SpotDiscount), plus the EMR fee, which spot does not discount.
// Everything here is an estimate for planning and comparison, not billing.
package pricing

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
)

//go:embed prices.json
var embedded []byte

// FileName is the refreshed table's file name under the state folder.
const FileName = "prices.json"

// DefaultSpotDiscount is the fraction of the on-demand EC2 price a spot
// node is estimated to save when the table does not say.
const DefaultSpotDiscount = 0.6

// Price is one instance type's hourly list prices in one region, in USD.
type Price struct {
	// EC2 is the on-demand Linux price per instance-hour.
	EC2 float64 `json:"ec2"`
	// EMR is the Amazon EMR fee per instance-hour (on top of EC2).
	EMR float64 `json:"emr"`
}

// OnDemand is the hourly price of an on-demand EMR node.
func (p Price) OnDemand() float64 { return p.EC2 + p.EMR }

// Spot is the estimated hourly price of a spot EMR node: EC2 at
// (1 - discount) of on-demand, plus the full EMR fee.
func (p Price) Spot(discount float64) float64 { return p.EC2*(1-discount) + p.EMR }

// Table is a price table.
type Table struct {
	// Date is when the prices were published (YYYY-MM-DD).
	Date string `json:"date"`
	// Source says where the prices come from.
	Source string `json:"source"`
	// Note says what the prices are (list prices, estimates).
	Note     string `json:"note,omitempty"`
	Currency string `json:"currency"`
	// SpotDiscount is the fraction of the on-demand EC2 price a spot node
	// is estimated to save (0.6: spot costs 40% of on-demand). An estimate.
	SpotDiscount float64 `json:"spot_discount"`
	// Regions maps region → instance type → price.
	Regions map[string]map[string]Price `json:"regions"`

	// From is where the table was read: "embedded" or a file path.
	From string `json:"-"`
}

// Embedded returns the table compiled into the binary.
func Embedded() (*Table, error) {
	t, err := Parse(embedded)
	if err != nil {
		return nil, fmt.Errorf("pricing: embedded table: %w", err)
	}
	t.From = "embedded"
	return t, nil
}

// Parse decodes a table.
func Parse(b []byte) (*Table, error) {
	var t Table
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, err
	}
	if t.Regions == nil {
		t.Regions = map[string]map[string]Price{}
	}
	if t.Currency == "" {
		t.Currency = "USD"
	}
	if t.SpotDiscount == 0 {
		t.SpotDiscount = DefaultSpotDiscount
	}
	if t.SpotDiscount < 0 || t.SpotDiscount >= 1 {
		return nil, fmt.Errorf("spot_discount %v: want a fraction in [0, 1)", t.SpotDiscount)
	}
	for r, types := range t.Regions {
		for it, p := range types {
			if p.EC2 < 0 || p.EMR < 0 || math.IsNaN(p.EC2+p.EMR) || math.IsInf(p.EC2+p.EMR, 0) {
				return nil, fmt.Errorf("%s %s: bad price %+v", r, it, p)
			}
		}
	}
	return &t, nil
}

// Path is the refreshed table's path under stateDir.
func Path(stateDir string) string { return filepath.Join(stateDir, FileName) }

// Load returns the embedded table overlaid with the refreshed table under
// stateDir (<state>/prices.json) when there is one: a refreshed region's
// prices replace the embedded ones type by type, and its date, source and
// spot discount win. stateDir "" reads the embedded table only.
func Load(stateDir string) (*Table, error) {
	t, err := Embedded()
	if err != nil || stateDir == "" {
		return t, err
	}
	p := Path(stateDir)
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return t, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pricing: %w", err)
	}
	r, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("pricing: %s: %w (delete it to use the built-in prices, or refresh it with `spotlake cost prices --refresh`)", p, err)
	}
	m := t.Merge(r)
	m.From = p
	return m, nil
}

// Save writes t to <stateDir>/prices.json (atomically).
func Save(stateDir string, t *Table) error {
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(stateDir, ".prices-*.json")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), Path(stateDir)); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// Merge returns a copy of t with over's prices replacing t's (type by
// type); over's date, source, note and spot discount win when set.
func (t *Table) Merge(over *Table) *Table {
	m := t.clone()
	if over == nil {
		return m
	}
	if over.Date != "" {
		m.Date = over.Date
	}
	if over.Source != "" {
		m.Source = over.Source
	}
	if over.Note != "" {
		m.Note = over.Note
	}
	if over.SpotDiscount != 0 {
		m.SpotDiscount = over.SpotDiscount
	}
	for r, types := range over.Regions {
		if m.Regions[r] == nil {
			m.Regions[r] = map[string]Price{}
		}
		for it, p := range types {
			m.Regions[r][it] = p
		}
	}
	return m
}

func (t *Table) clone() *Table {
	c := *t
	c.Regions = make(map[string]map[string]Price, len(t.Regions))
	for r, types := range t.Regions {
		c.Regions[r] = make(map[string]Price, len(types))
		for it, p := range types {
			c.Regions[r][it] = p
		}
	}
	return &c
}

// Lookup returns the price of instanceType in region.
func (t *Table) Lookup(region, instanceType string) (Price, error) {
	types, ok := t.Regions[region]
	if !ok {
		return Price{}, fmt.Errorf("no prices for region %s (the table has %v): run `spotlake cost prices --region %s --refresh`", region, t.RegionNames(), region)
	}
	p, ok := types[instanceType]
	if !ok {
		return Price{}, fmt.Errorf("no price for instance type %s in %s: run `spotlake cost prices --region %s --refresh`", instanceType, region, region)
	}
	return p, nil
}

// RegionNames lists the table's regions, sorted.
func (t *Table) RegionNames() []string {
	out := make([]string, 0, len(t.Regions))
	for r := range t.Regions {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// Types lists a region's instance types, sorted.
func (t *Table) Types(region string) []string {
	out := make([]string, 0, len(t.Regions[region]))
	for it := range t.Regions[region] {
		out = append(out, it)
	}
	sort.Strings(out)
	return out
}

// Change is one price that differs between two tables.
type Change struct {
	Region       string `json:"region"`
	InstanceType string `json:"instance_type"`
	// Old is nil for a new entry.
	Old *Price `json:"old,omitempty"`
	New Price  `json:"new"`
}

// Diff lists the prices in next that are new or differ from prev, sorted by
// region and type.
func Diff(prev, next *Table) []Change {
	var out []Change
	for _, r := range next.RegionNames() {
		for _, it := range next.Types(r) {
			n := next.Regions[r][it]
			o, ok := prev.Regions[r][it]
			switch {
			case !ok:
				out = append(out, Change{Region: r, InstanceType: it, New: n})
			case !near(o.EC2, n.EC2) || !near(o.EMR, n.EMR):
				o := o
				out = append(out, Change{Region: r, InstanceType: it, Old: &o, New: n})
			}
		}
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
