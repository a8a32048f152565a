package alarm

import (
	"context"
	"errors"
	"testing"
	"time"

	"ecowatch/store"
	"ecowatch/store/postgres"
	"ecowatch/store/postgres/pgtest"
	"ecowatch/store/sqlite"
)

// backends runs fn on SQLite and on PostgreSQL (pgtest skips or, under
// CI=true, fails when PostgreSQL is absent).
func backends(t *testing.T, fn func(t *testing.T, db store.SQL, st store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		st, err := sqlite.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		fn(t, st.SQL(), st)
	})
	t.Run("postgres", func(t *testing.T) {
		st, err := postgres.Open(context.Background(), pgtest.SchemaURL(t, "alarm"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		fn(t, st.SQL(), st)
	})
}

func TestRepoLifecycle(t *testing.T) {
	backends(t, func(t *testing.T, db store.SQL, st store.Store) {
		ctx := context.Background()
		now := t0
		r := NewRepo(db, func() time.Time { return now })
		fire := Transition{Change: Fire, Rule: Exceedance, Point: "P1", Factor: "a21026", MN: "M1", Region: "430102",
			Enterprise: "E1", Severity: High, At: t0, Value: 50, Threshold: 35, Message: "over"}
		a, changed, err := r.Apply(ctx, fire)
		if err != nil || !changed || a.State != StateOpen || a.ID == 0 {
			t.Fatalf("fire: %+v %v %v", a, changed, err)
		}
		// Fired again for the same key (e.g. after an engine restart):
		// the same alarm, one repeat more.
		b, _, err := r.Apply(ctx, fire)
		if err != nil || b.ID != a.ID || b.Repeats != 1 {
			t.Fatalf("second fire: %+v %v", b, err)
		}
		// Another factor is another alarm.
		other := fire
		other.Factor = "a21002"
		c, _, err := r.Apply(ctx, other)
		if err != nil || c.ID == a.ID {
			t.Fatalf("other factor: %+v %v", c, err)
		}
		if _, err := r.Acknowledge(ctx, a.ID, "changsha", "127.0.0.1", "seen"); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Acknowledge(ctx, a.ID, "changsha", "127.0.0.1", ""); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second acknowledge: %v, want conflict", err)
		}
		now = t0.Add(time.Hour)
		res, changed, err := r.Apply(ctx, Transition{Change: Resolve, Rule: Exceedance, Point: "P1", Factor: "a21026", MN: "M1", At: now})
		if err != nil || !changed || res.State != StateCleared || res.Closed.IsZero() {
			t.Fatalf("resolve: %+v %v", res, err)
		}
		if _, err := r.Dismiss(ctx, a.ID, "changsha", "", "x"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("dismiss a cleared alarm: %v", err)
		}
		// Fired again after clearing: a new alarm.
		d, _, err := r.Apply(ctx, fire)
		if err != nil || d.ID == a.ID || d.Repeats != 0 {
			t.Fatalf("fire after clear: %+v %v", d, err)
		}
		if _, err := r.Dismiss(ctx, d.ID, "changsha", "", "  "); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("dismiss without reason: %v", err)
		}
		dd, err := r.Dismiss(ctx, d.ID, "changsha", "", "sensor replaced")
		if err != nil || dd.State != StateDismissed || dd.DismissReason != "sensor replaced" {
			t.Fatalf("dismiss: %+v %v", dd, err)
		}
		// A repeat of a dismissed alarm's condition changes nothing.
		if _, changed, err := r.Apply(ctx, Transition{Change: Repeat, Rule: Exceedance, Point: "P1", Factor: "a21026", MN: "M1"}); err != nil || changed {
			t.Errorf("repeat after dismissal: changed %v %v", changed, err)
		}
		if _, err := r.SetCase(ctx, c.ID, 77, "province", ""); err != nil {
			t.Fatal(err)
		}
		h, err := r.History(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		var acts []string
		for _, e := range h {
			acts = append(acts, e.Action)
		}
		if want := "[open repeat acknowledge clear]"; fmtS(acts) != want {
			t.Errorf("history %v, want %s", acts, want)
		}
		list, total, err := r.List(ctx, Query{States: []string{StateOpen, StateAcknowledged}})
		if err != nil || total != 1 || list[0].ID != c.ID || list[0].CaseID != 77 {
			t.Errorf("open list: %+v total %d %v", list, total, err)
		}
		if _, total, _ := r.List(ctx, Query{RegionPrefix: "4302"}); total != 0 {
			t.Errorf("another city sees %d alarms", total)
		}
		if _, total, _ := r.List(ctx, Query{RegionPrefix: "4301", Rule: Exceedance}); total != 3 {
			t.Errorf("own city sees %d alarms, want 3", total)
		}
		if _, total, _ := r.List(ctx, Query{ScopeEnterprise: "E2"}); total != 0 {
			t.Errorf("another enterprise sees %d alarms", total)
		}
		counts, err := r.OpenCounts(ctx, Query{})
		if err != nil || counts[High] != 1 {
			t.Errorf("open counts %v %v", counts, err)
		}
		// Every change was audited, in the chain.
		acc := st.(store.Accounts)
		log, _, err := acc.Audit(ctx, store.AuditQuery{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range log {
			if len(e.Action) > 6 && e.Action[:6] == "alarm." {
				n++
			}
		}
		if n != 8 {
			t.Errorf("%d alarm audit entries, want 8: open, repeat, open, acknowledge, clear, open, dismiss, escalate (the ignored repeat is not a change)", n)
		}
	})
}

func fmtS(s []string) string {
	out := "["
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out + "]"
}

func TestRepoSettingsAndLinks(t *testing.T) {
	backends(t, func(t *testing.T, db store.SQL, _ store.Store) {
		ctx := context.Background()
		r := NewRepo(db, nil)
		n := 10
		if err := r.PutSetting(ctx, Setting{Rule: Flat, Scope: "kind:gas_outlet", Override: Override{Count: &n}}, "admin", ""); err != nil {
			t.Fatal(err)
		}
		n = 12
		if err := r.PutSetting(ctx, Setting{Rule: Flat, Scope: "kind:gas_outlet", Override: Override{Count: &n}}, "admin", ""); err != nil {
			t.Fatal(err)
		}
		if err := r.PutSetting(ctx, Setting{Rule: "nope"}, "admin", ""); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("bad rule: %v", err)
		}
		ss, err := r.Settings(ctx)
		if err != nil || len(ss) != 1 || *ss[0].Override.Count != 12 {
			t.Fatalf("settings %+v %v", ss, err)
		}
		if p := NewSettings(ss).For(Flat, "gas_outlet", "X", "a21026"); p.Count != 12 {
			t.Errorf("resolved %+v", p)
		}
		if err := r.DeleteSetting(ctx, Flat, "kind:gas_outlet", "admin", ""); err != nil {
			t.Fatal(err)
		}
		if err := r.DeleteSetting(ctx, Flat, "kind:gas_outlet", "admin", ""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second delete: %v", err)
		}
		if err := r.PutLink(ctx, Link{Production: "PROD", Facility: "FAC"}, "admin", ""); err != nil {
			t.Fatal(err)
		}
		if err := r.PutLink(ctx, Link{Production: "PROD", Facility: "PROD"}, "admin", ""); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("self link: %v", err)
		}
		ls, err := r.Links(ctx)
		if err != nil || len(ls) != 1 || ls[0].Facility != "FAC" {
			t.Errorf("links %+v %v", ls, err)
		}
	})
}
