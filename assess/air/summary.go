package air

import (
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"ecowatch/assess/aqi"
	"ecowatch/assess/decimal"
)

// Percentile returns the p-th percentile of the ratios by the HJ 663-2013
// method (§5.3, formula (2)): sort ascending X(1) ≤ … ≤ X(n), k = 1 +
// (n−1)·p/100, s = ⌊k⌋, m = X(s) + (X(s+1) − X(s))·(k − s), with
// m = X(n) when s = n. This is Hyndman–Fan type 7 (Excel PERCENTILE.INC).
// The result is exact, in scaled units. xs is sorted in place.
func Percentile(xs []Ratio, p int) (*big.Rat, error) {
	if len(xs) == 0 {
		return nil, fmt.Errorf("air: percentile of no values")
	}
	if p < 0 || p > 100 {
		return nil, fmt.Errorf("air: percentile %d outside 0..100", p)
	}
	slices.SortFunc(xs, Ratio.Cmp)
	n := int64(len(xs))
	// k − 1 = (n−1)·p/100 = whole + frac/100
	whole := (n - 1) * int64(p) / 100
	frac := (n - 1) * int64(p) % 100
	lo := big.NewRat(xs[whole].Num, xs[whole].Den)
	if frac == 0 || whole+1 >= n {
		return lo, nil
	}
	hi := big.NewRat(xs[whole+1].Num, xs[whole+1].Den)
	d := new(big.Rat).Sub(hi, lo)
	d.Mul(d, big.NewRat(frac, 100))
	return d.Add(d, lo), nil
}

// PercentileOf is the percentile HJ 663-2013 Table 3 evaluates for a
// pollutant's annual (or period) assessment: 98 for SO2 and NO2, 95 for
// PM10, PM2.5 and CO, 90 for O3 MDA8.
func PercentileOf(p aqi.Pollutant) int {
	switch p {
	case aqi.SO2, aqi.NO2:
		return 98
	case aqi.O3:
		return 90
	}
	return 95
}

// IndexConfig configures the comprehensive index. The zero value is the
// ranking rule of 环办监测〔2018〕19号: all weights 1; S_i the Grade II
// annual limits of GB 3095-2012 for SO2, NO2, PM10, PM2.5 (60, 40, 70,
// 35), the 24-hour CO limit 4 and the MDA8 O3 limit 160. The weights and
// S_i are settable because a 2026 ranking rule is said to weight PM2.5 ×3,
// NO2 ×2, O3 ×2 (reference §2.5, unverified).
type IndexConfig struct {
	Weights [6]int64           // zero entries mean 1
	S       [6]decimal.Decimal // zero entries mean the 2018 default
}

var defaultS = [6]string{aqi.SO2: "60", aqi.NO2: "40", aqi.PM10: "70", aqi.CO: "4", aqi.O3: "160", aqi.PM25: "35"}

// Options selects the rule sets and variants of Summarise.
type Options struct {
	// AQI is the rule set for every day's AQI; nil picks aqi.Default by
	// each day's date, so a period spanning 2026-03-01 mixes versions and
	// Summary.Rules lists both.
	AQI *aqi.Rules
	// Limits is the GB 3095 limit set for attainment; nil picks the one in
	// force on the period's last day (which version assesses a period is a
	// policy decision, reference §7.1).
	Limits *Limits
	// Grade is 1 or 2 (zone class 1 or 2); 0 means 2.
	Grade int
	// Annual asks for the annual validity check of GB 3095 Table 4 (≥ 324
	// valid days, ≥ 27 in each month, ≥ 25 in February); set it when the
	// days are one calendar year.
	Annual bool
	// DeductDust leaves out the PM10 and PM2.5 values of days flagged Dust
	// (环办监测〔2016〕120号), in the means, percentiles and the day's AQI.
	DeductDust bool
	Index      IndexConfig
}

