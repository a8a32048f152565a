package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"ecowatch/auth"
	"ecowatch/casework"
	"ecowatch/registry"
	"ecowatch/store"
	"ecowatch/store/storetest"
)

// The cases and complaints routes' rows of the access table, and their
// requests: each call builds fresh objects inside the 长沙 accounts'
// scope (the enterprise user's enterprise, county 430102), so every role
// of the table acts on an object it may see.
func init() {
	officers := []string{"province", "city", "enforcement", "admin"}
	readers := []string{"province", "city", "enforcement", "enterprise", "admin"}
	everyone := []string{"public", "province", "city", "enforcement", "enterprise", "client", "admin"}
	for k, v := range map[string][]string{
		"GET /cases":                             readers,
		"POST /cases":                            officers,
		"GET /case-stats":                        officers,
		"GET /cases/{id}":                        readers,
		"POST /cases/{id}/actions/{action}":      readers,
		"GET /cases/{id}/attachments/{aid}":      readers,
		"GET /audit/history":                     readers, // the client's token lacks audit:read
		"GET /audit/verify":                      {"province", "admin"},
		"POST /complaints":                       everyone,
		"GET /complaints/track/{code}":           everyone,
		"GET /complaints":                        officers,
		"GET /complaints/{id}":                   officers,
		"POST /complaints/{id}/actions/{action}": officers,
		"GET /complaints/{id}/attachments/{aid}": officers,
	} {
		access[k] = v
	}
	featureRequests = append(featureRequests, casesRequest)
}

// casesPNG is a 1×1 PNG: enough bytes for content sniffing.
var casesPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde")

var casesSys = casework.Actor{Name: "test"}

