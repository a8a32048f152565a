package inspectstore

import (
	"context"
	"testing"
	"time"

	"ecowatch/inspect"
	"ecowatch/store"
	"ecowatch/store/storetest"
)

func TestLeadsSQLite(t *testing.T)   { testLeads(t, openSQLite(t)) }
func TestLeadsPostgres(t *testing.T) { testLeads(t, openPostgres(t)) }

// testLeads: the fixture's outlet has an SO2 limit of 35 mg/m³ at
// reference O2; four hours over it (O2-converted) and eight flat NOx hours
// make the enterprise a lead with both pieces of evidence, with the raw
// frames named.
func testLeads(t *testing.T, st testStore) {
	ctx := context.Background()
	storetest.Seed(t, st)
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, store.CST)
	frame, err := st.AppendFrame(ctx, store.Frame{Received: t0, MN: storetest.MN, CN: "2061", Verdict: "ok", Raw: []byte("##evidence\r\n")})
	if err != nil {
		t.Fatal(err)
	}
	var ms []store.Measurement
	for h := range 10 {
		so2 := store.Values{Flag: "N"}.With(store.Avg, 30).With(store.ZsAvg, 30)
		if h >= 2 && h < 6 {
			so2 = store.Values{Flag: "N"}.With(store.Avg, 30).With(store.ZsAvg, 50) // over only after O2 conversion
		}
		ms = append(ms,
			store.Measurement{Point: storetest.Outlet, Factor: "a21026", Kind: store.Hour, Time: t0.Add(time.Duration(h) * time.Hour), Values: so2, Frame: frame, Received: t0},
			store.Measurement{Point: storetest.Outlet, Factor: "a21002", Kind: store.Hour, Time: t0.Add(time.Duration(h) * time.Hour),
				Values: store.Values{Flag: "N"}.With(store.Avg, 42), Frame: frame, Received: t0})
	}
	if err := st.WriteMeasurements(ctx, ms); err != nil {
		t.Fatal(err)
	}
	leads, err := Leads(ctx, st, "4301", t0, t0.Add(24*time.Hour), inspect.LeadRules{})
	if err != nil {
		t.Fatal(err)
	}
	if len(leads) != 1 || leads[0].CreditCode != storetest.CreditCode {
		t.Fatalf("leads %+v, want the fixture's enterprise", leads)
	}
	kinds := map[string]inspect.Evidence{}
	for _, e := range leads[0].Evidence {
		kinds[e.Kind] = e
	}
	if e := kinds[inspect.EvidenceExceedance]; e.Hours != 4 || e.Factor != "a21026" || e.Limit != 35 || len(e.Frames) == 0 || e.Frames[0] != frame {
		t.Errorf("exceedance %+v, want 4 hours of a21026 over 35 from frame %d", e, frame)
	}
	if e := kinds[inspect.EvidenceFlatLine]; e.Hours != 10 || e.Factor != "a21002" {
		t.Errorf("flat line %+v, want 10 hours of a21002", e)
	}
	// Out of the region: none.
	if leads, _ := Leads(ctx, st, "4302", t0, t0.Add(24*time.Hour), inspect.LeadRules{}); len(leads) != 0 {
		t.Errorf("leads of another city: %+v", leads)
	}
	counts, err := LeadCounts{Store: st, Now: func() time.Time { return t0.Add(24 * time.Hour) }}.Counts(ctx, storetest.City, t0)
	if err != nil || counts[storetest.CreditCode].Alarms != 2 {
		t.Errorf("counts %+v, %v, want 2 pieces of evidence", counts, err)
	}
	// The pool carries the counts (they decide the focus group).
	end := t0.Add(24 * time.Hour)
	ep, err := New(st.SQL(), nil).EnterprisePool(ctx, st, storetest.City, end, LeadCounts{Store: st, Now: func() time.Time { return end }})
	if err != nil || len(ep.Enterprises) != 1 || ep.Enterprises[0].Alarms != 2 {
		t.Errorf("pool %+v, %v, want the enterprise with 2 alarms", ep, err)
	}
	if counts, _ := (LeadCounts{Store: st, Now: func() time.Time { return t0.Add(24 * time.Hour) }}).Counts(ctx, "430200", t0); len(counts) != 0 {
		t.Errorf("counts of another city: %+v", counts)
	}
}
