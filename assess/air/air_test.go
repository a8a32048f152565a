package air

import (
	"math/big"
	"testing"
	"time"

	"ecowatch/assess/aqi"
	"ecowatch/assess/decimal"
)

func fullHours(v Value) Hours {
	var h Hours
	for p := range 6 {
		for k := range HoursPerDay {
			h[p][k] = v
		}
	}
	return h
}

// GB 3095 Table 4: a 24-hour mean needs ≥ 20 hourly means.
func TestDailyValidityEdge(t *testing.T) {
	h := fullHours(1000) // 10 µg/m³
	for k := 0; k < 4; k++ {
		h[aqi.SO2][k] = Missing // 20 hours left: valid
	}
	for k := 0; k < 5; k++ {
		h[aqi.NO2][k] = Missing // 19 hours left: invalid
	}
	d := StationDay(&h, DefaultMDA8Limit)
	if !d.Valid[DaySO2] || d.Values[DaySO2].Cmp(Ratio{1000, 1}) != 0 {
		t.Fatalf("20 hours must be valid: %+v", d.Values[DaySO2])
	}
	if d.Valid[DayNO2] {
		t.Fatal("19 hours must be invalid")
	}
}

// The daily mean is exact: 20 hours of 10 and 4 missing, plus one 11,
// give 201/20 = 10.05, which GB/T 8170 rounds to 10 (not half-up 11).
func TestDailyMeanExact(t *testing.T) {
	h := fullHours(1000)
	for k := 0; k < 4; k++ {
		h[aqi.PM25][k] = Missing
	}
	h[aqi.PM25][10] = 2000 // sum = 19×10 + 20 = 210 over 20 hours = 10.5 → 10 (even)
	d := StationDay(&h, DefaultMDA8Limit)
	if got := d.Values[DayPM25].Report(aqi.PM25).String(); got != "10" {
		t.Fatalf("10.5 reported as %s, want 10 (GB/T 8170 half-even)", got)
	}
	h[aqi.PM25][11] = 1100 // 10.55 → 11
	d = StationDay(&h, DefaultMDA8Limit)
	if got := d.Values[DayPM25].Report(aqi.PM25).String(); got != "11" {
		t.Fatalf("10.55 reported as %s, want 11", got)
	}
}

// MDA8 (HJ 663-2013 §4.1): 17 windows ending 08:00 … 24:00, ≥ 6 hours per
// window, ≥ 14 valid windows, or fewer if the maximum exceeds the limit.
func TestMDA8(t *testing.T) {
	h := fullHours(5000)
	// A peak of 8 hours at 12:00–20:00 of 100 µg/m³: the window covering
	// exactly those hours has mean 100.
	for k := 12; k < 20; k++ {
		h[aqi.O3][k] = 10000
	}
	d := StationDay(&h, DefaultMDA8Limit)
	if !d.Valid[DayO3MDA8] || d.Values[DayO3MDA8].Cmp(Ratio{10000, 1}) != 0 {
		t.Fatalf("MDA8 = %v", d.Values[DayO3MDA8])
	}
	if d.Values[DayO3Max1h].Cmp(Ratio{10000, 1}) != 0 {
		t.Fatalf("max 1h = %v", d.Values[DayO3Max1h])
	}
	// Hours 0..7 form the first window only. Missing hours 0–2 leave 5
	// hours: window 1 invalid, 16 valid windows remain (≥ 14).
	h2 := fullHours(5000)
	for k := 0; k < 3; k++ {
		h2[aqi.O3][k] = Missing
	}
	if d := StationDay(&h2, DefaultMDA8Limit); !d.Valid[DayO3MDA8] {
		t.Fatal("16 valid windows must give a valid MDA8")
	}
	// Missing hours 16..23: windows ending at 18..24 have ≤ 6 valid hours?
	// Window ending at e covers hours e-8..e-1; with hours ≥ 16 missing,
	// it has 16-(e-8) valid hours, ≥ 6 for e ≤ 18. So windows ending
	// 8..18 are valid: 11 < 14 → invalid unless the maximum exceeds 160.
	h3 := fullHours(5000)
	for k := 16; k < 24; k++ {
		h3[aqi.O3][k] = Missing
	}
	if d := StationDay(&h3, DefaultMDA8Limit); d.Valid[DayO3MDA8] {
		t.Fatal("11 valid windows and no exceedance must be invalid")
	}
	for k := 0; k < 16; k++ {
		h3[aqi.O3][k] = 17000
	}
	if d := StationDay(&h3, DefaultMDA8Limit); !d.Valid[DayO3MDA8] || d.Values[DayO3MDA8].Report(aqi.O3).String() != "170" {
		t.Fatal("an exceedance stands with 11 windows")
	}
	// A window with 6 valid hours averages over 6, not 8.
	h4 := fullHours(Missing)
	for k := 0; k < 6; k++ {
		h4[aqi.O3][k] = 1200 * Value(k+1) // 12, 24, …, 72: mean 42
	}
	r, ok := mda8(&h4[aqi.O3], 0)
	if !ok || r.Cmp(Ratio{4200, 1}) != 0 {
		t.Fatalf("6-hour window: %v %v", r, ok)
	}
}

