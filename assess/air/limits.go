package air

import (
	"fmt"
	"time"

	"ecowatch/assess/aqi"
	"ecowatch/assess/decimal"
)

// Averaging is the averaging time of a limit.
type Averaging uint8

// Averaging times of GB 3095 Table 1.
const (
	Annual Averaging = iota
	Day              // 24-hour mean; for O3 the MDA8
	Hour             // 1-hour mean
)

// String names the averaging time.
func (a Averaging) String() string {
	return [...]string{"annual", "24h", "1h"}[a]
}

// Limits is a versioned set of GB 3095 concentration limits of the six
// pollutants. Units: µg/m³, CO mg/m³.
type Limits struct {
	Name        string
	Title       string
	DefaultFrom time.Time
	DefaultTo   time.Time // exclusive; zero means open-ended
	// v[averaging][pollutant][grade-1]; "" means no such limit.
	v [3][6][2]string
}

// GB3095_2012 is GB 3095-2012 Table 1 (with the 2018 amendment's reference
// state for gases), in force until 2026-02-28.
var GB3095_2012 = &Limits{
	Name:      "GB3095-2012",
	Title:     "GB 3095-2012 Table 1 (and its 2018 amendment), Grade I / II",
	DefaultTo: time.Date(2026, 3, 1, 0, 0, 0, 0, aqi.UTC8()),
	v: [3][6][2]string{
		Annual: {aqi.SO2: {"20", "60"}, aqi.NO2: {"40", "40"}, aqi.PM10: {"40", "70"}, aqi.PM25: {"15", "35"}},
		Day:    {aqi.SO2: {"50", "150"}, aqi.NO2: {"80", "80"}, aqi.PM10: {"50", "150"}, aqi.CO: {"4", "4"}, aqi.O3: {"100", "160"}, aqi.PM25: {"35", "75"}},
		Hour:   {aqi.SO2: {"150", "500"}, aqi.NO2: {"200", "200"}, aqi.CO: {"10", "10"}, aqi.O3: {"160", "200"}},
	},
}

// GB3095_2026Transitional is GB 3095-2026 Table 1, transitional limits,
// in force 2026-03-01 to 2030-12-31.
var GB3095_2026Transitional = &Limits{
	Name:        "GB3095-2026-transitional",
	Title:       "GB 3095-2026 Table 1 transitional limits (2026-03-01 to 2030-12-31), Grade I / II",
	DefaultFrom: time.Date(2026, 3, 1, 0, 0, 0, 0, aqi.UTC8()),
	DefaultTo:   time.Date(2031, 1, 1, 0, 0, 0, 0, aqi.UTC8()),
	v: [3][6][2]string{
		Annual: {aqi.SO2: {"20", "60"}, aqi.NO2: {"40", "40"}, aqi.PM10: {"40", "60"}, aqi.PM25: {"15", "30"}},
		Day:    {aqi.SO2: {"50", "150"}, aqi.NO2: {"80", "80"}, aqi.PM10: {"50", "120"}, aqi.CO: {"4", "4"}, aqi.O3: {"100", "160"}, aqi.PM25: {"35", "60"}},
		Hour:   {aqi.SO2: {"150", "500"}, aqi.NO2: {"200", "200"}, aqi.CO: {"10", "10"}, aqi.O3: {"160", "200"}},
	},
}

// GB3095_2026Final is GB 3095-2026 Table 1, final limits, from 2031-01-01.
var GB3095_2026Final = &Limits{
	Name:        "GB3095-2026-final",
	Title:       "GB 3095-2026 Table 1 final limits (from 2031-01-01), Grade I / II",
	DefaultFrom: time.Date(2031, 1, 1, 0, 0, 0, 0, aqi.UTC8()),
	v: [3][6][2]string{
		Annual: {aqi.SO2: {"20", "20"}, aqi.NO2: {"30", "30"}, aqi.PM10: {"20", "50"}, aqi.PM25: {"10", "25"}},
		Day:    {aqi.SO2: {"50", "50"}, aqi.NO2: {"50", "50"}, aqi.PM10: {"50", "100"}, aqi.CO: {"4", "4"}, aqi.O3: {"100", "160"}, aqi.PM25: {"25", "50"}},
		Hour:   {aqi.SO2: {"150", "150"}, aqi.NO2: {"200", "200"}, aqi.CO: {"10", "10"}, aqi.O3: {"160", "200"}},
	},
}

// AllLimits lists the limit sets.
var AllLimits = []*Limits{GB3095_2012, GB3095_2026Transitional, GB3095_2026Final}

// LimitsFor returns the limit set in force at t (Beijing time).
func LimitsFor(t time.Time) *Limits {
	for _, l := range AllLimits {
		if !t.Before(l.DefaultFrom) && (l.DefaultTo.IsZero() || t.Before(l.DefaultTo)) {
			return l
		}
	}
	return GB3095_2012 // before any DefaultFrom: the zero time
}

// LimitsByName returns the limit set with that Name.
func LimitsByName(name string) (*Limits, error) {
	for _, l := range AllLimits {
		if l.Name == name {
			return l, nil
		}
	}
	return nil, fmt.Errorf("air: unknown limit set %q (have GB3095-2012, GB3095-2026-transitional, GB3095-2026-final)", name)
}

// Limit returns the limit of pollutant p for an averaging time and grade
// (1 or 2), and false if the standard sets none (e.g. no annual CO limit).
func (l *Limits) Limit(p aqi.Pollutant, a Averaging, grade int) (decimal.Decimal, bool) {
	if grade < 1 || grade > 2 || int(p) >= 6 || a > Hour {
		return decimal.Decimal{}, false
	}
	s := l.v[a][p][grade-1]
	if s == "" {
		return decimal.Decimal{}, false
	}
	return decimal.MustParse(s), true
}
