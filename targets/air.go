package targets

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"sort"
	"time"

	"ecowatch/assess/air"
	"ecowatch/assess/aqi"
	"ecowatch/assess/decimal"
)

// CityAir is one city's daily values, any years, any order.
type CityAir struct {
	Code string
	Name string
	Days []air.CityDay
}

// dayFacts are what the projections need of a day.
type dayFacts struct {
	date   time.Time // midnight UTC+8
	pm25   float64
	pm25OK bool
	aqi    int
	aqiOK  bool
}

func factsOf(d *air.CityDay) dayFacts {
	f := dayFacts{date: dayStart(d.Date)}
	if d.Valid[aqi.PM25] {
		x, _ := d.Values[aqi.PM25].Rat(aqi.PM25).Float64()
		f.pm25, f.pm25OK = x, true
	}
	r := air.DayAQI(d, aqi.Default(d.Date), false)
	if r.Available {
		f.aqi, f.aqiOK = r.AQI, true
	}
	return f
}

func dayStart(t time.Time) time.Time {
	t = t.In(aqi.UTC8())
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, aqi.UTC8())
}

// Period is a span of whole days [From, To] in UTC+8, To included.
type Period struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Contains says whether t's day lies in the period.
func (p Period) Contains(t time.Time) bool {
	d := dayStart(t)
	return !d.Before(dayStart(p.From)) && !d.After(dayStart(p.To))
}

// LastYear is the same period one year earlier (29 February becomes 28).
func (p Period) LastYear() Period {
	return Period{sameDayLastYear(p.From), sameDayLastYear(p.To)}
}

func sameDayLastYear(t time.Time) time.Time {
	t = dayStart(t)
	d := t.Day()
	if t.Month() == time.February && d == 29 {
		d = 28
	}
	return time.Date(t.Year()-1, t.Month(), d, 0, 0, 0, 0, aqi.UTC8())
}

// Month is the calendar month of year y.
func Month(y int, m time.Month) Period {
	from := time.Date(y, m, 1, 0, 0, 0, 0, aqi.UTC8())
	return Period{from, from.AddDate(0, 1, -1)}
}

// Quarter is quarter q (1..4) of year y.
func Quarter(y, q int) Period {
	from := time.Date(y, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, aqi.UTC8())
	return Period{from, from.AddDate(0, 3, -1)}
}

// YearToDate is 1 January of asOf's year to asOf's day.
func YearToDate(asOf time.Time) Period {
	d := dayStart(asOf)
	return Period{time.Date(d.Year(), 1, 1, 0, 0, 0, 0, aqi.UTC8()), d}
}

// In returns the days of c in the period.
func (c *CityAir) In(p Period) []air.CityDay {
	var out []air.CityDay
	for _, d := range c.Days {
		if p.Contains(d.Date) {
			out = append(out, d)
		}
	}
	return out
}

// Summarise assesses the city over the period with the rule sets of the
// days' dates; ok is false when it has no day in the period.
func (c *CityAir) Summarise(p Period) (air.Summary, bool, error) {
	days := c.In(p)
	if len(days) == 0 {
		return air.Summary{}, false, nil
	}
	whole := p.From.Month() == time.January && p.From.Day() == 1 && p.To.Month() == time.December && p.To.Day() == 31 && p.From.Year() == p.To.Year()
	s, err := air.Summarise(days, air.Options{Annual: whole})
	if err != nil {
		return s, false, fmt.Errorf("%s: %w", c.Code, err)
	}
	return s, true, nil
}

// CityFigures are one city's air figures for a year to date.
type CityFigures struct {
	Code, Name string
	YTD        air.Summary
	LastYTD    air.Summary
	HasYTD     bool
	HasLast    bool
	PM25       Figure
	Good       Figure
	Heavy      Figure
	Attains    bool
}

// AirReport is the air part of the targets' progress for one year, as of
// one day.
type AirReport struct {
	Year     int
	AsOf     time.Time
	Period   Period
	Final    bool
	Cities   []CityFigures
	Province struct {
		PM25, Good, Heavy, Grade2 Figure
	}
}