func TestHourFromMinutes(t *testing.T) {
	m := make([]Value, 60)
	for i := range m {
		m[i] = Value(i)
		if i < 16 {
			m[i] = Missing
		}
	}
	if _, ok := HourFromMinutes(m); ok {
		t.Fatal("44 minutes must be invalid")
	}
	m[15] = 15
	if r, ok := HourFromMinutes(m); !ok || r.Cmp(Ratio{(15 + 59) * 45 / 2, 45}) != 0 {
		t.Fatalf("45 minutes: %v %v", r, ok)
	}
}

// City = mean of assessment stations; background stations are left out.
func TestCityOf(t *testing.T) {
	mk := func(code string, bg bool, v Value) StationDaily {
		h := fullHours(v)
		return StationDaily{Code: code, Background: bg, Daily: StationDay(&h, DefaultMDA8Limit)}
	}
	day := time.Date(2020, 1, 1, 0, 0, 0, 0, aqi.UTC8())
	c, err := CityOf(day, []StationDaily{mk("a", false, 1000), mk("b", false, 2100), mk("bg", true, 100000)})
	if err != nil {
		t.Fatal(err)
	}
	// (10 + 21)/2 = 15.5 → 16 (half-even: 15.5 → 16); the background 1000 is ignored.
	if got := c.Values[DayPM10].Report(aqi.PM10).String(); got != "16" || c.Stations[DayPM10] != 2 {
		t.Fatalf("city PM10 %s from %d stations", got, c.Stations[DayPM10])
	}
	// With at least 3 valid stations required, two give no city value.
	if c, _ := CityOfAtLeast(day, []StationDaily{mk("a", false, 1000), mk("b", false, 2100), mk("bg", true, 100000)}, 3); c.Valid[DayPM10] {
		t.Fatal("2 stations must not satisfy a minimum of 3 (the background station does not count)")
	}
	// Means of different denominators stay exact: 10/3 and 20/7 → (70+60)/42.
	m, ok := meanOf([]Ratio{{10, 3}, {20, 7}})
	if !ok || m.Cmp(Ratio{130, 42}) != 0 {
		t.Fatalf("meanOf = %v", m)
	}
}

// Percentile worked example, HJ 663-2013 formula (2): values 1..10,
// P90: k = 1 + 9×0.9 = 9.1 → 9 + 0.1×(10−9) = 9.1. P98: k = 9.82 → 9.82.
// P95 of 1..365 (n−1 = 364, ×0.95 = 345.8): 346 + 0.8 = 346.8.
func TestPercentile(t *testing.T) {
	xs := make([]Ratio, 10)
	for i := range xs {
		xs[9-i] = Ratio{int64(i + 1), 1}
	}
	cases := map[int]string{90: "91/10", 98: "491/50", 100: "10", 0: "1", 50: "11/2"}
	for p, want := range cases {
		got, err := Percentile(xs, p)
		if err != nil || got.RatString() != want {
			t.Errorf("P%d = %v, %v; want %s", p, got, err, want)
		}
	}
	ys := make([]Ratio, 365)
	for i := range ys {
		ys[i] = Ratio{int64(365 - i), 1}
	}
	if got, _ := Percentile(ys, 95); got.RatString() != "1734/5" {
		t.Fatalf("P95 of 1..365 = %s, want 346.8", got.FloatString(2))
	}
	if _, err := Percentile(nil, 95); err == nil {
		t.Fatal("empty percentile accepted")
	}
	if _, err := Percentile(xs, 101); err == nil {
		t.Fatal("P101 accepted")
	}
}

func cityDay(date time.Time, so2, no2, pm10, co, o3, pm25 string) CityDay {
	c := CityDay{Date: date}
	for p, s := range []string{so2, no2, pm10, co, o3, pm25} {
		pol := aqi.Pollutant(p)
		v, err := ValueOf(pol, decimal.MustParse(s))
		if err != nil {
			panic(err)
		}
		c.Values[p], c.Valid[p] = Ratio{int64(v), 1}, true
	}
	return c
}

