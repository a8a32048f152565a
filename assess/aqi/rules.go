package aqi

import (
	"fmt"
	"strconv"
	"time"

	"ecowatch/assess/decimal"
)

// iaqiSteps are the IAQI values of the breakpoint rows (HJ 633 Table 1).
var iaqiSteps = [...]int64{0, 50, 100, 150, 200, 300, 400, 500}

// table is one breakpoint column: bp[k] is the concentration at
// iaqiSteps[k]; a column may stop early (SO2 1h and O3 8h stop at 800).
type table []int64

// Breakpoint columns of HJ 633-2012 Table 1; units µg/m³, CO mg/m³.
var (
	so2_24h  = table{0, 50, 150, 475, 800, 1600, 2100, 2620}
	so2_1h   = table{0, 150, 500, 650, 800}
	no2_24h  = table{0, 40, 80, 180, 280, 565, 750, 940}
	no2_1h   = table{0, 100, 200, 700, 1200, 2340, 3090, 3840}
	pm10_24h = table{0, 50, 150, 250, 350, 420, 500, 600}
	co24h    = table{0, 2, 4, 14, 24, 36, 48, 60}
	co1h     = table{0, 5, 10, 35, 60, 90, 120, 150}
	o3_1h    = table{0, 160, 200, 300, 400, 800, 1000, 1200}
	o3_8h    = table{0, 100, 160, 215, 265, 800}
	pm25_24h = table{0, 35, 75, 115, 150, 250, 350, 500}
)

// HJ 633-2026 Table 1 differs from 2012 only at IAQI 100 for PM10
// (150 → 120) and PM2.5 (75 → 60).
var (
	pm10_24h2026 = table{0, 50, 120, 250, 350, 420, 500, 600}
	pm25_24h2026 = table{0, 35, 60, 115, 150, 250, 350, 500}
)

// Over800 is what a rule set does when SO2 1h or O3 8h exceeds the end
// of its column (800 µg/m³).
type Over800 uint8

// Behaviours above the end of the SO2 1h and O3 8h columns.
const (
	// Over800Fallback drops the indicator and uses the pollutant's other
	// indicator instead: SO2 from its 24h value, O3 from its 1h value
	// (HJ 633-2012 Table 1 notes 2 and 3).
	Over800Fallback Over800 = iota
	// Over800Fixed sets the IAQI to a fixed value: 200 for SO2 1h and 300
	// for O3 8h (HJ 633-2026 Table 1 notes).
	Over800Fixed
)

// Missing is what a rule set does when a pollutant the report needs is
// absent or invalid.
type Missing uint8

// Missing-pollutant behaviours.
const (
	// MissingCompute computes the AQI from the pollutants present and lists
	// the missing ones (the 2012 release showed missing values as NA).
	MissingCompute Missing = iota
	// MissingPublishAbove100 computes the AQI from the others and publishes
	// it only when it is above 100 (HJ 633-2026 §5.3.1).
	MissingPublishAbove100
)

// Rules is a versioned AQI rule set. The package-level values are the
// only rule sets; callers pick one by name or with Default.
type Rules struct {
	Name        string // stable identifier, e.g. "HJ633-2012"
	Title       string // what it implements
	DefaultFrom time.Time
	DefaultTo   time.Time // exclusive; zero means open-ended
	// Rounding of IAQI values to integers.
	Rounding decimal.Mode
	// RoundConcentrations rounds inputs per GB/T 8170 to the reported
	// precision (integer µg/m³, CO 1 decimal mg/m³) before the lookup.
	RoundConcentrations bool
	SO2Over800          Over800
	O3Over800           Over800
	Missing             Missing
	// ExceedingConcept reports 超标污染物 (IAQI > 100).
	ExceedingConcept bool
	hourly, daily    []Indicator
	tables           [NumIndicators]table
}