// casesNew registers a case in county 430102 of the fixture's enterprise
// and takes it to state via the workflow.
func casesNew(t testing.TB, f *fixture, to casework.State) casework.Case {
	t.Helper()
	ctx := context.Background()
	r := f.api.cases.repo
	c, err := r.Create(ctx, casework.Case{Title: "锅炉二氧化硫超标整改", Source: casework.SourceProvincialInspection, Category: "air",
		RegionCode: storetest.County, EnterpriseCode: storetest.CreditCode, PointCode: storetest.Outlet, Deadline: time.Now().AddDate(0, 1, 0)}, casesSys)
	if err != nil {
		t.Fatal(err)
	}
	adm := auth.Principal{Username: "admin-test", Role: auth.Admin}
	steps := []struct {
		a  casework.Action
		in casework.Input
	}{{casework.ActAssign, casework.Input{Assignee: "enterprise"}}, {casework.ActStart, casework.Input{Plan: "更换脱硫设施"}}}
	for _, s := range steps {
		if c.State == to {
			break
		}
		if c, err = r.Act(ctx, c.ID, s.a, adm, s.in, casesSys); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// casesAttached is a case with a progress report carrying a PNG.
func casesAttached(t testing.TB, f *fixture) (casework.Case, int64) {
	t.Helper()
	c := casesNew(t, f, casework.Rectifying)
	file, err := f.api.cases.files.Put(bytes.NewReader(casesPNG), "现场.png")
	if err != nil {
		t.Fatal(err)
	}
	adm := auth.Principal{Username: "admin-test", Role: auth.Admin}
	if _, err := f.api.cases.repo.Act(context.Background(), c.ID, casework.ActReport, adm, casework.Input{Note: "进展", Files: []casework.File{file}}, casesSys); err != nil {
		t.Fatal(err)
	}
	as, err := f.api.cases.repo.Attachments(context.Background(), "case", c.ID)
	if err != nil || len(as) != 1 {
		t.Fatalf("attachments %v %v", as, err)
	}
	return c, as[0].ID
}

// casesComplaint submits a complaint in county 430102 and assigns it
// there.
func casesComplaint(t testing.TB, f *fixture, photo bool) (casework.Complaint, int64) {
	t.Helper()
	ctx := context.Background()
	var files []casework.File
	if photo {
		file, err := f.api.cases.files.Put(bytes.NewReader(casesPNG), "photo.png")
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, file)
	}
	c, err := f.api.cases.repo.Submit(ctx, casework.Complaint{What: "河边排污口冒黑水", Address: "芙蓉区某路", RegionCode: storetest.County}, files, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	adm := auth.Principal{Username: "admin-test", Role: auth.Admin}
	if c, err = f.api.cases.repo.TriageComplaint(ctx, c.ID, casework.CActAssign, adm, casework.Triage{RegionCode: storetest.County}, casesSys); err != nil {
		t.Fatal(err)
	}
	var aid int64
	if photo {
		as, _ := f.api.cases.repo.Attachments(ctx, "complaint", c.ID)
		aid = as[0].ID
	}
	return c, aid
}

func casesRequest(t *testing.T, f *fixture, key string) (method, path, body string, ok bool) {
	method, _, _ = strings.Cut(key, " ")
	switch key {
	case "GET /cases":
		return method, "/cases?state=open&overdue=false", "", true
	case "POST /cases":
		return method, "/cases", fmt.Sprintf(`{"title":"人工登记","source":"leaders-instruction","category":"water","region_code":%q,"deadline":"2030-01-01T00:00:00+08:00"}`, storetest.County), true
	case "GET /case-stats":
		return method, "/case-stats", "", true
	case "GET /cases/{id}":
		return method, fmt.Sprintf("/cases/%d", casesNew(t, f, casework.Registered).ID), "", true
	case "POST /cases/{id}/actions/{action}":
		return method, fmt.Sprintf("/cases/%d/actions/report", casesNew(t, f, casework.Rectifying).ID), `{"note":"已完成一半"}`, true
	case "GET /cases/{id}/attachments/{aid}":
		c, aid := casesAttached(t, f)
		return method, fmt.Sprintf("/cases/%d/attachments/%d", c.ID, aid), "", true
	case "GET /audit/history":
		return method, fmt.Sprintf("/audit/history?object=case:%d", casesNew(t, f, casework.Registered).ID), "", true
	case "GET /audit/verify":
		return method, "/audit/verify", "", true
	case "POST /complaints":
		return method, "/complaints", `{"what":"工厂夜间冒黑烟","address":"长沙市芙蓉区"}`, true
	case "GET /complaints/track/{code}":
		c, _ := casesComplaint(t, f, false)
		return method, "/complaints/track/" + c.TrackingCode, "", true
	case "GET /complaints":
		return method, "/complaints", "", true
	case "GET /complaints/{id}":
		c, _ := casesComplaint(t, f, false)
		return method, fmt.Sprintf("/complaints/%d", c.ID), "", true
	case "POST /complaints/{id}/actions/{action}":
		c, _ := casesComplaint(t, f, false)
		return method, fmt.Sprintf("/complaints/%d/actions/verify", c.ID), `{"result":"unfounded","note":"现场未见异常"}`, true
	case "GET /complaints/{id}/attachments/{aid}":
		c, aid := casesComplaint(t, f, true)
		return method, fmt.Sprintf("/complaints/%d/attachments/%d", c.ID, aid), "", true
	}
	return "", "", "", false
}

func casesJSON(t *testing.T, res *http.Response, body string, want int, v any) {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("%s %s: %d %s, want %d", res.Request.Method, res.Request.URL.Path, res.StatusCode, body, want)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(body), v); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
	}
}

// TestCasesWorkflowOverHTTP: a case registered by hand is assigned by the
// city, rectified by the enterprise (a progress report with a photo),
// verified by the enforcement officer and closed by the province; the
// page shows the whole timeline and audit history, and the chain holds.
func TestCasesWorkflowOverHTTP(t *testing.T) { casesWorkflowTest(t, newFixture(t)) }

