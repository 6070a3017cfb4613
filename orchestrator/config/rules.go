package config

import (
	"strings"

	"github.com/spotlake/spotlake/stages/oa/rules"
)

// validateRules checks the alert rules' expressions with the rules engine
// itself (a parse in a sandboxed DuckDB), so config validate reports them.
func validateRules(rs []AlertRule) []string {
	if len(rs) == 0 {
		return nil
	}
	conv := make([]rules.Rule, len(rs))
	for i, r := range rs {
		conv[i] = rules.Rule{Name: r.Name, Source: r.Source, GroupBy: r.GroupBy, Window: r.Window.Duration, When: r.When, Severity: r.Severity}
	}
	var out []string
	for _, err := range rules.Validate(conv) {
		msg := err.Error()
		// The engine names rules as rules[i] (name).field; the config's path is oa.rules[i].field.
		if strings.HasPrefix(msg, "rules[") {
			msg = "oa." + msg
		}
		out = append(out, msg)
	}
	return out
}