// Method texts of the projections, shown with the result.
const (
	MethodPM25 = "Year-end PM2.5 = (year-to-date mean × valid days so far + projected mean of the remaining days × remaining days) / all days. " +
		"The remaining days are assumed like the same calendar days of each reference year, multiplied by this year's ratio of its year-to-date mean to that reference year's mean over the same days so far. " +
		"Central value: the mean over the reference years; range: their lowest and highest. The province is the mean of the cities' projections."
	MethodGood = "Year-end good-day ratio = (good days so far + projected good days of the remaining days) / all valid days. " +
		"The remaining days' ratio is that of the same calendar days of each reference year, shifted by this year's change so far in percentage points (clamped to 0–100 %). " +
		"Central value: the mean over the reference years; range: their lowest and highest. The province is the mean of the cities' projections."
	MethodHeavy = "Year-end heavy-pollution days = days so far + the heavy days of the same remaining calendar days of each reference year, scaled by this year's PM2.5 ratio to that year over the days so far (rounded). " +
		"Central value: the mean over the reference years; range: their lowest and highest. The province total is the sum of the cities'."
)

// Air computes the air figures of every city and of the province for the
// year of asOf's day... year and asOf are separate so a finished year can
// be asked for with any later asOf. refYears is how many earlier years the
// projection may use (those with data for both parts of the year).
func Air(cities []CityAir, year int, asOf time.Time, refYears int) (AirReport, error) {
	rep := AirReport{Year: year, AsOf: asOf}
	end := time.Date(year, 12, 31, 0, 0, 0, 0, aqi.UTC8())
	to := dayStart(asOf)
	if to.After(end) {
		to = end
	}
	if to.Year() < year {
		return rep, fmt.Errorf("targets: as of %s is before the year %d", to.Format(time.DateOnly), year)
	}
	rep.Period = Period{time.Date(year, 1, 1, 0, 0, 0, 0, aqi.UTC8()), to}
	rep.Final = to.Equal(end)
	last := rep.Period.LastYear()
	for i := range cities {
		c := &cities[i]
		cf := CityFigures{Code: c.Code, Name: c.Name}
		var err error
		if cf.YTD, cf.HasYTD, err = c.Summarise(rep.Period); err != nil {
			return rep, err
		}
		if cf.LastYTD, cf.HasLast, err = c.Summarise(last); err != nil {
			return rep, err
		}
		cf.PM25 = Figure{Indicator: PM25AnnualMean, Region: c.Code, Final: rep.Final, Source: "air data, HJ 663 / HJ 633 by date"}
		cf.Good = Figure{Indicator: GoodDayRatio, Region: c.Code, Final: rep.Final, Source: cf.PM25.Source}
		cf.Heavy = Figure{Indicator: HeavyDaysTotal, Region: c.Code, Final: rep.Final, Cumulative: true, Source: cf.PM25.Source}
		if cf.HasYTD {
			if ps := cf.YTD.Pollutants[aqi.PM25]; ps.ValidDays > 0 {
				cf.PM25.Value = ptr(ps.Mean)
			}
			if cf.YTD.ValidDays > 0 {
				cf.Good.Value = ptr(cf.YTD.GoodRatio)
			}
			cf.Heavy.Value = ptr(decimal.FromInt(int64(cf.YTD.HeavyDays)))
			cf.Attains = cf.YTD.Attains
		}
		if cf.HasLast {
			if ps := cf.LastYTD.Pollutants[aqi.PM25]; ps.ValidDays > 0 {
				cf.PM25.LastYear = ptr(ps.Mean)
			}
			if cf.LastYTD.ValidDays > 0 {
				cf.Good.LastYear = ptr(cf.LastYTD.GoodRatio)
			}
			cf.Heavy.LastYear = ptr(decimal.FromInt(int64(cf.LastYTD.HeavyDays)))
		}
		if !rep.Final && cf.HasYTD {
			projectCity(c, &cf, rep.Period, refYears)
		}
		rep.Cities = append(rep.Cities, cf)
	}
	provinceAir(&rep)
	return rep, nil
}

func ptr(d decimal.Decimal) *decimal.Decimal { return &d }

// partStats are the sums of a run of days.
type partStats struct {
	pm25Sum            float64
	pm25N              int
	good, valid, heavy int
}

func (s partStats) pm25() float64 { return s.pm25Sum / float64(s.pm25N) }
func (s partStats) goodRatio() float64 {
	return 100 * float64(s.good) / float64(s.valid)
}

func statsOf(fs []dayFacts, p Period) partStats {
	var s partStats
	for _, f := range fs {
		if !p.Contains(f.date) {
			continue
		}
		if f.pm25OK {
			s.pm25Sum += f.pm25
			s.pm25N++
		}
		if f.aqiOK {
			s.valid++
			if f.aqi <= 100 {
				s.good++
			}
			if f.aqi > 200 {
				s.heavy++
			}
		}
	}
	return s
}

