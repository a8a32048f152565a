package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"ecowatch/auth"
	"ecowatch/inspect"
	"ecowatch/inspect/inspectstore"
	"ecowatch/store"
	"ecowatch/store/storetest"
)

func init() {
	sup := []string{"province", "city", "admin"}
	ops := []string{"province", "city", "enforcement", "admin"}
	off := []string{"enforcement"}
	all := []string{"public", "province", "city", "enforcement", "enterprise", "client", "admin"}
	for key, who := range map[string][]string{
		"GET /inspections/officers":                           sup,
		"PUT /inspections/officers/{username}":                sup,
		"GET /inspections/draws":                              ops,
		"POST /inspections/draws":                             sup,
		"GET /inspections/draws/{id}":                         ops,
		"POST /inspections/draws/{id}/run":                    sup,
		"GET /inspections/draws/{id}/record":                  ops,
		"GET /inspections/draws/{id}/snapshots/{pool}":        ops,
		"GET /inspections/tasks":                              ops,
		"POST /inspections/tasks":                             sup,
		"GET /inspections/tasks/{id}":                         ops,
		"POST /inspections/tasks/{id}/attachments":            off,
		"GET /inspections/attachments/{id}":                   ops,
		"POST /inspections/tasks/{id}/complete":               off,
		"POST /inspections/tasks/{id}/case":                   ops,
		"GET /inspections/notifications":                      off,
		"POST /inspections/notifications/read":                off,
		"GET /inspections/leads":                              ops,
		"GET /inspections/stats":                              sup,
		"GET /inspections/public/results":                     all,
		"GET /inspections/public/draws":                       all,
		"GET /inspections/public/draws/{id}":                  all,
		"GET /inspections/public/draws/{id}/snapshots/{pool}": all,
	} {
		access[key] = who
	}
	featureRequests = append(featureRequests, inspectionsRequest)
	// The compliance page of open data carries the public inspection
	// results (see inspectionsOpenPart).
	page := "/open/enterprises/" + storetest.CreditCode
	opendataAllowed[page] = append(opendataAllowed[page], "inspections", "task_id", "draw_id", "period", "credit_code", "enterprise_name",
		"region", "inspected_on", "outcome", "follow_up")
}

// inspectionsPNG is the start of a PNG file: what DetectContentType
// recognises.
const inspectionsPNG = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"

// inspectionsWorld puts the fixture's officer ("officer", county 430102)
// and a colleague in the pool and draws the key units of 长沙 (the
// fixture's enterprise) for one team of both: the task, its draw and a
// frozen draw for the run route.
type inspectionsWorld struct {
	repo                *inspectstore.Repo
	drawn, frozen, task int64
	attachment          int64
}