// PollutantStats is one pollutant's period statistics. Reported values
// are rounded per GB/T 8170 (integer µg/m³, CO 1 decimal mg/m³).
type PollutantStats struct {
	Pollutant aqi.Pollutant
	ValidDays int
	// Mean is the mean of the valid daily values (MDA8 for O3). GB 3095
	// sets annual limits only for SO2, NO2, PM10 and PM2.5.
	Mean decimal.Decimal
	// P is the HJ 663 percentile (98, 95 or 90) and PValue its value over
	// the daily values.
	P      int
	PValue decimal.Decimal
	// Evaluated is the concentration the comprehensive index uses: Mean
	// for SO2, NO2, PM10 and PM2.5, PValue for CO and O3.
	Evaluated decimal.Decimal
	// Attains says every evaluation item meets the limits of the grade:
	// the mean against the annual limit where one exists and the
	// percentile against the 24-hour (MDA8) limit (HJ 663-2013 §5.4).
	Attains bool
	// AnnualValid is the GB 3095 Table 4 annual validity; always true
	// when Options.Annual is false.
	AnnualValid bool
	Notes       []string
	// SubIndex is w_i·C_i/S_i of the comprehensive index, 2 decimals.
	SubIndex decimal.Decimal
	subExact *big.Rat
}

// Summary is the assessment of one city over one period.
type Summary struct {
	From, To   time.Time // first and last day given
	Days       int
	Rules      string // AQI rule set name(s) used
	Limits     string
	Grade      int
	DustDeduct bool
	Pollutants [6]PollutantStats
	// Attains is city attainment: all six pollutants attain (HJ 663-2013
	// §5.4); false if any pollutant has no valid data.
	Attains bool
	// AQI days: ValidDays have an AQI; GoodDays AQI ≤ 100; HeavyDays
	// AQI > 200; LevelDays[n] counts days at level n (1..6).
	ValidDays, GoodDays, HeavyDays int
	LevelDays                      [7]int
	// GoodRatio is GoodDays/ValidDays in %, 1 decimal (GB/T 8170).
	GoodRatio decimal.Decimal
	// Index is the comprehensive index, 2 decimals; IndexPrimary the
	// pollutant(s) with the largest sub-index.
	Index        decimal.Decimal
	IndexPrimary []aqi.Pollutant
	Notes        []string
}

