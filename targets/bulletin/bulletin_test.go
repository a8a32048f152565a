package bulletin

import (
	"bytes"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"ecowatch/assess/air"
	"ecowatch/assess/aqi"
	"ecowatch/assess/water"
	"ecowatch/targets"
)

func day(t time.Time, pm25 int64) air.CityDay {
	var d air.CityDay
	d.Date = t
	for p, v := range map[aqi.Pollutant]int64{aqi.SO2: 1000, aqi.NO2: 2000, aqi.PM10: pm25 * 14 / 10, aqi.CO: 800, aqi.O3: 8000, aqi.PM25: pm25} {
		d.Values[p], d.Valid[p] = air.Ratio{Num: v, Den: 1}, true
	}
	return d
}

func city(code, name string, pm2019, pm2020 func(int) int64) targets.CityAir {
	c := targets.CityAir{Code: code, Name: name}
	for d := 1; d <= 31; d++ {
		c.Days = append(c.Days, day(time.Date(2019, 1, d, 0, 0, 0, 0, aqi.UTC8()), pm2019(d)))
		c.Days = append(c.Days, day(time.Date(2020, 1, d, 0, 0, 0, 0, aqi.UTC8()), pm2020(d)))
	}
	return c
}

func fixed(v int64) func(int) int64 { return func(int) int64 { return v } }

// The golden cells. Changsha and Zhuzhou: every day SO2 10, NO2 20, PM10
// 49, CO 0.8, O3 MDA8 80, PM2.5 35 → index 10/60 + 20/40 + 49/70 + 0.8/4 +
// 80/160 + 35/35 = 3.0667 → 3.07, tied at rank 1; Changsha's January 2019
// (PM2.5 70, PM10 98) had index 1/6 + 0.5 + 1.4 + 0.2 + 0.5 + 2 = 4.77:
// change (3.07 − 4.77)/4.77 = −35.6 %. Xiangtan has 10 days at 160 µg/m³
// (AQI > 200) and PM10 224: PM10 (10×224 + 21×49)/31 = 105.5 → 105,
// PM2.5 75.3 → 75, index on the reported means 1/6 + 0.5 + 105/70 + 0.2 +
// 0.5 + 75/35 = 5.0095 → 5.01; heavy days 10, good 21 of 31 = 67.7 %.
// The province: means of the cities (PM10 (49+49+105)/3 = 67.7 → 68).
var golden = [][]string{
	{"湖南省2020年1月城市环境空气质量状况"},
	{"Ambient air quality of the cities, January 2020"},
	AirHeader,
	{"1", "长沙市", "10", "20", "49", "0.8", "80", "35", "3.07", "-35.6", "100", "0", "PM2.5"},
	{"1", "株洲市", "10", "20", "49", "0.8", "80", "35", "3.07", "0", "100", "0", "PM2.5"},
	{"3", "湘潭市", "10", "20", "105", "0.8", "80", "75", "5.01", "", "67.7", "10", "PM2.5"},
	{"", "湖南省", "10", "20", "68", "0.8", "80", "48", "", "", "89.2", "10"},
}

func TestAirBulletinGoldenXLSX(t *testing.T) {
	cities := []targets.CityAir{
		city("430300", "湘潭市", fixed(3500), func(d int) int64 {
			if d <= 10 {
				return 16000
			}
			return 3500
		}),
		city("430200", "株洲市", fixed(3500), fixed(3500)),
		city("430100", "长沙市", fixed(7000), fixed(3500)),
	}
	// Xiangtan's 2019 lacks PM2.5: no change on last year.
	for i := range cities[0].Days {
		if cities[0].Days[i].Date.Year() == 2019 {
			cities[0].Days[i].Valid[aqi.PM25] = false
		}
	}
	month, _ := ParseMonth("2020-01")
	b, err := AirMonthly(cities, month, "湖南省")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteAirXLSX(&buf, b); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for r, want := range golden {
		for c, w := range want {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			got, err := f.GetCellValue("空气质量月报", cell, excelize.Options{RawCellValue: true})
			if err != nil || got != w {
				t.Errorf("%s: %q, want %q (%v)", cell, got, w, err)
			}
		}
	}
	if _, err := ParseMonth("2020-13"); err == nil {
		t.Error("month 13 accepted")
	}
}

func TestWaterMonthly(t *testing.T) {
	s := func(nh3 string) water.Sample {
		var x water.Sample
		p, _ := water.ParseItem("氨氮")
		d, _ := water.ParseItem("溶解氧")
		x.SetRat(p, ratOf(nh3))
		x.SetRat(d, ratOf("8"))
		return x
	}
	r := WaterMonthly([]SectionData{
		{Point: "a", Name: "樟树港", Region: "430600", TargetClass: 2, Samples: []water.Sample{s("0.4"), s("0.8")}}, // mean 0.6 → III, target II
		{Point: "b", Name: "昭山", Region: "430300", TargetClass: 3, Samples: []water.Sample{s("0.1")}},            // I
		{Point: "c", Name: "空", Region: "430300"},
	}, time.Date(2020, 11, 1, 0, 0, 0, 0, aqi.UTC8()), "湖南省")
	if len(r.Sections) != 2 || r.GoodRatio == nil || r.GoodRatio.String() != "100.0" {
		t.Fatalf("%+v", r)
	}
	if r.Sections[1].Class != "III" || r.Sections[1].Meets || r.Sections[0].Class != "I" || !r.Sections[0].Meets {
		t.Errorf("sections %+v", r.Sections)
	}
	var buf bytes.Buffer
	if err := WriteWaterXLSX(&buf, r); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("地表水月报")
	if len(rows) != 5 || strings.Join(rows[3], ",") != "樟树港,430600,2,III,良好,II,否" {
		t.Errorf("rows %q", rows)
	}
}

func ratOf(s string) *big.Rat { r, _ := new(big.Rat).SetString(s); return r }

func TestWaterRankings(t *testing.T) {
	w := Water{Sections: []Section{
		{Name: "a", Region: "430102", Class: "II"}, {Name: "b", Region: "430100", Class: "IV"},
		{Name: "c", Region: "430202", Class: "III"}, {Name: "d", Region: "430300", Class: "劣V"},
		{Name: "e", Region: "430302", Class: "I"}, {Name: "f", Region: "430400", Class: "II"}, {Name: "g", Region: "430400", Class: "III"},
	}}
	cs := WaterCities(w, map[string]string{"430100": "长沙市"})
	got := ""
	for _, c := range cs {
		got += fmt.Sprintf("%s:%d:%s ", c.Region, c.Rank, c.Ratio)
	}
	// 430200 and 430400 at 100 % share rank 1; 430100 and 430300 at 50 % share 3.
	if got != "430200:1:100.0 430400:1:100.0 430100:3:50.0 430300:3:50.0 " || cs[2].Name != "长沙市" || cs[3].WorseV != 1 {
		t.Errorf("cities %s", got)
	}
	secs, ranks := RankSections(w.Sections)
	if secs[0].Name != "e" || ranks[1] != 2 || ranks[2] != 2 || secs[len(secs)-1].Class != "劣V" || ranks[len(ranks)-1] != 7 {
		t.Errorf("sections %v %v", secs, ranks)
	}
}
