package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"ecowatch/alarm"
	"ecowatch/registry"
	"ecowatch/store/storetest"
)

func init() {
	for k, v := range map[string][]string{
		"GET /alarms":                      {"province", "city", "enforcement", "enterprise", "client", "admin"},
		"GET /alarm-summary":               {"province", "city", "enforcement", "enterprise", "client", "admin"},
		"GET /alarm-inbox":                 {"province", "city", "enforcement", "enterprise", "client", "admin"},
		"GET /alarms/{id}":                 {"province", "city", "enforcement", "enterprise", "client", "admin"},
		"POST /alarms/{id}/acknowledge":    {"province", "city", "enforcement", "admin"},
		"POST /alarms/{id}/dismiss":        {"province", "city", "enforcement", "admin"},
		"POST /alarms/{id}/case":           {"province", "city", "admin"},
		"GET /alarm-settings":              {"province", "city", "admin"},
		"PUT /alarm-settings":              {"province", "admin"},
		"DELETE /alarm-settings":           {"province", "admin"},
		"GET /alarm-links":                 {"province", "city", "admin"},
		"POST /alarm-links":                {"province", "admin"},
		"GET /alarm-subscriptions":         {"province", "city", "enforcement", "enterprise", "admin"},
		"POST /alarm-subscriptions":        {"province", "city", "enforcement", "enterprise", "admin"},
		"DELETE /alarm-subscriptions/{id}": {"province", "city", "enforcement", "enterprise", "admin"},
		"GET /alarm-webhooks":              {"admin"},
		"POST /alarm-webhooks":             {"admin"},
		"DELETE /alarm-webhooks/{id}":      {"admin"},
		"GET /alarm-deliveries":            {"admin"},
	} {
		access[k] = v
	}
	featureRequests = append(featureRequests, alarmsRequest)
}

// alarmsFakeCases opens case 4242 for any request, and remembers it.
type alarmsFakeCases struct{ got *CaseRequest }

func (c alarmsFakeCases) OpenCase(_ context.Context, r CaseRequest) (int64, error) {
	if c.got != nil {
		*c.got = r
	}
	return 4242, nil
}