func baseTables(pm10, pm25 table) [NumIndicators]table {
	return [NumIndicators]table{
		SO2_1h: so2_1h, SO2_24h: so2_24h, NO2_1h: no2_1h, NO2_24h: no2_24h,
		PM10_1h: pm10, PM10_24h: pm10, CO1h: co1h, CO24h: co24h,
		O3_1h: o3_1h, O3_8h: o3_8h, PM25_1h: pm25, PM25_24h: pm25,
	}
}

// Switch dates of the standards, midnight Beijing time.
var (
	switch2026 = time.Date(2026, 3, 1, 0, 0, 0, 0, utc8)
)

// HJ633_2012 is the text of HJ 633-2012. Real-time report (§5.2): SO2, NO2,
// CO and O3 1-hour values, the O3 8-hour moving mean and the PM10 and PM2.5
// 24-hour moving means (the PM 1-hour values have no IAQI). Daily report:
// 24-hour means, O3 maximum 1h and maximum 8h. IAQI and AQI are rounded up
// (§6.2 "全部进位取整数"). The text says nothing about concentration
// rounding; HJ 663-2013 cites GB/T 8170 with the same precision as
// HJ 633-2026, so this rule set rounds concentrations the same way
// (reference §1.2 recommendation).
var HJ633_2012 = &Rules{
	Name:                "HJ633-2012",
	Title:               "HJ 633-2012 text: PM real-time IAQI from 24h moving means, ceiling, SO2 1h>800 uses 24h, O3 8h>800 uses 1h",
	DefaultTo:           switch2026,
	Rounding:            decimal.Ceiling,
	RoundConcentrations: true,
	SO2Over800:          Over800Fallback,
	O3Over800:           Over800Fallback,
	Missing:             MissingCompute,
	ExceedingConcept:    true,
	hourly:              []Indicator{SO2_1h, NO2_1h, PM10_24h, CO1h, O3_1h, O3_8h, PM25_24h},
	daily:               []Indicator{SO2_24h, NO2_24h, PM10_24h, CO24h, O3_1h, O3_8h, PM25_24h},
	tables:              baseTables(pm10_24h, pm25_24h),
}

// HJ633_2026 is the text of HJ 633-2026, in force from 2026-03-01.
// Real-time report: the 1-hour means of all six pollutants, PM looked up in
// the 24h columns (§5.2); daily report: 24-hour means and O3 MDA8, no O3 1h.
// Concentrations rounded per GB/T 8170 first (§4.2.2, §4.2.3), IAQI rounded
// up (§4.2.6). SO2 1h > 800 gives IAQI 200 and O3 8h > 800 gives 300.
// A missing pollutant: AQI published only if > 100 (§5.3.1).
var HJ633_2026 = &Rules{
	Name:                "HJ633-2026",
	Title:               "HJ 633-2026 text: PM 1h against 24h breakpoints (PM10 120, PM2.5 60 at IAQI 100), ceiling, SO2 1h>800 → 200, O3 8h>800 → 300",
	DefaultFrom:         switch2026,
	Rounding:            decimal.Ceiling,
	RoundConcentrations: true,
	SO2Over800:          Over800Fixed,
	O3Over800:           Over800Fixed,
	Missing:             MissingPublishAbove100,
	hourly:              []Indicator{SO2_1h, NO2_1h, PM10_1h, CO1h, O3_1h, PM25_1h},
	daily:               []Indicator{SO2_24h, NO2_24h, PM10_24h, CO24h, O3_8h, PM25_24h},
	tables:              baseTables(pm10_24h2026, pm25_24h2026),
}

