package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"ecowatch/gateway"
	"ecowatch/hj212"
	"ecowatch/registry"
	"ecowatch/store"
	"ecowatch/store/storetest"
)

// TestScoping: the 长沙 city officer, the 芙蓉区 enforcement officer and
// the enterprise user see their own objects and are refused the 株洲
// ones, in lists (filtered) and by id (403).
func TestScoping(t *testing.T) { testScoping(t, newFixture(t)) }

func testScoping(t *testing.T, f *fixture) {
	for _, c := range []struct {
		role       string
		enterprise int // enterprises listed
		devices    int
	}{
		{"admin", 2, 2}, {"province", 2, 2}, {"client", 2, 2},
		{"city", 1, 1}, {"enforcement", 1, 1}, {"enterprise", 1, 1},
	} {
		for path, want := range map[string]int{"/enterprises": c.enterprise, "/devices": c.devices} {
			_, body := f.do(t, f.creds[c.role], "GET", path, "")
			var l struct {
				Total int `json:"total"`
			}
			json.Unmarshal([]byte(body), &l)
			if l.Total != want {
				t.Errorf("%s GET %s: total %d, want %d (%s)", c.role, path, l.Total, want, body)
			}
		}
		far := []string{"/enterprises/" + otherCredit, "/points/" + otherOutlet + "/latest", "/devices/" + otherMN + "/commands",
			"/frames?mn=" + otherMN}
		for _, path := range far {
			res, body := f.do(t, f.creds[c.role], "GET", path, "")
			wide := c.role == "admin" || c.role == "province" || c.role == "client"
			if wide && res.StatusCode != 200 || !wide && res.StatusCode != http.StatusForbidden {
				t.Errorf("%s GET %s: %d %s", c.role, path, res.StatusCode, body)
			}
		}
	}
	// A city officer registers devices only at points of their city.
	res, body := f.do(t, f.creds["city"], "POST", "/devices/"+waitingMN+"/register", `{"point":"`+otherOutlet+`"}`)
	if res.StatusCode != http.StatusForbidden || len(f.gw.registered) != 0 {
		t.Errorf("city registering at a 株洲 point: %d %s, registered %v", res.StatusCode, body, f.gw.registered)
	}
}

func TestSessionSecurity(t *testing.T) { testSessionSecurity(t, newFixture(t)) }

func testSessionSecurity(t *testing.T, f *fixture) {
	c := f.creds["province"]
	if !c.cookie.HttpOnly || c.cookie.SameSite != http.SameSiteLaxMode || c.cookie.Secure {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Lax, not Secure over plain HTTP", c.cookie)
	}
	// Without the CSRF header a cookie cannot change state.
	noCSRF := cred{cookie: c.cookie}
	res, body := f.do(t, noCSRF, "POST", "/tokens", `{"name":"x","scopes":["air:read"]}`)
	if res.StatusCode != http.StatusForbidden || errorCode(t, body) != CodeCSRF {
		t.Errorf("POST without X-CSRF-Token: %d %s", res.StatusCode, body)
	}
	// A token created through the API works as a Bearer token, shows its
	// secret once, and is refused a scope it lacks.
	res, body = f.do(t, c, "POST", "/tokens", `{"name":"数据共享","scopes":["air:read"]}`)
	var tv TokenView
	json.Unmarshal([]byte(body), &tv)
	if res.StatusCode != http.StatusCreated || !strings.HasPrefix(tv.Token, "ew_") {
		t.Fatalf("create token: %d %s", res.StatusCode, body)
	}
	if res, _ := f.do(t, cred{token: tv.Token}, "GET", "/air/stations", ""); res.StatusCode != 200 {
		t.Errorf("token with air:read on /air/stations: %d", res.StatusCode)
	}
	if res, _ := f.do(t, cred{token: tv.Token}, "GET", "/enterprises", ""); res.StatusCode != http.StatusForbidden {
		t.Errorf("token without sources:read on /enterprises: %d", res.StatusCode)
	}
	if res, body := f.do(t, cred{token: "ew_forged"}, "GET", "/overview", ""); res.StatusCode != 401 || errorCode(t, body) != CodeUnauthenticated {
		t.Errorf("forged token: %d %s", res.StatusCode, body)
	}
	_, list := f.do(t, c, "GET", "/tokens", "")
	if strings.Contains(list, tv.Token) {
		t.Error("the token list shows a secret")
	}
	// Signing out ends the session server-side.
	if res, _ := f.do(t, c, "DELETE", "/session", ""); res.StatusCode != http.StatusNoContent {
		t.Fatalf("sign out: %d", res.StatusCode)
	}
	if res, _ := f.do(t, c, "GET", "/overview", ""); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("old cookie after sign-out: %d, want 401", res.StatusCode)
	}
	// Errors keep their JSON shape for unknown paths and methods.
	if res, body := f.do(t, cred{}, "GET", "/nowhere", ""); res.StatusCode != 404 || errorCode(t, body) != CodeNotFound {
		t.Errorf("unknown path: %d %s", res.StatusCode, body)
	}
	if res, body := f.do(t, cred{}, "PUT", "/session", ""); res.StatusCode != 405 || errorCode(t, body) != CodeMethodNotAllowed || res.Header.Get("Allow") == "" {
		t.Errorf("PUT /session: %d %s", res.StatusCode, body)
	}
	// Security headers on every answer.
	res, _ = f.do(t, cred{}, "GET", "/openapi.json", "")
	for _, h := range []string{"X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy"} {
		if res.Header.Get(h) == "" {
			t.Errorf("header %s missing", h)
		}
	}
}