func inspectionsSetupWorld(t *testing.T, f *fixture) inspectionsWorld {
	t.Helper()
	ctx := context.Background()
	w := inspectionsWorld{repo: inspectstore.New(f.st.(store.SQLer).SQL(), nil)}
	cli := inspectstore.Actor{Name: "test"}
	for _, o := range []inspect.Officer{
		{ID: "officer", Name: "执法甲", Region: storetest.County, Certificate: "湘001", Available: true},
		{ID: "officer2", Name: "执法乙", Region: storetest.City, Certificate: "湘002", Available: true},
	} {
		if err := w.repo.UpsertOfficer(ctx, cli, o); err != nil {
			t.Fatal(err)
		}
	}
	plan := inspect.Plan{Region: storetest.City, Period: "2026Q4", Teams: 1, Size: 2, Groups: []inspect.GroupRule{{Group: inspect.GroupKey, Ratio: 1}}}
	now := time.Now()
	ep, err := w.repo.EnterprisePool(ctx, f.st, storetest.City, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	op, err := w.repo.OfficerPool(ctx, storetest.City, now)
	if err != nil {
		t.Fatal(err)
	}
	d, err := w.repo.Freeze(ctx, cli, plan, ep, op, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.repo.Run(ctx, cli, d.ID, "seed", "external"); err != nil {
		t.Fatal(err)
	}
	w.drawn = d.ID
	fz, err := w.repo.Freeze(ctx, cli, plan, ep, op, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	w.frozen = fz.ID
	ts, err := w.repo.Tasks(ctx, inspectstore.TaskFilter{DrawID: d.ID})
	if err != nil || len(ts) != 1 {
		t.Fatalf("tasks %v %v", ts, err)
	}
	w.task = ts[0].ID
	at, err := w.repo.AddAttachment(ctx, inspectstore.Actor{Name: "officer"}, w.task, "现场.png", "image/png", []byte(inspectionsPNG))
	if err != nil {
		t.Fatal(err)
	}
	w.attachment = at.ID
	return w
}

func inspectionsReport(industry, outcome string, findings ...inspect.Finding) string {
	var cl []inspect.CheckAnswer
	for _, c := range inspect.Checklist(industry) {
		cl = append(cl, inspect.CheckAnswer{Code: c.Code, OK: len(findings) == 0 || c.Code != "cems"})
	}
	b, _ := json.Marshal(inspect.Report{Outcome: outcome, Checklist: cl, Findings: findings, Minutes: 90, InspectedOn: "2026-10-15"})
	return string(b)
}

func inspectionsRequest(t *testing.T, f *fixture, key string) (method, path, body string, ok bool) {
	method, pattern, _ := strings.Cut(key, " ")
	if !strings.HasPrefix(pattern, "/inspections/") {
		return "", "", "", false
	}
	w := inspectionsSetupWorld(t, f)
	r := strings.NewReplacer("{username}", "officer3", "draws/{id}/run", fmt.Sprintf("draws/%d/run", w.frozen), "draws/{id}", fmt.Sprintf("draws/%d", w.drawn),
		"tasks/{id}", fmt.Sprintf("tasks/%d", w.task), "attachments/{id}", fmt.Sprintf("attachments/%d", w.attachment), "{pool}", "enterprises")
	path = r.Replace(pattern)
	switch key {
	case "PUT /inspections/officers/{username}":
		// Unavailable, so that the next draws still team officer and officer2.
		body = `{"name":"执法丙","region":"430102","certificate":"湘003","available":false,"links":[]}`
	case "POST /inspections/draws":
		body = `{"plan":{"region":"430100","period":"2026Q4","groups":[{"group":"key","ratio":1}],"teams":1,"team_size":2}}`
	case "POST /inspections/draws/{id}/run":
		body = `{"seed":"lottery 2026-09-30 1 2 3"}`
	case "POST /inspections/tasks":
		body = `{"source":"targeted","source_ref":"alarm:1","credit_code":"` + storetest.CreditCode + `","officers":["officer","officer2"]}`
	case "POST /inspections/tasks/{id}/attachments":
		path += "?name=photo.png"
		body = inspectionsPNG
	case "POST /inspections/tasks/{id}/complete":
		body = inspectionsReport("4411", inspect.OutcomeNoProblem)
	case "POST /inspections/notifications/read", "POST /inspections/tasks/{id}/case":
		// The open task has nothing for a case: 409, neither refused nor
		// an error of the server (the 503 without cases is tested below).
	}
	return method, path, body, true
}

// TestInspectionsWorkflow: a city supervisor freezes and runs a draw, the
// officer sees and completes the task with a finding and a photo, a
// stranger officer may not, the case waits for the cases feature (503),
// and the public sees the result and the draw's hashes, with the
// snapshots only once published.
func TestInspectionsWorkflow(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// First without the cases feature (the record is kept, the case
	// waits), then with it: the waiting case opens.
	cases := f.api.cfg.Cases
	f.api.cfg.Cases = nil
	repo := inspectstore.New(f.st.(store.SQLer).SQL(), nil)
	for _, o := range []inspect.Officer{
		{ID: "officer", Name: "执法甲", Region: storetest.County, Certificate: "湘001", Available: true},
		{ID: "officer2", Name: "执法乙", Region: storetest.City, Certificate: "湘002", Available: true},
	} {
		if err := repo.UpsertOfficer(ctx, inspectstore.Actor{Name: "test"}, o); err != nil {
			t.Fatal(err)
		}
	}
	city, officer := f.creds["city"], f.creds["enforcement"]
	res, body := f.do(t, city, "POST", "/inspections/draws", `{"plan":{"region":"430200","period":"2026Q4","groups":[{"group":"key","ratio":1}],"teams":1,"team_size":2}}`)
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("city draws another city: %d %s", res.StatusCode, body)
	}
	res, body = f.do(t, city, "POST", "/inspections/draws", `{"plan":{"region":"430100","period":"2026Q4","groups":[{"group":"general","ratio":1}],"teams":1,"team_size":2}}`)
	var d inspectstore.DrawRow
	json.Unmarshal([]byte(body), &d)
	if res.StatusCode != http.StatusCreated || len(d.EnterpriseHash) != 64 || d.State != "frozen" {
		t.Fatalf("freeze: %d %s", res.StatusCode, body)
	}
	// No general enterprise in 长沙: refused with the reason, recorded.
	res, body = f.do(t, city, "POST", fmt.Sprintf("/inspections/draws/%d/run", d.ID), `{}`)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "empty") {
		t.Errorf("impossible plan: %d %s", res.StatusCode, body)
	}
	res, body = f.do(t, city, "POST", "/inspections/draws", fmt.Sprintf(`{"redraw_of":%d,"reason":"分组设置错误","plan":{"region":"430100","period":"2026Q4","groups":[{"group":"key","ratio":1}],"teams":1,"team_size":2}}`, d.ID))
	json.Unmarshal([]byte(body), &d)
	if res.StatusCode != http.StatusCreated || d.RedrawOf == 0 {
		t.Fatalf("redraw: %d %s", res.StatusCode, body)
	}
	res, body = f.do(t, city, "POST", fmt.Sprintf("/inspections/draws/%d/run", d.ID), `{"seed":"福彩3D 2026-09-30 5 2 8"}`)
	json.Unmarshal([]byte(body), &d)
	if res.StatusCode != 200 || d.State != "drawn" || len(d.Result.Assignments) != 1 {
		t.Fatalf("run: %d %s", res.StatusCode, body)
	}
	// Public before publication: hashes and seed, no result, no snapshot.
	res, body = f.do(t, cred{}, "GET", fmt.Sprintf("/inspections/public/draws/%d", d.ID), "")
	if res.StatusCode != 200 || !strings.Contains(body, d.EnterpriseHash) || !strings.Contains(body, `"published":false`) || strings.Contains(body, storetest.CreditCode) {
		t.Errorf("public draw before publication: %d %s", res.StatusCode, body)
	}
	if res, _ := f.do(t, cred{}, "GET", fmt.Sprintf("/inspections/public/draws/%d/snapshots/enterprises", d.ID), ""); res.StatusCode != 404 {
		t.Errorf("snapshot public before publication: %d", res.StatusCode)
	}

	// The officer's tasks and notification.
	res, body = f.do(t, officer, "GET", "/inspections/tasks", "")
	var tasks ListView[inspect.Task]
	json.Unmarshal([]byte(body), &tasks)
	if res.StatusCode != 200 || tasks.Total != 1 || tasks.Items[0].CreditCode != storetest.CreditCode {
		t.Fatalf("officer's tasks: %d %s", res.StatusCode, body)
	}
	task := tasks.Items[0]
	if res, body := f.do(t, officer, "GET", "/inspections/notifications", ""); res.StatusCode != 200 || !strings.Contains(body, "某热电有限公司") {
		t.Errorf("notifications: %d %s", res.StatusCode, body)
	}
	// Attach a photo; an executable is refused whatever it claims.
	res, body = f.do(t, officer, "POST", fmt.Sprintf("/inspections/tasks/%d/attachments?name=cems.png", task.ID), inspectionsPNG)
	var at inspectstore.Attachment
	json.Unmarshal([]byte(body), &at)
	if res.StatusCode != 201 || at.ContentType != "image/png" {
		t.Fatalf("attach: %d %s", res.StatusCode, body)
	}
	if res, body := f.do(t, officer, "POST", fmt.Sprintf("/inspections/tasks/%d/attachments?name=x.exe", task.ID), "MZ\x90\x00\x03"); res.StatusCode != 422 {
		t.Errorf("exe attached: %d %s", res.StatusCode, body)
	}
	rep := inspectionsReport(task.Industry, inspect.OutcomeProblems, inspect.Finding{Text: "CEMS 采样探头堵塞，数据失真", Attachments: []int64{at.ID}})
	res, body = f.do(t, officer, "POST", fmt.Sprintf("/inspections/tasks/%d/complete", task.ID), rep)
	if res.StatusCode != 200 || !strings.Contains(body, `"case_pending":true`) || !strings.Contains(body, `"state":"done"`) {
		t.Fatalf("complete: %d %s", res.StatusCode, body)
	}
	res, body = f.do(t, officer, "POST", fmt.Sprintf("/inspections/tasks/%d/case", task.ID), "")
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "cases feature") {
		t.Errorf("case without the cases feature: %d %s", res.StatusCode, body)
	}
	f.api.cfg.Cases = cases
	res, body = f.do(t, officer, "POST", fmt.Sprintf("/inspections/tasks/%d/case", task.ID), "")
	var withCase struct {
		CaseID int64 `json:"case_id"`
	}
	json.Unmarshal([]byte(body), &withCase)
	if res.StatusCode != 200 || withCase.CaseID == 0 {
		t.Fatalf("case with the cases feature: %d %s", res.StatusCode, body)
	}
	if res, body := f.do(t, f.creds["city"], "GET", fmt.Sprintf("/cases/%d", withCase.CaseID), ""); res.StatusCode != 200 ||
		!strings.Contains(body, `"source":"inspection"`) || !strings.Contains(body, "CEMS") {
		t.Errorf("the inspection's case: %d %s", res.StatusCode, body)
	}

	// Published now (every task done): result and snapshots public; the
	// public results show no officer or finding.
	res, body = f.do(t, cred{}, "GET", "/inspections/public/results?city=430100&period=2026Q4", "")
	if res.StatusCode != 200 || !strings.Contains(body, `"follow_up":"rectification"`) || strings.Contains(body, "officer") || strings.Contains(body, "CEMS") {
		t.Errorf("public results: %d %s", res.StatusCode, body)
	}
	if res, body := f.do(t, cred{}, "GET", "/inspections/public/results?city=430200", ""); !strings.Contains(body, `"total":0`) {
		t.Errorf("other city's results: %d %s", res.StatusCode, body)
	}
	// The enterprise's open-data compliance page lists it too.
	if res, body := f.do(t, cred{}, "GET", "/open/enterprises/"+storetest.CreditCode, ""); res.StatusCode != 200 ||
		!strings.Contains(body, `"inspections":[{"task_id":`) || !strings.Contains(body, `"follow_up":"rectification"`) || strings.Contains(body, "CEMS 采样") {
		t.Errorf("compliance page: %d %s", res.StatusCode, body)
	}
	res, body = f.do(t, cred{}, "GET", fmt.Sprintf("/inspections/public/draws/%d", d.ID), "")
	var pub inspectionsPublicDrawView
	json.Unmarshal([]byte(body), &pub)
	if res.StatusCode != 200 || !pub.Published || pub.Record == nil {
		t.Fatalf("public draw after publication: %d %s", res.StatusCode, body)
	}
	_, eb := f.do(t, cred{}, "GET", fmt.Sprintf("/inspections/public/draws/%d/snapshots/enterprises", d.ID), "")
	_, ob := f.do(t, cred{}, "GET", fmt.Sprintf("/inspections/public/draws/%d/snapshots/officers", d.ID), "")
	if err := inspect.Verify(*pub.Record, []byte(eb), []byte(ob)); err != nil {
		t.Errorf("the published draw does not verify: %v", err)
	}
	if pub.ResultHash != pub.Record.ResultHash() {
		t.Error("published result hash differs from the record's")
	}

	// Statistics and CSV export.
	res, body = f.do(t, city, "GET", "/inspections/stats?period=2026Q4", "")
	var st inspect.Stats
	json.Unmarshal([]byte(body), &st)
	if res.StatusCode != 200 || len(st.Coverage) != 1 || st.Coverage[0].Done != 1 || len(st.Sources) != 1 || st.Sources[0].FindingsRate != 1 {
		t.Errorf("stats: %d %s", res.StatusCode, body)
	}
	res, body = f.do(t, city, "GET", "/inspections/stats?table=officers&format=csv", "")
	if res.StatusCode != 200 || !strings.Contains(body, "officer,1,1,90") {
		t.Errorf("stats csv: %d %q", res.StatusCode, body)
	}
}