// Release2012 reproduces the national real-time release as published
// before 2026 (reference §8, checked on every hour of the Changsha file):
// 2012 breakpoints; PM10 and PM2.5 1-hour values against the 24h columns;
// SO2, NO2, CO and O3 1-hour values against their 1h columns; no O3 8h in
// the real-time AQI; concentrations used as published (no GB/T 8170 step);
// IAQI rounded half-up, not up. The daily report follows the 2012 text
// except for the same half-up rounding; it has not been checked against
// published daily data.
var Release2012 = &Rules{
	Name:             "CNEMC-release-2012",
	Title:            "national real-time release as published before 2026: PM 1h against 24h breakpoints, IAQI rounded half-up, no concentration rounding",
	Rounding:         decimal.HalfUp,
	SO2Over800:       Over800Fallback,
	O3Over800:        Over800Fallback,
	Missing:          MissingCompute,
	ExceedingConcept: true,
	hourly:           []Indicator{SO2_1h, NO2_1h, PM10_1h, CO1h, O3_1h, PM25_1h},
	daily:            []Indicator{SO2_24h, NO2_24h, PM10_24h, CO24h, O3_1h, O3_8h, PM25_24h},
	tables:           baseTables(pm10_24h, pm25_24h),
}

// All lists every AQI rule set.
var All = []*Rules{HJ633_2012, HJ633_2026, Release2012}

// ByName returns the rule set with the given Name.
func ByName(name string) (*Rules, error) {
	for _, r := range All {
		if r.Name == name {
			return r, nil
		}
	}
	return nil, fmt.Errorf("aqi: unknown rule set %q (have HJ633-2012, HJ633-2026, CNEMC-release-2012)", name)
}

// Default returns the text rule set in force at t: HJ 633-2012 before
// 2026-03-01 00:00 Beijing time, HJ 633-2026 from then on. The published
// practice rule set is never a default; callers ask for it by name.
func Default(t time.Time) *Rules {
	if t.Before(switch2026) {
		return HJ633_2012
	}
	return HJ633_2026
}

// Indicators returns the indicators the report uses, in table order.
func (r *Rules) Indicators(rep Report) []Indicator {
	if rep == Daily {
		return append([]Indicator(nil), r.daily...)
	}
	return append([]Indicator(nil), r.hourly...)
}

// Breakpoints returns the column of an indicator as decimal strings by
// IAQI 0, 50, 100, …; for documentation and tests.
func (r *Rules) Breakpoints(i Indicator) []string {
	t := r.tables[i]
	out := make([]string, len(t))
	for k, v := range t {
		out[k] = strconv.FormatInt(v, 10)
	}
	return out
}

// lookup computes the exact IAQI of c in column t: IAQI_Lo + num/den with
// num = ΔIAQI·(C − BP_Lo) and den = ΔBP, both scaled by 10^scale so the
// single division is exact (HJ 633-2012 formula (1)). over reports c above
// the column's top.
func lookup(t table, c decimal.Decimal) (lo, num, den int64, over bool) {
	s := c.Scale()
	m := c.Mantissa()
	p := decimal.Pow10(s)
	top := t[len(t)-1]
	if m > top*p || m/p > top {
		return iaqiSteps[len(t)-1], 0, 1, true
	}
	if m == 0 {
		return 0, 0, 1, false
	}
	// BP_Lo < C ≤ BP_Hi; a value on a breakpoint gives the breakpoint's
	// IAQI from either segment (reference §1.2).
	k := 1
	for m > t[k]*p {
		k++
	}
	dI := iaqiSteps[k] - iaqiSteps[k-1]
	return iaqiSteps[k-1], dI * (m - t[k-1]*p), (t[k] - t[k-1]) * p, false
}

