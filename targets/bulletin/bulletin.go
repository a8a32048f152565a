// Package bulletin builds the monthly reports of the targets feature: the
// air-quality bulletin of the province's cities (each city's six
// pollutants, comprehensive index and its rank, change on the same month
// last year, good-day ratio, heavy-pollution days and primary pollutant,
// in the layout provincial bulletins use) and the monthly surface-water
// report; and writes them as XLSX workbooks. The print-ready page is the
// web application's (A4, Chinese fonts).
package bulletin

import (
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"time"

	"ecowatch/assess/aqi"
	"ecowatch/assess/decimal"
	"ecowatch/assess/water"
	"ecowatch/targets"
)

// Kinds of report.
const (
	KindAirMonthly   = "air-monthly"
	KindWaterMonthly = "water-monthly"
)

// ParseMonth reads YYYY-MM.
func ParseMonth(s string) (time.Time, error) {
	t, err := time.ParseInLocation("2006-01", s, aqi.UTC8())
	if err != nil {
		return t, fmt.Errorf("month %q is not YYYY-MM", s)
	}
	return t, nil
}

// Air is the monthly air-quality bulletin.
type Air struct {
	Kind    string `json:"kind"`
	Month   string `json:"month"` // YYYY-MM
	Title   string `json:"title"`
	TitleEn string `json:"title_en"`
	// Rows are the cities in comprehensive-index order (rank 1 the
	// cleanest); cities without data come last, unranked.
	Rows []targets.CityRow `json:"rows"`
	// Province is the mean of the cities (pollutants and good-day ratio)
	// and the total of heavy days.
	Province targets.CityRow `json:"province"`
	Notes    []string        `json:"notes"`
}

// AirMonthly builds the bulletin of the month from the cities' days.
func AirMonthly(cities []targets.CityAir, month time.Time, province string) (Air, error) {
	b := Air{Kind: KindAirMonthly, Month: month.Format("2006-01")}
	b.Title = fmt.Sprintf("%s%d年%d月城市环境空气质量状况", province, month.Year(), int(month.Month()))
	b.TitleEn = fmt.Sprintf("Ambient air quality of the cities, %s", month.Format("January 2006"))
	rows, err := targets.Rows(cities, targets.Month(month.Year(), month.Month()))
	if err != nil {
		return b, err
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, c := rows[i].IndexRank, rows[j].IndexRank
		if (a == 0) != (c == 0) {
			return a != 0
		}
		if a != c {
			return a < c
		}
		return rows[i].Region < rows[j].Region
	})
	b.Rows = rows
	b.Province = provinceRow(rows, province)
	b.Notes = []string{
		"Concentrations: monthly means of SO2, NO2, PM10, PM2.5 (µg/m³); CO 95th percentile of daily means (mg/m³); O3 90th percentile of daily MDA8 (µg/m³) — HJ 663-2013.",
		"Comprehensive index: Σ Ci/Si over the six pollutants (环办监测〔2018〕19号); rank 1 is the best; change on the same month last year in %.",
		"Daily AQI by the rule set in force on each day's date (HJ 633); good day: AQI ≤ 100; heavy pollution: AQI > 200.",
		"Province: mean of the cities' reported values; heavy days summed.",
	}
	return b, nil
}

func provinceRow(rows []targets.CityRow, name string) targets.CityRow {
	p := targets.CityRow{Region: targets.Province, Name: name, Primary: []string{}}
	mean := func(get func(*targets.CityRow) string, places int) string {
		sum := new(big.Rat)
		n := 0
		for i := range rows {
			s := get(&rows[i])
			if s == "" {
				continue
			}
			d, err := decimal.Parse(s)
			if err != nil {
				continue
			}
			sum.Add(sum, d.Rat())
			n++
		}
		if n == 0 {
			return ""
		}
		sum.Quo(sum, big.NewRat(int64(n), 1))
		d, _ := decimal.RoundRat(sum, places, decimal.HalfEven)
		return d.String()
	}
	p.SO2 = mean(func(r *targets.CityRow) string { return r.SO2 }, 0)
	p.NO2 = mean(func(r *targets.CityRow) string { return r.NO2 }, 0)
	p.PM10 = mean(func(r *targets.CityRow) string { return r.PM10 }, 0)
	p.CO = mean(func(r *targets.CityRow) string { return r.CO }, 1)
	p.O3 = mean(func(r *targets.CityRow) string { return r.O3 }, 0)
	p.PM25 = mean(func(r *targets.CityRow) string { return r.PM25 }, 0)
	str := func(d *decimal.Decimal) string {
		if d == nil {
			return ""
		}
		return d.String()
	}
	if g := mean(func(r *targets.CityRow) string { return str(r.GoodRatio) }, 1); g != "" {
		d := decimal.MustParse(g)
		p.GoodRatio = &d
	}
	for _, r := range rows {
		p.HeavyDays += r.HeavyDays
		p.GoodDays += r.GoodDays
		p.ValidDays += r.ValidDays
	}
	return p
}

// Section is one section's line of the water report.
type Section struct {
	Point       string   `json:"point"`
	Name        string   `json:"name"`
	Region      string   `json:"region"`
	Samples     int      `json:"samples"`
	Class       string   `json:"class"`
	Status      string   `json:"status"`
	TargetClass string   `json:"target_class"`
	Meets       bool     `json:"meets"`
	Main        []string `json:"main_pollutants"`
}