func TestThrottleAndAudit(t *testing.T) { testThrottleAndAudit(t, newFixture(t)) }

func testThrottleAndAudit(t *testing.T, f *fixture) { // throttle: 3 failures per user per minute
	for i := 0; i < 3; i++ {
		res, body := f.do(t, cred{}, "POST", "/session", `{"username":"changsha","password":"wrong"}`)
		if res.StatusCode != 401 || errorCode(t, body) != CodeUnauthenticated {
			t.Fatalf("wrong password %d: %d %s", i, res.StatusCode, body)
		}
	}
	res, body := f.do(t, cred{}, "POST", "/session", `{"username":"changsha","password":"`+testPassword+`"}`)
	if res.StatusCode != http.StatusTooManyRequests || errorCode(t, body) != CodeRateLimited || res.Header.Get("Retry-After") == "" {
		t.Fatalf("fourth attempt: %d %s, want 429 with Retry-After", res.StatusCode, body)
	}
	// The audit holds the six sign-ins of the fixture, the three failures
	// and the throttled attempt, and an administrative change.
	if res, body := f.do(t, f.creds["admin"], "POST", "/users", `{"username":"yueyang","role":"city","region":"430600","password":"Dongting-2020"}`); res.StatusCode != 201 {
		t.Fatalf("create user: %d %s", res.StatusCode, body)
	}
	if res, body := f.do(t, f.creds["admin"], "POST", "/users", `{"username":"weak","role":"province","password":"password"}`); res.StatusCode != 422 || errorCode(t, body) != CodeInvalid {
		t.Errorf("weak password: %d %s", res.StatusCode, body)
	}
	if res, body := f.do(t, f.creds["admin"], "POST", "/users", `{"username":"nocity","role":"city","password":"Dongting-2020"}`); res.StatusCode != 422 || !strings.Contains(body, `"field":"region"`) {
		t.Errorf("city officer without a region: %d %s", res.StatusCode, body)
	}
	es, total, err := f.st.Audit(context.Background(), store.AuditQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, e := range es {
		count[e.Action]++
	}
	if count["session.create"] != 5 || count["session.fail"] != 3 || count["session.throttled"] != 1 || count["user.create"] != 1 || total != 10 {
		t.Errorf("audit actions %v (total %d)", count, total)
	}
	_, body = f.do(t, f.creds["province"], "GET", "/audit?limit=2", "")
	var l ListView[AuditView]
	json.Unmarshal([]byte(body), &l)
	if l.Total != 10 || len(l.Items) != 2 || l.Items[0].Action != "user.create" {
		t.Errorf("GET /audit?limit=2: %s", body)
	}
}

func TestExport(t *testing.T) { testExport(t, newFixture(t)) }

func testExport(t *testing.T, f *fixture) {
	res, body := f.do(t, f.creds["admin"], "GET", "/enterprises?format=csv", "")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("csv: %d %v", res.StatusCode, res.Header)
	}
	lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(body, "\uFEFF")), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "id,name,credit_code,region") || !strings.Contains(body, "株洲某冶炼厂") {
		t.Errorf("csv export:\n%s", body)
	}
	res, body = f.do(t, f.creds["admin"], "GET", "/enterprises?format=xlsx", "")
	if res.StatusCode != 200 {
		t.Fatalf("xlsx: %d", res.StatusCode)
	}
	x, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows("Sheet1")
	if err != nil || len(rows) != 3 || rows[0][1] != "name" {
		t.Errorf("xlsx rows %v, %v", rows, err)
	}
	if got := csvSafe("=HYPERLINK(\"x\")"); got != "'=HYPERLINK(\"x\")" || csvSafe("-1.5") != "-1.5" {
		t.Errorf("csvSafe: %q", got)
	}
	if res, body := f.do(t, f.creds["admin"], "GET", "/enterprises?limit=501", ""); res.StatusCode != 422 || !strings.Contains(body, `"field":"limit"`) {
		t.Errorf("limit 501: %d %s", res.StatusCode, body)
	}
}

