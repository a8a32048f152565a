package opendata

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"ecowatch/auth"
	"ecowatch/registry"
	"ecowatch/store"
	"ecowatch/store/postgres"
	"ecowatch/store/postgres/pgtest"
	"ecowatch/store/sqlite"
)

func TestParseSettings(t *testing.T) {
	s, err := ParseSettings("anonymous=10/s, key=off,settle=24h,bulk-days=7")
	if err != nil || s.Anonymous != (Rate{10, time.Second}) || s.Key.N != 0 || s.Settle != 24*time.Hour || s.BulkDays != 7 || s.Token != DefaultSettings.Token {
		t.Fatalf("%+v %v", s, err)
	}
	for _, bad := range []string{"anonymous=10", "anonymous=0/m", "key=5/d", "settle=-1h", "bulk-days=0", "speed=1", "novalue"} {
		if _, err := ParseSettings(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if got := (Rate{120, time.Minute}).String(); got != "120/m" {
		t.Errorf("String %q", got)
	}
}

func TestPolicy(t *testing.T) {
	p, err := ParsePolicy("enterprise.address=hidden, point_kind.power_use=public")
	if err != nil {
		t.Fatal(err)
	}
	e := registry.Enterprise{CreditCode: "914403001922038216", Name: "某热电", RegionCode: "430102", Address: "某路1号",
		Contact: "张三", ContactPhone: "13912345678", PermitNumber: "P1"}
	b, _ := json.Marshal(p.Enterprise(e))
	s := string(b)
	if strings.Contains(s, "某路1号") || strings.Contains(s, "张三") || strings.Contains(s, "139") || !strings.HasPrefix(s, `{"credit_code":"914403001922038216","name":"某热电"`) {
		t.Errorf("enterprise record %s", s)
	}
	if !p.PublishesPoint(registry.Point{Kind: registry.KindPowerUse}) || DefaultPolicy().PublishesPoint(registry.Point{Kind: registry.KindPowerUse}) {
		t.Error("point_kind.power_use: the setting should publish it, the default not")
	}
	for bad, want := range map[string]string{
		"enterprise.contact=public":       "never published",
		"enterprise.contact_phone=public": "never published",
		"enterprise.owner=public":         "has no field",
		"person.name=public":              "unknown resource",
		"enterprise.name=yes":             "want resource.field=public",
	} {
		if _, err := ParsePolicy(bad); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", bad, err, want)
		}
	}
	// Columns follow the declaration order without the hidden ones.
	if c := strings.Join(p.Columns(Enterprise), ","); c != "credit_code,name,region,city,industry_code,lon,lat,key_units,permit_number" {
		t.Errorf("columns %s", c)
	}
}

func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{"", "enterprise.address=hidden", "a.b=public,,", "enterprise.contact=public", "=", "point_kind.=hidden"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePolicy(s)
		if err != nil {
			return
		}
		// Whatever a valid setting says, the private fields stay out.
		b, _ := json.Marshal(p.Enterprise(registry.Enterprise{Contact: "CONTACT", ContactPhone: "PHONE"}))
		if strings.Contains(string(b), "CONTACT") || strings.Contains(string(b), "PHONE") {
			t.Fatalf("%q publishes a contact: %s", s, b)
		}
	})
}

func FuzzParseSettings(f *testing.F) {
	for _, s := range []string{"", "anonymous=10/s", "settle=1h,bulk-every=2m", "key=off", "bulk-days=3660"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		set, err := ParseSettings(s)
		if err == nil && (set.Settle <= 0 || set.BulkEvery < 0 || set.BulkDays < 1 || set.Anonymous.N < 0) {
			t.Fatalf("%q accepted as %+v", s, set)
		}
	})
}

func TestLimiter(t *testing.T) {
	l := NewLimiter()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := Rate{N: 2, Per: time.Minute}
	for i, want := range []bool{true, true, false} {
		ok, retry, _ := l.Allow("a", r, t0)
		if ok != want {
			t.Fatalf("request %d: %v", i, ok)
		}
		if !ok && retry != 30*time.Second {
			t.Errorf("retry %s, want 30s (one token per 30 s)", retry)
		}
	}
	if ok, _, _ := l.Allow("b", r, t0); !ok {
		t.Error("another caller is limited by the first")
	}
	if ok, _, _ := l.Allow("a", r, t0.Add(30*time.Second)); !ok {
		t.Error("no token after 30 s")
	}
	// Buckets that refilled are forgotten at the next sweep.
	l.Allow("c", r, t0.Add(10*time.Minute))
	if n := l.Len(); n != 1 {
		t.Errorf("%d buckets kept, want 1", n)
	}
	if ok, _, _ := l.Allow("x", Rate{}, t0); !ok {
		t.Error("a zero rate limits")
	}
}

