package targets

import (
	"testing"
	"time"

	"ecowatch/assess/air"
	"ecowatch/assess/aqi"
	"ecowatch/assess/decimal"
	"ecowatch/registry"
)

// day builds a city day whose AQI is driven by PM2.5 (given in hundredths
// of µg/m³); the other pollutants stay low.
func day(t time.Time, pm25x100 int64) air.CityDay {
	var d air.CityDay
	d.Date = t
	set := func(p aqi.Pollutant, num int64) {
		d.Values[p] = air.Ratio{Num: num, Den: 1}
		d.Valid[p] = true
	}
	set(aqi.SO2, 1000)
	set(aqi.NO2, 2000)
	set(aqi.PM10, pm25x100*14/10)
	set(aqi.CO, 800) // 0.8 mg/m³ at scale 3
	set(aqi.O3, 8000)
	set(aqi.PM25, pm25x100)
	return d
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, aqi.UTC8()) }

// years fills [from, to] with pm(t) per day.
func fill(c *CityAir, from, to time.Time, pm func(time.Time) int64) {
	for t := from; !t.After(to); t = t.AddDate(0, 0, 1) {
		c.Days = append(c.Days, day(t, pm(t)))
	}
}

func target(ind string, v float64, cmp registry.Comparison) registry.Target {
	return registry.Target{RegionCode: "430000", Year: 2020, Indicator: ind, Value: v, Comparison: cmp}
}

func TestPM25RoundingAtTheEdge(t *testing.T) {
	tg := target(PM25AnnualMean, 42, registry.AtMost)
	for _, tc := range []struct {
		pm   int64
		want string
		st   Status
	}{
		{4250, "42", Met},    // 42.5 → 42 (GB/T 8170: an exact half rounds to even)
		{4350, "44", Missed}, // 43.5 → 44
		{4249, "42", Met},
		{4251, "43", Missed},
	} {
		c := CityAir{Code: "430100", Name: "长沙"}
		fill(&c, date(2020, 1, 1), date(2020, 12, 31), func(time.Time) int64 { return tc.pm })
		rep, err := Air([]CityAir{c}, 2020, date(2021, 1, 5), 3)
		if err != nil {
			t.Fatal(err)
		}
		f := rep.Province.PM25
		if !f.Final || f.Value == nil || f.Value.String() != tc.want {
			t.Fatalf("pm %d: figure %+v, want final %s", tc.pm, f, tc.want)
		}
		if got := Evaluate(tg, f).Status; got != tc.st {
			t.Errorf("pm %d: status %s, want %s", tc.pm, got, tc.st)
		}
	}
}

// synthetic: reference years 2018 and 2019 at 40 µg/m³ in the first half
// and h18/h19 in the second; 2020 so far (to 30 June) at 36, i.e. 0.9 of
// the reference years' same days.
func synthetic(h18, h19 int64) CityAir {
	c := CityAir{Code: "430100", Name: "长沙"}
	for _, y := range []struct {
		year int
		h    int64
	}{{2018, h18}, {2019, h19}} {
		fill(&c, date(y.year, 1, 1), date(y.year, 12, 31), func(t time.Time) int64 {
			if t.Month() <= 6 {
				return 4000
			}
			return y.h
		})
	}
	fill(&c, date(2020, 1, 1), date(2020, 6, 30), func(time.Time) int64 { return 3600 })
	return c
}