func TestEvents(t *testing.T) {
	frameEvery = 50 * time.Millisecond
	f := newFixture(t)
	req, _ := http.NewRequest("GET", f.srv.URL+Prefix+"/events", nil)
	req.AddCookie(f.creds["city"].cookie)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	rd := bufio.NewReader(res.Body)
	rd.ReadString('\n') // the opening comment: the subscription is in place
	// An event of a 株洲 device, which the 长沙 officer must not get, then
	// one of theirs.
	for _, mn := range []string{otherMN, storetest.MN} {
		b, _ := json.Marshal(gateway.Event{Kind: gateway.EventOnline, MN: mn, At: time.Now()})
		if err := f.bus.Publish(ctx, gateway.EventSubject(gateway.EventOnline, mn), b); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for len(got) < 2 {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("stream: %v after %q", err, got)
		}
		if strings.HasPrefix(line, "event:") || strings.HasPrefix(line, "data:") {
			got = append(got, strings.TrimSpace(line))
		}
	}
	if got[0] != "event: device" || !strings.Contains(got[1], `"mn":"`+storetest.MN+`"`) || !strings.Contains(got[1], `"type":"online"`) {
		t.Errorf("events %q", got)
	}
	// Real-time data frames of both cities: the officer gets the latest
	// values of their device only (SO2 12.5 from the second frame).
	for i, mn := range []string{storetest.MN, otherMN, storetest.MN} {
		seg := fmt.Sprintf("QN=2020010100000000%d;ST=22;CN=2011;PW=123456;MN=%s;Flag=5;CP=&&DataTime=20200101000000;a21026-Rtd=%d.5,a21026-Flag=N&&", i, mn, 11+i/2)
		raw := []byte(fmt.Sprintf("##%04d%s%04X\r\n", len(seg), seg, hj212.CRC16([]byte(seg))))
		point := storetest.Outlet
		if mn == otherMN {
			point = otherOutlet
		}
		m := gateway.Message{Received: time.Now(), MN: mn, CN: "2011", Point: point, Verdict: "ok", Raw: raw}
		if err := f.bus.Publish(ctx, gateway.FrameSubject("2011", mn), m.AppendBinary(nil)); err != nil {
			t.Fatal(err)
		}
	}
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		if !strings.HasPrefix(line, "data:") || !strings.Contains(line, `"type":"frame"`) {
			continue
		}
		if strings.Contains(line, otherMN) {
			t.Fatalf("a 株洲 frame reached the 长沙 officer: %s", line)
		}
		// A flush between the two 长沙 frames may send 11.5 first; the
		// stream must end up at the latest, 12.5.
		if strings.Contains(line, `"values":{"a21026":12.5}`) {
			break
		}
		if !strings.Contains(line, `"values":{"a21026":11.5}`) {
			t.Fatalf("frame event %s, want SO2 11.5 then 12.5", line)
		}
	}
	// Shutdown ends the stream (http.Server.Shutdown would wait for it).
	f.api.Shutdown()
	if _, err := io.ReadAll(rd); err != nil {
		t.Fatalf("stream after Shutdown: %v", err)
	}
}

// TestOutline: the province's outline lists its cities (storetest.Seed's
// 长沙 and the fixture's 株洲) with adcode and name, plain or gzipped,
// and answers 304 to its own ETag.
func TestOutline(t *testing.T) { testOutline(t, newFixture(t)) }