func TestHealthAdvice(t *testing.T) {
	if a := HealthAdvice(3); a.Level != 3 || !strings.Contains(a.Measure, "儿童、老年人及心脏病、呼吸系统疾病患者应减少长时间、高强度的户外锻炼") {
		t.Errorf("level 3: %+v", a)
	}
	if a := HealthAdvice(7); a.Level != 0 {
		t.Errorf("level 7: %+v", a)
	}
	for l := 1; l <= 6; l++ {
		if a := HealthAdvice(l); a.Effect == "" || a.EffectEn == "" || a.MeasureEn == "" {
			t.Errorf("level %d incomplete: %+v", l, a)
		}
	}
}

func TestExceedances(t *testing.T) {
	o2 := 6.0
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, store.CST)
	ls := []registry.Limit{{Factor: "a21026", Value: 35, ReferenceO2: &o2, ValidFrom: from, ValidTo: from.AddDate(0, 6, 0)},
		{Factor: "a21026", Value: 50, ValidFrom: from.AddDate(0, 6, 0)}}
	at := func(months int, v store.Values) store.Measurement {
		return store.Measurement{Factor: "a21026", Time: from.AddDate(0, months, 1), Values: v}
	}
	ms := []store.Measurement{
		at(0, store.Values{Flag: "N"}.With(store.Avg, 30).With(store.ZsAvg, 36)),                     // converted over 35
		at(0, store.Values{Flag: "N"}.With(store.Avg, 36)),                                           // no converted value: Avg 36 over 35
		at(0, store.Values{Flag: "D"}.With(store.Avg, 99)),                                           // fault: not judged
		at(7, store.Values{Flag: "N"}.With(store.Avg, 45).With(store.ZsAvg, 60)),                     // no reference O2 later: Avg 45 under 50
		{Factor: "a21026", Time: from.AddDate(-1, 0, 0), Values: store.Values{}.With(store.Avg, 99)}, // before any limit
	}
	if h, x := Exceedances(ms, ls); h != 3 || x != 2 {
		t.Errorf("%d hours, %d exceeded; want 3, 2", h, x)
	}
}

// TestKeys runs the key repository on both backends.
func TestKeys(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		st, err := sqlite.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		testKeys(t, st.SQL())
	})
	t.Run("postgres", func(t *testing.T) {
		st, err := postgres.Open(context.Background(), pgtest.SchemaURL(t, "opendata"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		testKeys(t, st.SQL())
	})
}

func testKeys(t *testing.T, sq store.SQL) {
	ctx := context.Background()
	k := &Keys{SQL: sq}
	now := time.Date(2026, 11, 29, 9, 0, 0, 0, store.CST)
	req := KeyRequest{Name: " 李研究 ", Organisation: "中南大学", Email: "li@example.edu.cn", Purpose: "PM2.5 exposure study"}
	key, secret, err := k.Request(ctx, req, "10.0.0.1", now)
	if err != nil || key.ID == 0 || key.Status != KeyPending || key.Name != "李研究" || !strings.HasPrefix(secret, KeyPrefix+key.Prefix[len(KeyPrefix):]) {
		t.Fatalf("request: %+v %q %v", key, secret, err)
	}
	got, err := k.ByHash(ctx, hashOf(secret))
	if err != nil || got.ID != key.ID || got.Email != req.Email || !got.Created.Equal(now) {
		t.Fatalf("by hash: %+v %v", got, err)
	}
	if _, err := k.ByHash(ctx, hashOf(secret+"x")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown key: %v", err)
	}
	if _, _, err := k.Request(ctx, KeyRequest{Name: "x", Email: "bad", Purpose: "long enough purpose"}, "", now); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "email") {
		t.Errorf("bad e-mail: %v", err)
	}
	if _, err := k.Decide(ctx, key.ID, KeyRevoked, "", "admin", "10.0.0.2", now); !errors.Is(err, store.ErrConflict) {
		t.Errorf("revoking a pending key: %v, want a conflict", err)
	}
	if _, err := k.Decide(ctx, key.ID, "deleted", "", "admin", "", now); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("unknown status: %v", err)
	}
	if _, err := k.Decide(ctx, 999, KeyApproved, "", "admin", "", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
	d, err := k.Decide(ctx, key.ID, KeyApproved, "课题组", "admin", "10.0.0.2", now.Add(time.Hour))
	if err != nil || d.Status != KeyApproved || d.DecidedBy != "admin" || d.Note != "课题组" {
		t.Fatalf("approve: %+v %v", d, err)
	}
	if ls, err := k.List(ctx, KeyApproved); err != nil || len(ls) != 1 || ls[0].ID != key.ID {
		t.Errorf("list approved: %+v %v", ls, err)
	}
	if ls, err := k.List(ctx, KeyPending); err != nil || len(ls) != 0 {
		t.Errorf("list pending: %+v %v", ls, err)
	}
	// Both changes are in the hash-chained audit log.
	var n int
	if err := sq.R.QueryRowContext(ctx, "SELECT count(*) FROM audit_log WHERE action IN ('opendata.key.request', 'opendata.key.approved') AND object = "+
		map[bool]string{true: "$1", false: "?"}[sq.Postgres], "opendata-key:"+itoa(key.ID)).Scan(&n); err != nil || n != 2 {
		t.Errorf("audit entries: %d %v", n, err)
	}
}

func hashOf(s string) string { return auth.HashSecret(s) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
