package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"ecowatch/registry"
	"ecowatch/store/storetest"
	"ecowatch/targets/cnemc"
)

// opendataTargetsPath is the public targets route as the public field
// test calls it: January 2020, which opendataTargetsSeed fills.
const opendataTargetsPath = "/public/targets?year=2020&as_of=2020-01-31"

// opendataTargetsSeed sets targets of the province and of storetest.City
// for 2020 and a January of city-level air data: storetest.City clean
// (PM2.5 30), otherCity dirty (90) and labelled simulated, as the demo's
// derived cities are.
func opendataTargetsSeed(t *testing.T, f *fixture) {
	t.Helper()
	ctx := context.Background()
	for _, tg := range []registry.Target{
		{RegionCode: storetest.Province, Year: 2020, Indicator: "pm25_annual_mean", Name: "PM2.5 年均浓度", Value: 42, Unit: "µg/m³", Comparison: registry.AtMost, Source: "省厅内部文件"},
		{RegionCode: storetest.Province, Year: 2020, Indicator: "good_day_ratio", Name: "优良天数比例", Value: 83, Unit: "%", Comparison: registry.AtLeast},
		{RegionCode: storetest.City, Year: 2020, Indicator: "pm25_annual_mean", Name: "PM2.5 年均浓度", Value: 35, Unit: "µg/m³", Comparison: registry.AtMost},
	} {
		if err := f.st.UpsertTarget(ctx, tg); err != nil {
			t.Fatal(err)
		}
	}
	targetsData(t, f, storetest.City, 30)
	targetsData(t, f, otherCity, 90)
	if err := f.st.UpsertPoint(ctx, registry.Point{Code: cnemc.CityPoint(otherCity), Name: "株洲市 " + cnemc.SimulatedLabel,
		Kind: registry.KindAirStation, RegionCode: otherCity}); err != nil {
		t.Fatal(err)
	}
}

// TestOpendataTargetsPublic: the public targets answer the province's and
// each city's figures and status with English names, say which cities are
// simulated, leave out what the internal view has (contributions, who
// holds the province back, the target's source), and are rate-limited and
// revalidated like the open data routes.
func TestOpendataTargetsPublic(t *testing.T) { testOpendataTargetsPublic(t, newFixture(t)) }

func testOpendataTargetsPublic(t *testing.T, f *fixture) {
	opendataTargetsSeed(t, f)
	res, body := f.do(t, cred{}, "GET", opendataTargetsPath, "")
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	var got struct {
		Year     int    `json:"year"`
		AsOf     string `json:"as_of"`
		Province struct {
			Region, Name string
			NameEn       string              `json:"name_en"`
			Items        []TargetsPublicItem `json:"items"`
		} `json:"province"`
		Cities []struct {
			Region string              `json:"region"`
			NameEn string              `json:"name_en"`
			Items  []TargetsPublicItem `json:"items"`
		} `json:"cities"`
		Simulated []string `json:"simulated"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Year != 2020 || got.AsOf != "2020-01-31" || got.Province.Region != storetest.Province || got.Province.NameEn != "Hunan" {
		t.Errorf("header: %+v", got)
	}
	status := map[string]string{}
	for _, it := range got.Province.Items {
		v := "-"
		if it.Value != nil {
			v = *it.Value
		}
		status[it.Indicator] = v + " " + string(it.Status)
	}
	// The province's PM2.5 is the mean of the two cities, (30 + 90)/2 =
	// 60 > 42; the good-day ratio (100 % + 0 %)/2 = 50 % < 83.
	if status["pm25_annual_mean"] != "60 at_risk" || status["good_day_ratio"] != "50.0 at_risk" {
		t.Errorf("province %v", status)
	}
	var changsha []TargetsPublicItem
	for _, c := range got.Cities {
		if c.Region == storetest.City {
			changsha = c.Items
			if c.NameEn != "Changsha" {
				t.Errorf("city %s: name_en %q", c.Region, c.NameEn)
			}
		}
	}
	// Changsha's own PM2.5 target; the good-day ratio is the province's.
	byInd := map[string]TargetsPublicItem{}
	for _, it := range changsha {
		byInd[it.Indicator] = it
	}
	if pm := byInd["pm25_annual_mean"]; pm.Value == nil || *pm.Value != "30" || pm.Target != 35 || pm.Comparison != "at_most" || pm.Status != "on_track" {
		t.Errorf("Changsha's PM2.5: %+v", pm)
	}
	if g := byInd["good_day_ratio"]; len(changsha) != 2 || g.Target != 83 || g.Value == nil || *g.Value != "100.0" {
		t.Errorf("Changsha's items: %+v", changsha)
	}
	if len(got.Simulated) != 1 || got.Simulated[0] != otherCity {
		t.Errorf("simulated %v, want [%s]", got.Simulated, otherCity)
	}
	for _, private := range []string{"contributions", "holds_back", "省厅内部文件", "projection", "figures"} {
		if strings.Contains(body, private) {
			t.Errorf("public targets hold %q: %s", private, body)
		}
	}
	// The open data limits and validators apply.
	if res.Header.Get("X-RateLimit-Limit") == "" || res.Header.Get("Cache-Control") != opendataShort || res.Header.Get("ETag") == "" {
		t.Errorf("headers %v", res.Header)
	}
	req, _ := http.NewRequest("GET", f.srv.URL+Prefix+opendataTargetsPath, nil)
	req.Header.Set("If-None-Match", res.Header.Get("ETag"))
	res2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res2.Body.Close()
	if res2.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %d, want 304", res2.StatusCode)
	}
	if res, body := f.do(t, cred{}, "GET", "/public/targets?as_of=2020-02-30", ""); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad as_of: %d %s, want 422", res.StatusCode, body)
	}
	// The imported city-level points are city averages: not stations of
	// the open data, and not averaged again into their city's AQI (the
	// fixture's stations have no data in January 2020).
	for _, path := range []string{"/open/stations", "/open/air/now", "/open/aqi?city=" + storetest.City + "&kind=day&from=2020-01-10&to=2020-01-12"} {
		res, body := f.do(t, cred{}, "GET", path, "")
		if res.StatusCode != 200 || strings.Contains(body, cnemc.CityPoint(storetest.City)) || strings.Contains(body, `"aqi":`) && strings.HasPrefix(path, "/open/aqi") {
			t.Errorf("%s: %d %.400s", path, res.StatusCode, body)
		}
	}
	if res, body := f.do(t, cred{}, "GET", "/open/aqi?point="+cnemc.CityPoint(storetest.City)+"&kind=day&from=2020-01-10&to=2020-01-12", ""); res.StatusCode != 404 {
		t.Errorf("a city-level point as a station: %d %.300s", res.StatusCode, body)
	}
}