// inspectionsCases is a CaseOpener that records what it was asked.
type inspectionsCases struct{ got []CaseRequest }

func (c *inspectionsCases) OpenCase(_ context.Context, r CaseRequest) (int64, error) {
	c.got = append(c.got, r)
	return 42, nil
}

// TestInspectionsFindingOpensCase: with the cases feature present, a
// finding opens one case with the inspection as its source.
func TestInspectionsFindingOpensCase(t *testing.T) {
	f := newFixture(t)
	cases := &inspectionsCases{}
	api, err := New(Config{Store: f.st, Accounts: f.st, Hasher: cheap, Cases: cases})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	f.srv.Close()
	f.srv = srv
	w := inspectionsSetupWorld(t, f)
	officer := f.signIn(t, "officer", testPassword)
	rep := inspectionsReport("4411", inspect.OutcomeReferral, inspect.Finding{Text: "旁路偷排", Attachments: []int64{w.attachment}})
	res, body := f.do(t, officer, "POST", fmt.Sprintf("/inspections/tasks/%d/complete", w.task), rep)
	if res.StatusCode != 200 || !strings.Contains(body, `"case_id":42`) || len(cases.got) != 1 {
		t.Fatalf("complete: %d %s (cases %+v)", res.StatusCode, body, cases.got)
	}
	c := cases.got[0]
	if c.Source != "inspection" || c.SourceRef != fmt.Sprintf("inspection:%d", w.task) || c.EnterpriseCode != storetest.CreditCode || c.Severity != "high" || c.Actor != "officer" {
		t.Errorf("case request %+v", c)
	}
	// Another officer of the city may not complete or read the task.
	if p := (auth.Principal{Role: auth.Enforcement, Username: "other", Region: storetest.County}); inspectionsTaskVisible(p, inspect.Task{Officers: []string{"officer"}, Region: storetest.County}) {
		t.Error("a task is visible to an officer not on its team")
	}
}
