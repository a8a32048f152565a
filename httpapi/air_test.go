package httpapi

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"ecowatch/registry"
	"ecowatch/store"
	"ecowatch/store/storetest"
)

// TestCityAQI writes 24 hours of one station and reads the city's latest
// AQI. Expected from HJ 633 Table 1: PM2.5 115 µg/m³ is IAQI 150 in both
// editions (a breakpoint of the 24-hour column in 2012 and 2026; 2026
// looks the 1-hour value up in it, 2012 the 24-hour moving mean, equal
// here); SO2 10, NO2 20, PM10 50, CO 0.5 and O3 100 all have IAQI ≤ 50,
// so the AQI is 150, level 3 (轻度污染, orange 255,126,0) and PM2.5 is the
// primary pollutant.
func TestCityAQI(t *testing.T) { testCityAQI(t, newFixture(t)) }

func testCityAQI(t *testing.T, f *fixture) {
	ctx := context.Background()
	now := time.Now().In(store.CST).Truncate(time.Hour)
	vals := map[string]float64{"a34004": 115, "a21026": 10, "a21004": 20, "a34002": 50, "a21005": 0.5, "a05024": 100}
	var ms []store.Measurement
	for h := 1; h <= 24; h++ {
		for code, v := range vals {
			ms = append(ms, store.Measurement{Point: storetest.Station, Factor: code, Kind: store.Hour, Time: now.Add(-time.Duration(h) * time.Hour),
				Values: store.Values{}.With(store.Avg, v), Received: now})
		}
	}
	if err := f.st.WriteMeasurements(ctx, ms); err != nil {
		t.Fatal(err)
	}
	_, body := f.do(t, cred{}, "GET", "/air/cities/latest", "")
	var l ListView[CityAQIView]
	if err := json.Unmarshal([]byte(body), &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 1 {
		t.Fatalf("cities: %s", body)
	}
	c := l.Items[0]
	if c.Region != storetest.City || c.AQI == nil || *c.AQI != 150 || c.Level != 3 || c.Color != "#ff7e00" ||
		len(c.Primary) != 1 || c.Primary[0] != "PM2.5" || c.Values["PM2.5"] != "115" || !c.Time.Equal(now.Add(-time.Hour)) {
		t.Errorf("city AQI: %s", body)
	}
	_, body = f.do(t, f.creds["city"], "GET", "/air/stations/"+storetest.Station+"/series?kind=hour", "")
	var s ListView[SeriesAQIView]
	json.Unmarshal([]byte(body), &s)
	if s.Total != 24 || s.Items[23].AQI == nil || *s.Items[23].AQI != 150 {
		t.Errorf("station hourly series: total %d: %.300s", s.Total, body)
	}
}

// TestCitySeries reads a city's hourly and daily AQI around the switch
// from HJ 633-2012 to HJ 633-2026 (1 March 2026), from two urban stations
// (PM2.5 80 and 110 µg/m³, one of them in a county of the city) and one
// background station (PM2.5 500) that the city mean must leave out
// (HJ 663-2013 §4.2). The city PM2.5 is then 95 every hour. Expected
// values by hand from HJ 633 Table 1 (PM2.5 24-hour column, ceiling):
//   - 2012 column 75→100, 115→150: 100 + 50×(95−75)/40 = 125;
//   - 2026 column 60→100, 115→150: 100 + 50×(95−60)/55 = 131.8 → 132;
//
// both level 3 (轻度污染, #ff7e00, Table 2). The other pollutants stay
// at or below IAQI 50 (SO2 10, NO2 20, PM10 50, CO 0.5, O3 100: O3 8h
// 100 is exactly 50), so PM2.5 is the primary pollutant. Hours before
// 2026-03-01 00:00 take the 2012 rules (hourly PM2.5 from the 24-hour
// moving mean, 95) and later hours the 2026 rules (the 1-hour value, 95).
func TestCitySeries(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, p := range []registry.Point{
		{Code: "1338A", Name: "县城站", Kind: registry.KindAirStation, RegionCode: storetest.County, Level: registry.National, InCityAverage: true},
		{Code: "1339A", Name: "对照点", Kind: registry.KindAirStation, RegionCode: storetest.City, Level: registry.National, Background: true},
	} {
		if err := f.st.UpsertPoint(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	pm := map[string]float64{storetest.Station: 80, "1338A": 110, "1339A": 500}
	other := map[string]float64{"a21026": 10, "a21004": 20, "a34002": 50, "a21005": 0.5, "a05024": 100}
	start := time.Date(2026, 2, 27, 0, 0, 0, 0, store.CST)
	var ms []store.Measurement
	for h := 0; h < 72; h++ {
		tm := start.Add(time.Duration(h) * time.Hour)
		for st, v := range pm {
			ms = append(ms, store.Measurement{Point: st, Factor: "a34004", Kind: store.Hour, Time: tm, Values: store.Values{}.With(store.Avg, v), Received: tm})
			for code, v := range other {
				ms = append(ms, store.Measurement{Point: st, Factor: code, Kind: store.Hour, Time: tm, Values: store.Values{}.With(store.Avg, v), Received: tm})
			}
		}
	}
	if err := f.st.WriteMeasurements(ctx, ms); err != nil {
		t.Fatal(err)
	}
	check := func(query string, times []time.Time, aqis []int) {
		t.Helper()
		res, body := f.do(t, cred{}, "GET", "/air/cities/"+storetest.City+"/series?"+query, "")
		var l ListView[SeriesAQIView]
		if err := json.Unmarshal([]byte(body), &l); err != nil || res.StatusCode != 200 {
			t.Fatalf("%s: %d %.300s", query, res.StatusCode, body)
		}
		if len(l.Items) != len(aqis) {
			t.Fatalf("%s: %d items, want %d: %.500s", query, len(l.Items), len(aqis), body)
		}
		for i, it := range l.Items {
			if !it.Time.Equal(times[i]) || it.AQI == nil || *it.AQI != aqis[i] || it.Level != 3 || it.Category != "轻度污染" ||
				it.Color != "#ff7e00" || len(it.Primary) != 1 || it.Primary[0] != "PM2.5" {
				t.Errorf("%s: item %d: %+v, want time %s AQI %d level 3 PM2.5", query, i, it, times[i], aqis[i])
			}
		}
	}
	mar1 := time.Date(2026, 3, 1, 0, 0, 0, 0, store.CST)
	check("kind=hour&from="+url.QueryEscape("2026-02-28T23:00:00+08:00")+"&to="+url.QueryEscape("2026-03-01T01:00:00+08:00"),
		[]time.Time{mar1.Add(-time.Hour), mar1}, []int{125, 132})
	check("kind=day&from=2026-02-28&to=2026-03-02", []time.Time{mar1.AddDate(0, 0, -1), mar1}, []int{125, 132})

	// The hourly value shown is the city mean, rounded as the hourly
	// report publishes it: (80+110)/2 = 95.
	_, body := f.do(t, cred{}, "GET", "/air/cities/"+storetest.City+"/series?kind=hour&from=2026-03-01&to="+url.QueryEscape("2026-03-01T01:00:00+08:00"), "")
	if !strings.Contains(body, `"PM2.5":"95"`) || !strings.Contains(body, `"CO":"0.5"`) {
		t.Errorf("hourly values: %.400s", body)
	}
	for _, bad := range []struct {
		path   string
		status int
	}{{"/air/cities/439900/series", 404}, {"/air/cities/" + storetest.County + "/series", 404},
		{"/air/cities/" + storetest.City + "/series?kind=week", 422}, {"/air/cities/" + storetest.City + "/series?from=yesterday", 422},
		{"/air/cities/" + storetest.City + "/series?kind=hour&from=2026-01-01&to=2026-03-01", 422}} {
		if res, body := f.do(t, cred{}, "GET", bad.path, ""); res.StatusCode != bad.status {
			t.Errorf("%s: %d, want %d: %s", bad.path, res.StatusCode, bad.status, body)
		}
	}
}
