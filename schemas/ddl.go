package schemas

import (
	"fmt"
	"sort"
	"strings"

	"github.com/apache/iceberg-go"
)

// SparkDDL is the Spark SQL that creates the table as spotlake does: the
// same columns (names, types, NOT NULL, comments), partition transforms and
// write properties, in catalog.namespace. For engines that create the
// tables themselves or a catalog that must be set up by hand; spotlake
// creates them on first use, so reading them needs none of it.
func (t Table) SparkDDL(catalog, namespace string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s.%s.%s (\n", quoteIdent(catalog), quoteIdent(namespace), quoteIdent(t.Name))
	fields := t.Schema.Fields()
	for i, f := range fields {
		typ, err := sparkType(f.Type)
		if err != nil {
			return "", fmt.Errorf("table %s column %s: %w", t.Name, f.Name, err)
		}
		fmt.Fprintf(&b, "  %s %s", quoteIdent(f.Name), typ)
		if f.Required {
			b.WriteString(" NOT NULL")
		}
		if f.Doc != "" {
			fmt.Fprintf(&b, " COMMENT %s", quoteString(f.Doc))
		}
		if i < len(fields)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString(") USING iceberg\n")
	if t.Doc != "" {
		fmt.Fprintf(&b, "COMMENT %s\n", quoteString(t.Doc))
	}
	if len(t.Partition) > 0 {
		parts := make([]string, 0, len(t.Partition))
		for _, p := range t.Partition {
			expr, err := sparkTransform(p)
			if err != nil {
				return "", fmt.Errorf("table %s: %w", t.Name, err)
			}
			parts = append(parts, expr)
		}
		fmt.Fprintf(&b, "PARTITIONED BY (%s)\n", strings.Join(parts, ", "))
	}
	if len(t.Properties) > 0 {
		keys := make([]string, 0, len(t.Properties))
		for k := range t.Properties {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("TBLPROPERTIES (\n")
		for i, k := range keys {
			fmt.Fprintf(&b, "  %s = %s", quoteString(k), quoteString(t.Properties[k]))
			if i < len(keys)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(")")
	}
	return strings.TrimRight(b.String(), "\n") + ";\n", nil
}

// SparkDDLAll is the namespace and every table, in name order.
func SparkDDLAll(catalog, namespace string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE NAMESPACE IF NOT EXISTS %s.%s;\n", quoteIdent(catalog), quoteIdent(namespace))
	for _, n := range Names() {
		ddl, err := MustGet(n).SparkDDL(catalog, namespace)
		if err != nil {
			return "", err
		}
		b.WriteString("\n")
		b.WriteString(ddl)
	}
	return b.String(), nil
}

func sparkType(t iceberg.Type) (string, error) {
	switch t := t.(type) {
	case iceberg.StringType:
		return "STRING", nil
	case iceberg.BinaryType:
		return "BINARY", nil
	case iceberg.BooleanType:
		return "BOOLEAN", nil
	case iceberg.Int32Type:
		return "INT", nil
	case iceberg.Int64Type:
		return "BIGINT", nil
	case iceberg.Float32Type:
		return "FLOAT", nil
	case iceberg.Float64Type:
		return "DOUBLE", nil
	case iceberg.DateType:
		return "DATE", nil
	case iceberg.TimestampTzType:
		return "TIMESTAMP", nil
	case iceberg.TimestampType:
		return "TIMESTAMP_NTZ", nil
	case iceberg.DecimalType:
		return fmt.Sprintf("DECIMAL(%d, %d)", t.Precision(), t.Scale()), nil
	case *iceberg.MapType:
		if t.ValueRequired {
			return "", fmt.Errorf("Spark cannot declare a map whose values are required")
		}
		k, err := sparkType(t.KeyType)
		if err != nil {
			return "", err
		}
		v, err := sparkType(t.ValueType)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("MAP<%s, %s>", k, v), nil
	case *iceberg.ListType:
		if t.ElementRequired {
			return "", fmt.Errorf("Spark cannot declare a list whose elements are required")
		}
		e, err := sparkType(t.Element)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("ARRAY<%s>", e), nil
	}
	return "", fmt.Errorf("no Spark type for %s", t)
}

func sparkTransform(p PartitionField) (string, error) {
	col := quoteIdent(p.Source)
	tr, err := iceberg.ParseTransform(p.Transform)
	if err != nil {
		return "", fmt.Errorf("partition %s: %w", p.Name, err)
	}
	switch tr := tr.(type) {
	case iceberg.IdentityTransform:
		return col, nil
	case iceberg.DayTransform:
		return "days(" + col + ")", nil
	case iceberg.HourTransform:
		return "hours(" + col + ")", nil
	case iceberg.MonthTransform:
		return "months(" + col + ")", nil
	case iceberg.YearTransform:
		return "years(" + col + ")", nil
	case iceberg.BucketTransform:
		return fmt.Sprintf("bucket(%d, %s)", tr.NumBuckets, col), nil
	case iceberg.TruncateTransform:
		return fmt.Sprintf("truncate(%d, %s)", tr.Width, col), nil
	}
	return "", fmt.Errorf("partition %s: no Spark transform for %s", p.Name, p.Transform)
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

func quoteString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
