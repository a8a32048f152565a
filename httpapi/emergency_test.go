package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"ecowatch/emergency"
	"ecowatch/plan"
	"ecowatch/registry"
	"ecowatch/store"
	"ecowatch/store/storetest"
)

func init() {
	ops := []string{"province", "city", "enforcement", "admin"}
	watch := []string{"province", "city", "admin"}
	sup := []string{"province", "admin"}
	for key, who := range map[string][]string{
		"GET /emergency/checklists":               ops,
		"GET /emergency/risk-sources":             ops,
		"POST /emergency/risk-sources":            watch,
		"GET /emergency/risk-sources/{id}":        ops,
		"POST /emergency/risk-sources/{id}/level": watch,
		"GET /emergency/receptors":                ops,
		"POST /emergency/receptors":               watch,
		"GET /emergency/resources":                ops,
		"POST /emergency/resources":               watch,
		"GET /emergency/campaigns":                ops,
		"POST /emergency/campaigns":               watch,
		"GET /emergency/campaigns/{id}":           ops,
		"POST /emergency/campaigns/{id}/checks":   ops,
		"POST /emergency/hazards/{id}/case":       ops,
		"POST /emergency/hazards/{id}/resolve":    watch,
		"GET /emergency/plans":                    ops,
		"POST /emergency/plans":                   watch,
		"POST /emergency/plans/{id}/versions":     watch,
		"POST /emergency/plans/{id}/review":       sup,
		"POST /emergency/plans/{id}/drills":       watch,
		"GET /emergency/reminders":                ops,
		"GET /emergency/incidents":                ops,
		"POST /emergency/incidents":               ops,
		"GET /emergency/incidents/{id}":           ops,
		"GET /emergency/incidents/{id}/around":    ops,
		"POST /emergency/incidents/{id}/actions":  ops,
		"POST /emergency/incidents/{id}/close":    watch,
		"GET /plan/plans":                         watch,
		"POST /plan/plans":                        sup,
		"GET /plan/tasks":                         watch,
		"GET /plan/tasks/{id}":                    watch,
		"POST /plan/tasks/{id}/reports":           watch,
		"POST /plan/tasks/{id}/links":             sup,
		"GET /plan/reports":                       watch,
		"POST /plan/reports/{id}/review":          sup,
		"GET /plan/assessment":                    watch,
		"GET /plan/overdue":                       watch,
	} {
		access[key] = who
	}
	featureRequests = append(featureRequests, emergencyRequest)
}

// emergencyObjs are the objects a fixture's emergency and plan requests
// act on, made once per fixture, inside 芙蓉区 (the officer's county).
type emergencyObjs struct {
	source, campaign, hazard, plan, incident int64
	task, report                             int64
}

var (
	emergencyMu    sync.Mutex
	emergencyByFix = map[*fixture]*emergencyObjs{}
)

const emergencyTestPlan = "三、重点工作\n（一）测试组\n1.开展隐患排查。（省生态环境厅牵头，各市州人民政府落实；每项任务都需各市州人民政府落实，下面不再列出）\n2.加强应急处置。（省生态环境厅牵头）\n"