func (r *Rules) iaqi(i Indicator, c decimal.Decimal) (IAQI, bool) {
	if r.RoundConcentrations {
		c = c.Round(i.Pollutant().Places(), decimal.HalfEven)
	}
	out := IAQI{Indicator: i}
	t := r.tables[i]
	top := t[len(t)-1]
	if i == SO2_1h || i == O3_8h {
		if c.Cmp(decimal.FromInt(800)) > 0 {
			mode := r.SO2Over800
			fixed := 200
			if i == O3_8h {
				mode, fixed = r.O3Over800, 300
			}
			if mode == Over800Fallback {
				return out, false
			}
			out.Value, out.Exact = fixed, strconv.Itoa(fixed)
			out.Note = fmt.Sprintf("%s %s > 800: IAQI fixed at %d", i, c, fixed)
			return out, true
		}
	}
	lo, num, den, over := lookup(t, c)
	if over {
		out.Value, out.Exact, out.Capped = 500, "500", true
		out.Note = fmt.Sprintf("%s %s above the table's top %d: IAQI capped at 500 (the standard does not define it)", i, c, top)
		return out, true
	}
	q, _ := decimal.QuoRem(num, den, r.Rounding)
	out.Value = int(lo + q)
	if num%den == 0 {
		out.Exact = strconv.FormatInt(lo+num/den, 10)
	} else {
		g := gcd(num, den)
		out.Exact = strconv.FormatInt(lo*(den/g)+num/g, 10) + "/" + strconv.FormatInt(den/g, 10)
	}
	return out, true
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Compute returns the AQI of one report from its concentrations. Negative
// values are treated as invalid (a note says so); an indicator the rules
// do not use is ignored.
func (r *Rules) Compute(rep Report, c Concentrations) Result {
	res := Result{Rules: r.Name, Report: rep}
	var have [numPollutants]bool
	var needed [numPollutants]bool
	inds := r.hourly
	if rep == Daily {
		inds = r.daily
	}
	for _, i := range inds {
		needed[i.Pollutant()] = true
		v, ok := c.Get(i)
		if !ok {
			continue
		}
		if v.Sign() < 0 {
			res.Notes = append(res.Notes, fmt.Sprintf("%s %s is negative: ignored", i, v))
			continue
		}
		x, ok := r.iaqi(i, v)
		if !ok {
			// Over800Fallback: SO2 1h > 800 uses SO2 24h; O3 8h > 800 uses O3 1h.
			alt := SO2_24h
			if i == O3_8h {
				alt = O3_1h
			}
			res.Notes = append(res.Notes, fmt.Sprintf("%s %s > 800: no IAQI from it, %s used instead (HJ 633-2012 Table 1 note)", i, v, alt))
			if i == SO2_1h {
				if av, ok := c.Get(SO2_24h); ok && av.Sign() >= 0 {
					if x, ok := r.iaqi(SO2_24h, av); ok {
						res.IAQI = append(res.IAQI, x)
						have[SO2] = true
					}
				} else {
					res.Notes = append(res.Notes, "SO2_24h not given: SO2 has no IAQI")
				}
			}
			continue // O3 1h is in the same report and counted on its own
		}
		if x.Note != "" {
			res.Notes = append(res.Notes, x.Note)
		}
		res.IAQI = append(res.IAQI, x)
		have[i.Pollutant()] = true
	}
	for _, p := range Pollutants {
		if needed[p] && !have[p] {
			if c.exempt[p] {
				res.Notes = append(res.Notes, fmt.Sprintf("%s not monitored at this point (HJ 633-2026 §5.3.2)", p))
				continue
			}
			res.Missing = append(res.Missing, p)
		}
	}
	if len(res.IAQI) == 0 {
		res.Notes = append(res.Notes, "no valid concentration: AQI not available")
		return res
	}
	best := 0
	for _, x := range res.IAQI {
		best = max(best, x.Value)
	}
	res.AQI = best
	res.Available = true
	if len(res.Missing) > 0 && r.Missing == MissingPublishAbove100 && best <= 100 {
		res.Available = false
		res.Notes = append(res.Notes, fmt.Sprintf("missing %v and AQI %d ≤ 100: AQI not published (HJ 633-2026 §5.3.1)", res.Missing, best))
	}
	res.Level = LevelOf(best)
	if best > 50 {
		for _, p := range Pollutants {
			if v, ok := res.IAQIOf(p); ok && v == best {
				res.Primary = append(res.Primary, p)
			}
		}
	}
	if r.ExceedingConcept {
		for _, p := range Pollutants {
			if v, ok := res.IAQIOf(p); ok && v > 100 {
				res.Exceeding = append(res.Exceeding, p)
			}
		}
	}
	if !res.Available {
		res.Level = Level{}
		res.Primary = nil
	}
	return res
}