func TestProjectionMethodAndStatus(t *testing.T) {
	c := synthetic(6000, 6000)
	rep, err := Air([]CityAir{c}, 2020, date(2020, 6, 30), 3)
	if err != nil {
		t.Fatal(err)
	}
	p := rep.Cities[0].PM25.Projection
	if p == nil {
		t.Fatal("no projection")
	}
	// (36 × 182 + 60 × 0.9 × 184) / 366 = 45.05 → 45 for both years.
	if p.Central.String() != "45" || p.Low.String() != "45" || p.High.String() != "45" || len(p.Years) != 2 || p.Method == "" {
		t.Fatalf("projection %+v", p)
	}
	if got := Evaluate(target(PM25AnnualMean, 42, registry.AtMost), rep.Province.PM25).Status; got != Missed {
		t.Errorf("status %s, want missed (even the best case is 45)", got)
	}
	if rep.Province.PM25.Value.String() != "36" || rep.Province.PM25.LastYear.String() != "40" {
		t.Errorf("ytd %v last %v", rep.Province.PM25.Value, rep.Province.PM25.LastYear)
	}

	// Second halves 40 and 50: projections 36 and (36×182+45×184)/366 = 40.5 → 41;
	// central (36.0 + 40.52)/2 = 38.26 → 38.
	c = synthetic(4000, 5000)
	rep, err = Air([]CityAir{c}, 2020, date(2020, 6, 30), 3)
	if err != nil {
		t.Fatal(err)
	}
	p = rep.Province.PM25.Projection
	if p.Central.String() != "38" || p.Low.String() != "36" || p.High.String() != "41" {
		t.Fatalf("projection %+v", p)
	}
	for _, tc := range []struct {
		v  float64
		st Status
	}{{42, OnTrack}, {40, AtRisk}, {35, Missed}} {
		if got := Evaluate(target(PM25AnnualMean, tc.v, registry.AtMost), rep.Province.PM25).Status; got != tc.st {
			t.Errorf("target %v: %s, want %s", tc.v, got, tc.st)
		}
	}
	// Good days: all days ≤ 75 µg/m³ are good (AQI ≤ 100).
	g := rep.Province.Good
	if g.Value.String() != "100.0" || g.Projection == nil || g.Projection.Central.String() != "100.0" {
		t.Errorf("good %+v %+v", g, g.Projection)
	}
	if got := Evaluate(target(GoodDayRatio, 83, registry.AtLeast), g).Status; got != OnTrack {
		t.Errorf("good status %s", got)
	}
	// With only one reference year allowed the range collapses to 2019.
	rep, _ = Air([]CityAir{c}, 2020, date(2020, 6, 30), 1)
	if p := rep.Province.PM25.Projection; p.Low.String() != "41" || p.High.String() != "41" || len(p.Years) != 1 || p.Years[0] != 2019 {
		t.Errorf("one year: %+v", p)
	}
}

func TestHeavyDaysCumulativeMissed(t *testing.T) {
	c := CityAir{Code: "430100", Name: "长沙"}
	fill(&c, date(2020, 1, 1), date(2020, 3, 31), func(t time.Time) int64 {
		if t.Day() <= 16 { // 16 days a month over 150 µg/m³: 48 heavy days
			return 20000
		}
		return 3000
	})
	rep, err := Air([]CityAir{c}, 2020, date(2020, 3, 31), 3)
	if err != nil {
		t.Fatal(err)
	}
	h := rep.Province.Heavy
	if h.Value.String() != "48" || h.Projection != nil {
		t.Fatalf("heavy %+v", h)
	}
	if got := Evaluate(target(HeavyDaysTotal, 45, registry.AtMost), h).Status; got != Missed {
		t.Errorf("48 heavy days by March: %s, want missed", got)
	}
	if got := Evaluate(target(HeavyDaysTotal, 60, registry.AtMost), h).Status; got != OnTrack {
		t.Errorf("48 of 60 without projection: %s, want on_track", got)
	}
	if got := Evaluate(target(GoodDayRatio, 83, registry.AtLeast), rep.Province.Good).Status; got != AtRisk {
		t.Errorf("good ratio 47.3 without projection: %s, want at_risk", got)
	}
	if rep.Province.Good.Projection != nil || len(rep.Cities[0].Good.Notes) == 0 {
		t.Errorf("no reference year should leave a note, not a projection")
	}
}

func TestProvinceMeansAndContributions(t *testing.T) {
	a := CityAir{Code: "430100", Name: "长沙"}
	b := CityAir{Code: "430200", Name: "株洲"}
	fill(&a, date(2020, 1, 1), date(2020, 1, 31), func(time.Time) int64 { return 3000 })
	fill(&b, date(2020, 1, 1), date(2020, 1, 31), func(t time.Time) int64 {
		if t.Day()%2 == 0 { // 15 days at 100 µg/m³ (not good)
			return 10000
		}
		return 3000
	})
	rep, err := Air([]CityAir{a, b}, 2020, date(2020, 1, 31), 3)
	if err != nil {
		t.Fatal(err)
	}
	// b: 16 of 31 good = 51.6 %; province (100.0 + 51.6)/2 = 75.8.
	if rep.Province.Good.Value.String() != "75.8" {
		t.Fatalf("province good %v", rep.Province.Good.Value)
	}
	cs := rep.Contributions(GoodDayRatio)
	if len(cs) != 2 || cs[0].Region != "430200" || !cs[0].HoldsBack || cs[0].Effect != -12.1 || cs[1].HoldsBack {
		t.Fatalf("contributions %+v", cs)
	}
	// PM2.5: a 30, b (16×30 + 15×100)/31 = 63.87 → 64; province 47.
	if rep.Province.PM25.Value.String() != "47" {
		t.Fatalf("province pm25 %v", rep.Province.PM25.Value)
	}
	cs = rep.Contributions(PM25AnnualMean)
	if cs[0].Region != "430200" || cs[0].Effect != 8.5 || !cs[0].HoldsBack {
		t.Errorf("pm25 contributions %+v", cs)
	}
	if rep.Contributions("nonsense") != nil {
		t.Error("unknown indicator should have no contributions")
	}
}

