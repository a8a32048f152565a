// Package aqi computes the individual air quality index (IAQI), the air
// quality index (AQI), the primary pollutant and the AQI level as defined by
// HJ 633-2012 and HJ 633-2026, plus the rule set that reproduces what the
// national real-time release published before 2026. It is pure
// computation: values in, results out, with exact decimal arithmetic.
//
// Every computation takes a *Rules; Default picks the one in force on the
// data's date, and every Result names the rules that produced it.
//
// Example:
//
//	var c aqi.Concentrations
//	c.Set(aqi.CO24h, decimal.MustParse("2.2"))
//	c.Set(aqi.PM25_24h, decimal.MustParse("36"))
//	r := aqi.HJ633_2012.Compute(aqi.Daily, c)
//	fmt.Println(r.AQI, r.Primary, r.Level.Category) // 55 [CO] 良
//	// CO 2.2 gives exactly 50 + 50×0.2/2 = 55 (float code gets 56);
//	// PM2.5 36 gives 50 + 50×1/40 = 51.25, whose ceiling is 52.
package aqi

import (
	"fmt"
	"strings"
	"time"

	"ecowatch/assess/decimal"
)

// Pollutant is one of the six criteria pollutants of HJ 633.
type Pollutant uint8

// The six pollutants, in the order of HJ 633-2012 Table 1.
const (
	SO2 Pollutant = iota
	NO2
	PM10
	CO
	O3
	PM25
	numPollutants
)

// Pollutants lists the six pollutants in table order.
var Pollutants = [...]Pollutant{SO2, NO2, PM10, CO, O3, PM25}

var pollutantNames = [...]string{"SO2", "NO2", "PM10", "CO", "O3", "PM2.5"}

// String returns the name the national release uses ("PM2.5", "O3", …).
func (p Pollutant) String() string {
	if int(p) < len(pollutantNames) {
		return pollutantNames[p]
	}
	return fmt.Sprintf("Pollutant(%d)", p)
}

// ParsePollutant reads a pollutant name as String writes it; "PM25" is
// accepted for PM2.5.
func ParsePollutant(s string) (Pollutant, error) {
	for i, n := range pollutantNames {
		if strings.EqualFold(s, n) {
			return Pollutant(i), nil
		}
	}
	if strings.EqualFold(s, "PM25") {
		return PM25, nil
	}
	return 0, fmt.Errorf("aqi: unknown pollutant %q", s)
}

// Indicator is one looked-up quantity: a pollutant over an averaging time.
// The same pollutant may appear in several indicators (O3 1h and O3 8h).
type Indicator uint8

// The indicators of HJ 633 Table 1 and the real-time report. Units: µg/m³,
// CO in mg/m³.
const (
	SO2_1h   Indicator = iota // 1-hour mean, 1h breakpoints
	SO2_24h                   // 24-hour mean (or moving 24-hour mean), 24h breakpoints
	NO2_1h                    // 1-hour mean
	NO2_24h                   // 24-hour mean
	PM10_1h                   // 1-hour mean, looked up in the 24h breakpoints (HJ 633-2026 §5.2)
	PM10_24h                  // 24-hour mean or moving 24-hour mean
	CO1h                      // 1-hour mean, mg/m³
	CO24h                     // 24-hour mean, mg/m³
	O3_1h                     // 1-hour mean (daily report: the day's maximum)
	O3_8h                     // 8-hour moving mean (daily report: MDA8)
	PM25_1h                   // 1-hour mean, looked up in the 24h breakpoints
	PM25_24h                  // 24-hour mean or moving 24-hour mean
	NumIndicators
)

var indicatorInfo = [NumIndicators]struct {
	name string
	p    Pollutant
}{
	{"SO2_1h", SO2}, {"SO2_24h", SO2}, {"NO2_1h", NO2}, {"NO2_24h", NO2},
	{"PM10_1h", PM10}, {"PM10_24h", PM10}, {"CO_1h", CO}, {"CO_24h", CO},
	{"O3_1h", O3}, {"O3_8h", O3}, {"PM2.5_1h", PM25}, {"PM2.5_24h", PM25},
}

// String names the indicator ("PM2.5_24h").
func (i Indicator) String() string {
	if i < NumIndicators {
		return indicatorInfo[i].name
	}
	return fmt.Sprintf("Indicator(%d)", i)
}

// Pollutant returns the indicator's pollutant.
func (i Indicator) Pollutant() Pollutant { return indicatorInfo[i].p }

// Places is the number of decimal places GB/T 8170 rounding keeps for the
// pollutant's reported concentration: 1 for CO (mg/m³), 0 for the others
// (µg/m³) (HJ 633-2026 §4.2.2, HJ 663-2013 §5).
func (p Pollutant) Places() int {
	if p == CO {
		return 1
	}
	return 0
}

// Report is the kind of AQI report: real-time (hourly) or daily.
type Report uint8

// Report kinds (HJ 633-2012 §5, HJ 633-2026 §5).
const (
	Hourly Report = iota // 实时报
	Daily                // 日报
)

// String returns "hourly" or "daily".
func (r Report) String() string {
	if r == Daily {
		return "daily"
	}
	return "hourly"
}

// Concentrations holds the input values of one report, by indicator. The
// zero value holds none. Values must be ≥ 0.
type Concentrations struct {
	v      [NumIndicators]decimal.Decimal
	set    [NumIndicators]bool
	exempt [numPollutants]bool
}