// Summarise computes a city's statistics over the given days (a month, a
// year to date or a year). Days need not be sorted; a date given twice
// is an error.
func Summarise(days []CityDay, opt Options) (Summary, error) {
	var s Summary
	if len(days) == 0 {
		return s, fmt.Errorf("air: no days to summarise")
	}
	grade := opt.Grade
	if grade == 0 {
		grade = 2
	}
	if grade != 1 && grade != 2 {
		return s, fmt.Errorf("air: grade %d, want 1 or 2", grade)
	}
	s.Grade, s.DustDeduct, s.Days = grade, opt.DeductDust, len(days)
	seen := make(map[string]bool, len(days))
	s.From, s.To = days[0].Date, days[0].Date
	for i := range days {
		key := days[i].Date.In(aqi.UTC8()).Format(time.DateOnly)
		if seen[key] {
			return s, fmt.Errorf("air: day %s given twice", key)
		}
		seen[key] = true
		if days[i].Date.Before(s.From) {
			s.From = days[i].Date
		}
		if days[i].Date.After(s.To) {
			s.To = days[i].Date
		}
	}
	lim := opt.Limits
	if lim == nil {
		lim = LimitsFor(s.To)
	}
	s.Limits = lim.Name

	// Day AQI, good and heavy days.
	var used []string
	for i := range days {
		r := opt.AQI
		if r == nil {
			r = aqi.Default(days[i].Date)
		}
		if !slices.Contains(used, r.Name) {
			used = append(used, r.Name)
		}
		res := DayAQI(&days[i], r, opt.DeductDust)
		if !res.Available {
			continue
		}
		s.ValidDays++
		s.LevelDays[res.Level.Number]++
		if res.AQI <= 100 {
			s.GoodDays++
		}
		if res.AQI > 200 {
			s.HeavyDays++
		}
	}
	s.Rules = strings.Join(used, "+")
	if s.ValidDays > 0 {
		s.GoodRatio, _ = decimal.RoundRat(big.NewRat(int64(s.GoodDays)*100, int64(s.ValidDays)), 1, decimal.HalfEven)
	} else {
		s.Notes = append(s.Notes, "no day has a valid AQI: good-day ratio not available")
	}

	// Pollutant statistics.
	s.Attains = true
	buf := make([]Ratio, 0, len(days))
	var monthDays [13]int
	total := new(big.Rat)
	for _, p := range aqi.Pollutants {
		ps := &s.Pollutants[p]
		ps.Pollutant, ps.P, ps.AnnualValid = p, PercentileOf(p), true
		buf = buf[:0]
		monthDays = [13]int{}
		for i := range days {
			d := &days[i]
			if !d.Valid[p] || (opt.DeductDust && d.Dust && (p == aqi.PM10 || p == aqi.PM25)) {
				continue
			}
			buf = append(buf, d.Values[p])
			monthDays[d.Date.In(aqi.UTC8()).Month()]++
		}
		ps.ValidDays = len(buf)
		if len(buf) == 0 {
			ps.Notes = append(ps.Notes, "no valid daily value")
			s.Attains = false
			continue
		}
		// Mean of fractions: Σ num_i/den_i over a big common denominator.
		mean := new(big.Rat)
		for _, r := range buf {
			mean.Add(mean, big.NewRat(r.Num, r.Den))
		}
		mean.Quo(mean, big.NewRat(int64(len(buf))*decimal.Pow10(Scale(p)), 1))
		ps.Mean, _ = decimal.RoundRat(mean, p.Places(), decimal.HalfEven)
		pv, err := Percentile(buf, ps.P)
		if err != nil {
			return s, err
		}
		pv.Quo(pv, big.NewRat(decimal.Pow10(Scale(p)), 1))
		ps.PValue, _ = decimal.RoundRat(pv, p.Places(), decimal.HalfEven)

		if opt.Annual {
			// GB 3095 Table 4: ≥ 324 valid days, ≥ 27 in each month, ≥ 25 in February.
			var why []string
			if len(buf) < MinAnnualDays {
				why = append(why, fmt.Sprintf("%d valid days < %d", len(buf), MinAnnualDays))
			}
			var short []string
			for m := time.January; m <= time.December; m++ {
				need := MinMonthDays
				if m == time.February {
					need = MinFebruaryDays
				}
				if monthDays[m] < need {
					short = append(short, fmt.Sprintf("%s %d", m.String()[:3], monthDays[m]))
				}
			}
			if len(short) > 0 {
				why = append(why, "months under 27 valid days (February 25): "+strings.Join(short, ", "))
			}
			if len(why) > 0 {
				ps.AnnualValid = false
				ps.Notes = append(ps.Notes, "annual statistics invalid (GB 3095 Table 4): "+strings.Join(why, "; "))
			}
		}

		// Attainment: reported values against the grade's limits.
		ps.Attains = ps.AnnualValid
		if l, ok := lim.Limit(p, Annual, grade); ok && ps.Mean.Cmp(l) > 0 {
			ps.Attains = false
		}
		if l, ok := lim.Limit(p, Day, grade); ok && ps.PValue.Cmp(l) > 0 {
			ps.Attains = false
		}
		if !ps.Attains {
			s.Attains = false
		}

		// Comprehensive index sub-index.
		ps.Evaluated = ps.Mean
		if p == aqi.CO || p == aqi.O3 {
			ps.Evaluated = ps.PValue
		}
		w := opt.Index.Weights[p]
		if w == 0 {
			w = 1
		}
		si := opt.Index.S[p]
		if si.Sign() == 0 {
			si = decimal.MustParse(defaultS[p])
		}
		sub := new(big.Rat).Quo(ps.Evaluated.Rat(), si.Rat())
		sub.Mul(sub, big.NewRat(w, 1))
		ps.subExact = sub
		ps.SubIndex, _ = decimal.RoundRat(sub, 2, decimal.HalfEven)
		total.Add(total, sub)
	}
	s.Index, _ = decimal.RoundRat(total, 2, decimal.HalfEven)
	var best *big.Rat
	for _, p := range aqi.Pollutants {
		e := s.Pollutants[p].subExact
		if e == nil {
			continue
		}
		switch {
		case best == nil || e.Cmp(best) > 0:
			best = e
			s.IndexPrimary = []aqi.Pollutant{p}
		case e.Cmp(best) == 0:
			s.IndexPrimary = append(s.IndexPrimary, p)
		}
	}
	return s, nil
}

// Period returns the days whose date (Beijing time) lies in [from, to],
// both inclusive by calendar day: a month, a year to date or a year for
// Summarise. days is not modified.
func Period(days []CityDay, from, to time.Time) []CityDay {
	f := from.In(aqi.UTC8()).Format(time.DateOnly)
	t := to.In(aqi.UTC8()).Format(time.DateOnly)
	var out []CityDay
	for _, d := range days {
		k := d.Date.In(aqi.UTC8()).Format(time.DateOnly)
		if k >= f && k <= t {
			out = append(out, d)
		}
	}
	return out
}
