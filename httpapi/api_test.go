package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"ecowatch/auth"
	"ecowatch/bus"
	"ecowatch/gateway"
	"ecowatch/registry"
	"ecowatch/store"
	"ecowatch/store/sqlite"
	"ecowatch/store/storetest"
)

// Fixtures: storetest.Seed's 长沙 (430100) with 芙蓉区 (430102), its
// enterprise, outlet, station and device; plus 株洲 (430200) with an
// enterprise, outlet and device that the 长沙 accounts must not see.
const (
	otherCity   = "430200"
	otherCredit = "91430200MA4L00001P" // check character from registry.CreditCodeCheck
	otherOutlet = "ZZ001"
	otherMN     = "88888880000002"
	waitingMN   = "88888880000009"
)

// fakeGateway is a gateway double: a struct of recorded calls.
type fakeGateway struct {
	mu         sync.Mutex
	registered []gateway.Device
	sent       []string
}

func (g *fakeGateway) Presence() []gateway.Presence {
	return []gateway.Presence{{MN: storetest.MN, Online: true, FramesToday: 7}, {MN: otherMN, Online: false, FramesToday: 3}}
}
func (g *fakeGateway) Waiting() []gateway.Waiting {
	return []gateway.Waiting{{MN: waitingMN, Frames: 2, Remote: "10.0.0.9:5000"}}
}
func (g *fakeGateway) Register(_ context.Context, d gateway.Device) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.registered = append(g.registered, d)
	return 1, nil
}
func (g *fakeGateway) Send(_ context.Context, mn, cn string, _ []gateway.Param) (gateway.Command, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sent = append(g.sent, mn+"/"+cn)
	return gateway.Command{ID: mn + "/1", MN: mn, CN: cn, QN: "1", State: gateway.CommandSent}, nil
}
func (g *fakeGateway) Commands(mn string) []gateway.Command { return nil }
func (g *fakeGateway) WaitCommand(ctx context.Context, id string) (gateway.Command, error) {
	return gateway.Command{ID: id, State: gateway.CommandExecuted}, nil
}

type fixture struct {
	api   *API
	srv   *httptest.Server
	st    storetest.AccountStore
	gw    *fakeGateway
	bus   bus.Bus
	creds map[string]cred // by role name; "public" has none
}

// cred is how a role's requests authenticate.
type cred struct {
	cookie *http.Cookie
	csrf   string
	token  string
}

var cheap = auth.Hasher{Time: 1, Memory: 64, Threads: 1}

const testPassword = "Hunan-2020-ok"

// newFixture is a fixture on the embedded store in t.TempDir().
func newFixture(t testing.TB) *fixture {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newFixtureOn(t, st)
}

// newFixtureOn seeds st and serves the API from it.
func newFixtureOn(t testing.TB, st storetest.AccountStore) *fixture {
	t.Helper()
	ctx := context.Background()
	var err error
	storetest.Seed(t, st)
	for _, err := range []error{
		st.UpsertRegion(ctx, registry.Region{Code: otherCity, Name: "株洲市", ParentCode: storetest.Province}),
		st.UpsertEnterprise(ctx, registry.Enterprise{CreditCode: otherCredit, Name: "株洲某冶炼厂", RegionCode: otherCity, IndustryCode: "3211"}),
		st.UpsertPoint(ctx, registry.Point{Code: otherOutlet, Name: "烟囱", Kind: registry.KindGasOutlet, RegionCode: otherCity, EnterpriseCode: otherCredit,
			Factors: []registry.PointFactor{{Code: "a21026", Name: "二氧化硫", Unit: "mg/m3"}}}),
		st.UpsertDevice(ctx, registry.Device{MN: otherMN, ProtocolVersion: "HJ212-2017", PointCode: otherOutlet, State: registry.DeviceActive}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{st: st, gw: &fakeGateway{}, bus: bus.NewMemory(bus.MemoryOptions{}), creds: map[string]cred{}}
	t.Cleanup(func() { f.bus.Close() })
	f.api, err = New(Config{Store: st, Accounts: st, Gateway: f.gw, Bus: f.bus, Hasher: cheap,
		Throttle: &auth.Throttle{MaxPerUser: 3, MaxPerAddr: 1000, Window: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(f.api)
	t.Cleanup(f.srv.Close)
	users := []store.User{
		{Username: "admin", Role: "admin"},
		{Username: "province", Role: "province"},
		{Username: "changsha", Role: "city", Region: storetest.City},
		{Username: "officer", Role: "enforcement", Region: storetest.County},
		{Username: "enterprise", Role: "enterprise", Enterprise: storetest.CreditCode},
		{Username: "client", Role: "client"},
	}
	for _, u := range users {
		u.PasswordHash = cheap.Hash(testPassword)
		id, err := st.CreateUser(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if u.Role == "client" {
			tok, hash := auth.NewToken()
			if _, err := st.CreateToken(ctx, store.Token{UserID: id, Name: "共享", Hash: hash,
				Scopes: []string{"air:read", "sources:read", "devices:read"}}); err != nil {
				t.Fatal(err)
			}
			f.creds[u.Role] = cred{token: tok}
			continue
		}
		f.creds[u.Role] = f.signIn(t, u.Username, testPassword)
	}
	return f
}

func (f *fixture) signIn(t testing.TB, user, pw string) cred {
	t.Helper()
	res, body := f.do(t, cred{}, "POST", "/session", fmt.Sprintf(`{"username":%q,"password":%q}`, user, pw))
	if res.StatusCode != 200 {
		t.Fatalf("sign in %s: %d %s", user, res.StatusCode, body)
	}
	var sv SessionView
	if err := json.Unmarshal([]byte(body), &sv); err != nil {
		t.Fatal(err)
	}
	var c cred
	for _, ck := range res.Cookies() {
		if ck.Name == SessionCookie {
			c.cookie = ck
		}
	}
	c.csrf = sv.CSRFToken
	return c
}

func (f *fixture) do(t testing.TB, c cred, method, path, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+Prefix+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cookie != nil {
		req.AddCookie(c.cookie)
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if strings.HasSuffix(path, "/events") {
		// A stream does not end: read its status, then hang up.
		ctx, cancel := context.WithCancel(req.Context())
		defer cancel()
		req = req.WithContext(ctx)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if strings.HasSuffix(path, "/events") && res.StatusCode == 200 {
		return res, ""
	}
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func errorCode(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Error Error `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code == "" || e.Error.MessageZh == "" {
		t.Fatalf("not an error body with code and Chinese message: %s", body)
	}
	return e.Error.Code
}