func casesWorkflowTest(t *testing.T, f *fixture) {
	ctx := context.Background()
	if err := f.st.UpsertDepartment(ctx, registry.Department{Code: "hn-eco-env", Name: "省生态环境厅"}); err != nil {
		t.Fatal(err)
	}
	var c CaseView
	res, body := f.do(t, f.creds["city"], "POST", "/cases", fmt.Sprintf(`{"title":"中央督察反馈：锅炉超标","source":"central-inspection","category":"air",
		"enterprise_code":%q,"lead_department":"hn-eco-env","responsible_units":["hn-eco-env"],"deadline":"2030-06-30T00:00:00+08:00","severity":"high"}`, storetest.CreditCode))
	casesJSON(t, res, body, 201, &c)
	if c.RegionCode != storetest.County || c.State != "registered" || c.CreatedBy != "changsha" || c.LeadName != "省生态环境厅" || c.UnitNames[0] != "省生态环境厅" {
		t.Fatalf("created %+v", c)
	}
	act := func(role, action, body string, want int) CaseDetailView {
		t.Helper()
		var d CaseDetailView
		res, got := f.do(t, f.creds[role], "POST", fmt.Sprintf("/cases/%d/actions/%s", c.ID, action), body)
		if want != 200 {
			if res.StatusCode != want {
				t.Fatalf("%s by %s: %d %s, want %d", action, role, res.StatusCode, got, want)
			}
			return d
		}
		casesJSON(t, res, got, 200, &d)
		return d
	}
	act("enterprise", "assign", `{"assignee":"enterprise"}`, 403)
	d := act("city", "assign", `{"assignee":"enterprise"}`, 200)
	if d.Case.State != "assigned" {
		t.Fatalf("after assign %+v", d.Case)
	}
	act("enterprise", "start", `{"plan":""}`, 422)
	act("enterprise", "start", `{"plan":"更换脱硫塔","milestones":[{"title":"设备到货","due":"2030-03-01T00:00:00+08:00"}]}`, 200)
	// A progress report with a photo (multipart), and one with a script
	// disguised as a photo, which is refused and stores nothing.
	mp := func(note string, name string, content []byte) (string, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("json", fmt.Sprintf(`{"note":%q}`, note))
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="files"; filename=%q`, name))
		h.Set("Content-Type", "image/png")
		w, _ := mw.CreatePart(h)
		w.Write(content)
		mw.Close()
		return buf.String(), mw.FormDataContentType()
	}
	send := func(role, body, ct string) (*http.Response, string) {
		req, _ := http.NewRequest("POST", f.srv.URL+Prefix+fmt.Sprintf("/cases/%d/actions/report", c.ID), strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		req.AddCookie(f.creds[role].cookie)
		req.Header.Set("X-CSRF-Token", f.creds[role].csrf)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	b, ct := mp("脱硫塔已安装", "site.png", casesPNG)
	res, body = send("enterprise", b, ct)
	casesJSON(t, res, body, 200, &d)
	b, ct = mp("见附件", "photo.png", []byte("<html><script>alert(1)</script></html>"))
	res, body = send("enterprise", b, ct)
	if res.StatusCode != 422 || !strings.Contains(body, "not accepted") {
		t.Errorf("html as a photo: %d %s", res.StatusCode, body)
	}
	act("enterprise", "submit", `{"note":"整改完成"}`, 200)
	// Another enterprise, or another city, may not see it at all.
	d = act("enforcement", "verify", `{"method":"on-site","note":"现场核查合格"}`, 200)
	act("enforcement", "close", `{}`, 403)
	d = act("province", "close", `{"note":"同意销号"}`, 200)
	if d.Case.State != "closed" || d.Case.ClosedBy != "province" || d.Case.VerifiedBy != "officer" || d.Case.SubmittedBy != "enterprise" {
		t.Fatalf("closed case %+v", d.Case)
	}
	var got CaseDetailView
	res, body = f.do(t, f.creds["enterprise"], "GET", fmt.Sprintf("/cases/%d", c.ID), "")
	casesJSON(t, res, body, 200, &got)
	var actions []string
	var att *CaseAttachmentView
	for _, e := range got.Events {
		actions = append(actions, e.Action)
		if len(e.Attachments) > 0 {
			att = &e.Attachments[0]
		}
	}
	if strings.Join(actions, ",") != "register,assign,start,report,submit,verify,close" {
		t.Errorf("timeline %v", actions)
	}
	if len(got.Audit) != 7 || got.Audit[6].Action != "case.close" || len(got.Actions) != 0 {
		t.Errorf("audit %d entries, actions %v", len(got.Audit), got.Actions)
	}
	if att == nil || att.ContentType != "image/png" {
		t.Fatalf("no attachment on the report: %+v", got.Events)
	}
	res, body = f.do(t, f.creds["enterprise"], "GET", strings.TrimPrefix(att.URL, Prefix), "")
	if res.StatusCode != 200 || body != string(casesPNG) || res.Header.Get("Content-Type") != "image/png" ||
		res.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("attachment: %d %q %v", res.StatusCode, res.Header.Get("Content-Type"), res.Header)
	}
	var hist ListView[AuditView]
	res, body = f.do(t, f.creds["city"], "GET", fmt.Sprintf("/audit/history?object=case:%d", c.ID), "")
	casesJSON(t, res, body, 200, &hist)
	if hist.Total != 7 {
		t.Errorf("history %d entries", hist.Total)
	}
	var chain CaseChainView
	res, body = f.do(t, f.creds["province"], "GET", "/audit/verify", "")
	casesJSON(t, res, body, 200, &chain)
	if !chain.OK || chain.Checked < 7 {
		t.Errorf("chain %+v", chain)
	}
	var stats CaseStatsView
	res, body = f.do(t, f.creds["city"], "GET", "/case-stats", "")
	casesJSON(t, res, body, 200, &stats)
	if stats.Closed != 1 || stats.Open != 0 || len(stats.ByCity) != 1 || stats.ByCity[0].Key != storetest.City || stats.ByDepartment[0].Name != "省生态环境厅" {
		t.Errorf("stats %+v", stats)
	}
}

// TestCasesScoping: objects outside the caller's region or enterprise are
// refused, and lists leave them out.
func TestCasesScoping(t *testing.T) { casesScopingTest(t, newFixture(t)) }

func casesScopingTest(t *testing.T, f *fixture) {
	ctx := context.Background()
	other, err := f.api.cases.repo.Create(ctx, casework.Case{Title: "株洲某冶炼厂", Source: casework.SourceYangtzeFilm, Category: "soil",
		RegionCode: otherCity, EnterpriseCode: otherCredit, Deadline: time.Now().AddDate(0, 0, -1)}, casesSys)
	if err != nil {
		t.Fatal(err)
	}
	mine := casesNew(t, f, casework.Registered)
	for _, role := range []string{"city", "enforcement", "enterprise"} {
		res, body := f.do(t, f.creds[role], "GET", fmt.Sprintf("/cases/%d", other.ID), "")
		if res.StatusCode != 403 {
			t.Errorf("%s reads 株洲's case: %d %s", role, res.StatusCode, body)
		}
		res, body = f.do(t, f.creds[role], "GET", fmt.Sprintf("/audit/history?object=case:%d", other.ID), "")
		if res.StatusCode != 403 {
			t.Errorf("%s reads 株洲's case history: %d %s", role, res.StatusCode, body)
		}
		var l ListView[CaseView]
		res, body = f.do(t, f.creds[role], "GET", "/cases", "")
		casesJSON(t, res, body, 200, &l)
		if l.Total != 1 || l.Items[0].ID != mine.ID {
			t.Errorf("%s lists %d cases", role, l.Total)
		}
	}
	res, body := f.do(t, f.creds["city"], "GET", "/cases?format=csv", "")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || !strings.Contains(body, "title") ||
		!strings.Contains(body, mine.Title) || strings.Contains(body, other.Title) {
		t.Errorf("CSV export: %d %q %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	var l ListView[CaseView]
	res, body = f.do(t, f.creds["province"], "GET", "/cases?overdue=true", "")
	casesJSON(t, res, body, 200, &l)
	if l.Total != 1 || l.Items[0].ID != other.ID || !l.Items[0].Overdue {
		t.Errorf("province overdue list: %+v", l)
	}
	// A city's code selects its counties, and only its own: 431000 (郴州)
	// must not select 4311xx.
	if _, err := f.api.cases.repo.Create(ctx, casework.Case{Title: "永州某矿", Source: casework.SourceYangtzeFilm, Category: "soil",
		RegionCode: "431102", Deadline: time.Now().AddDate(0, 1, 0)}, casesSys); err != nil {
		t.Fatal(err)
	}
	for region, want := range map[string]int{storetest.City: 1, otherCity: 1, "431000": 0, "431100": 1, "430000": 3, storetest.County: 1} {
		res, body := f.do(t, f.creds["province"], "GET", "/cases?region="+region, "")
		casesJSON(t, res, body, 200, &l)
		if l.Total != want {
			t.Errorf("region=%s: %d cases, want %d", region, l.Total, want)
		}
	}
	res, body = f.do(t, f.creds["city"], "POST", "/cases", fmt.Sprintf(`{"title":"x","source":"leaders-instruction","category":"air","region_code":%q,"deadline":"2030-01-01T00:00:00Z"}`, otherCity))
	if res.StatusCode != 403 {
		t.Errorf("长沙 registers a case in 株洲: %d %s", res.StatusCode, body)
	}
	res, body = f.do(t, f.creds["city"], "POST", "/cases", `{"title":"x","source":"alarm","category":"air","region_code":"430102","deadline":"2030-01-01T00:00:00Z"}`)
	if res.StatusCode != 422 {
		t.Errorf("a hand-made case with source alarm: %d %s", res.StatusCode, body)
	}
	res, body = f.do(t, f.creds["city"], "GET", "/cases?state=bogus", "")
	if res.StatusCode != 422 || !strings.Contains(body, `"state"`) {
		t.Errorf("bad filter: %d %s", res.StatusCode, body)
	}
	res, body = f.do(t, f.creds["enforcement"], "GET", "/audit/history?object=user:admin", "")
	if res.StatusCode != 403 {
		t.Errorf("officer reads a user's history: %d %s", res.StatusCode, body)
	}
	res, body = f.do(t, f.creds["enterprise"], "GET", "/audit/history?object=device:"+storetest.MN, "")
	if res.StatusCode != 200 {
		t.Errorf("enterprise reads its device's history: %d %s", res.StatusCode, body)
	}
	res, _ = f.do(t, f.creds["enterprise"], "GET", "/audit/history?object=device:"+otherMN, "")
	if res.StatusCode != 403 {
		t.Errorf("enterprise reads another's device history: %d", res.StatusCode)
	}
}

// TestCaseOpener: the opener other features use is set up, idempotent per
// source object, and reopens a closed case on a recurrence.
func TestCaseOpener(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if f.api.cfg.Cases == nil {
		t.Fatal("Config.Cases is nil after setup")
	}
	req := CaseRequest{Source: "alarm", SourceRef: "alarm:7", Title: "SO2 超标", Category: "air", Severity: "high", RegionCode: storetest.County, Actor: "province"}
	id, err := f.api.cfg.Cases.OpenCase(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if id2, err := f.api.cfg.Cases.OpenCase(ctx, req); err != nil || id2 != id {
		t.Errorf("second open: %d %v, want %d", id2, err, id)
	}
	// A request naming only the point gets its enterprise and region.
	pid, err := f.api.cfg.Cases.OpenCase(ctx, CaseRequest{Source: "alarm", SourceRef: "alarm:9", Title: "恒值", Category: "air", PointCode: storetest.Outlet})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := f.api.cases.repo.Case(ctx, pid)
	if err != nil || pc.RegionCode != storetest.County || pc.EnterpriseCode != storetest.CreditCode || pc.CreatedBy != "system" {
		t.Errorf("case from a point: %+v %v", pc, err)
	}
	if _, err := f.api.cfg.Cases.OpenCase(ctx, CaseRequest{Source: "alarm", SourceRef: "alarm:10", Title: "x", Category: "air", PointCode: "NOPE"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown point: %v", err)
	}
	req.Category = "smell"
	req.SourceRef = "alarm:8"
	if _, err := f.api.cfg.Cases.OpenCase(ctx, req); err == nil || !strings.Contains(err.Error(), "category") {
		t.Errorf("bad category: %v", err)
	}
}

// TestComplaintsOverHTTP: a public complaint with a photo, tracked by its
// code (no internal notes), triaged to a case; abuse limits.
func TestComplaintsOverHTTP(t *testing.T) { casesComplaintsTest(t, newFixture(t)) }

func casesComplaintsTest(t *testing.T, f *fixture) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("json", `{"what":"河道夜间偷排","address":"长沙市芙蓉区","lon":112.98,"lat":28.19,"contact":"13800000000","region_code":"430102"}`)
	w, _ := mw.CreateFormFile("files", "p.png")
	w.Write(casesPNG)
	mw.Close()
	req, _ := http.NewRequest("POST", f.srv.URL+Prefix+"/complaints", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var rc ComplaintReceipt
	casesJSON(t, res, string(b), 201, &rc)
	if rc.Photos != 1 || !casework.ValidTrackingCode(rc.TrackingCode) {
		t.Fatalf("receipt %+v", rc)
	}
	// A PDF is no photo.
	buf.Reset()
	mw = multipart.NewWriter(&buf)
	mw.WriteField("json", `{"what":"x","address":"y"}`)
	w, _ = mw.CreateFormFile("files", "p.pdf")
	w.Write([]byte("%PDF-1.4\n"))
	mw.Close()
	req, _ = http.NewRequest("POST", f.srv.URL+Prefix+"/complaints", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, _ = http.DefaultClient.Do(req)
	res.Body.Close()
	if res.StatusCode != 422 {
		t.Errorf("a PDF as a complaint photo: %d", res.StatusCode)
	}
	// A refused complaint stores none of its photos (validated first).
	unique := append(append([]byte{}, casesPNG...), []byte(time.Now().String())...)
	buf.Reset()
	mw = multipart.NewWriter(&buf)
	mw.WriteField("json", `{"what":"","address":"y"}`)
	w, _ = mw.CreateFormFile("files", "p.png")
	w.Write(unique)
	mw.Close()
	req, _ = http.NewRequest("POST", f.srv.URL+Prefix+"/complaints", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, _ = http.DefaultClient.Do(req)
	res.Body.Close()
	sum := sha256.Sum256(unique)
	if _, err := f.api.cases.files.Open(hex.EncodeToString(sum[:])); res.StatusCode != 422 || !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an empty complaint with a photo: %d, file stored: %v", res.StatusCode, err)
	}
	res, body := f.do(t, cred{}, "POST", "/complaints", `{"what":"","address":"y"}`)
	if res.StatusCode != 422 || !strings.Contains(body, "what") {
		t.Errorf("empty complaint: %d %s", res.StatusCode, body)
	}
	// Triage: list, verify (partly) → a case, feedback, reward.
	var l ListView[ComplaintView]
	res, body = f.do(t, f.creds["province"], "GET", "/complaints", "")
	casesJSON(t, res, body, 200, &l)
	if l.Total != 1 || l.Items[0].Contact != "13800000000" {
		t.Fatalf("triage list %+v", l)
	}
	id := l.Items[0].ID
	var d ComplaintDetailView
	res, body = f.do(t, f.creds["province"], "POST", fmt.Sprintf("/complaints/%d/actions/assign", id), `{"region_code":"430102"}`)
	casesJSON(t, res, body, 200, &d)
	res, body = f.do(t, f.creds["enforcement"], "POST", fmt.Sprintf("/complaints/%d/actions/verify", id), `{"result":"partly"}`)
	if res.StatusCode != 422 || !strings.Contains(body, "category") {
		t.Errorf("confirmed without a category: %d %s", res.StatusCode, body)
	}
	res, body = f.do(t, f.creds["enforcement"], "POST", fmt.Sprintf("/complaints/%d/actions/verify", id), `{"result":"partly","category":"water","note":"内部：企业负责人承认"}`)
	casesJSON(t, res, body, 200, &d)
	if d.Complaint.CaseID == 0 || len(d.Complaint.Photos) != 1 {
		t.Fatalf("verified %+v", d.Complaint)
	}
	res, body = f.do(t, f.creds["city"], "GET", fmt.Sprintf("/cases/%d", d.Complaint.CaseID), "")
	if res.StatusCode != 200 || !strings.Contains(body, `"source":"complaint"`) {
		t.Errorf("the complaint's case: %d %s", res.StatusCode, body)
	}
	res, body = f.do(t, f.creds["city"], "POST", fmt.Sprintf("/complaints/%d/actions/reward", id), `{"decision":"granted","amount":300}`)
	if res.StatusCode != 403 {
		t.Errorf("city decided a reward: %d %s", res.StatusCode, body)
	}
	f.do(t, f.creds["province"], "POST", fmt.Sprintf("/complaints/%d/actions/reward", id), `{"decision":"granted","amount":300}`)
	res, body = f.do(t, f.creds["city"], "POST", fmt.Sprintf("/complaints/%d/actions/feedback", id), `{"feedback":"经查部分属实，已立案整改。"}`)
	casesJSON(t, res, body, 200, &d)
	var pub map[string]any
	res, body = f.do(t, cred{}, "GET", "/complaints/track/"+strings.ToLower(rc.TrackingCode), "")
	casesJSON(t, res, body, 200, &pub)
	if pub["state"] != "closed" || pub["result"] != "partly" || pub["feedback"] != "经查部分属实，已立案整改。" || pub["reward_amount"] != float64(300) {
		t.Errorf("public view %v", pub)
	}
	for _, secret := range []string{"内部", "13800000000", "enforcement", "officer", "192.0.2", "127.0.0.1"} {
		if strings.Contains(body, secret) {
			t.Errorf("the public view shows %q: %s", secret, body)
		}
	}
	res, _ = f.do(t, cred{}, "GET", "/complaints/track/NOTACODE", "")
	if res.StatusCode != 422 {
		t.Errorf("malformed code: %d", res.StatusCode)
	}
	res, _ = f.do(t, cred{}, "GET", "/complaints/track/ABCDEFGHJKMNPQ", "")
	if res.StatusCode != 404 {
		t.Errorf("unknown code: %d", res.StatusCode)
	}
	// Rate limit: one address submits at most complaintsPerHour an hour.
	n := 1
	for ; n <= complaintsPerHour+1; n++ {
		res, _ = f.do(t, cred{}, "POST", "/complaints", `{"what":"又冒烟了","address":"长沙"}`)
		if res.StatusCode == http.StatusTooManyRequests {
			break
		}
	}
	if n != complaintsPerHour || res.Header.Get("Retry-After") == "" {
		t.Errorf("rate limited at submission %d (status %d), want at %d", n+1, res.StatusCode, complaintsPerHour+1)
	}
	// Signed-in staff entering a phone report are not limited.
	res, body = f.do(t, f.creds["city"], "POST", "/complaints", `{"what":"电话举报","address":"长沙"}`)
	if res.StatusCode != 201 {
		t.Errorf("staff submission: %d %s", res.StatusCode, body)
	}
}

// TestCasesPostgres runs the cases and complaints behaviour tests on
// PostgreSQL (skipped, saying how to enable it, where it is absent;
// failed under CI=true).
func TestCasesPostgres(t *testing.T) {
	for name, fn := range map[string]func(*testing.T, *fixture){
		"Workflow": casesWorkflowTest, "Scoping": casesScopingTest, "Complaints": casesComplaintsTest,
	} {
		t.Run(name, func(t *testing.T) {
			st := openPostgres(t)
			t.Cleanup(func() { st.Close() })
			fn(t, newFixtureOn(t, st))
		})
	}
}