// Comprehensive index worked example (ranking rule, reference §2.5):
// SO2 10/60 + NO2 30/40 + PM10 60/70 + CO 1.2/4 + O3 150/160 + PM2.5 40/35
// = 0.1667 + 0.75 + 0.8571 + 0.3 + 0.9375 + 1.1429 = 4.1542 → 4.15, primary PM2.5.
func TestSummariseIndexAndAttainment(t *testing.T) {
	var days []CityDay
	start := time.Date(2019, 1, 1, 0, 0, 0, 0, aqi.UTC8())
	for d := 0; d < 365; d++ {
		days = append(days, cityDay(start.AddDate(0, 0, d), "10", "30", "60", "1.2", "150", "40"))
	}
	s, err := Summarise(days, Options{Annual: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Index.String() != "4.15" || len(s.IndexPrimary) != 1 || s.IndexPrimary[0] != aqi.PM25 {
		t.Fatalf("index %s primary %v", s.Index, s.IndexPrimary)
	}
	// PM2.5 40 > 35 (GB 3095-2012 Grade II annual): not attained; SO2 attains.
	if s.Attains || s.Pollutants[aqi.PM25].Attains || !s.Pollutants[aqi.SO2].Attains {
		t.Fatalf("attainment: city %v PM2.5 %v SO2 %v", s.Attains, s.Pollutants[aqi.PM25].Attains, s.Pollutants[aqi.SO2].Attains)
	}
	// Daily AQI each day: PM2.5 40 → 50+50×5/40 = 56.25 → 57 (HJ 633-2012 ceiling); good day.
	if s.ValidDays != 365 || s.GoodDays != 365 || s.GoodRatio.String() != "100.0" || s.Rules != "HJ633-2012" || s.Limits != "GB3095-2012" {
		t.Fatalf("days %d good %d ratio %s rules %s %s", s.ValidDays, s.GoodDays, s.GoodRatio, s.Rules, s.Limits)
	}
	// The same year under GB 3095-2026 transitional limits (PM2.5 annual 30)
	// and with weights PM2.5 ×3, NO2 ×2, O3 ×2: 0.1667 + 1.5 + 0.8571 + 0.3 + 1.875 + 3.4286 = 8.1274 → 8.13.
	var cfg IndexConfig
	cfg.Weights[aqi.PM25], cfg.Weights[aqi.NO2], cfg.Weights[aqi.O3] = 3, 2, 2
	s, _ = Summarise(days, Options{Annual: true, Limits: GB3095_2026Transitional, Index: cfg})
	if s.Index.String() != "8.13" || s.Limits != "GB3095-2026-transitional" {
		t.Fatalf("weighted index %s (%s)", s.Index, s.Limits)
	}
}

// Annual validity (GB 3095 Table 4) and good/heavy days on the edges.
func TestSummariseValidityAndDays(t *testing.T) {
	var days []CityDay
	start := time.Date(2019, 1, 1, 0, 0, 0, 0, aqi.UTC8())
	for d := 0; d < 365; d++ {
		date := start.AddDate(0, 0, d)
		if date.Month() == time.February && date.Day() > 25 {
			continue // February keeps 25 days: still valid
		}
		pm := "75" // AQI exactly 100 (2012): good
		switch {
		case d < 10:
			pm = "151" // 150 < C ≤ 250: 200 + … > 200: heavy
		case d < 20:
			pm = "150" // AQI 200: not heavy
		}
		days = append(days, cityDay(date, "5", "20", "40", "0.5", "80", pm))
	}
	s, err := Summarise(days, Options{Annual: true})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Pollutants[aqi.PM25].AnnualValid || len(days) != 362 {
		t.Fatalf("362 days with February at 25 must be valid: %v", s.Pollutants[aqi.PM25].Notes)
	}
	if s.HeavyDays != 10 || s.GoodDays != 342 || s.GoodRatio.String() != "94.5" {
		t.Fatalf("heavy %d good %d ratio %s", s.HeavyDays, s.GoodDays, s.GoodRatio) // 342/362 = 94.475… → 94.5
	}
	// Dust deduction: flag the 10 heavy days; their PM is left out, so
	// their AQI comes from the rest and they become good days.
	for i := 0; i < 10; i++ {
		days[i].Dust = true
	}
	s2, _ := Summarise(days, Options{Annual: true, DeductDust: true})
	if s2.HeavyDays != 0 || s2.GoodDays != 352 || s2.Pollutants[aqi.PM25].ValidDays != 352 {
		t.Fatalf("dust-deducted heavy %d good %d PM2.5 days %d", s2.HeavyDays, s2.GoodDays, s2.Pollutants[aqi.PM25].ValidDays)
	}
	// Drop one more February day: 24 < 25, annual statistics invalid.
	var short []CityDay
	for _, d := range days {
		if !(d.Date.Month() == time.February && d.Date.Day() == 25) {
			short = append(short, d)
		}
	}
	if s3, _ := Summarise(short, Options{Annual: true}); s3.Pollutants[aqi.SO2].AnnualValid || s3.Attains {
		t.Fatal("February with 24 days must make the year invalid")
	}
	if _, err := Summarise(append(days, days[0]), Options{}); err == nil {
		t.Fatal("a day given twice must be an error")
	}
	if _, err := Summarise(nil, Options{}); err == nil {
		t.Fatal("no days must be an error")
	}
	if _, err := Summarise(days, Options{Grade: 3}); err == nil {
		t.Fatal("grade 3 must be an error")
	}
}

func TestLimits(t *testing.T) {
	if LimitsFor(time.Date(2026, 2, 28, 12, 0, 0, 0, aqi.UTC8())) != GB3095_2012 ||
		LimitsFor(time.Date(2026, 3, 1, 0, 0, 0, 0, aqi.UTC8())) != GB3095_2026Transitional ||
		LimitsFor(time.Date(2031, 1, 1, 0, 0, 0, 0, aqi.UTC8())) != GB3095_2026Final {
		t.Fatal("limit set dates")
	}
	// GB 3095-2026 Table 1 final: PM2.5 annual Grade II 25.
	if l, ok := GB3095_2026Final.Limit(aqi.PM25, Annual, 2); !ok || l.String() != "25" {
		t.Fatalf("final PM2.5 annual II = %v", l)
	}
	if _, ok := GB3095_2012.Limit(aqi.CO, Annual, 2); ok {
		t.Fatal("CO has no annual limit")
	}
	if _, err := LimitsByName("x"); err == nil {
		t.Fatal("unknown name accepted")
	}
}

func TestValueOf(t *testing.T) {
	if _, err := ValueOf(aqi.PM25, decimal.MustParse("1.234")); err == nil {
		t.Fatal("3 decimals of µg/m³ accepted")
	}
	if v, err := ValueOf(aqi.CO, decimal.MustParse("0.725")); err != nil || v != 725 {
		t.Fatalf("CO 0.725 = %v %v", v, err)
	}
	if _, err := ValueOf(aqi.SO2, decimal.MustParse("-1")); err == nil {
		t.Fatal("negative accepted")
	}
	if v, err := ParseValue(aqi.SO2, "NA"); err != nil || v != Missing {
		t.Fatal("NA must be missing")
	}
	r := Ratio{1, 3}
	if r.Rat(aqi.CO).Cmp(big.NewRat(1, 3000)) != 0 {
		t.Fatal("Rat scale")
	}
}

func FuzzParseValue(f *testing.F) {
	for _, s := range []string{"12", "0.725", "NA", "", "-1", "1e5", "99999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range aqi.Pollutants {
			v, err := ParseValue(p, s)
			if err != nil || v == Missing {
				continue
			}
			if v < 0 {
				t.Fatalf("negative value %d from %q", v, s)
			}
			if v.Decimal(p).Cmp(decimal.MustParse(s)) != 0 {
				t.Fatalf("%q → %v changes the value", s, v.Decimal(p))
			}
		}
	})
}

