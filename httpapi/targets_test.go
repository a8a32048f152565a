package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"ecowatch/registry"
	"ecowatch/store"
	"ecowatch/store/storetest"
	"ecowatch/targets/cnemc"
)

func init() {
	all := []string{"province", "city", "enforcement", "enterprise", "client", "admin"}
	for k, v := range map[string][]string{
		"GET /targets":                 all,
		"POST /targets":                {"province", "admin"},
		"GET /targets/history":         all,
		"GET /targets/progress":        all,
		"GET /targets/rankings":        all,
		"GET /targets/bulletins/air":   all,
		"GET /targets/bulletins/water": all,
		"GET /targets/reports":         all,
		"POST /targets/reports":        {"province", "admin"},
		"GET /targets/reports/{id}":    all,
		"GET /targets/items":           all,
		"POST /targets/items":          {"province", "admin"},
		"GET /public/targets":          append([]string{"public"}, all...),
	} {
		access[k] = v
	}
	featureRequests = append(featureRequests, targetsRequest)
}

func targetsRequest(t *testing.T, f *fixture, key string) (method, path, body string, ok bool) {
	method, path, _ = strings.Cut(key, " ")
	switch key {
	case "POST /targets":
		body = `{"region_code":"430100","year":2020,"indicator":"pm25_annual_mean","name":"PM2.5","value":40,"unit":"µg/m³","comparison":"at_most","note":"test"}`
	case "GET /targets/progress", "GET /public/targets":
		path += "?year=2020&as_of=2020-01-31"
	case "GET /targets/rankings":
		path += "?year=2020&month=1"
	case "GET /targets/bulletins/air", "GET /targets/bulletins/water":
		path += "?month=2020-01"
	case "POST /targets/reports":
		body = `{"month":"2020-01"}`
	case "GET /targets/reports/{id}":
		reps, err := f.api.cfg.Targets.Generate(context.Background(), time.Date(2020, 1, 1, 0, 0, 0, 0, store.CST), "test")
		if err != nil {
			t.Fatal(err)
		}
		path = "/targets/reports/" + itoa(reps[0].ID)
	case "GET /targets/items":
		path += "?kind=black_odorous&year=2020"
	case "POST /targets/items":
		path += "?kind=black_odorous"
		body = "code,name,region_code,year,done\nB1,圭塘河,430100,2020,是\n"
	default:
		if !strings.HasPrefix(path, "/targets") && path != "/public/targets" {
			return "", "", "", false
		}
	}
	return method, path, body, true
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// targetsData writes a January of hourly values for the city-level point
// of storetest.City: PM2.5 at pm µg/m³ every hour.
func targetsData(t *testing.T, f *fixture, city string, pm float64) {
	t.Helper()
	ctx := context.Background()
	code := cnemc.CityPoint(city)
	if err := f.st.UpsertPoint(ctx, registry.Point{Code: code, Name: "city", Kind: registry.KindAirStation, RegionCode: city}); err != nil {
		t.Fatal(err)
	}
	var ms []store.Measurement
	for h := range 31 * 24 {
		at := time.Date(2020, 1, 1, 0, 0, 0, 0, store.CST).Add(time.Duration(h) * time.Hour)
		for _, fv := range []struct {
			code string
			v    float64
		}{{"a34004", pm}, {"a34002", pm * 1.4}, {"a21026", 10}, {"a21004", 20}, {"a05024", 60}, {"a21005", 0.8}} {
			ms = append(ms, store.Measurement{Point: code, Factor: fv.code, Kind: store.Hour, Time: at, Values: store.Values{}.With(store.Avg, fv.v)})
		}
	}
	if err := f.st.WriteMeasurements(ctx, ms); err != nil {
		t.Fatal(err)
	}
}

func TestTargetsProgressScopeAndStatus(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.st.UpsertTarget(ctx, registry.Target{RegionCode: storetest.Province, Year: 2020, Indicator: "pm25_annual_mean", Name: "PM2.5", Value: 42, Unit: "µg/m³", Comparison: registry.AtMost}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.UpsertTarget(ctx, registry.Target{RegionCode: storetest.Province, Year: 2020, Indicator: "good_day_ratio", Name: "优良率", Value: 83, Unit: "%", Comparison: registry.AtLeast}); err != nil {
		t.Fatal(err)
	}
	targetsData(t, f, storetest.City, 30)
	targetsData(t, f, otherCity, 90) // every day over 75: no good day
	var rep struct {
		Province struct {
			Items []struct {
				Target struct{ Indicator string }
				Figure struct{ Value *string }
				Status string
			}
		}
		Cities        []struct{ Region string }
		HoldsBack     map[string]string `json:"holds_back"`
		Contributions map[string][]struct{ Region string }
	}
	res, body := f.do(t, f.creds["province"], "GET", "/targets/progress?year=2020&as_of=2020-01-31", "")
	if res.StatusCode != 200 || json.Unmarshal([]byte(body), &rep) != nil {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	// (30 + 90)/2 = 60 µg/m³; good days (100 + 0)/2 = 50 %.
	got := map[string]string{}
	for _, it := range rep.Province.Items {
		if it.Figure.Value != nil {
			got[it.Target.Indicator] = *it.Figure.Value + " " + it.Status
		}
	}
	if got["pm25_annual_mean"] != "60 at_risk" || got["good_day_ratio"] != "50.0 at_risk" {
		t.Errorf("province %v", got)
	}
	if rep.HoldsBack["good_day_ratio"] != otherCity || len(rep.Cities) != 2 {
		t.Errorf("holds back %v, cities %v", rep.HoldsBack, rep.Cities)
	}
	// The city officer of 430100 sees the province and its own city only.
	res, body = f.do(t, f.creds["city"], "GET", "/targets/progress?year=2020&as_of=2020-01-31", "")
	rep.Cities, rep.HoldsBack, rep.Contributions = nil, nil, nil
	if res.StatusCode != 200 || json.Unmarshal([]byte(body), &rep) != nil {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	if len(rep.Cities) != 1 || rep.Cities[0].Region != storetest.City || rep.HoldsBack["good_day_ratio"] != "" || len(rep.Contributions["good_day_ratio"]) != 1 {
		t.Errorf("city scope: %s", body)
	}
	// Public: values and status, no contributions.
	res, body = f.do(t, cred{}, "GET", "/public/targets?year=2020&as_of=2020-01-31", "")
	if res.StatusCode != 200 || strings.Contains(body, "contributions") || !strings.Contains(body, `"status":"at_risk"`) {
		t.Errorf("public: %d %s", res.StatusCode, body)
	}
	// Rankings: the clean city first.
	res, body = f.do(t, f.creds["city"], "GET", "/targets/rankings?year=2020&month=1&by=good_ratio", "")
	if res.StatusCode != 200 || strings.Index(body, `"region":"`+storetest.City) > strings.Index(body, `"region":"`+otherCity) {
		t.Errorf("rankings: %d %s", res.StatusCode, body)
	}
	for _, bad := range []string{"/targets/rankings?by=nonsense", "/targets/rankings?period=week", "/targets/progress?year=1800", "/targets/bulletins/air?month=2020-13", "/targets/items?kind=x"} {
		if res, body := f.do(t, f.creds["province"], "GET", bad, ""); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s", bad, res.StatusCode, body)
		}
	}
	// The city-level points are averages, not stations.
	if res, body := f.do(t, f.creds["province"], "GET", "/air/stations", ""); res.StatusCode != 200 || strings.Contains(body, "city-") {
		t.Errorf("stations list the city-level points: %s", body)
	}
	// XLSX download of the bulletin.
	res, body = f.do(t, f.creds["province"], "GET", "/targets/bulletins/air?month=2020-01&format=xlsx", "")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/vnd.openxmlformats") || !strings.HasPrefix(body, "PK") {
		t.Errorf("xlsx: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

func TestTargetsEditAndItems(t *testing.T) {
	f := newFixture(t)
	res, body := f.do(t, f.creds["province"], "POST", "/targets", `{"region_code":"430100","year":2020,"indicator":"good_day_ratio","value":85,"comparison":"at_least","note":"市目标"}`)
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	res, body = f.do(t, f.creds["province"], "POST", "/targets", `{"region_code":"430100","year":2020,"indicator":"good_day_ratio","value":85,"comparison":"equal"}`)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "comparison") {
		t.Errorf("bad comparison: %d %s", res.StatusCode, body)
	}
	res, body = f.do(t, f.creds["city"], "GET", "/targets/history?year=2020", "")
	if res.StatusCode != 200 || !strings.Contains(body, "市目标") {
		t.Errorf("history: %d %s", res.StatusCode, body)
	}
	res, body = f.do(t, f.creds["province"], "POST", "/targets/items?kind=black_odorous", "code,name,region_code,year,done\nB1,圭塘河,430100,2020,是\nB2,株洲某渠,"+otherCity+",2020,maybe\n")
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "line 3") {
		t.Errorf("bad registry file: %d %s", res.StatusCode, body)
	}
	res, body = f.do(t, f.creds["province"], "POST", "/targets/items?kind=black_odorous", "code,name,region_code,year,done\nB1,圭塘河,430100,2020,是\nB2,株洲某渠,"+otherCity+",2020,否\n")
	if res.StatusCode != 200 {
		t.Fatalf("registry file: %d %s", res.StatusCode, body)
	}
	res, body = f.do(t, f.creds["city"], "GET", "/targets/items?kind=black_odorous&year=2020", "")
	if res.StatusCode != 200 || !strings.Contains(body, "圭塘河") || strings.Contains(body, "株洲某渠") {
		t.Errorf("city's items: %d %s", res.StatusCode, body)
	}
}

func TestTargetsUploadIsText(t *testing.T) {
	f := newFixture(t)
	res, body := f.do(t, f.creds["admin"], "POST", "/targets/items?kind=black_odorous", "PK\x03\x04\x00\x00binary")
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "not UTF-8 CSV") {
		t.Errorf("binary upload: %d %s", res.StatusCode, body)
	}
}

func TestTargetsWaterRanking(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i, nh3 := range []float64{0.3, 1.2} { // Class II and IV
		code := "ws-test-" + itoa(int64(i))
		region := []string{storetest.City, otherCity}[i]
		if err := f.st.UpsertPoint(ctx, registry.Point{Code: code, Name: "断面" + itoa(int64(i)), Kind: registry.KindWaterStation, RegionCode: region, TargetClass: 3}); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2020, 1, 10, 8, 0, 0, 0, store.CST)
		if err := f.st.WriteMeasurements(ctx, []store.Measurement{
			{Point: code, Factor: "w21003", Kind: store.Hour, Time: at, Values: store.Values{}.With(store.Avg, nh3)},
			{Point: code, Factor: "w01009", Kind: store.Hour, Time: at, Values: store.Values{}.With(store.Avg, 8)},
		}); err != nil {
			t.Fatal(err)
		}
	}
	res, body := f.do(t, f.creds["province"], "GET", "/targets/rankings?subject=water&year=2020&month=1", "")
	var got struct {
		Cities []struct {
			Region string
			Rank   int
			Ratio  string
		}
		Sections []struct {
			Rank  int
			Class string
		}
	}
	if res.StatusCode != 200 || json.Unmarshal([]byte(body), &got) != nil || len(got.Cities) != 2 || got.Cities[0].Region != storetest.City || got.Cities[0].Ratio != "100.0" || got.Cities[1].Rank != 2 || got.Sections[0].Class != "II" {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	if res, _ := f.do(t, f.creds["province"], "GET", "/targets/rankings?subject=soil", ""); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("subject soil: %d", res.StatusCode)
	}
}