func emergencySetupObjs(t *testing.T, f *fixture) *emergencyObjs {
	t.Helper()
	emergencyMu.Lock()
	defer emergencyMu.Unlock()
	if o, ok := emergencyByFix[f]; ok {
		return o
	}
	ctx := context.Background()
	em, pl := f.api.cfg.Emergency, f.api.cfg.Plan
	a := emergency.Actor{Name: "test"}
	o := &emergencyObjs{}
	s, err := em.AddSource(ctx, emergency.RiskSource{Kind: emergency.ChemicalEnterprise, Name: "测试化工厂", RegionCode: storetest.County, Lon: 113.0, Lat: 28.2,
		AssessedLevel: emergency.LevelLarger, LevelBasis: "测试"}, a)
	if err != nil {
		t.Fatal(err)
	}
	o.source = s.ID
	c, err := em.CreateCampaign(ctx, emergency.Campaign{Name: "测试排查", RegionCode: storetest.City, Start: time.Now(), Due: time.Now().Add(time.Hour)}, a)
	if err != nil {
		t.Fatal(err)
	}
	o.campaign = c.ID
	// A second source, checked already, gives a hazard.
	s2, _ := em.AddSource(ctx, emergency.RiskSource{Kind: emergency.ChemicalEnterprise, Name: "测试化工厂二", RegionCode: storetest.County, Lon: 113.01, Lat: 28.21,
		AssessedLevel: emergency.LevelGeneral, LevelBasis: "测试"}, a)
	c2, _ := em.CreateCampaign(ctx, emergency.Campaign{Name: "测试排查二", RegionCode: storetest.County, Start: time.Now(), Due: time.Now().Add(time.Hour)}, a)
	hs, err := em.RecordCheck(ctx, c2.ID, s2.ID, "x", emergencyResults(emergency.ChemicalEnterprise, "pool"), a)
	if err != nil || len(hs) != 1 {
		t.Fatalf("hazard: %v %v", hs, err)
	}
	o.hazard = hs[0].ID
	p, err := em.AddPlan(ctx, emergency.EmPlan{OwnerKind: "enterprise", Owner: "测试化工厂", RegionCode: storetest.County, Title: "应急预案"}, a)
	if err != nil {
		t.Fatal(err)
	}
	o.plan = p.ID
	if _, err := em.FileVersion(ctx, p.ID, "v1", a); err != nil {
		t.Fatal(err)
	}
	in, err := em.ReportIncident(ctx, emergency.Incident{Title: "测试泄漏", RegionCode: storetest.County, Lon: 113.0, Lat: 28.2}, a)
	if err != nil {
		t.Fatal(err)
	}
	o.incident = in.ID
	deps, _ := f.st.Departments(ctx)
	regions, _ := f.st.Regions(ctx)
	if _, err := pl.CreatePlan(ctx, 2020, emergencyTestPlan, deps, regions, nil, plan.Actor{Name: "test"}); err != nil {
		t.Fatal(err)
	}
	ts, _ := pl.Tasks(ctx, 2020)
	o.task = ts[0].ID
	rep, err := pl.FileReport(ctx, plan.ReportRow{TaskID: o.task, PartyKind: plan.PartyCity, PartyCode: storetest.City, Period: "2020Q1", Status: plan.OnTrack}, plan.Actor{Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	o.report = rep.ID
	// The role table calls POST /emergency/hazards/{id}/case: give it cases.
	f.api.cfg.Cases = &emergencyCases{}
	emergencyByFix[f] = o
	t.Cleanup(func() {
		emergencyMu.Lock()
		delete(emergencyByFix, f)
		emergencyMu.Unlock()
	})
	return o
}

// emergencyResults answers a kind's checklist, failing the items named.
func emergencyResults(k emergency.Kind, fail ...string) []emergency.Result {
	var rs []emergency.Result
	for _, it := range emergency.Checklists[k] {
		ok := true
		for _, f := range fail {
			ok = ok && f != it.Code
		}
		rs = append(rs, emergency.Result{Code: it.Code, OK: ok})
	}
	return rs
}

func emergencyRequest(t *testing.T, f *fixture, key string) (method, path, body string, ok bool) {
	method, pattern, _ := strings.Cut(key, " ")
	if !strings.HasPrefix(pattern, "/emergency/") && !strings.HasPrefix(pattern, "/plan/") {
		return "", "", "", false
	}
	o := emergencySetupObjs(t, f)
	id := map[string]int64{"risk-sources": o.source, "campaigns": o.campaign, "hazards": o.hazard, "plans": o.plan, "incidents": o.incident,
		"tasks": o.task, "reports": o.report}
	parts := strings.Split(pattern, "/")
	for i, p := range parts {
		if p == "{id}" {
			parts[i] = fmt.Sprint(id[parts[i-1]])
		}
	}
	path = strings.Join(parts, "/")
	results, _ := json.Marshal(emergencyResults(emergency.ChemicalEnterprise))
	bodies := map[string]string{
		"POST /emergency/risk-sources":            `{"kind":"tailings_pond","name":"测试尾矿库","region_code":"` + storetest.County + `","lon":113.1,"lat":28.1,"assessed_level":"general","level_basis":"评估报告"}`,
		"POST /emergency/risk-sources/{id}/level": `{"level":"major","basis":"复评"}`,
		"POST /emergency/receptors":               `{"kind":"school","name":"测试小学","region_code":"` + storetest.County + `","lon":113.0,"lat":28.2}`,
		"POST /emergency/resources":               `{"kind":"expert","name":"测试专家","region_code":"` + storetest.County + `","lon":113.0,"lat":28.2,"fields":["化工"]}`,
		"POST /emergency/campaigns":               `{"name":"排查","region_code":"` + storetest.County + `","start":"2020-05-01T00:00:00+08:00","due":"2020-06-01T00:00:00+08:00"}`,
		"POST /emergency/campaigns/{id}/checks":   fmt.Sprintf(`{"source_id":%d,"results":%s}`, o.source, results),
		"POST /emergency/plans":                   `{"owner_kind":"government","owner":"芙蓉区人民政府","region_code":"` + storetest.County + `","title":"区突发环境事件应急预案"}`,
		"POST /emergency/plans/{id}/versions":     `{"summary":"修订"}`,
		"POST /emergency/plans/{id}/review":       `{"version":1,"approve":true}`,
		"POST /emergency/plans/{id}/drills":       `{"time":"2020-05-01T09:00:00+08:00","kind":"tabletop","participants":10}`,
		"POST /emergency/incidents":               `{"title":"测试事件","region_code":"` + storetest.County + `","lon":113.0,"lat":28.2,"facts":{"evacuated":100}}`,
		"POST /emergency/incidents/{id}/actions":  `{"text":"已到场"}`,
		"POST /emergency/incidents/{id}/close":    `{"closing_report":"处置完毕"}`,
		"POST /emergency/hazards/{id}/case":       ``,
		"POST /emergency/hazards/{id}/resolve":    ``,
		"POST /plan/plans":                        `{"year":2021,"copy_from":2020}`,
		"POST /plan/tasks/{id}/reports":           `{"party_kind":"city","party_code":"` + storetest.City + `","period":"2020Q2","status":"on_track","percent":30}`,
		"POST /plan/tasks/{id}/links":             `{"kind":"case_source","ref":"central-inspection"}`,
		"POST /plan/reports/{id}/review":          `{"accept":true}`,
	}
	body = bodies[key]
	return method, path, body, true
}

// emergencyCases is a CaseOpener that records what it is asked.
type emergencyCases struct {
	mu  sync.Mutex
	got []CaseRequest
}

func (c *emergencyCases) OpenCase(_ context.Context, r CaseRequest) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, r)
	return int64(100 + len(c.got)), nil
}