func testOutline(t *testing.T, f *fixture) {
	res, body := f.do(t, cred{}, "GET", "/regions/"+storetest.Province+"/outline", "")
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Properties struct {
				Adcode string `json:"adcode"`
				Name   string `json:"name"`
			} `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal([]byte(body), &fc); err != nil || fc.Type != "FeatureCollection" || len(fc.Features) != 2 ||
		fc.Features[0].Properties.Adcode != storetest.City || fc.Features[1].Properties.Name != "株洲市" {
		t.Fatalf("outline: %v %.300s", err, body)
	}
	req, _ := http.NewRequest("GET", f.srv.URL+Prefix+"/regions/"+storetest.Province+"/outline", nil)
	req.Header.Set("If-None-Match", res.Header.Get("ETag"))
	res2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res2.Body.Close()
	if res2.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", res2.StatusCode)
	}
	if res, _ := f.do(t, cred{}, "GET", "/regions/999999/outline", ""); res.StatusCode != 404 {
		t.Errorf("unknown region: %d", res.StatusCode)
	}
}

// TestRegionsFilters: ?parent= lists one region's divisions, ?level= one
// level; a bad level is a 400 and an unknown parent a 404.
func TestRegionsFilters(t *testing.T) {
	f := newFixture(t)
	c := f.creds["city"]
	list := func(query string) []string {
		t.Helper()
		res, body := f.do(t, c, "GET", "/regions?limit=500&"+query, "")
		var out struct {
			Items []RegionView `json:"items"`
		}
		if err := json.Unmarshal([]byte(body), &out); err != nil || res.StatusCode != 200 {
			t.Fatalf("%s: %d %v %.200s", query, res.StatusCode, err, body)
		}
		var codes []string
		for _, g := range out.Items {
			codes = append(codes, g.Code)
		}
		return codes
	}
	if got := list("parent=" + storetest.City); !slices.Equal(got, []string{storetest.County}) {
		t.Errorf("divisions of %s: %v, want [%s]", storetest.City, got, storetest.County)
	}
	if got := list("parent=" + storetest.Province + "&level=city"); !slices.Contains(got, storetest.City) || slices.Contains(got, storetest.County) || slices.Contains(got, storetest.Province) {
		t.Errorf("cities of the province: %v", got)
	}
	if got := list("level=county"); !slices.Equal(got, []string{storetest.County}) {
		t.Errorf("counties: %v", got)
	}
	if all := list(""); len(all) < 4 {
		t.Errorf("no filter: %v", all)
	}
	if res, _ := f.do(t, c, "GET", "/regions?level=town", ""); res.StatusCode != 400 {
		t.Errorf("bad level: %d, want 400", res.StatusCode)
	}
	if res, _ := f.do(t, c, "GET", "/regions?parent=439900", ""); res.StatusCode != 404 {
		t.Errorf("unknown parent: %d, want 404", res.StatusCode)
	}
}

// TestImport uploads importer/testdata's bad-enterprises.csv (one error of
// each kind, its README says; the first is row 3's credit-code check
// character): the rows are reported with file, row and column and nothing
// is stored; the good enterprises.csv is stored only when dry_run=false.
func TestImport(t *testing.T) {
	f := newFixture(t)
	upload := func(file, dry string) (int, importAnswer) {
		t.Helper()
		b, err := os.ReadFile("../importer/testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", file)
		fw.Write(b)
		mw.Close()
		req, _ := http.NewRequest("POST", f.srv.URL+Prefix+"/registry/import?dry_run="+dry, &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.AddCookie(f.creds["province"].cookie)
		req.Header.Set("X-CSRF-Token", f.creds["province"].csrf)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var a importAnswer
		json.NewDecoder(res.Body).Decode(&a)
		return res.StatusCode, a
	}
	code, a := upload("bad-enterprises.csv", "false")
	if code != 200 || a.OK || len(a.Errors) == 0 || a.Errors[0].Row != 3 || a.Errors[0].Column != "credit_code" {
		t.Fatalf("bad file: %d %+v", code, a)
	}
	if _, err := f.st.Enterprise(context.Background(), "91430100MA4L0004CQ"); err == nil {
		t.Error("a file with a bad row was partly stored")
	}
	// enterprises.csv also names 岳阳 (430600).
	if err := f.st.UpsertRegion(context.Background(), registry.Region{Code: "430600", Name: "岳阳市", ParentCode: storetest.Province}); err != nil {
		t.Fatal(err)
	}
	if code, a := upload("enterprises.csv", "true"); code != 200 || !a.OK || !a.DryRun || a.Rows == 0 {
		t.Fatalf("dry run: %d %+v", code, a)
	}
	if _, err := f.st.Enterprise(context.Background(), "91430100MA4L0001XA"); err == nil {
		t.Error("a dry run stored the enterprise")
	}
	if code, a := upload("enterprises.csv", "false"); code != 200 || !a.OK || a.DryRun {
		t.Fatalf("import: %d %+v", code, a)
	}
	if _, err := f.st.Enterprise(context.Background(), "91430100MA4L0001XA"); err != nil {
		t.Errorf("imported enterprise: %v", err)
	}
}

type importAnswer struct {
	OK     bool             `json:"ok"`
	DryRun bool             `json:"dry_run"`
	Rows   int              `json:"rows"`
	Errors []ImportRowError `json:"errors"`
}