// projectCity fills the projections of one city's figures.
func projectCity(c *CityAir, cf *CityFigures, ytd Period, refYears int) {
	fs := make([]dayFacts, len(c.Days))
	for i := range c.Days {
		fs[i] = factsOf(&c.Days[i])
	}
	now := statsOf(fs, ytd)
	if now.pm25N == 0 || now.valid == 0 {
		return
	}
	yearEnd := time.Date(ytd.From.Year(), 12, 31, 0, 0, 0, 0, aqi.UTC8())
	remaining := int(yearEnd.Sub(ytd.To).Hours()/24 + 0.5)
	var pm, good, heavy []float64
	var years []int
	for k := 1; k <= refYears; k++ {
		y := ytd.From.Year() - k
		so := Period{ytd.From.AddDate(-k, 0, 0), shiftYears(ytd.To, -k)}
		rest := Period{so.To.AddDate(0, 0, 1), time.Date(y, 12, 31, 0, 0, 0, 0, aqi.UTC8())}
		a, b := statsOf(fs, so), statsOf(fs, rest)
		if a.pm25N == 0 || b.pm25N == 0 || a.valid == 0 || b.valid == 0 || a.pm25() == 0 {
			continue
		}
		years = append(years, y)
		f := now.pm25() / a.pm25()
		n := float64(now.pm25N)
		pm = append(pm, (now.pm25()*n+b.pm25()*f*float64(remaining))/(n+float64(remaining)))
		r := math.Min(100, math.Max(0, b.goodRatio()+now.goodRatio()-a.goodRatio()))
		nv := float64(now.valid)
		good = append(good, (float64(now.good)+r/100*float64(remaining))/(nv+float64(remaining))*100)
		heavy = append(heavy, float64(now.heavy)+math.Round(float64(b.heavy)*f))
	}
	if len(years) == 0 {
		note := "no reference year with data for both parts of the year: no projection"
		cf.PM25.Notes = append(cf.PM25.Notes, note)
		cf.Good.Notes = append(cf.Good.Notes, note)
		cf.Heavy.Notes = append(cf.Heavy.Notes, note)
		return
	}
	cf.PM25.Projection = projection(pm, years, 0, MethodPM25)
	cf.Good.Projection = projection(good, years, 1, MethodGood)
	cf.Heavy.Projection = projection(heavy, years, 0, MethodHeavy)
}

func shiftYears(t time.Time, k int) time.Time {
	t = dayStart(t)
	d := t.Day()
	if t.Month() == time.February && d == 29 {
		d = 28
	}
	return time.Date(t.Year()+k, t.Month(), d, 0, 0, 0, 0, aqi.UTC8())
}

func round(x float64, places int) decimal.Decimal {
	r := new(big.Rat)
	if r.SetFloat64(x) == nil {
		return decimal.Decimal{}
	}
	d, _ := decimal.RoundRat(r, places, decimal.HalfEven)
	return d
}

func projection(xs []float64, years []int, places int, method string) *Projection {
	lo, hi, sum := xs[0], xs[0], 0.0
	for _, x := range xs {
		lo, hi, sum = math.Min(lo, x), math.Max(hi, x), sum+x
	}
	return &Projection{Central: round(sum/float64(len(xs)), places), Low: round(lo, places), High: round(hi, places),
		Years: slices.Clone(years), Method: method}
}

// meanOf is the mean of the reported city values, rounded to places: the
// province's PM2.5 and good-day ratio are the means of the 14 cities'.
func meanOf(ds []decimal.Decimal, places int) decimal.Decimal {
	sum := new(big.Rat)
	for _, d := range ds {
		sum.Add(sum, d.Rat())
	}
	sum.Quo(sum, big.NewRat(int64(len(ds)), 1))
	r, _ := decimal.RoundRat(sum, places, decimal.HalfEven)
	return r
}

func sumOf(ds []decimal.Decimal) decimal.Decimal {
	var n int64
	for _, d := range ds {
		v, _ := d.Scaled(0)
		n += v
	}
	return decimal.FromInt(n)
}