func emergencyDecode[T any](t *testing.T, res *http.Response, body string, status int) T {
	t.Helper()
	var v T
	if res.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", res.StatusCode, status, body)
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return v
}

func TestEmergencyIncidentAround(t *testing.T) { testEmergencyIncidentAround(t, newFixture(t)) }

func testEmergencyIncidentAround(t *testing.T, f *fixture) {
	ctx := context.Background()
	a := emergency.Actor{Name: "test"}
	em := f.api.cfg.Emergency
	// Resources in 长沙 and 株洲, a source and a school near the incident.
	for _, x := range []emergency.Resource{
		{Kind: "expert", Name: "长沙专家", RegionCode: storetest.City, Lon: 112.94, Lat: 28.17, Phone: "13800000001", Fields: []string{"化工"}},
		{Kind: "expert", Name: "株洲专家", RegionCode: otherCity, Lon: 113.13, Lat: 27.83, Phone: "13800000002"},
		{Kind: "store", Name: "长沙物资库", RegionCode: storetest.City, Lon: 113.05, Lat: 28.25, Stock: []emergency.StockItem{{Kind: "活性炭", Quantity: 5, Unit: "t"}}},
		{Kind: "team", Name: "长沙应急队", RegionCode: storetest.City, Lon: 113.0, Lat: 28.19, Members: 20},
	} {
		if _, err := em.AddResource(ctx, x, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := em.AddReceptor(ctx, emergency.Receptor{Kind: "school", Name: "芙蓉小学", RegionCode: storetest.County, Lon: 113.01, Lat: 28.2}, a); err != nil {
		t.Fatal(err)
	}
	src, err := em.AddSource(ctx, emergency.RiskSource{Kind: emergency.ChemicalEnterprise, Name: "芙蓉化工", RegionCode: storetest.County, Lon: 113.0, Lat: 28.205,
		AssessedLevel: emergency.LevelGeneral, LevelBasis: "Q<1"}, a)
	if err != nil {
		t.Fatal(err)
	}
	// A water section 1 km away with an hour of COD: live data near the incident.
	if err := f.st.UpsertPoint(ctx, registry.Point{Code: "W-FR-1", Name: "浏阳河芙蓉断面", Kind: registry.KindWaterSection, RegionCode: storetest.County,
		Lon: 113.01, Lat: 28.2, WaterBody: "river", Factors: []registry.PointFactor{{Code: "w01018", Name: "COD", Unit: "mg/L"}}}); err != nil {
		t.Fatal(err)
	}
	hour := time.Now().Truncate(time.Hour).Add(-time.Hour)
	if err := f.st.WriteMeasurements(ctx, []store.Measurement{{Point: "W-FR-1", Factor: "w01018", Kind: store.Hour, Time: hour,
		Values: store.Values{Flag: "N"}.With(store.Avg, 18.5), Received: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	f.api.invalidate()
	// The officer reports an incident at the source: graded 较大 by the evacuation.
	res, body := f.do(t, f.creds["enforcement"], "POST", "/emergency/incidents",
		fmt.Sprintf(`{"title":"芙蓉化工储罐泄漏","region_code":"%s","lon":113.0,"lat":28.2,"source_id":%d,"facts":{"evacuated":6000}}`, storetest.County, src.ID))
	in := emergencyDecode[emergency.Incident](t, res, body, 201)
	if in.Grade != emergency.Larger || in.ReportedBy != "officer" {
		t.Errorf("incident %+v", in)
	}
	// Outside the officer's county: refused.
	res, body = f.do(t, f.creds["enforcement"], "POST", "/emergency/incidents", `{"title":"株洲","region_code":"430200","lon":113.1,"lat":27.8}`)
	if res.StatusCode != 403 {
		t.Errorf("report in 株洲 as 长沙 officer: %d %s", res.StatusCode, body)
	}
	// Bad input is a clear 422.
	res, body = f.do(t, f.creds["enforcement"], "POST", "/emergency/incidents", fmt.Sprintf(`{"title":"x","region_code":"%s","lon":28.2,"lat":113.0}`, storetest.County))
	if res.StatusCode != 422 || !strings.Contains(body, "swapped") {
		t.Errorf("swapped coordinates: %d %s", res.StatusCode, body)
	}
	res, body = f.do(t, f.creds["enforcement"], "GET", fmt.Sprintf("/emergency/incidents/%d/around?radius_km=5", in.ID), "")
	v := emergencyDecode[struct {
		Around     emergency.Around                `json:"around"`
		LiveValues map[string][]EmergencyLiveValue `json:"live_values"`
	}](t, res, body, 200)
	ar := v.Around
	if len(ar.WaterSections) != 1 || ar.WaterSections[0].Ref != "W-FR-1" || ar.WaterSections[0].DistKm < 0.9 || ar.WaterSections[0].DistKm > 1.1 {
		t.Errorf("water sections %+v", ar.WaterSections)
	}
	if lv := v.LiveValues["W-FR-1"]; len(lv) != 1 || lv[0].Value != 18.5 || lv[0].Factor != "w01018" || lv[0].Kind != store.Hour.String() {
		t.Errorf("live values %+v", v.LiveValues)
	}
	if len(ar.Experts) != 2 || ar.Experts[0].Name != "长沙专家" || ar.Experts[0].Phone != "13800000001" || ar.Experts[1].Name != "株洲专家" {
		t.Errorf("experts %+v", ar.Experts)
	}
	if len(ar.Stores) != 1 || len(ar.Teams) != 1 || ar.Teams[0].DistKm > 2 {
		t.Errorf("stores %+v teams %+v", ar.Stores, ar.Teams)
	}
	if len(ar.RiskSources) != 1 || ar.RiskSources[0].Name != "芙蓉化工" || len(ar.Receptors) != 1 || ar.Receptors[0].Name != "芙蓉小学" {
		t.Errorf("sources %+v receptors %+v", ar.RiskSources, ar.Receptors)
	}
	// The source's level rose with the incident, with its history.
	res, body = f.do(t, f.creds["city"], "GET", fmt.Sprintf("/emergency/risk-sources/%d", src.ID), "")
	sv := emergencyDecode[struct {
		Source  emergency.RiskSource    `json:"source"`
		History []emergency.LevelChange `json:"history"`
	}](t, res, body, 200)
	if sv.Source.Level != emergency.LevelLarger || len(sv.History) != 2 || sv.History[1].Kind != emergency.ReasonIncident {
		t.Errorf("source after incident %+v", sv)
	}
	// A 株洲 city officer can neither see it nor its surroundings.
	zz := f.emergencyCityUser(t, "zhuzhou", otherCity)
	for _, p := range []string{fmt.Sprintf("/emergency/incidents/%d", in.ID), fmt.Sprintf("/emergency/incidents/%d/around", in.ID), fmt.Sprintf("/emergency/risk-sources/%d", src.ID)} {
		if res, _ := f.do(t, zz, "GET", p, ""); res.StatusCode != 403 {
			t.Errorf("%s as 株洲: %d", p, res.StatusCode)
		}
	}
	res, body = f.do(t, zz, "GET", "/emergency/incidents?state=open", "")
	if l := emergencyDecode[ListView[emergency.Incident]](t, res, body, 200); l.Total != 0 {
		t.Errorf("株洲 sees %d incidents", l.Total)
	}
	res, body = f.do(t, f.creds["province"], "GET", "/emergency/incidents?state=open", "")
	if l := emergencyDecode[ListView[emergency.Incident]](t, res, body, 200); l.Total != 1 {
		t.Errorf("province sees %d open incidents", l.Total)
	}
	// Timeline, re-grading, closing.
	res, body = f.do(t, f.creds["enforcement"], "POST", fmt.Sprintf("/emergency/incidents/%d/actions", in.ID), `{"text":"县城水厂停止取水","facts":{"evacuated":6000,"water_cut":"county"}}`)
	if in = emergencyDecode[emergency.Incident](t, res, body, 200); in.Grade != emergency.Major || len(in.Actions) != 2 {
		t.Errorf("after action %+v", in)
	}
	if res, _ := f.do(t, f.creds["enforcement"], "POST", fmt.Sprintf("/emergency/incidents/%d/close", in.ID), `{"closing_report":"x"}`); res.StatusCode != 403 {
		t.Errorf("officer closes: %d", res.StatusCode)
	}
	res, body = f.do(t, f.creds["city"], "POST", fmt.Sprintf("/emergency/incidents/%d/close", in.ID), `{"closing_report":"处置完毕"}`)
	if in = emergencyDecode[emergency.Incident](t, res, body, 200); in.State != "closed" {
		t.Errorf("closed %+v", in)
	}
}

// emergencyCityUser signs in a new city account of region.
func (f *fixture) emergencyCityUser(t *testing.T, name, region string) cred {
	t.Helper()
	if _, err := f.st.CreateUser(context.Background(), store.User{Username: name, Role: "city", Region: region, PasswordHash: cheap.Hash(testPassword)}); err != nil {
		t.Fatal(err)
	}
	return f.signIn(t, name, testPassword)
}

func TestEmergencyHazardsBecomeCases(t *testing.T) { testEmergencyHazardsBecomeCases(t, newFixture(t)) }

func testEmergencyHazardsBecomeCases(t *testing.T, f *fixture) {
	ctx := context.Background()
	// First without the cases feature, then with a recording fake, then
	// with the real one.
	realCases := f.api.cfg.Cases
	f.api.cfg.Cases = nil
	em := f.api.cfg.Emergency
	a := emergency.Actor{Name: "test"}
	src, _ := em.AddSource(ctx, emergency.RiskSource{Kind: emergency.TailingsPond, Name: "芙蓉尾矿库", RegionCode: storetest.County, Lon: 113.0, Lat: 28.2,
		AssessedLevel: emergency.LevelGeneral, LevelBasis: "评估"}, a)
	res, body := f.do(t, f.creds["city"], "POST", "/emergency/campaigns", `{"name":"尾矿库排查","kinds":["tailings_pond"],"region_code":"`+storetest.City+`","start":"2020-05-01T00:00:00+08:00","due":"2020-06-01T00:00:00+08:00"}`)
	c := emergencyDecode[emergency.Campaign](t, res, body, 201)
	if c.Checks != 1 {
		t.Fatalf("campaign %+v", c)
	}
	// A 株洲 officer neither lists nor opens 长沙's campaign.
	zz := f.emergencyCityUser(t, "zhuzhou", otherCity)
	if res, _ := f.do(t, zz, "GET", fmt.Sprintf("/emergency/campaigns/%d", c.ID), ""); res.StatusCode != 403 {
		t.Errorf("株洲 opens 长沙's campaign: %d", res.StatusCode)
	}
	res, body = f.do(t, zz, "GET", "/emergency/campaigns", "")
	if l := emergencyDecode[ListView[emergency.Campaign]](t, res, body, 200); l.Total != 0 {
		t.Errorf("株洲 lists %d campaigns", l.Total)
	}
	results, _ := json.Marshal(emergencyResults(emergency.TailingsPond, "dam", "seepage"))
	// Without the cases feature the hazard is kept and the case waits.
	res, body = f.do(t, f.creds["enforcement"], "POST", fmt.Sprintf("/emergency/campaigns/%d/checks", c.ID), fmt.Sprintf(`{"source_id":%d,"results":%s}`, src.ID, results))
	out := emergencyDecode[struct {
		Hazards []emergency.HazardRow `json:"hazards"`
		Note    string                `json:"note"`
	}](t, res, body, 201)
	if len(out.Hazards) != 2 || out.Hazards[0].CaseID != 0 || out.Note == "" {
		t.Fatalf("check %+v", out)
	}
	hz := out.Hazards[0].ID
	res, body = f.do(t, f.creds["enforcement"], "POST", fmt.Sprintf("/emergency/hazards/%d/case", hz), "")
	if res.StatusCode != 503 || errorCode(t, body) != emergencyCodeUnavailable {
		t.Errorf("case without the cases feature: %d %s", res.StatusCode, body)
	}
	cases := &emergencyCases{}
	f.api.cfg.Cases = cases
	res, body = f.do(t, f.creds["enforcement"], "POST", fmt.Sprintf("/emergency/hazards/%d/case", hz), "")
	h := emergencyDecode[emergency.HazardRow](t, res, body, 200)
	if h.CaseID != 101 || len(cases.got) != 1 || cases.got[0].Source != "hazard" || cases.got[0].SourceRef != fmt.Sprintf("hazard:%d", hz) ||
		cases.got[0].Severity != "high" || cases.got[0].RegionCode != storetest.County || cases.got[0].Actor != "officer" {
		t.Errorf("case %+v %+v", h, cases.got)
	}
	// The real cases feature: the second hazard becomes a soil case.
	f.api.cfg.Cases = realCases
	hz2 := out.Hazards[1].ID
	res, body = f.do(t, f.creds["enforcement"], "POST", fmt.Sprintf("/emergency/hazards/%d/case", hz2), "")
	h2 := emergencyDecode[emergency.HazardRow](t, res, body, 200)
	if h2.CaseID == 0 {
		t.Fatalf("hazard %d opened no case: %s", hz2, body)
	}
	if res, body := f.do(t, f.creds["city"], "GET", fmt.Sprintf("/cases/%d", h2.CaseID), ""); res.StatusCode != 200 ||
		!strings.Contains(body, `"source":"hazard"`) || !strings.Contains(body, `"category":"soil"`) {
		t.Errorf("the hazard's case: %d %s", res.StatusCode, body)
	}
	// A malformed check is a clear 422.
	res, body = f.do(t, f.creds["enforcement"], "POST", fmt.Sprintf("/emergency/campaigns/%d/checks", c.ID), fmt.Sprintf(`{"source_id":%d,"results":[{"code":"dam","ok":true}]}`, src.ID))
	if res.StatusCode != 409 && res.StatusCode != 422 {
		t.Errorf("second/malformed check: %d %s", res.StatusCode, body)
	}
}

func TestPlanProgressAndAssessment(t *testing.T) { testPlanProgressAndAssessment(t, newFixture(t)) }

func testPlanProgressAndAssessment(t *testing.T, f *fixture) {
	ctx := context.Background()
	if err := f.st.UpsertDepartment(ctx, registry.Department{Code: "hn-emergency", Name: "省应急厅"}); err != nil {
		t.Fatal(err)
	}
	doc := "三、重点工作\n（一）组\n1.甲任务。（省生态环境厅、省应急厅按职责分工负责，各市州人民政府落实；每项任务都需各市州人民政府落实）\n2.乙任务。（省生态环境厅牵头）\n"
	res, body := f.do(t, f.creds["province"], "POST", "/plan/plans", fmt.Sprintf(`{"year":2020,"text":%q}`, doc))
	emergencyDecode[plan.PlanRow](t, res, body, 201)
	if res, _ := f.do(t, f.creds["city"], "POST", "/plan/plans", `{"year":2022,"copy_from":2020}`); res.StatusCode != 403 {
		t.Errorf("city adds a plan: %d", res.StatusCode)
	}
	tasks, _ := f.api.cfg.Plan.Tasks(ctx, 2020)
	// 长沙 reports task 1 on time; reporting for 株洲 or for a department is refused to it.
	f.api.now = func() time.Time { return time.Date(2020, 4, 5, 10, 0, 0, 0, store.CST) }
	res, body = f.do(t, f.creds["city"], "POST", fmt.Sprintf("/plan/tasks/%d/reports", tasks[0].ID),
		`{"party_kind":"city","party_code":"430100","period":"2020Q1","status":"on_track","percent":25,"text":"已排查 30 家","attachments":[{"name":"清单.xlsx","url":"/files/1"}]}`)
	emergencyDecode[plan.ReportRow](t, res, body, 201)
	for _, b := range []string{`{"party_kind":"city","party_code":"430200","period":"2020Q1","status":"on_track"}`, `{"party_kind":"department","party_code":"hn-sthjt","period":"2020Q1","status":"on_track"}`} {
		if res, body := f.do(t, f.creds["city"], "POST", fmt.Sprintf("/plan/tasks/%d/reports", tasks[0].ID), b); res.StatusCode != 403 {
			t.Errorf("city reports %s: %d %s", b, res.StatusCode, body)
		}
	}
	// The province reports for 省生态环境厅; 省应急厅 stays silent.
	res, body = f.do(t, f.creds["province"], "POST", fmt.Sprintf("/plan/tasks/%d/reports", tasks[0].ID), `{"party_kind":"department","party_code":"hn-sthjt","period":"2020Q1","status":"done","percent":100}`)
	emergencyDecode[plan.ReportRow](t, res, body, 201)
	res, body = f.do(t, f.creds["province"], "POST", fmt.Sprintf("/plan/tasks/%d/reports", tasks[0].ID), `{"party_kind":"department","party_code":"hn-sthjt","period":"2020Q1","status":"finished"}`)
	if res.StatusCode != 422 {
		t.Errorf("bad status: %d %s", res.StatusCode, body)
	}
	// The board as of 2020-04-20: who is behind on which task.
	res, body = f.do(t, f.creds["province"], "GET", "/plan/tasks?year=2020&at=2020-04-20", "")
	board := emergencyDecode[ListView[PlanTaskView]](t, res, body, 200)
	behind := func(v PlanTaskView) string {
		var s []string
		for _, b := range v.Behind {
			s = append(s, b.Code)
		}
		return strings.Join(s, ",")
	}
	// Task 1: 省应急厅 and 株洲 behind; task 2: its lead and both cities (the fixture has two).
	if got := behind(board.Items[0]); got != "hn-emergency,430200" {
		t.Errorf("task 1 behind %q", got)
	}
	if got := behind(board.Items[1]); got != "hn-sthjt,430100,430200" {
		t.Errorf("task 2 behind %q", got)
	}
	// The city officer sees only its own city.
	res, body = f.do(t, f.creds["city"], "GET", "/plan/tasks?year=2020&at=2020-04-20", "")
	board = emergencyDecode[ListView[PlanTaskView]](t, res, body, 200)
	if got := behind(board.Items[1]); got != "430100" {
		t.Errorf("city's view of task 2 behind %q", got)
	}
	// Assessment: 长沙 one on-time report out of two due, one task on track.
	res, body = f.do(t, f.creds["province"], "GET", "/plan/assessment?year=2020&at=2020-04-20&kind=city", "")
	as := emergencyDecode[ListView[PlanAssessmentView]](t, res, body, 200)
	if as.Total != 2 || as.Items[0].Code != "430100" || as.Items[0].ReportsDue != 2 || as.Items[0].ReportsOnTime != 1 || as.Items[0].Score != 50 || as.Items[0].Grade != "不合格" {
		t.Errorf("assessment %+v", as.Items)
	}
	res, body = f.do(t, f.creds["province"], "GET", "/plan/assessment?year=2020&at=2020-04-20&format=csv", "")
	if res.StatusCode != 200 || !strings.Contains(body, "score") || !strings.Contains(body, "省应急厅") {
		t.Errorf("csv export: %d %s", res.StatusCode, body)
	}
	res, body = f.do(t, f.creds["province"], "GET", "/plan/overdue?year=2020&at=2020-04-20", "")
	od := emergencyDecode[ListView[PlanDueView]](t, res, body, 200)
	// Task 1: 省应急厅 and 株洲; task 2: 省生态环境厅, 长沙 and 株洲.
	if od.Total != 5 {
		t.Errorf("overdue %+v", od.Items)
	}
	for _, d := range od.Items {
		if !d.Overdue || d.Period != "2020Q1" || d.DaysLate != 10 {
			t.Errorf("overdue row %+v", d)
		}
	}
}

// TestEmergencyPostgres runs the emergency and plan API tests on PostgreSQL.
func TestEmergencyPostgres(t *testing.T) {
	for name, fn := range map[string]func(*testing.T, *fixture){
		"IncidentAround": testEmergencyIncidentAround, "HazardsBecomeCases": testEmergencyHazardsBecomeCases, "PlanProgress": testPlanProgressAndAssessment,
	} {
		t.Run(name, func(t *testing.T) {
			st := openPostgres(t)
			t.Cleanup(func() { st.Close() })
			fn(t, newFixtureOn(t, st))
		})
	}
}