func TestRankingOrderAndTies(t *testing.T) {
	d := func(s string) *decimal.Decimal { v := decimal.MustParse(s); return &v }
	rows := []CityRow{
		{Region: "430300", Index: d("4.10"), GoodRatio: d("90.0"), IndexChange: d("-3.0")},
		{Region: "430100", Index: d("4.10"), GoodRatio: d("80.0"), IndexChange: d("-10.0")},
		{Region: "430200", Index: d("3.90"), GoodRatio: d("90.0"), IndexChange: d("2.5")},
		{Region: "430400"},
		{Region: "430500", Index: d("5.00"), GoodRatio: d("95.5"), IndexChange: d("-3.0")},
	}
	order := func(rs []CityRow) (s string) {
		for _, r := range rs {
			s += r.Region[2:4] + ":" + string(rune('0'+r.Rank)) + " "
		}
		return
	}
	for _, tc := range []struct {
		by   RankBy
		want string
	}{
		{ByIndex, "02:1 01:2 03:2 05:4 04:0 "},
		{ByGoodRatio, "05:1 02:2 03:2 01:4 04:0 "},
		{ByIndexChange, "01:1 03:2 05:2 02:4 04:0 "},
	} {
		if got := order(Rank(rows, tc.by)); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.by, got, tc.want)
		}
	}
	if _, ok := ParseRankBy("bogus"); ok {
		t.Error("bogus ranking key accepted")
	}
}

func TestRowsBulletin(t *testing.T) {
	a := CityAir{Code: "430100", Name: "长沙"}
	b := CityAir{Code: "430200", Name: "株洲"}
	for _, y := range []int{2019, 2020} {
		fill(&a, date(y, 1, 1), date(y, 1, 31), func(time.Time) int64 { return 3500 })
		fill(&b, date(y, 1, 1), date(y, 1, 31), func(time.Time) int64 { return 3500 })
	}
	// a's January 2019 was dirtier: 70 µg/m³.
	for i := range a.Days {
		if a.Days[i].Date.Year() == 2019 {
			a.Days[i] = day(a.Days[i].Date, 7000)
		}
	}
	rows, err := Rows([]CityAir{a, b}, Month(2020, time.January))
	if err != nil {
		t.Fatal(err)
	}
	if rows[0].IndexRank != 1 || rows[1].IndexRank != 1 || rows[0].Index.Cmp(*rows[1].Index) != 0 {
		t.Fatalf("equal cities should tie: %+v", rows)
	}
	var ra CityRow
	for _, r := range rows {
		if r.Region == "430100" {
			ra = r
		}
	}
	if ra.PM25 != "35" || ra.IndexChange == nil || ra.IndexChange.Sign() >= 0 || ra.GoodDays != 31 || ra.Primary[0] != "PM2.5" {
		t.Errorf("row %+v", ra)
	}
}

func TestRatio(t *testing.T) {
	if r, err := Ratio(140, 150); err != nil || r.String() != "93.3" {
		t.Errorf("140/150: %v %v", r, err)
	}
	if _, err := Ratio(1, 0); err == nil {
		t.Error("no items: want an error")
	}
	if _, err := Ratio(3, 2); err == nil {
		t.Error("part > total: want an error")
	}
	f := RegistryFigure(SurfaceWaterGood, Province, decimal.MustParse("93.3"), true, "sections")
	if Evaluate(target(SurfaceWaterGood, 93.3, registry.AtLeast), f).Status != Met {
		t.Error("93.3 ≥ 93.3 should be met")
	}
	if Evaluate(target(SurfaceWaterGood, 93.3, registry.AtLeast), Figure{}).Status != NoData {
		t.Error("no value: want no_data")
	}
}
