// Package targets computes the progress of the annual environmental
// targets (工作目标) of a province and its cities: the indicator values
// year to date and for the same period last year, the status of each
// target (met, on track, at risk, missed), a projection to the year end
// with its method stated, each city's contribution to the province's
// figure, the city rankings and the monthly bulletin tables.
//
// It is pure computation: the air figures come from daily city values
// through the standards engine (assess/air and assess/aqi, with the rule
// set in force on each day's date), the other figures from counts the
// caller reads out of the indicator registries. The clock is an argument
// (asOf), never read.
//
// Rounding follows the bulletins: concentrations are reported as whole
// µg/m³ (CO one decimal mg/m³), ratios with one decimal, all by GB/T 8170
// (round half to even on an exact half), and a target is compared with the
// reported (rounded) value: an annual PM2.5 of 42.5 µg/m³ is reported as 42
// and meets a target of "42 or less", 43.5 is reported as 44 and does not.
//
// Example:
//
//	rep, err := targets.Air(cities, 2020, asOf, 3)
//	for _, f := range rep.Figures(targets.Province) { … }
//	p := targets.Evaluate(t, fig)   // status and projection of one target
package targets

import (
	"fmt"
	"math/big"

	"ecowatch/assess/decimal"
	"ecowatch/registry"
)

// Province is the region code the caller uses for the province's figures
// when it has none of its own; Air fills it with AirReport.Province.
const Province = "province"

// Indicator keys, the stable keys of registry.Target.Indicator (the seed's
// 2020 set uses them).
const (
	PM25AnnualMean        = "pm25_annual_mean"
	GoodDayRatio          = "good_day_ratio"
	HeavyDaysTotal        = "heavy_pollution_days_total"
	CitiesGrade2          = "cities_attaining_grade2"
	SurfaceWaterGood      = "surface_water_good_ratio"
	DrinkingWaterClass3   = "drinking_water_class3_ratio"
	BlackOdorousElim      = "black_odorous_water_elimination"
	FarmlandSafeAndStrict = "farmland_safe_use_and_control"
	FarmlandSafeUse       = "farmland_safe_use"
	FarmlandStrict        = "farmland_strict_control"
	ContaminatedLandSafe  = "contaminated_land_safe_use_ratio"
	// EmissionReduction is the share of the total-emission reduction
	// quotas (主要污染物总量减排: COD, NH3-N, SO2, NOx per region) completed;
	// the plan asks for all of them ("全面完成"), i.e. 100 %.
	EmissionReduction = "emission_reduction_completed_ratio"
)

// Indicators lists the indicator keys in the order of the work plan's
// 工作目标, the order pages show them in.
var Indicators = []string{PM25AnnualMean, GoodDayRatio, HeavyDaysTotal, CitiesGrade2, SurfaceWaterGood, DrinkingWaterClass3,
	BlackOdorousElim, FarmlandSafeAndStrict, FarmlandSafeUse, FarmlandStrict, ContaminatedLandSafe, EmissionReduction}

// IndicatorOrder is an indicator's place in Indicators; unknown keys sort
// after them.
func IndicatorOrder(key string) int {
	for i, k := range Indicators {
		if k == key {
			return i
		}
	}
	return len(Indicators)
}

// Status is where a target stands.
type Status string

// Statuses. A target of a finished year is met or missed; during the year
// it is on track when the projection's pessimistic end meets it, at risk
// when only the central or optimistic projection does (or no projection
// exists and the year-to-date value does not), missed when not even the
// optimistic end can (or a cumulative count already exceeds its limit).
const (
	Met     Status = "met"
	OnTrack Status = "on_track"
	AtRisk  Status = "at_risk"
	Missed  Status = "missed"
	NoData  Status = "no_data"
)

// Projection is an estimate of an indicator's value at the year end.
type Projection struct {
	Central decimal.Decimal `json:"central"`
	Low     decimal.Decimal `json:"low"`
	High    decimal.Decimal `json:"high"`
	// Years are the reference years the range comes from.
	Years  []int  `json:"years"`
	Method string `json:"method"`
}

// Figure is one indicator's value for one region.
type Figure struct {
	Indicator string `json:"indicator"`
	Region    string `json:"region"`
	// Value is the year-to-date value at the reported precision; nil when
	// there are no data.
	Value *decimal.Decimal `json:"value"`
	// LastYear is the value over the same period of last year.
	LastYear *decimal.Decimal `json:"last_year"`
	// Final is true when the period is the whole year: the value is the
	// year's and the status is met or missed.
	Final bool `json:"final"`
	// Cumulative marks counts that only grow during the year (heavy days):
	// once over an at-most target, the target is missed.
	Cumulative bool        `json:"cumulative"`
	Projection *Projection `json:"projection,omitempty"`
	// Source says where the value comes from (the data or the registry).
	Source string   `json:"source"`
	Notes  []string `json:"notes,omitempty"`
}

// Progress is a target with its figure and status.
type Progress struct {
	Target registry.Target `json:"target"`
	Figure Figure          `json:"figure"`
	Status Status          `json:"status"`
}

// meets says whether v meets the target.
func meets(t registry.Target, v decimal.Decimal) bool {
	tv, err := decimal.FromFloat(t.Value)
	if err != nil {
		return false
	}
	c := v.Cmp(tv)
	if t.Comparison == registry.AtMost {
		return c <= 0
	}
	return c >= 0
}

// Evaluate gives a target's status from its figure.
func Evaluate(t registry.Target, f Figure) Progress {
	p := Progress{Target: t, Figure: f, Status: NoData}
	if f.Value == nil {
		return p
	}
	v := *f.Value
	switch {
	case f.Final:
		p.Status = Missed
		if meets(t, v) {
			p.Status = Met
		}
	case f.Cumulative && t.Comparison == registry.AtMost && !meets(t, v):
		p.Status = Missed
	case f.Projection == nil:
		p.Status = AtRisk
		if meets(t, v) {
			p.Status = OnTrack
		}
	default:
		pr := f.Projection
		worst, best := pr.Low, pr.High
		if t.Comparison == registry.AtMost {
			worst, best = pr.High, pr.Low
		}
		switch {
		case meets(t, worst) && meets(t, pr.Central):
			p.Status = OnTrack
		case meets(t, best):
			p.Status = AtRisk
		default:
			p.Status = Missed
		}
	}
	return p
}

// Ratio is part/total in %, one decimal (GB/T 8170), the way the
// registries' indicators are reported (sections at Class I–III, drinking
// water sources at Class III or better, black-odorous water bodies
// eliminated, contaminated sites safely used).
func Ratio(part, total int) (decimal.Decimal, error) {
	if total <= 0 {
		return decimal.Decimal{}, fmt.Errorf("targets: ratio of %d over %d: no items", part, total)
	}
	if part < 0 || part > total {
		return decimal.Decimal{}, fmt.Errorf("targets: ratio of %d over %d: part outside 0..total", part, total)
	}
	return decimal.RoundRat(big.NewRat(int64(part)*100, int64(total)), 1, decimal.HalfEven)
}

// RegistryFigure is a figure of a registry indicator (a ratio or a sum);
// it has no projection: the registries record what is done, and the
// status during the year is on track once the value meets the target.
func RegistryFigure(indicator, region string, value decimal.Decimal, final bool, source string) Figure {
	return Figure{Indicator: indicator, Region: region, Value: &value, Final: final, Source: source}
}
