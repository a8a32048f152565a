// Package air implements the ambient-air assessment of HJ 663 and GB 3095:
// data validity, daily means, O3 8-hour moving means and the daily maximum
// 8-hour value (MDA8), station → city aggregation without background
// stations, period statistics with the HJ 663 percentiles, attainment
// against the GB 3095 limits of the right version, good-day ratio,
// heavy-pollution days and the comprehensive index, with a dust-deducted
// variant. It is pure computation with exact arithmetic: concentrations
// are scaled integers and means are exact fractions, rounded per
// GB/T 8170 only when a figure is reported.
//
// The pipeline for one city and one period:
//
//	var days []air.CityDay
//	for d := range period {
//		var sd []air.StationDaily
//		for _, st := range stations { // background stations are left out by CityOf
//			sd = append(sd, air.StationDaily{Code: st.Code, Background: st.Background,
//				Daily: air.StationDay(&st.Hours[d], air.DefaultMDA8Limit)})
//		}
//		cd, _ := air.CityOf(dates[d], sd)
//		days = append(days, cd)
//	}
//	sum, err := air.Summarise(days, air.Options{Grade: 2})
//	// sum.Pollutants[aqi.PM25].Mean is the reported annual mean, sum.GoodRatio
//	// the good-day ratio, sum.Index the comprehensive index, and sum.Rules
//	// and sum.Limits name the rule sets used.
package air

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"

	"ecowatch/assess/aqi"
	"ecowatch/assess/decimal"
)

// Value is one concentration as an integer count of 10^-Scale(p) of the
// pollutant's unit: hundredths of µg/m³ for SO2, NO2, PM10, PM2.5 and O3,
// thousandths of mg/m³ for CO. int32 keeps a station-year of hourly data
// small (a year of 6 pollutants is 210 KB) and is exact for the
// precisions the national release publishes.
type Value int32

// Missing marks an absent or invalid hourly value.
const Missing Value = math.MinInt32

// Scale returns the number of decimal places a Value of p holds.
func Scale(p aqi.Pollutant) int {
	if p == aqi.CO {
		return 3
	}
	return 2
}

// ValueOf converts a decimal concentration to a Value. It fails, rather
// than round silently, if d is negative, has more decimal places than
// Scale(p), or is too large.
func ValueOf(p aqi.Pollutant, d decimal.Decimal) (Value, error) {
	if d.Sign() < 0 {
		return Missing, fmt.Errorf("air: %s concentration %s is negative", p, d)
	}
	v, ok := d.Scaled(Scale(p))
	if !ok || v >= math.MaxInt32 {
		return Missing, fmt.Errorf("air: %s concentration %s has more than %d decimal places or is too large", p, d, Scale(p))
	}
	return Value(v), nil
}

// ParseValue parses a decimal string; "", "NA" and "-" give Missing
// without error.
func ParseValue(p aqi.Pollutant, s string) (Value, error) {
	switch s {
	case "", "NA", "-", "—", "--":
		return Missing, nil
	}
	d, err := decimal.Parse(s)
	if err != nil {
		return Missing, err
	}
	return ValueOf(p, d)
}

// Decimal returns v as a decimal in the pollutant's unit.
func (v Value) Decimal(p aqi.Pollutant) decimal.Decimal {
	return decimal.New(int64(v), Scale(p))
}

// Ratio is an exact non-negative fraction Num/Den (Den > 0) of scaled
// units (see Value). Means are Ratios so that nothing is rounded before a
// figure is reported.
type Ratio struct {
	Num, Den int64
}

// Cmp compares two ratios exactly, with 128-bit cross products.
func (a Ratio) Cmp(b Ratio) int {
	h1, l1 := bits.Mul64(uint64(a.Num), uint64(b.Den))
	h2, l2 := bits.Mul64(uint64(b.Num), uint64(a.Den))
	switch {
	case h1 < h2 || (h1 == h2 && l1 < l2):
		return -1
	case h1 > h2 || (h1 == h2 && l1 > l2):
		return 1
	}
	return 0
}

// Rat returns the ratio in the pollutant's unit as a big rational.
func (a Ratio) Rat(p aqi.Pollutant) *big.Rat {
	return new(big.Rat).SetFrac(big.NewInt(a.Num), new(big.Int).Mul(big.NewInt(a.Den), big.NewInt(decimal.Pow10(Scale(p)))))
}

// Round rounds the ratio, in the pollutant's unit, to places decimal
// places with mode, dividing once.
func (a Ratio) Round(p aqi.Pollutant, places int, mode decimal.Mode) decimal.Decimal {
	s := Scale(p)
	num, den := a.Num, a.Den
	if places >= s {
		num *= decimal.Pow10(places - s)
	} else {
		den *= decimal.Pow10(s - places)
	}
	q, _ := decimal.QuoRem(num, den, mode)
	return decimal.New(q, places)
}

// Report rounds the ratio per GB/T 8170 to the reported precision:
// integer µg/m³, CO 1 decimal mg/m³ (HJ 663-2013 §5, HJ 633-2026 §4.2.2).
func (a Ratio) Report(p aqi.Pollutant) decimal.Decimal {
	return a.Round(p, p.Places(), decimal.HalfEven)
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// meanOf returns the exact mean of ratios, and false on int64 overflow,
// which needs concentrations far beyond any measured value.
func meanOf(rs []Ratio) (Ratio, bool) {
	if len(rs) == 0 {
		return Ratio{}, false
	}
	l := int64(1)
	for _, r := range rs {
		g := gcd(l, r.Den)
		hi, lo := bits.Mul64(uint64(l/g), uint64(r.Den))
		if hi != 0 || lo > math.MaxInt64/1024 {
			return Ratio{}, false
		}
		l = int64(lo)
	}
	var sum uint64
	for _, r := range rs {
		hi, lo := bits.Mul64(uint64(r.Num), uint64(l/r.Den))
		var c uint64
		sum, c = bits.Add64(sum, lo, 0)
		if hi != 0 || c != 0 || sum > math.MaxInt64 {
			return Ratio{}, false
		}
	}
	den := l * int64(len(rs))
	g := gcd(int64(sum), den)
	return Ratio{Num: int64(sum) / g, Den: den / g}, true
}