// NotMonitored marks a pollutant the monitoring point is not required to
// measure, so its absence is not "missing" (HJ 633-2026 §5.3.2): the AQI
// of the others is published as usual.
func (c *Concentrations) NotMonitored(p Pollutant) {
	if p < numPollutants {
		c.exempt[p] = true
	}
}

// Set records the value of an indicator.
func (c *Concentrations) Set(i Indicator, v decimal.Decimal) {
	c.v[i], c.set[i] = v, true
}

// SetString parses a decimal string (as the store or a CSV cell holds it)
// and records it; it fails on anything decimal.Parse rejects and on
// negative values, leaving the indicator unset.
func (c *Concentrations) SetString(i Indicator, s string) error {
	if i >= NumIndicators {
		return fmt.Errorf("aqi: unknown indicator %d", i)
	}
	d, err := decimal.Parse(s)
	if err != nil {
		return fmt.Errorf("aqi: %s: %w", i, err)
	}
	if d.Sign() < 0 {
		return fmt.Errorf("aqi: %s: negative concentration %s", i, s)
	}
	c.Set(i, d)
	return nil
}

// Get returns an indicator's value and whether it is set.
func (c *Concentrations) Get(i Indicator) (decimal.Decimal, bool) { return c.v[i], c.set[i] }

// Level is an AQI level of HJ 633 Table 2 (the same in 2012 and 2026).
type Level struct {
	Number   int    // 1..6; 0 when the AQI is not available
	Name     string // 一级 … 六级
	Category string // 优, 良, 轻度污染, 中度污染, 重度污染, 严重污染
	English  string // good, moderate, lightly polluted, …
	Colour   string // 绿, 黄, 橙, 红, 紫, 褐红
	RGB      [3]uint8
	CMYK     [4]uint8
}

// levels is HJ 633-2012 Table 2 / HJ 633-2026 Table 2, with the colours'
// RGB and CMYK of the same table. The upper AQI of each level is hi.
var levels = [...]struct {
	hi int
	Level
}{
	{50, Level{1, "一级", "优", "good", "绿", [3]uint8{0, 228, 0}, [4]uint8{40, 0, 100, 0}}},
	{100, Level{2, "二级", "良", "moderate", "黄", [3]uint8{255, 255, 0}, [4]uint8{0, 0, 100, 0}}},
	{150, Level{3, "三级", "轻度污染", "lightly polluted", "橙", [3]uint8{255, 126, 0}, [4]uint8{0, 52, 100, 0}}},
	{200, Level{4, "四级", "中度污染", "moderately polluted", "红", [3]uint8{255, 0, 0}, [4]uint8{0, 100, 100, 0}}},
	{300, Level{5, "五级", "重度污染", "heavily polluted", "紫", [3]uint8{153, 0, 76}, [4]uint8{10, 100, 40, 30}}},
	{1 << 30, Level{6, "六级", "严重污染", "severely polluted", "褐红", [3]uint8{126, 0, 35}, [4]uint8{30, 100, 100, 30}}},
}

// LevelOf returns the level of an AQI value (0–50 is level 1, …, above 300
// is level 6). A negative AQI has no level.
func LevelOf(aqi int) Level {
	if aqi < 0 {
		return Level{}
	}
	for _, l := range levels {
		if aqi <= l.hi {
			return l.Level
		}
	}
	return Level{}
}

// IAQI is the index of one indicator.
type IAQI struct {
	Indicator Indicator
	Value     int    // rounded per the rule set
	Exact     string // the unrounded value as a fraction "n/d" or integer, for audits
	Capped    bool   // the concentration was above the table's top; Value is 500
	Note      string // why the value is special, if it is
}

// Result is one AQI computation.
type Result struct {
	Rules  string // the rule set's Name
	Report Report
	// AQI is the index; Available is false when the rules say it is not
	// published (shown as NA), e.g. nothing valid, or HJ 633-2026 §5.3.1
	// with a pollutant missing and the AQI ≤ 100.
	AQI       int
	Available bool
	Level     Level
	// Primary lists the pollutants whose IAQI equals the AQI when the AQI
	// is above 50, in table order; ties are all listed (并列).
	Primary []Pollutant
	// Exceeding lists pollutants with IAQI > 100 (超标污染物, HJ 633-2012
	// §3.6); empty for rule sets without the concept (HJ 633-2026).
	Exceeding []Pollutant
	// IAQI holds one entry per indicator the rules use and the input gave.
	IAQI []IAQI
	// Missing lists the pollutants the report needed and did not get.
	Missing []Pollutant
	Notes   []string
}

// IAQIOf returns the IAQI of a pollutant in r: the largest over its
// indicators (O3 1h and 8h), and false if it has none.
func (r *Result) IAQIOf(p Pollutant) (int, bool) {
	best, ok := 0, false
	for _, x := range r.IAQI {
		if x.Indicator.Pollutant() == p && (!ok || x.Value > best) {
			best, ok = x.Value, true
		}
	}
	return best, ok
}

// String is a one-line summary for logs and tests.
func (r Result) String() string {
	if !r.Available {
		return "AQI NA (" + r.Rules + ")"
	}
	return fmt.Sprintf("AQI %d %s primary %v (%s)", r.AQI, r.Level.Category, r.Primary, r.Rules)
}

// utc8 is the time zone the standards cut days in (Beijing time).
var utc8 = time.FixedZone("UTC+8", 8*3600)

// UTC8 returns the fixed UTC+8 zone in which the standards cut days.
func UTC8() *time.Location { return utc8 }
