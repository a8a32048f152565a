package httpapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"ecowatch/opendata"
	"ecowatch/registry"
	"ecowatch/store"
	"ecowatch/store/storetest"
)

func init() {
	everyone := []string{"public", "province", "city", "enforcement", "enterprise", "client", "admin"}
	for _, k := range []string{"GET /open/policy", "GET /open/air/now", "GET /open/aqi", "GET /open/stations", "GET /open/sections",
		"GET /open/assessments", "GET /open/enterprises", "GET /open/enterprises/{code}", "GET /open/measurements", "GET /open/bulk",
		"GET /open/bulk/{kind}/{year}/{file}", "POST /open/keys"} {
		access[k] = everyone
	}
	access["GET /open/keys"] = []string{"admin"}
	access["PATCH /open/keys/{id}"] = []string{"admin"}
	featureRequests = append(featureRequests, func(t *testing.T, f *fixture, key string) (string, string, string, bool) {
		switch key {
		case "GET /open/aqi":
			return "GET", "/open/aqi?point=" + storetest.Station, "", true
		case "GET /open/enterprises/{code}":
			return "GET", "/open/enterprises/" + storetest.CreditCode, "", true
		case "GET /open/bulk/{kind}/{year}/{file}":
			return "GET", "/open/bulk/hourly/2020/2020-01-01.csv.gz", "", true
		case "POST /open/keys":
			return "POST", "/open/keys", `{"name":"李研究","email":"li@example.edu.cn","purpose":"PM2.5 exposure study of Hunan cities"}`, true
		case "PATCH /open/keys/{id}":
			k, _, err := f.api.opendata.keys.Request(context.Background(), opendata.KeyRequest{Name: "王", Email: "w@example.org",
				Purpose: "a study of water quality"}, "127.0.0.1", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			return "PATCH", fmt.Sprintf("/open/keys/%d", k.ID), `{"status":"approved"}`, true
		}
		return "", "", "", false
	})
}

const (
	opendataContact = "张三联系人"
	opendataPhone   = "13912345678"
	opendataSection = "WS001"
)

// opendataSeed adds what the public routes show: a contact that must
// never appear, the station's factors, a water section, and hourly values
// of the last day at the station, the outlet (one over its limit, one
// flagged for maintenance) and the section.
func opendataSeed(t *testing.T, st storetest.AccountStore, now time.Time) {
	t.Helper()
	ctx := context.Background()
	e, err := st.Enterprise(ctx, storetest.CreditCode)
	if err != nil {
		t.Fatal(err)
	}
	e.Contact, e.ContactPhone, e.Address = opendataContact, opendataPhone, "长沙市芙蓉区某路1号"
	pt, err := st.Point(ctx, storetest.Station)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"a21026", "a21004", "a34002", "a21005", "a05024", "a34004"} {
		pt.Factors = append(pt.Factors, registry.PointFactor{Code: c, Unit: "µg/m3"})
	}
	for _, err := range []error{st.UpsertEnterprise(ctx, e), st.UpsertPoint(ctx, pt),
		st.UpsertPoint(ctx, registry.Point{Code: opendataSection, Name: "湘江猴子石", Kind: registry.KindWaterSection, RegionCode: storetest.City,
			Level: registry.National, WaterBody: "river", TargetClass: 3, Lon: 112.96, Lat: 28.1,
			Factors: []registry.PointFactor{{Code: "w21003", Unit: "mg/L"}, {Code: "w01009", Unit: "mg/L"}}}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	var ms []store.Measurement
	h0 := now.Truncate(time.Hour).Add(-6 * time.Hour)
	for i := 0; i < 6; i++ {
		at := h0.Add(time.Duration(i) * time.Hour)
		for _, c := range []struct {
			code string
			v    float64
		}{{"a21026", 8}, {"a21004", 30}, {"a34002", 70}, {"a21005", 0.8}, {"a05024", 90}, {"a34004", 48}} {
			ms = append(ms, store.Measurement{Point: storetest.Station, Factor: c.code, Kind: store.Hour, Time: at,
				Values: store.Values{Flag: "N"}.With(store.Avg, c.v)})
		}
		v := store.Values{Flag: "N"}.With(store.Avg, 20).With(store.ZsAvg, 25)
		switch i {
		case 2:
			v = store.Values{Flag: "N"}.With(store.Avg, 30).With(store.ZsAvg, 40) // over 35 converted
		case 3:
			v = store.Values{Flag: "M"}.With(store.Avg, 90).With(store.ZsAvg, 99) // maintenance: not judged
		}
		ms = append(ms, store.Measurement{Point: storetest.Outlet, Factor: "a21026", Kind: store.Hour, Time: at, Values: v},
			store.Measurement{Point: opendataSection, Factor: "w21003", Kind: store.Hour, Time: at, Values: store.Values{Flag: "N"}.With(store.Avg, 1.2)},
			store.Measurement{Point: opendataSection, Factor: "w01009", Kind: store.Hour, Time: at, Values: store.Values{Flag: "N"}.With(store.Avg, 6.5)})
	}
	if err := st.WriteMeasurements(ctx, ms); err != nil {
		t.Fatal(err)
	}
}

// opendataAllowed lists every key a public response may hold, at any
// depth, route by route. A key not listed fails the test: adding a field
// to a public response means adding it here, on purpose.
var opendataAllowed = func() map[string][]string {
	page := []string{"items", "total", "limit", "offset"}
	with := func(ls ...[]string) []string { return slices.Concat(ls...) }
	f := opendata.FieldNames
	advice := []string{"level", "effect", "effect_en", "measure", "measure_en"}
	return map[string][]string{
		"/open/policy":      {"items", "resource", "field", "public", "description"},
		"/open/stations":    with(page, f(opendata.Station)),
		"/open/sections":    with(page, f(opendata.Section)),
		"/open/enterprises": with(page, f(opendata.Enterprise)),
		"/open/enterprises/" + storetest.CreditCode: with([]string{"enterprise", "year", "outlets", "outlet", "factors",
			"factor", "name", "name_en", "unit", "limit", "standard", "converted", "latest", "hours", "exceedance_hours", "time", "value", "flag", "exceeded"},
			f(opendata.Enterprise), f(opendata.Outlet)),
		"/open/measurements":                             with(page, f(opendata.Measurement)),
		"/open/measurements?point=" + storetest.Outlet:   with(page, f(opendata.Measurement)),
		"/open/aqi?point=" + storetest.Station:           with(page, f(opendata.AQI)),
		"/open/aqi?city=" + storetest.City + "&kind=day": with(page, f(opendata.AQI)),
		"/open/assessments?period=day":                   with(page, f(opendata.Assessment)),
		"/open/air/now": with([]string{"time", "cities", "stations", "advice", "region", "name", "name_en", "aqi", "level", "category",
			"category_en", "color", "primary_pollutant", "values", "rules", "station", "latest"}, advice, f(opendata.Station)),
		// Targets (issue 8): figures and status only; no contributions,
		// registry entries, edit history, sources or projections.
		opendataTargetsPath: {"year", "as_of", "final", "province", "cities", "simulated", "region", "name", "name_en", "items",
			"indicator", "target", "unit", "comparison", "value", "last_year", "status"},
	}
}()

// opendataKeys collects the object keys of a JSON value at every depth;
// the members of "values" (concentrations by indicator name) are data,
// not fields, and must be strings.
func opendataKeys(t *testing.T, v any, into map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, vv := range x {
			into[k] = true
			if k == "values" {
				if m, ok := vv.(map[string]any); ok {
					for name, s := range m {
						if _, ok := s.(string); !ok {
							t.Errorf("values[%s] = %v, want a string", name, s)
						}
					}
					continue
				}
			}
			opendataKeys(t, vv, into)
		}
	case []any:
		for _, vv := range x {
			opendataKeys(t, vv, into)
		}
	}
}

// TestOpenDataOnlyPublicFields calls every public route anonymously and
// fails on any field not in opendataAllowed and on any private value of
// the registry (contact, telephone, device MN and password) anywhere in a
// body, JSON or CSV.
func TestOpenDataOnlyPublicFields(t *testing.T) { testOpenDataOnlyPublicFields(t, newFixture(t)) }

func testOpenDataOnlyPublicFields(t *testing.T, f *fixture) {
	opendataSeed(t, f.st, time.Now())
	opendataTargetsSeed(t, f)
	opendataPartsSeed(t, f)
	// Every public GET route of the table is exercised here.
	covered := map[string]bool{}
	for path := range opendataAllowed {
		p, _, _ := strings.Cut(path, "?")
		if strings.HasPrefix(p, "/open/enterprises/") {
			p = "/open/enterprises/{code}"
		}
		covered[p] = true
	}
	for _, rt := range f.api.Routes() {
		public := strings.HasPrefix(rt.Path, "/open/") || strings.HasPrefix(rt.Path, "/public/")
		if public && rt.Access.Anyone && rt.Method == "GET" && !strings.HasPrefix(rt.Path, "/open/bulk") && !covered[rt.Path] {
			t.Errorf("public route %s is not in opendataAllowed", rt.Path)
		}
	}
	never := []string{opendataContact, opendataPhone, storetest.MN, `"123456"`, "contact", "email", "password", `"mn"`}
	for path, allowed := range opendataAllowed {
		for _, format := range []string{"json", "csv"} {
			if format == "csv" && (path == "/open/air/now" || path == "/open/policy" || strings.HasPrefix(path, "/open/enterprises/") ||
				strings.HasPrefix(path, "/public/")) {
				continue
			}
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			res, body := f.do(t, cred{}, "GET", path+sep+"format="+format, "")
			if res.StatusCode != 200 {
				t.Fatalf("%s (%s): %d %s", path, format, res.StatusCode, body)
			}
			for _, s := range never {
				if strings.Contains(body, s) {
					t.Errorf("%s (%s) leaks %q: %.300s", path, format, s, body)
				}
			}
			var got []string
			if format == "csv" {
				header, _, _ := strings.Cut(body, "\n")
				got = strings.Split(strings.TrimSpace(header), ",")
			} else {
				var v any
				if err := json.Unmarshal([]byte(body), &v); err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				keys := map[string]bool{}
				opendataKeys(t, v, keys)
				for k := range keys {
					got = append(got, k)
				}
			}
			sort.Strings(got)
			for _, k := range got {
				if !slices.Contains(allowed, k) {
					t.Errorf("%s (%s): field %q is not in the list of public fields", path, format, k)
				}
			}
			if len(got) < 3 {
				t.Errorf("%s (%s): only %v: the route returned nearly nothing, so the test checks nothing", path, format, got)
			}
		}
	}
}

func TestOpenDataComplianceAndData(t *testing.T) { testOpenDataComplianceAndData(t, newFixture(t)) }

func testOpenDataComplianceAndData(t *testing.T, f *fixture) {
	now := time.Now()
	opendataSeed(t, f.st, now)
	_, body := f.do(t, cred{}, "GET", "/open/enterprises/"+storetest.CreditCode, "")
	var c struct {
		Outlets []struct {
			Factors []OpenFactor `json:"factors"`
		} `json:"outlets"`
	}
	if err := json.Unmarshal([]byte(body), &c); err != nil || len(c.Outlets) != 1 {
		t.Fatalf("%v %s", err, body)
	}
	so2 := c.Outlets[0].Factors[0]
	// Six hours: one over the limit on the converted value, one flagged M
	// and not judged, four below; the latest is the sixth hour (25 < 35).
	if so2.Factor != "a21026" || so2.Hours != 5 || so2.ExceedanceHours != 1 || !so2.Converted || so2.Latest == nil || *so2.Latest.Value != 25 || so2.Latest.Exceeded {
		t.Errorf("SO2 compliance %+v latest %+v, want 5 hours, 1 exceedance, latest 25 not exceeded", so2, so2.Latest)
	}
	if so2.ExceedanceHours > 0 && c.Outlets[0].Factors[1].Limit != nil {
		t.Errorf("NOx has no limit: %+v", c.Outlets[0].Factors[1])
	}
	_, body = f.do(t, cred{}, "GET", "/open/measurements?point="+storetest.Outlet+"&format=csv", "")
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if len(lines) != 7 || lines[0] != "point,factor,kind,time,avg,min,max,cou,zs_avg,zs_min,zs_max,flag,rules" ||
		!strings.HasSuffix(lines[4], ",M,超低排放") {
		t.Errorf("outlet CSV:\n%s", body)
	}
	_, body = f.do(t, cred{}, "GET", "/open/assessments?period=day&point="+opendataSection, "")
	// NH3-N 1.2 is class IV (III ≤ 1.0), DO 6.5 class II: the section is IV, target III not attained.
	if !strings.Contains(body, `"class":"IV"`) || !strings.Contains(body, `"attained":false`) || !strings.Contains(body, `"NH3-N"`) {
		t.Errorf("assessment: %s", body)
	}
	_, body = f.do(t, cred{}, "GET", "/open/air/now", "")
	var now1 struct {
		Cities []OpenCityNow `json:"cities"`
	}
	if err := json.Unmarshal([]byte(body), &now1); err != nil || len(now1.Cities) != 1 || now1.Cities[0].AQI == nil ||
		now1.Cities[0].Advice.Level != now1.Cities[0].Level || now1.Cities[0].Advice.Effect == "" {
		t.Errorf("air now: %v %s", err, body)
	}
	for _, bad := range []string{"/open/measurements?kind=minute", "/open/measurements?region=43", "/open/measurements?from=2020-01-01&to=2020-03-01",
		"/open/aqi", "/open/measurements?format=xlsx", "/open/assessments?period=year"} {
		res, body := f.do(t, cred{}, "GET", bad, "")
		if res.StatusCode != http.StatusUnprocessableEntity || errorCode(t, body) != CodeInvalid {
			t.Errorf("%s: %d %s, want 422 invalid", bad, res.StatusCode, body)
		}
	}
	if res, _ := f.do(t, cred{}, "GET", "/open/measurements?point=NOPE", ""); res.StatusCode != 404 {
		t.Errorf("unknown point: %d", res.StatusCode)
	}
}

func TestOpenDataCaching(t *testing.T) { testOpenDataCaching(t, newFixture(t)) }

func testOpenDataCaching(t *testing.T, f *fixture) {
	opendataSeed(t, f.st, time.Now())
	get := func(path string, hdr map[string]string) *http.Response {
		req, _ := http.NewRequest("GET", f.srv.URL+Prefix+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	recent := get("/open/measurements?point="+storetest.Outlet, nil)
	etag := recent.Header.Get("ETag")
	if recent.StatusCode != 200 || etag == "" || recent.Header.Get("Cache-Control") != opendataShort || recent.Header.Get("Last-Modified") != "" {
		t.Fatalf("recent data: %d %v", recent.StatusCode, recent.Header)
	}
	if res := get("/open/measurements?point="+storetest.Outlet, map[string]string{"If-None-Match": etag}); res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match with the current ETag: %d, want 304", res.StatusCode)
	}
	if res := get("/open/measurements?point="+storetest.Outlet, map[string]string{"If-None-Match": `"stale"`}); res.StatusCode != 200 {
		t.Errorf("If-None-Match with another ETag: %d, want 200", res.StatusCode)
	}
	old := get("/open/measurements?point="+storetest.Outlet+"&from=2020-01-01&to=2020-01-02", nil)
	if old.Header.Get("Cache-Control") != opendataImmutable {
		t.Errorf("closed history: Cache-Control %q, want immutable", old.Header.Get("Cache-Control"))
	}
	lm := old.Header.Get("Last-Modified")
	if res := get("/open/measurements?point="+storetest.Outlet+"&from=2020-01-01&to=2020-01-02", map[string]string{"If-Modified-Since": lm}); res.StatusCode != http.StatusNotModified {
		t.Errorf("If-Modified-Since %s: %d, want 304", lm, res.StatusCode)
	}
	// Air now is encoded once per refresh and sent gzipped to whoever
	// accepts it, with its own ETag.
	gz := get("/open/air/now", map[string]string{"Accept-Encoding": "gzip"})
	if gz.StatusCode != 200 || gz.Header.Get("Content-Encoding") != "gzip" || !strings.HasSuffix(gz.Header.Get("ETag"), `-gz"`) {
		t.Errorf("air now gzipped: %d %v", gz.StatusCode, gz.Header)
	}
	if res := get("/open/air/now", map[string]string{"Accept-Encoding": "gzip", "If-None-Match": gz.Header.Get("ETag")}); res.StatusCode != http.StatusNotModified {
		t.Errorf("air now revalidated: %d, want 304", res.StatusCode)
	}
	if plain := get("/open/air/now", map[string]string{"Accept-Encoding": "identity"}); plain.Header.Get("Content-Encoding") != "" || plain.Header.Get("ETag") == gz.Header.Get("ETag") {
		t.Errorf("air now plain: %v", plain.Header)
	}
	if recent.Header.Get("Access-Control-Allow-Origin") != "*" || recent.Header.Get("X-RateLimit-Limit") != "120/m" {
		t.Errorf("headers %v", recent.Header)
	}
}

// opendataServer is a second API over the fixture's store with other
// open data settings.
func opendataServer(t *testing.T, f *fixture, cfg OpenDataConfig, now func() time.Time) *httptest.Server {
	t.Helper()
	api, err := New(Config{Store: f.st, Accounts: f.st, Hasher: cheap, OpenData: cfg, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return srv
}

func TestOpenDataRateLimitsAndKeys(t *testing.T) { testOpenDataRateLimitsAndKeys(t, newFixture(t)) }

func testOpenDataRateLimitsAndKeys(t *testing.T, f *fixture) {
	// The clock is read by the API's background refreshes too: atomic.
	var clock atomic.Int64
	clock.Store(time.Date(2026, 11, 29, 10, 0, 0, 0, store.CST).UnixNano())
	set := opendata.DefaultSettings
	set.Anonymous, set.Key = opendata.Rate{N: 3, Per: time.Minute}, opendata.Rate{N: 6, Per: time.Minute}
	srv := opendataServer(t, f, OpenDataConfig{Settings: set}, func() time.Time { return time.Unix(0, clock.Load()).In(store.CST) })
	call := func(method, path, key, body string) (*http.Response, string) {
		req, _ := http.NewRequest(method, srv.URL+Prefix+path, strings.NewReader(body))
		if key != "" {
			req.Header.Set("X-API-Key", key)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	for i := 0; i < 3; i++ {
		if res, body := call("GET", "/open/stations", "", ""); res.StatusCode != 200 {
			t.Fatalf("request %d: %d %s", i, res.StatusCode, body)
		}
	}
	res, body := call("GET", "/open/stations", "", "")
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "20" || errorCode(t, body) != CodeRateLimited {
		t.Fatalf("4th anonymous request in a minute: %d Retry-After %q %s, want 429 after 20 s", res.StatusCode, res.Header.Get("Retry-After"), body)
	}
	clock.Add(int64(20 * time.Second))
	if res, _ := call("GET", "/open/stations", "", ""); res.StatusCode != 200 {
		t.Errorf("after Retry-After: %d", res.StatusCode)
	}
	// A key request is answered with the key; pending, it shares the
	// address's limit.
	clock.Add(int64(time.Minute))
	res, body = call("POST", "/open/keys", "", `{"name":"李研究","organisation":"中南大学","email":"li@example.edu.cn","purpose":"PM2.5 exposure study of Hunan cities"}`)
	var created struct {
		ID  int64  `json:"id"`
		Key string `json:"key"`
	}
	if res.StatusCode != 201 || json.Unmarshal([]byte(body), &created) != nil || !strings.HasPrefix(created.Key, opendata.KeyPrefix) {
		t.Fatalf("key request: %d %s", res.StatusCode, body)
	}
	for i, want := range []int{200, 200, 429} {
		if res, _ := call("GET", "/open/stations", created.Key, ""); res.StatusCode != want || res.Header.Get("X-API-Key-Status") != "pending" {
			t.Errorf("pending key, request %d: %d %q, want %d: the address's limit", i, res.StatusCode, res.Header.Get("X-API-Key-Status"), want)
		}
	}
	clock.Add(int64(time.Minute))
	for _, bad := range []string{`{"name":"","email":"x@y.cn","purpose":"research on air"}`, `{"name":"a","email":"not-mail","purpose":"research on air"}`,
		`{"name":"a","email":"x@y.cn","purpose":"short"}`} {
		if res, body := call("POST", "/open/keys", "", bad); res.StatusCode != 422 {
			t.Errorf("%s: %d %s, want 422", bad, res.StatusCode, body)
		}
	}
	// The administrator approves it (audited): the key has its own, higher limit.
	if res, body := f.do(t, f.creds["admin"], "PATCH", fmt.Sprintf("/open/keys/%d", created.ID), `{"status":"approved","note":"中南大学课题组"}`); res.StatusCode != 200 {
		t.Fatalf("approve: %d %s", res.StatusCode, body)
	}
	for i := 0; i < 6; i++ {
		if res, body := call("GET", "/open/stations", created.Key, ""); res.StatusCode != 200 || res.Header.Get("X-RateLimit-Limit") != "6/m" {
			t.Fatalf("approved key, request %d: %d %s %v", i, res.StatusCode, body, res.Header)
		}
	}
	if res, _ := call("GET", "/open/stations", created.Key, ""); res.StatusCode != 429 {
		t.Errorf("7th request of the key: %d, want 429", res.StatusCode)
	}
	if res, body := f.do(t, f.creds["admin"], "PATCH", fmt.Sprintf("/open/keys/%d", created.ID), `{"status":"approved"}`); res.StatusCode != 409 {
		t.Errorf("approving twice: %d %s, want 409", res.StatusCode, body)
	}
	if res, _ := f.do(t, f.creds["admin"], "PATCH", fmt.Sprintf("/open/keys/%d", created.ID), `{"status":"revoked"}`); res.StatusCode != 200 {
		t.Errorf("revoke: %d", res.StatusCode)
	}
	if res, body := call("GET", "/open/stations", created.Key, ""); res.StatusCode != 401 || !strings.Contains(body, "revoked") {
		t.Errorf("revoked key: %d %s", res.StatusCode, body)
	}
	if res, _ := call("GET", "/open/stations", "ewk_nonsense", ""); res.StatusCode != 401 {
		t.Errorf("unknown key: %d", res.StatusCode)
	}
	// A department's scoped token (any scope) has the departments' limit,
	// whatever the address has used.
	req, _ := http.NewRequest("GET", srv.URL+Prefix+"/open/stations", nil)
	req.Header.Set("Authorization", "Bearer "+f.creds["client"].token)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 || res.Header.Get("X-RateLimit-Limit") != set.Token.String() {
		t.Errorf("department token: %v %v", err, res.Header)
	} else {
		res.Body.Close()
	}
	_, body = f.do(t, f.creds["admin"], "GET", "/audit?limit=500", "")
	for _, action := range []string{"opendata.key.request", "opendata.key.approved", "opendata.key.revoked"} {
		if !strings.Contains(body, action) {
			t.Errorf("audit log lacks %s", action)
		}
	}
	_, body = f.do(t, f.creds["admin"], "GET", "/open/keys?status=revoked", "")
	if !strings.Contains(body, "li@example.edu.cn") || !strings.Contains(body, "中南大学课题组") {
		t.Errorf("admin key list: %s", body)
	}
}

// TestOpenDataBulkMatchesAPI generates a day's bulk file, checks it holds
// exactly the API's CSV for that day, serves it with its checksum as the
// ETag, and downloads it with verification; a corrupted copy on the
// server fails the download.
func TestOpenDataBulkMatchesAPI(t *testing.T) { testOpenDataBulkMatchesAPI(t, newFixture(t)) }

func testOpenDataBulkMatchesAPI(t *testing.T, f *fixture) {
	now := time.Now()
	opendataSeed(t, f.st, now)
	dir := t.TempDir()
	b := &opendata.Bulk{Dir: dir, Policy: opendata.DefaultPolicy(), Source: f.st, Settle: 72 * time.Hour, Days: 2,
		Now: func() time.Time { return now }}
	ix, err := b.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv := opendataServer(t, f, OpenDataConfig{BulkDir: dir}, nil)
	// The index holds these fields and no other.
	res, err := http.Get(srv.URL + Prefix + "/open/bulk")
	if err != nil {
		t.Fatal(err)
	}
	var index any
	err = json.NewDecoder(res.Body).Decode(&index)
	res.Body.Close()
	keys := map[string]bool{}
	opendataKeys(t, index, keys)
	for k := range keys {
		if !slices.Contains([]string{"generated", "columns", "files", "kind", "date", "path", "size", "sha256", "rows", "final"}, k) {
			t.Errorf("bulk index: field %q is not in the list of public fields", k)
		}
	}
	if err != nil || len(keys) != 10 {
		t.Errorf("bulk index: %v, fields %v", err, keys)
	}
	checked := 0
	for _, e := range ix.Files {
		if e.Kind != "hourly" || e.Rows == 0 {
			continue
		}
		day, _ := time.ParseInLocation(time.DateOnly, e.Date, store.CST)
		res, err := http.Get(srv.URL + Prefix + "/open/measurements?kind=hour&format=csv&from=" + e.Date + "&to=" + day.AddDate(0, 0, 1).Format(time.DateOnly))
		if err != nil {
			t.Fatal(err)
		}
		apiCSV, _ := io.ReadAll(res.Body)
		res.Body.Close()
		gz, err := os.ReadFile(filepath.Join(dir, e.Path))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatal(err)
		}
		fileCSV, _ := io.ReadAll(zr)
		if !bytes.Equal(apiCSV, fileCSV) || e.Rows != bytes.Count(fileCSV, []byte("\n"))-1 {
			t.Errorf("%s: bulk file (%d rows) differs from the API:\n%s\n---\n%s", e.Date, e.Rows, fileCSV, apiCSV)
		}
		res, err = http.Get(srv.URL + Prefix + "/open/bulk/" + e.Path)
		if err != nil {
			t.Fatal(err)
		}
		served, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !bytes.Equal(served, gz) || res.Header.Get("ETag") != `"`+e.SHA256+`"` || e.Final || res.Header.Get("Cache-Control") == opendataImmutable {
			t.Errorf("served %s: %d bytes, ETag %s, Cache-Control %s", e.Path, len(served), res.Header.Get("ETag"), res.Header.Get("Cache-Control"))
		}
		checked++
	}
	if checked == 0 {
		t.Fatalf("no hourly bulk file with rows: %+v", ix)
	}
	out := t.TempDir()
	d := &opendata.Downloader{Server: srv.URL, Client: http.DefaultClient, Out: out}
	from, to := now.AddDate(0, 0, -1).In(store.CST).Format(time.DateOnly), now.In(store.CST).Format(time.DateOnly)
	got, err := d.Run(context.Background(), "hourly", from, to)
	if err != nil || got.Fetched != checked {
		t.Fatalf("download: %+v %v, want %d files", got, err, checked)
	}
	if got, err := d.Run(context.Background(), "hourly", from, to); err != nil || got.Fetched != 0 || got.Kept != checked {
		t.Errorf("second download: %+v %v, want every file kept", got, err)
	}
	for _, e := range ix.Files {
		if e.Kind == "hourly" && e.Rows > 0 {
			os.WriteFile(filepath.Join(dir, e.Path), []byte("tampered"), 0o644)
			os.Remove(filepath.Join(out, e.Path))
		}
	}
	if _, err := d.Run(context.Background(), "hourly", from, to); err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Errorf("tampered file: %v, want a checksum mismatch", err)
	}
}

// TestOpenDataEnterprisePart: a feature's part (inspections, cases)
// appears on the compliance page under its name.
func TestOpenDataEnterprisePart(t *testing.T) {
	saved := opendataEnterpriseParts
	t.Cleanup(func() { opendataEnterpriseParts = saved })
	addOpendataEnterprisePart(opendataPart{name: "inspections", read: func(_ *API, _ *http.Request, code string) (any, error) {
		return []map[string]string{{"enterprise": code, "result": "合格"}}, nil
	}})
	f := newFixture(t)
	_, body := f.do(t, cred{}, "GET", "/open/enterprises/"+storetest.CreditCode, "")
	if !strings.Contains(body, `"inspections":[{"enterprise":"`+storetest.CreditCode+`","result":"合格"}]`) {
		t.Errorf("compliance page without the part: %s", body)
	}
}

// TestOpenDataPostgres runs the open data tests on PostgreSQL as
// TestPostgres does the others.
func TestOpenDataPostgres(t *testing.T) {
	for name, fn := range map[string]func(*testing.T, *fixture){
		"OnlyPublicFields":  testOpenDataOnlyPublicFields,
		"ComplianceAndData": testOpenDataComplianceAndData,
		"Caching":           testOpenDataCaching,
		"RateLimitsAndKeys": testOpenDataRateLimitsAndKeys,
		"BulkMatchesAPI":    testOpenDataBulkMatchesAPI,
		"TargetsPublic":     testOpendataTargetsPublic,
		"Parts":             testOpendataParts,
		"AQIBulkMatchesAPI": testOpendataAQIBulkMatchesAPI,
	} {
		t.Run(name, func(t *testing.T) {
			st := openPostgres(t)
			t.Cleanup(func() { st.Close() })
			fn(t, newFixtureOn(t, st))
		})
	}
}