// alarmsFixtureAlarm opens (or repeats) an alarm at the fixture's outlet,
// inside the 长沙 accounts' and the enterprise user's scope.
func alarmsFixtureAlarm(t *testing.T, f *fixture, factor string) alarm.Alarm {
	t.Helper()
	a, _, err := f.api.alarms.repo.Apply(context.Background(), alarm.Transition{Change: alarm.Fire, Rule: alarm.Exceedance,
		Point: storetest.Outlet, Factor: factor, MN: storetest.MN, Region: storetest.County, Enterprise: storetest.CreditCode,
		Severity: alarm.High, At: time.Now(), Value: 50, Threshold: 35, Message: "SO2 over the limit"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func alarmsRequest(t *testing.T, f *fixture, key string) (method, path, body string, ok bool) {
	ctx := context.Background()
	repo := f.api.alarms.repo
	method, path, _ = strings.Cut(key, " ")
	switch key {
	case "GET /alarms", "GET /alarm-summary", "GET /alarm-inbox", "GET /alarm-settings", "GET /alarm-links",
		"GET /alarm-subscriptions", "GET /alarm-webhooks", "GET /alarm-deliveries":
		alarmsFixtureAlarm(t, f, "a21026")
	case "GET /alarms/{id}", "POST /alarms/{id}/acknowledge", "POST /alarms/{id}/dismiss", "POST /alarms/{id}/case":
		a := alarmsFixtureAlarm(t, f, "a21026")
		path = strings.Replace(path, "{id}", fmt.Sprint(a.ID), 1)
		switch key {
		case "POST /alarms/{id}/dismiss":
			body = `{"reason":"analyser being replaced"}`
		case "POST /alarms/{id}/case":
			f.api.cfg.Cases = alarmsFakeCases{}
		}
	case "PUT /alarm-settings":
		body = `{"rule":"flat","scope":"kind:gas_outlet","override":{"count":20}}`
	case "DELETE /alarm-settings":
		n := 20
		if err := repo.PutSetting(ctx, alarm.Setting{Rule: alarm.Flat, Scope: "kind:gas_outlet", Override: alarm.Override{Count: &n}}, "t", ""); err != nil {
			t.Fatal(err)
		}
		path += "?rule=flat&scope=kind:gas_outlet"
	case "POST /alarm-links":
		for _, code := range []string{"PU1", "PU2"} {
			if err := f.st.UpsertPoint(ctx, registry.Point{Code: code, Name: "用电", Kind: registry.KindPowerUse, RegionCode: storetest.County, EnterpriseCode: storetest.CreditCode}); err != nil {
				t.Fatal(err)
			}
		}
		f.api.invalidate()
		body = `{"production":"PU1","facility":"PU2"}`
	case "POST /alarm-subscriptions":
		body = `{"rules":["exceedance"],"min_severity":"high"}`
	case "DELETE /alarm-subscriptions/{id}":
		s, err := repo.AddSubscription(ctx, alarm.Subscription{UserID: 1}, "t", "")
		if err != nil {
			t.Fatal(err)
		}
		path = fmt.Sprintf("/alarm-subscriptions/%d", s.ID)
	case "POST /alarm-webhooks":
		body = `{"name":"值班群","url":"https://oapi.dingtalk.com/robot/send?access_token=x","format":"dingtalk"}`
	case "DELETE /alarm-webhooks/{id}":
		w, err := repo.AddWebhook(ctx, alarm.Webhook{Name: "x", URL: "http://127.0.0.1:9/x"}, "t", "")
		if err != nil {
			t.Fatal(err)
		}
		path = fmt.Sprintf("/alarm-webhooks/%d", w.ID)
	default:
		return "", "", "", false
	}
	return method, path, body, true
}

func TestAlarmsScopeAndActions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	mine := alarmsFixtureAlarm(t, f, "a21026")
	other, _, err := f.api.alarms.repo.Apply(ctx, alarm.Transition{Change: alarm.Fire, Rule: alarm.Flat, Point: otherOutlet,
		Factor: "a21026", Region: otherCity, Enterprise: otherCredit, Severity: alarm.Medium, At: time.Now(), Message: "flat"})
	if err != nil {
		t.Fatal(err)
	}
	list := func(role, query string) (ids []int64) {
		res, body := f.do(t, f.creds[role], "GET", "/alarms"+query, "")
		if res.StatusCode != 200 {
			t.Fatalf("%s list: %d %s", role, res.StatusCode, body)
		}
		var v ListView[alarm.Alarm]
		json.Unmarshal([]byte(body), &v)
		for _, a := range v.Items {
			ids = append(ids, a.ID)
		}
		return ids
	}
	if got := list("province", ""); len(got) != 2 {
		t.Errorf("province sees %v, want both", got)
	}
	if got := list("city", ""); len(got) != 1 || got[0] != mine.ID {
		t.Errorf("长沙 sees %v, want only %d", got, mine.ID)
	}
	if got := list("city", "?region="+otherCity); len(got) != 0 {
		t.Errorf("长沙 filtering on 株洲 sees %v", got)
	}
	if got := list("enterprise", ""); len(got) != 1 || got[0] != mine.ID {
		t.Errorf("the enterprise sees %v", got)
	}
	if got := list("province", "?rule=flat&state=open"); len(got) != 1 || got[0] != other.ID {
		t.Errorf("filter rule=flat: %v", got)
	}
	if res, _ := f.do(t, f.creds["city"], "GET", fmt.Sprintf("/alarms/%d", other.ID), ""); res.StatusCode != 403 {
		t.Errorf("长沙 reading 株洲's alarm: %d", res.StatusCode)
	}
	if res, _ := f.do(t, f.creds["city"], "POST", fmt.Sprintf("/alarms/%d/acknowledge", other.ID), ""); res.StatusCode != 403 {
		t.Errorf("长沙 acknowledging 株洲's alarm: %d", res.StatusCode)
	}
	if res, _ := f.do(t, f.creds["province"], "GET", "/alarms?state=burning", ""); res.StatusCode != 422 {
		t.Errorf("bad state filter: %d", res.StatusCode)
	}
	res, body := f.do(t, f.creds["province"], "GET", "/alarms?format=csv", "")
	if res.StatusCode != 200 || !strings.Contains(body, "exceedance") || !strings.Contains(body, "flat") {
		t.Errorf("csv: %d %s", res.StatusCode, body)
	}
	// Dismissing needs a reason.
	if res, body := f.do(t, f.creds["city"], "POST", fmt.Sprintf("/alarms/%d/dismiss", mine.ID), `{"reason":" "}`); res.StatusCode != 422 || errorCode(t, body) != CodeInvalid {
		t.Errorf("dismiss without reason: %d %s", res.StatusCode, body)
	}
	// Escalating without the cases feature: 503 with a clear error.
	f.api.cfg.Cases = nil
	res, body = f.do(t, f.creds["city"], "POST", fmt.Sprintf("/alarms/%d/case", mine.ID), "")
	if res.StatusCode != 503 || !strings.Contains(body, "not available") {
		t.Errorf("escalate without cases: %d %s", res.StatusCode, body)
	}
	var got CaseRequest
	f.api.cfg.Cases = alarmsFakeCases{got: &got}
	res, body = f.do(t, f.creds["city"], "POST", fmt.Sprintf("/alarms/%d/case", mine.ID), "")
	if res.StatusCode != 200 || !strings.Contains(body, `"case_id":4242`) {
		t.Errorf("escalate: %d %s", res.StatusCode, body)
	}
	if got.Source != "alarm" || got.SourceRef != fmt.Sprintf("alarm:%d", mine.ID) || got.EnterpriseCode != storetest.CreditCode || got.Category != "air" || got.Actor != "changsha" {
		t.Errorf("case request %+v", got)
	}
	// The command centre's count is real and scoped.
	res, body = f.do(t, f.creds["city"], "GET", "/overview", "")
	if res.StatusCode != 200 || !strings.Contains(body, `"alarms":{"open":1}`) {
		t.Errorf("overview: %s", body)
	}
	res, body = f.do(t, f.creds["city"], "POST", fmt.Sprintf("/alarms/%d/acknowledge", mine.ID), `{"note":"on it"}`)
	if res.StatusCode != 200 || !strings.Contains(body, `"state":"acknowledged"`) {
		t.Errorf("acknowledge: %d %s", res.StatusCode, body)
	}
	res, body = f.do(t, f.creds["city"], "POST", fmt.Sprintf("/alarms/%d/dismiss", mine.ID), `{"reason":"分析仪更换"}`)
	if res.StatusCode != 200 || !strings.Contains(body, `"state":"dismissed"`) {
		t.Errorf("dismiss: %d %s", res.StatusCode, body)
	}
	if res, body = f.do(t, f.creds["city"], "GET", fmt.Sprintf("/alarms/%d", mine.ID), ""); res.StatusCode != 200 {
		t.Fatalf("detail: %d %s", res.StatusCode, body)
	}
	for _, act := range []string{"open", "escalate", "acknowledge", "dismiss"} {
		if !strings.Contains(body, `"action":"`+act+`"`) {
			t.Errorf("history lacks %s: %s", act, body)
		}
	}
	// A setting that is not valid is refused with the field's reason.
	res, body = f.do(t, f.creds["province"], "PUT", "/alarm-settings", `{"rule":"flat","override":{"severity":"dire"}}`)
	if res.StatusCode != 422 {
		t.Errorf("bad setting: %d %s", res.StatusCode, body)
	}
}

func TestAlarmsInTheEventStream(t *testing.T) {
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
	rd := bufio.NewReader(res.Body)
	rd.ReadString('\n')
	// An alarm of 株洲, which the 长沙 officer must not get, then one of theirs.
	for _, v := range []alarm.EventView{{Type: "alarm", ID: 1, Rule: alarm.Flat, Point: otherOutlet, Region: otherCity, Message: "株洲"},
		{Type: "alarm", ID: 2, Rule: alarm.Exceedance, Point: storetest.Outlet, Region: storetest.County, Message: "长沙"}} {
		b, _ := json.Marshal(v)
		if err := f.bus.Publish(ctx, alarm.Subject(v.Rule, v.Point), b); err != nil {
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
	if got[0] != "event: alarm" || !strings.Contains(got[1], `"message":"长沙"`) {
		t.Errorf("events %q", got)
	}
}

func TestAlarmsSubscriptionsAndWebhooks(t *testing.T) {
	f := newFixture(t)
	res, body := f.do(t, f.creds["city"], "POST", "/alarm-subscriptions", `{"rules":["exceedance"],"min_severity":"high","email":"duty@example.cn"}`)
	if res.StatusCode != 201 {
		t.Fatalf("subscribe: %d %s", res.StatusCode, body)
	}
	var sub alarm.Subscription
	json.Unmarshal([]byte(body), &sub)
	// Another user can neither see nor delete it.
	if _, body := f.do(t, f.creds["province"], "GET", "/alarm-subscriptions", ""); strings.Contains(body, "duty@example.cn") {
		t.Errorf("province sees the city's subscription: %s", body)
	}
	if res, _ := f.do(t, f.creds["province"], "DELETE", fmt.Sprintf("/alarm-subscriptions/%d", sub.ID), ""); res.StatusCode != 404 {
		t.Errorf("province deleting the city's subscription: %d", res.StatusCode)
	}
	if res, body := f.do(t, f.creds["city"], "POST", "/alarm-subscriptions", `{"rules":["nope"]}`); res.StatusCode != 422 {
		t.Errorf("unknown rule: %d %s", res.StatusCode, body)
	}
	// The inbox holds the matching alarms only.
	alarmsFixtureAlarm(t, f, "a21026")
	f.api.alarms.repo.Apply(context.Background(), alarm.Transition{Change: alarm.Fire, Rule: alarm.Flat, Point: storetest.Outlet,
		Factor: "a21002", Region: storetest.County, Severity: alarm.Medium, At: time.Now(), Message: "flat"})
	_, body = f.do(t, f.creds["city"], "GET", "/alarm-inbox", "")
	if !strings.Contains(body, `"rule":"exceedance"`) || strings.Contains(body, `"rule":"flat"`) {
		t.Errorf("inbox: %s", body)
	}
	if res, _ := f.do(t, f.creds["city"], "DELETE", fmt.Sprintf("/alarm-subscriptions/%d", sub.ID), ""); res.StatusCode != 204 {
		t.Errorf("unsubscribe: %d", res.StatusCode)
	}
	// Webhooks: an http(s) URL only; the robot formats by name.
	if res, body := f.do(t, f.creds["admin"], "POST", "/alarm-webhooks", `{"name":"x","url":"gopher://h/x"}`); res.StatusCode != 422 {
		t.Errorf("gopher URL: %d %s", res.StatusCode, body)
	}
	if res, body := f.do(t, f.creds["admin"], "POST", "/alarm-webhooks", `{"name":"企业微信","url":"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k","format":"wecom","min_severity":"high"}`); res.StatusCode != 201 || !strings.Contains(body, `"format":"wecom"`) {
		t.Errorf("wecom webhook: %d %s", res.StatusCode, body)
	}
}

// TestAlarmsEscalateToCase escalates through the real cases feature: the
// case names the alarm, and escalating twice opens one case.
func TestAlarmsEscalateToCase(t *testing.T) {
	f := newFixture(t)
	mine := alarmsFixtureAlarm(t, f, "a21026")
	var ids []int64
	for range 2 {
		res, body := f.do(t, f.creds["city"], "POST", fmt.Sprintf("/alarms/%d/case", mine.ID), "")
		var a struct {
			CaseID int64 `json:"case_id"`
		}
		json.Unmarshal([]byte(body), &a)
		if res.StatusCode != 200 || a.CaseID == 0 {
			t.Fatalf("escalate: %d %s", res.StatusCode, body)
		}
		ids = append(ids, a.CaseID)
	}
	if ids[0] != ids[1] {
		t.Errorf("escalating twice opened cases %v", ids)
	}
	res, body := f.do(t, f.creds["city"], "GET", fmt.Sprintf("/cases/%d", ids[0]), "")
	if res.StatusCode != 200 || !strings.Contains(body, `"source":"alarm"`) || !strings.Contains(body, fmt.Sprintf(`"source_ref":"alarm:%d"`, mine.ID)) {
		t.Errorf("the alarm's case: %d %s", res.StatusCode, body)
	}
}
