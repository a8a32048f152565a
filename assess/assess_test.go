package assess

import (
	"strings"
	"testing"
	"time"

	"ecowatch/assess/air"
	"ecowatch/assess/aqi"
)

// Every rule set is listed once, and the date defaults agree with the
// packages' own Default functions (the switch dates of HJ 633-2026 and
// GB 3095-2026: 2026-03-01, final limits 2031-01-01).
func TestRuleSets(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range RuleSets() {
		if seen[r.Name] || r.Title == "" {
			t.Fatalf("rule set %q duplicated or untitled", r.Name)
		}
		seen[r.Name] = true
	}
	for _, n := range []string{"HJ633-2012", "HJ633-2026", "CNEMC-release-2012", "GB3095-2012", "GB3095-2026-transitional", "GB3095-2026-final"} {
		if !seen[n] {
			t.Errorf("missing %s", n)
		}
	}
	for _, d := range []time.Time{
		time.Date(2020, 6, 1, 0, 0, 0, 0, aqi.UTC8()),
		time.Date(2026, 3, 1, 0, 0, 0, 0, aqi.UTC8()),
		time.Date(2031, 1, 1, 0, 0, 0, 0, aqi.UTC8()),
	} {
		var aqiName, limName string
		for _, r := range RuleSets() {
			if r.Default && !d.Before(r.DefaultFrom) && (r.DefaultTo.IsZero() || d.Before(r.DefaultTo)) {
				switch r.Kind {
				case "aqi":
					aqiName = r.Name
				case "limits":
					limName = r.Name
				}
			}
		}
		if aqiName != aqi.Default(d).Name || limName != air.LimitsFor(d).Name {
			t.Errorf("%s: listed defaults %s/%s, packages say %s/%s", d, aqiName, limName, aqi.Default(d).Name, air.LimitsFor(d).Name)
		}
	}
	for _, r := range RuleSets() {
		if r.Name == "CNEMC-release-2012" && !strings.HasPrefix(r.Defaults(), "never") {
			t.Error("the published-practice rule set must never be a default")
		}
	}
}
