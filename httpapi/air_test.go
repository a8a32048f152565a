package httpapi

import (
	"context"
	"encoding/json"
	"testing"
	"time"

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
