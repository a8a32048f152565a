package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"ecowatch/store"
	"ecowatch/store/storetest"
)

// roles in the order the table's requests run: admin last, since its
// administrative requests (deleting an account) would change the others'.
var roles = []string{"public", "province", "city", "enforcement", "enterprise", "client", "admin"}

// access is the allowed/forbidden table of issue 6 ("a test walks every
// route × every role"), written from the API contract's "who" column and
// the token scopes: a role not listed is refused with 401 (public) or 403.
// Scoped routes are called on objects inside the 长沙 accounts' scope;
// TestScoping checks the objects outside it.
var access = map[string][]string{
	"POST /session":                   {"public", "province", "city", "enforcement", "enterprise", "client", "admin"},
	"GET /session":                    {"province", "city", "enforcement", "enterprise", "client", "admin"},
	"DELETE /session":                 {"province", "city", "enforcement", "enterprise", "client", "admin"},
	"GET /openapi.json":               {"public", "province", "city", "enforcement", "enterprise", "client", "admin"},
	"GET /regions":                    {"province", "city", "enforcement", "enterprise", "client", "admin"},
	"GET /regions/{code}/outline":     {"public", "province", "city", "enforcement", "enterprise", "client", "admin"},
	"GET /overview":                   {"province", "city", "enforcement", "enterprise", "client", "admin"},
	"GET /air/cities/latest":          {"public", "province", "city", "enforcement", "enterprise", "client", "admin"},
	"GET /air/cities/{code}/series":   {"public", "province", "city", "enforcement", "enterprise", "client", "admin"},
	"GET /air/stations":               {"province", "city", "enforcement", "enterprise", "client", "admin"},
	"GET /air/stations/{code}/series": {"province", "city", "enforcement", "enterprise", "client", "admin"},
	"GET /enterprises":                {"province", "city", "enforcement", "enterprise", "client", "admin"},
	"GET /enterprises/{id}":           {"province", "city", "enforcement", "enterprise", "client", "admin"},
	"GET /points/{code}/series":       {"province", "city", "enforcement", "enterprise", "client", "admin"},
	"GET /points/{code}/latest":       {"province", "city", "enforcement", "enterprise", "client", "admin"},
	"GET /frames":                     {"province", "city", "enforcement", "enterprise", "client", "admin"},
	"GET /frames/{id}":                {"province", "city", "enforcement", "enterprise", "client", "admin"},
	"GET /devices":                    {"province", "city", "enforcement", "enterprise", "client", "admin"},
	"GET /devices/waiting":            {"province", "city", "admin"},
	"POST /devices/{mn}/register":     {"province", "city", "admin"},
	"GET /devices/{mn}/commands":      {"province", "city", "enforcement", "enterprise", "client", "admin"},
	"POST /devices/{mn}/commands":     {"province", "city", "enforcement", "admin"},
	"GET /events":                     {"province", "city", "enforcement", "enterprise", "client", "admin"},
	"GET /users":                      {"admin"},
	"POST /users":                     {"admin"},
	"PATCH /users/{id}":               {"admin"},
	"DELETE /users/{id}":              {"admin"},
	"GET /tokens":                     {"province", "city", "enforcement", "enterprise", "admin"},
	"POST /tokens":                    {"province", "city", "enforcement", "enterprise", "admin"},
	"DELETE /tokens/{id}":             {"province", "city", "enforcement", "enterprise", "admin"},
	"POST /registry/import":           {"province", "admin"},
	"GET /audit":                      {"province", "admin"},
}

// featureRequests build the concrete requests of a feature's routes (see
// feature in api.go); each feature's test file appends one from an init
// function, together with its routes' rows of the access table. ok false
// leaves the key to the next.
var featureRequests []func(t *testing.T, f *fixture, key string) (method, path, body string, ok bool)

