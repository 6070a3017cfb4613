package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/spotlake/spotlake/stages/ingest/formats"
	"github.com/spotlake/spotlake/stages/oa/heuristics"
)

// SchemaID names the config's JSON Schema (schemas/config.schema.json).
const SchemaID = "https://github.com/spotlake/spotlake/schemas/config.schema.json"

// durationPattern is what time.ParseDuration reads.
const durationPattern = `^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$|^0$`

// enums are the fields with a fixed set of values, by YAML path ("[]" for
// any list element).
func enums() map[string][]string {
	return map[string][]string{
		"provider":                []string{"local", "aws"},
		"engine":                  []string{"embedded", "spark"},
		"catalog.type":            []string{"sql", "glue"},
		"sources[].format":        formats.Names(),
		"detect.corpus":           []string{"distinct", "counts"},
		"oa.heuristics.disable[]": heuristics.Kinds(),
		"oa.rules[].severity":     []string{"low", "medium", "high"},
	}
}

// JSONSchema is the config's JSON Schema (draft 2020-12), for editors
// (yaml-language-server) and other tools: every field with its type,
// unknown fields refused as Load refuses them, durations and the fields
// with a fixed set of values checked. Load's own validation says more
// (ranges, cross-field rules), with paths.
func JSONSchema() ([]byte, error) {
	root := schemaOf(reflect.TypeOf(Config{}), "", enums())
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = SchemaID
	root["title"] = "spotlake configuration (" + APIVersion + ")"
	root["required"] = []string{"apiVersion"}
	props := root["properties"].(map[string]any)
	props["apiVersion"] = map[string]any{"const": APIVersion}
	props["clusters"].(map[string]any)["propertyNames"] = map[string]any{"enum": Roles}
	b, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("config schema: %w", err)
	}
	return append(b, '\n'), nil
}

var durationType = reflect.TypeOf(Duration{})

func schemaOf(t reflect.Type, path string, enums map[string][]string) map[string]any {
	if t.Kind() == reflect.Pointer {
		return schemaOf(t.Elem(), path, enums)
	}
	if t == durationType {
		return map[string]any{"type": "string", "pattern": durationPattern}
	}
	var s map[string]any
	switch t.Kind() {
	case reflect.String:
		s = map[string]any{"type": "string"}
	case reflect.Bool:
		s = map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		s = map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		s = map[string]any{"type": "number"}
	case reflect.Slice:
		s = map[string]any{"type": "array", "items": schemaOf(t.Elem(), path+"[]", enums)}
	case reflect.Map:
		s = map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), path+".*", enums)}
	case reflect.Struct:
		props := map[string]any{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if !f.IsExported() || name == "-" || name == "" {
				continue
			}
			p := name
			if path != "" {
				p = path + "." + name
			}
			props[name] = schemaOf(f.Type, p, enums)
		}
		s = map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	default:
		s = map[string]any{}
	}
	if vals, ok := enums[path]; ok {
		s["enum"] = vals
	}
	return s
}