// provinceAir aggregates the cities: means for PM2.5 and the good-day
// ratio, sums for heavy days, a count of cities attaining Grade II.
func provinceAir(rep *AirReport) {
	pr := &rep.Province
	src := "mean of the cities' reported values"
	pr.PM25 = Figure{Indicator: PM25AnnualMean, Region: Province, Final: rep.Final, Source: src}
	pr.Good = Figure{Indicator: GoodDayRatio, Region: Province, Final: rep.Final, Source: src}
	pr.Heavy = Figure{Indicator: HeavyDaysTotal, Region: Province, Final: rep.Final, Cumulative: true, Source: "sum over the cities"}
	pr.Grade2 = Figure{Indicator: CitiesGrade2, Region: Province, Final: rep.Final, Source: "count of cities attaining GB 3095 Grade II (HJ 663), year to date"}
	agg := func(f *Figure, get func(*CityFigures) *Figure, places int, sum bool) {
		var now, last []decimal.Decimal
		var c, l, h []decimal.Decimal
		var years []int
		method := ""
		missing := 0
		for i := range rep.Cities {
			cf := get(&rep.Cities[i])
			if cf.Value == nil {
				missing++
				continue
			}
			now = append(now, *cf.Value)
			if cf.LastYear != nil {
				last = append(last, *cf.LastYear)
			}
			if cf.Projection != nil {
				c, l, h = append(c, cf.Projection.Central), append(l, cf.Projection.Low), append(h, cf.Projection.High)
				years, method = cf.Projection.Years, cf.Projection.Method
			}
		}
		if missing > 0 {
			f.Notes = append(f.Notes, fmt.Sprintf("%d of %d cities have no data", missing, len(rep.Cities)))
		}
		if len(now) == 0 {
			return
		}
		comb := func(ds []decimal.Decimal) decimal.Decimal {
			if sum {
				return sumOf(ds)
			}
			return meanOf(ds, places)
		}
		f.Value = ptr(comb(now))
		if len(last) == len(now) {
			f.LastYear = ptr(comb(last))
		}
		if len(c) == len(now) {
			f.Projection = &Projection{Central: comb(c), Low: comb(l), High: comb(h), Years: years, Method: method}
		}
	}
	agg(&pr.PM25, func(c *CityFigures) *Figure { return &c.PM25 }, 0, false)
	agg(&pr.Good, func(c *CityFigures) *Figure { return &c.Good }, 1, false)
	agg(&pr.Heavy, func(c *CityFigures) *Figure { return &c.Heavy }, 0, true)
	n, any := 0, false
	for _, c := range rep.Cities {
		if c.HasYTD {
			any = true
			if c.Attains {
				n++
			}
		}
	}
	if any {
		pr.Grade2.Value = ptr(decimal.FromInt(int64(n)))
	}
}

// Figures returns the air figures of a region: Province or a city code.
func (r *AirReport) Figures(region string) []Figure {
	if region == Province {
		return []Figure{r.Province.PM25, r.Province.Good, r.Province.Heavy, r.Province.Grade2}
	}
	for _, c := range r.Cities {
		if c.Code == region {
			return []Figure{c.PM25, c.Good, c.Heavy}
		}
	}
	return nil
}

// Contribution is how much one city moves the province's figure: for a
// mean, (city value − province value) / number of cities, in the
// indicator's unit; for a sum, the city's own count.
type Contribution struct {
	Region string          `json:"region"`
	Name   string          `json:"name"`
	Value  decimal.Decimal `json:"value"`
	Effect float64         `json:"effect"`
	// HoldsBack is true when the city moves the province away from the
	// target's side (worse PM2.5, lower good-day ratio, any heavy day).
	HoldsBack bool `json:"holds_back"`
}

// Contributions lists each city's contribution to the province's figure
// of the indicator, those holding the province back most first.
func (r *AirReport) Contributions(indicator string) []Contribution {
	var prov *Figure
	var get func(*CityFigures) *Figure
	lowerBetter := true
	switch indicator {
	case PM25AnnualMean:
		prov, get = &r.Province.PM25, func(c *CityFigures) *Figure { return &c.PM25 }
	case GoodDayRatio:
		prov, get, lowerBetter = &r.Province.Good, func(c *CityFigures) *Figure { return &c.Good }, false
	case HeavyDaysTotal:
		prov, get = &r.Province.Heavy, func(c *CityFigures) *Figure { return &c.Heavy }
	default:
		return nil
	}
	if prov.Value == nil {
		return nil
	}
	pv := prov.Value.Float64()
	n := 0
	for i := range r.Cities {
		if get(&r.Cities[i]).Value != nil {
			n++
		}
	}
	var out []Contribution
	for i := range r.Cities {
		c := &r.Cities[i]
		f := get(c)
		if f.Value == nil {
			continue
		}
		v := f.Value.Float64()
		e := (v - pv) / float64(n)
		if indicator == HeavyDaysTotal {
			e = v
		}
		hb := e > 0
		if !lowerBetter {
			hb = e < 0
		}
		out = append(out, Contribution{Region: c.Code, Name: c.Name, Value: *f.Value, Effect: math.Round(e*1000) / 1000, HoldsBack: hb})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if lowerBetter {
			return out[i].Effect > out[j].Effect
		}
		return out[i].Effect < out[j].Effect
	})
	return out
}