// request builds a concrete request for a route of the table.
func (f *fixture) request(t *testing.T, key string) (method, path, body string) {
	t.Helper()
	for _, fr := range featureRequests {
		if m, p, b, ok := fr(t, f, key); ok {
			return m, p, b
		}
	}
	ctx := context.Background()
	method, pattern, _ := strings.Cut(key, " ")
	path = pattern
	victim, err := f.st.UserByName(ctx, "client")
	if err != nil {
		t.Fatal(err)
	}
	toks, err := f.st.Tokens(ctx, victim.ID)
	if err != nil || len(toks) == 0 {
		t.Fatalf("client token: %v", err)
	}
	frameID, err := f.st.AppendFrame(ctx, store.Frame{Received: time.Now(), MN: storetest.MN, CN: "2011", Verdict: "ok",
		Raw: []byte("##0101QN=20200101000000000;ST=31;CN=2011;PW=123456;MN=88888880000001;Flag=5;CP=&&&&ABCD\r\n")})
	if err != nil {
		t.Fatal(err)
	}
	r := strings.NewReplacer("{code}/outline", storetest.Province+"/outline", "cities/{code}", "cities/"+storetest.City, "stations/{code}", "stations/"+storetest.Station,
		"enterprises/{id}", "enterprises/"+storetest.CreditCode, "points/{code}", "points/"+storetest.Outlet,
		"frames/{id}", fmt.Sprintf("frames/%d", frameID), "users/{id}", fmt.Sprintf("users/%d", victim.ID),
		"tokens/{id}", fmt.Sprintf("tokens/%d", toks[0].ID))
	path = r.Replace(path)
	switch key {
	case "POST /devices/{mn}/register":
		path = "/devices/" + waitingMN + "/register"
		body = `{"point":"` + storetest.Outlet + `","password":"123456"}`
	case "GET /devices/{mn}/commands", "POST /devices/{mn}/commands":
		path = "/devices/" + storetest.MN + "/commands"
		if method == "POST" {
			body = `{"cn":"1012","params":{"SystemTime":"20200101120000"}}`
		}
	case "POST /session":
		body = `{"username":"province","password":"` + testPassword + `"}`
	case "POST /users":
		body = `{"username":"new-user","role":"province","password":"Xiangjiang-2020"}`
	case "PATCH /users/{id}":
		body = `{"display_name":"数据共享"}`
	case "POST /tokens":
		body = `{"name":"cli","scopes":["air:read"]}`
	case "GET /points/{code}/series":
		path += "?factor=a21026"
	}
	return method, path, body
}

func TestRouteRoleTable(t *testing.T) {
	api := newFixture(t).api
	seen := map[string]bool{}
	for _, rt := range api.Routes() {
		key := rt.Method + " " + rt.Path
		seen[key] = true
		if _, ok := access[key]; !ok {
			t.Errorf("route %s is missing from the access table", key)
		}
	}
	for key := range access {
		if !seen[key] {
			t.Errorf("access table names %s, which is not a route", key)
		}
	}
	if t.Failed() {
		return
	}
	for _, rt := range api.Routes() {
		key := rt.Method + " " + rt.Path
		t.Run(strings.ReplaceAll(key, "/", "_"), func(t *testing.T) {
			f := newFixture(t)
			for _, role := range roles {
				method, path, body := f.request(t, key)
				res, got := f.do(t, f.creds[role], method, path, body)
				refused := res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden
				want := slices.Contains(access[key], role)
				if want && (refused || res.StatusCode >= 500) {
					t.Errorf("%s as %s: %d %s, want allowed", key, role, res.StatusCode, got)
				}
				if !want && !refused {
					t.Errorf("%s as %s: %d %s, want 401 or 403", key, role, res.StatusCode, got)
				}
				if !want && role == "public" && res.StatusCode != http.StatusUnauthorized {
					t.Errorf("%s as public: %d, want 401", key, res.StatusCode)
				}
				if refused && key != "GET /events" {
					errorCode(t, got)
				}
			}
		})
	}
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi %q, want 3.x", doc.OpenAPI)
	}
	api := newFixture(t).api
	inDoc := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			inDoc[strings.ToUpper(m)+" "+p] = true
		}
	}
	for _, rt := range api.Routes() {
		key := rt.Method + " " + Prefix + rt.Path
		if !inDoc[key] {
			t.Errorf("route %s is not in openapi.json", key)
		}
		delete(inDoc, key)
	}
	for key := range inDoc {
		t.Errorf("openapi.json documents %s, which is not a route", key)
	}
}