// Period cuts by calendar day in UTC+8: 2020-01-31 16:00 UTC is already
// 2020-02-01 in Beijing and belongs to February.
func TestPeriod(t *testing.T) {
	var days []CityDay
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, aqi.UTC8())
	for d := 0; d < 366; d++ {
		days = append(days, cityDay(start.AddDate(0, 0, d), "5", "20", "40", "0.5", "80", "30"))
	}
	feb := Period(days, time.Date(2020, 1, 31, 16, 0, 0, 0, time.UTC), time.Date(2020, 2, 29, 0, 0, 0, 0, aqi.UTC8()))
	if len(feb) != 29 || feb[0].Date.Day() != 1 || feb[0].Date.Month() != time.February {
		t.Fatalf("February 2020: %d days from %v", len(feb), feb[0].Date)
	}
	ytd := Period(days, start, time.Date(2020, 6, 30, 0, 0, 0, 0, aqi.UTC8()))
	if len(ytd) != 182 {
		t.Fatalf("year to date: %d days", len(ytd))
	}
	s, err := Summarise(feb, Options{})
	if err != nil || s.Days != 29 || s.Pollutants[aqi.PM25].Mean.String() != "30" {
		t.Fatalf("February summary: %+v %v", s.Pollutants[aqi.PM25], err)
	}
}
