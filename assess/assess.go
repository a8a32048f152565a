// Package assess is the standards engine of ecowatch: the national rules
// for air quality, surface water and flue gas, as pure computation with
// exact decimal arithmetic. The work is in its subpackages:
//
//   - decimal: the exact decimal type and the GB/T 8170 rounding rules;
//   - aqi: IAQI, AQI, primary pollutant and level (HJ 633-2012, HJ 633-2026
//     and the national real-time release's published practice);
//   - air: HJ 663 / GB 3095 validity, daily means, MDA8, station → city,
//     period statistics, attainment, good days and the comprehensive index;
//   - water: GB 3838-2002 classes and the 2011 evaluation method;
//   - flue: HJ 75/76 CEMS conversions and exceedance against limits.
//
// This package lists the versioned rule sets of all of them, so callers
// and the command line can show which rules exist and which one a date
// defaults to.
//
// Example:
//
//	for _, rs := range assess.RuleSets() {
//		fmt.Println(rs.Kind, rs.Name, rs.Defaults())
//	}
//	// aqi HJ633-2012 default before 2026-03-01
//	// aqi HJ633-2026 default from 2026-03-01
//	// …
package assess

import (
	"time"

	"ecowatch/assess/air"
	"ecowatch/assess/aqi"
)

// RuleSet describes one versioned rule set.
type RuleSet struct {
	Kind        string // "aqi", "limits" or "water"
	Name        string // the name to pass to --rules / --limits
	Title       string // what it implements
	DefaultFrom time.Time
	DefaultTo   time.Time // exclusive
	// Default is false for rule sets never chosen by date (the published
	// practice rule set).
	Default bool
}

// Defaults describes the dates the rule set is the default for.
func (r RuleSet) Defaults() string {
	const day = "2006-01-02"
	switch {
	case !r.Default:
		return "never a default; ask for it by name"
	case r.DefaultFrom.IsZero() && r.DefaultTo.IsZero():
		return "always"
	case r.DefaultFrom.IsZero():
		return "default before " + r.DefaultTo.Format(day)
	case r.DefaultTo.IsZero():
		return "default from " + r.DefaultFrom.Format(day)
	}
	return "default from " + r.DefaultFrom.Format(day) + " before " + r.DefaultTo.Format(day)
}

// RuleSets lists every rule set of the engine.
func RuleSets() []RuleSet {
	var out []RuleSet
	for _, r := range aqi.All {
		out = append(out, RuleSet{Kind: "aqi", Name: r.Name, Title: r.Title, DefaultFrom: r.DefaultFrom, DefaultTo: r.DefaultTo, Default: r != aqi.Release2012})
	}
	for _, l := range air.AllLimits {
		out = append(out, RuleSet{Kind: "limits", Name: l.Name, Title: l.Title, DefaultFrom: l.DefaultFrom, DefaultTo: l.DefaultTo, Default: true})
	}
	out = append(out, RuleSet{Kind: "water", Name: "GB3838-2002", Title: "GB 3838-2002 Table 1 classes, 环办〔2011〕22号 evaluation method", Default: true})
	return out
}