// Water is the monthly surface-water report.
type Water struct {
	Kind     string    `json:"kind"`
	Month    string    `json:"month"`
	Title    string    `json:"title"`
	Sections []Section `json:"sections"`
	// GoodRatio is the share of sections at Class I–III (%, 1 decimal).
	GoodRatio *decimal.Decimal `json:"good_ratio"`
	Counts    map[string]int   `json:"counts"`
	Notes     []string         `json:"notes"`
}

// SectionData is one section's samples of the month.
type SectionData struct {
	Point, Name, Region string
	Body                water.Body
	TargetClass         int
	Samples             []water.Sample
}

// WaterMonthly evaluates each section on the mean of its month's samples
// (环办〔2011〕22号 period evaluation).
func WaterMonthly(sections []SectionData, month time.Time, province string) Water {
	w := Water{Kind: KindWaterMonthly, Month: month.Format("2006-01"), Counts: map[string]int{}, Sections: []Section{}}
	w.Title = fmt.Sprintf("%s%d年%d月地表水水质状况", province, month.Year(), int(month.Month()))
	var classes []water.Class
	for _, s := range sections {
		if len(s.Samples) == 0 {
			continue
		}
		m := water.Mean(s.Samples)
		ev := water.Evaluate(&m, s.Body)
		sec := Section{Point: s.Point, Name: s.Name, Region: s.Region, Samples: len(s.Samples), Class: ev.Class.String(), Status: ev.Class.Status(), Main: []string{}}
		if s.TargetClass > 0 {
			sec.TargetClass = water.Class(s.TargetClass).String()
			sec.Meets = ev.Class != 0 && int(ev.Class) <= s.TargetClass
		}
		for _, e := range ev.MainPollutants {
			sec.Main = append(sec.Main, e.Item.Chinese())
		}
		classes = append(classes, ev.Class)
		w.Counts[sec.Class]++
		w.Sections = append(w.Sections, sec)
	}
	sort.Slice(w.Sections, func(i, j int) bool {
		if w.Sections[i].Region != w.Sections[j].Region {
			return w.Sections[i].Region < w.Sections[j].Region
		}
		return w.Sections[i].Name < w.Sections[j].Name
	})
	if r := water.Ratios(classes); r.Sections > 0 {
		g := r.Good
		w.GoodRatio = &g
	}
	w.Notes = []string{"Class by GB 3838-2002 single-factor evaluation of the month's mean (环办〔2011〕22号); water temperature, TN and fecal coliform are not counted.",
		"Sections: " + strconv.Itoa(len(w.Sections)) + "."}
	return w
}

// WaterCity is one city's line of the water ranking.
type WaterCity struct {
	Rank     int              `json:"rank"`
	Region   string           `json:"region"`
	Name     string           `json:"name"`
	Sections int              `json:"sections"`
	Good     int              `json:"good"`    // Class I–III
	WorseV   int              `json:"worse_v"` // 劣V
	Ratio    *decimal.Decimal `json:"ratio"`   // Class I–III share, %
}

// WaterCities groups the report's sections by city (GB/T 2260 code of the
// section's region) and ranks the cities by their Class I–III share,
// highest first; equal shares share a rank (1, 2, 2, 4).
func WaterCities(w Water, names map[string]string) []WaterCity {
	by := map[string]*WaterCity{}
	var order []string
	for _, s := range w.Sections {
		code := s.Region
		if len(code) == 6 {
			code = code[:4] + "00"
		}
		c := by[code]
		if c == nil {
			c = &WaterCity{Region: code, Name: names[code]}
			by[code] = c
			order = append(order, code)
		}
		c.Sections++
		switch s.Class {
		case "I", "II", "III":
			c.Good++
		case "劣V":
			c.WorseV++
		}
	}
	out := make([]WaterCity, 0, len(order))
	for _, code := range order {
		c := by[code]
		if r, err := targets.Ratio(c.Good, c.Sections); err == nil {
			c.Ratio = &r
		}
		out = append(out, *c)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Ratio, out[j].Ratio
		if a == nil || b == nil {
			return a != nil && b == nil
		}
		if c := a.Cmp(*b); c != 0 {
			return c > 0
		}
		return out[i].Region < out[j].Region
	})
	for i := range out {
		switch {
		case out[i].Ratio == nil:
		case i > 0 && out[i-1].Ratio != nil && out[i-1].Ratio.Cmp(*out[i].Ratio) == 0:
			out[i].Rank = out[i-1].Rank
		default:
			out[i].Rank = i + 1
		}
	}
	return out
}

// RankSections orders the sections by class, best first (Class I first,
// 劣V last), ties in region and name order, and returns their ranks
// (equal classes share a rank).
func RankSections(secs []Section) ([]Section, []int) {
	classOrder := map[string]int{"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "劣V": 6}
	out := append([]Section(nil), secs...)
	key := func(s Section) int {
		if k, ok := classOrder[s.Class]; ok {
			return k
		}
		return 7
	}
	sort.SliceStable(out, func(i, j int) bool {
		if key(out[i]) != key(out[j]) {
			return key(out[i]) < key(out[j])
		}
		if out[i].Region != out[j].Region {
			return out[i].Region < out[j].Region
		}
		return out[i].Name < out[j].Name
	})
	ranks := make([]int, len(out))
	for i := range out {
		if i > 0 && key(out[i]) == key(out[i-1]) {
			ranks[i] = ranks[i-1]
		} else {
			ranks[i] = i + 1
		}
	}
	return out, ranks
}
