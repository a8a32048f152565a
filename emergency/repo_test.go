package emergency

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"ecowatch/registry"
	"ecowatch/store"
	"ecowatch/store/postgres"
	"ecowatch/store/postgres/pgtest"
	"ecowatch/store/sqlite"
)

func TestRepoSQLite(t *testing.T) {
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	testRepo(t, st.SQL())
}

func TestRepoPostgres(t *testing.T) {
	st, err := postgres.Open(context.Background(), pgtest.SchemaURL(t, "emergency"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	testRepo(t, st.SQL())
}

func testRepo(t *testing.T, db store.SQL) {
	ctx := context.Background()
	now := time.Date(2020, 6, 1, 9, 0, 0, 0, store.CST)
	r := NewRepo(db, func() time.Time { return now })
	a := Actor{Name: "province", Remote: "127.0.0.1"}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// A tailings pond near 株洲 and a chemical plant in 长沙.
	pond, err := r.AddSource(ctx, RiskSource{Kind: TailingsPond, Name: "模拟尾矿库", RegionCode: "430200", Lon: 113.10, Lat: 27.89,
		Substances: []Substance{{Name: "含镉尾砂", Quantity: 50000}}, AssessedLevel: LevelGeneral, LevelBasis: "风险评估报告", Responsible: "张三", Phone: "0731-0000000"}, a)
	must(err)
	chem, err := r.AddSource(ctx, RiskSource{Kind: ChemicalEnterprise, Name: "模拟化工厂", RegionCode: "430100", Lon: 112.98, Lat: 28.26,
		Substances: []Substance{{Name: "液氯", Quantity: 20, Critical: 5}}, AssessedLevel: LevelLarger, LevelBasis: "Q2-M2-E2"}, a)
	must(err)
	if chem.Q == nil || *chem.Q != 4 {
		t.Errorf("Q %v", chem.Q)
	}
	if _, err := r.AddSource(ctx, RiskSource{Kind: TailingsPond, Name: "坐标反了", RegionCode: "430200", Lon: 27.89, Lat: 113.10, AssessedLevel: LevelGeneral, LevelBasis: "x"}, a); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("swapped coordinates: %v", err)
	}
	srcs, err := r.Sources(ctx, SourceFilter{RegionPrefix: "4302"})
	must(err)
	if len(srcs) != 1 || srcs[0].ID != pond.ID {
		t.Errorf("株洲 sources %+v", srcs)
	}
	if all, _ := r.Sources(ctx, SourceFilter{}); len(all) != 2 || all[0].ID != chem.ID { // larger first
		t.Errorf("all sources %+v", all)
	}

	// A campaign over tailings ponds in the province assigns the pond only.
	c, err := r.CreateCampaign(ctx, Campaign{Name: "2020 尾矿库隐患排查", Kinds: []Kind{TailingsPond}, RegionCode: "430000", Start: now, Due: now.AddDate(0, 3, 0)}, a)
	must(err)
	if c.Checks != 1 {
		t.Fatalf("checks %d", c.Checks)
	}
	var results []Result
	for _, it := range Checklists[TailingsPond] {
		results = append(results, Result{Code: it.Code, OK: it.Code != "dam"})
	}
	hs, err := r.RecordCheck(ctx, c.ID, pond.ID, "李四", results, a)
	must(err)
	if len(hs) != 1 || !hs[0].Critical {
		t.Fatalf("hazards %+v", hs)
	}
	if _, err := r.RecordCheck(ctx, c.ID, pond.ID, "李四", results, a); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second check: %v", err)
	}
	if _, err := r.RecordCheck(ctx, c.ID, chem.ID, "李四", nil, a); err == nil {
		t.Error("check of an unassigned source accepted")
	}
	must(r.SetHazardCase(ctx, hs[0].ID, 77, a))
	// The critical hazard raises the pond one level, with history.
	p2, err := r.Source(ctx, pond.ID)
	must(err)
	if p2.Level != LevelLarger || p2.AssessedLevel != LevelGeneral {
		t.Errorf("after finding: %s (assessed %s)", p2.Level, p2.AssessedLevel)
	}
	cs, err := r.Checks(ctx, c.ID, "")
	must(err)
	if len(cs) != 1 || cs[0].State != "checked" || cs[0].Hazards != 1 || cs[0].Inspector != "李四" {
		t.Errorf("checks %+v", cs)
	}
	// Rectified: back to its assessed level.
	h, err := r.ResolveHazard(ctx, hs[0].ID, a)
	must(err)
	if h.Resolved.IsZero() || h.CaseID != 77 {
		t.Errorf("resolved %+v", h)
	}
	hist, err := r.LevelHistory(ctx, pond.ID)
	must(err)
	if len(hist) != 3 || hist[1].To != LevelLarger || hist[1].Kind != ReasonFinding || hist[2].To != LevelGeneral {
		t.Errorf("history %+v", hist)
	}

	// Resources.
	for _, x := range []Resource{
		{Kind: "expert", Name: "王专家", RegionCode: "430100", Lon: 112.94, Lat: 28.17, Phone: "13800000000", Fields: []string{"重金属", "水污染"}},
		{Kind: "store", Name: "株洲应急物资库", RegionCode: "430200", Lon: 113.13, Lat: 27.85, Stock: []StockItem{{Kind: "活性炭", Quantity: 20, Unit: "t"}}},
		{Kind: "team", Name: "株洲环境应急队", RegionCode: "430200", Lon: 113.14, Lat: 27.83, Members: 25},
	} {
		_, err := r.AddResource(ctx, x, a)
		must(err)
	}
	if _, err := r.AddResource(ctx, Resource{Kind: "wizard", Name: "x", RegionCode: "430100", Lon: 113, Lat: 28}, a); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad resource kind: %v", err)
	}
	_, err = r.AddReceptor(ctx, Receptor{Kind: "school", Name: "模拟小学", RegionCode: "430200", Lon: 113.11, Lat: 27.90}, a)
	must(err)

	// An incident at the pond: graded, on the timeline, the pond's level raised.
	in, err := r.ReportIncident(ctx, Incident{Title: "尾矿库渗漏", RegionCode: "430200", Lon: 113.101, Lat: 27.889, SourceID: pond.ID,
		Facts: Facts{Evacuated: 6000}}, a)
	must(err)
	if in.Grade != Larger || len(in.Actions) != 1 || in.State != "open" {
		t.Errorf("incident %+v", in)
	}
	if p3, _ := r.Source(ctx, pond.ID); p3.Level != LevelLarger {
		t.Errorf("after incident: %s", p3.Level)
	}
	in, err = r.AddAction(ctx, in.ID, "县级水源地停止取水", &Facts{Evacuated: 6000, WaterCut: "county"}, a)
	must(err)
	if in.Grade != Major || len(in.Actions) != 2 {
		t.Errorf("regraded %+v", in)
	}
	in, err = r.CloseIncident(ctx, in.ID, "处置完毕，水质恢复", a)
	must(err)
	if in.State != "closed" || len(in.Actions) != 3 {
		t.Errorf("closed %+v", in)
	}
	if _, err := r.AddAction(ctx, in.ID, "again", nil, a); !errors.Is(err, store.ErrConflict) {
		t.Errorf("action on a closed incident: %v", err)
	}
	if _, err := r.CloseIncident(ctx, 9999, "x", a); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("close unknown: %v", err)
	}
	open, err := r.Incidents(ctx, "43", "open")
	must(err)
	if len(open) != 0 {
		t.Errorf("open incidents %d", len(open))
	}

	// What is around the incident.
	srcs, _ = r.Sources(ctx, SourceFilter{})
	res, _ := r.Resources(ctx, "", "")
	recs, _ := r.Receptors(ctx, "")
	pts := []registry.Point{{Code: "1518A", Name: "株冶医院", Kind: registry.KindAirStation, RegionCode: "430200", Lon: 113.095, Lat: 27.8867},
		{Code: "W1", Name: "湘江某断面", Kind: registry.KindWaterSection, RegionCode: "430200", Lon: 113.12, Lat: 27.88}}
	ar := AroundOf(in.Lat, in.Lon, 10, 3, srcs, res, recs, pts)
	if len(ar.Experts) != 1 || ar.Experts[0].Phone != "13800000000" || len(ar.Stores) != 1 || len(ar.Teams) != 1 {
		t.Errorf("resources around %+v", ar)
	}
	if len(ar.RiskSources) != 1 || ar.RiskSources[0].Ref != itoa(pond.ID) || len(ar.Receptors) != 1 || len(ar.Points) != 1 || len(ar.WaterSections) != 1 {
		t.Errorf("within 10 km %+v", ar)
	}

	// Emergency plans: filed, returned, filed again, approved; revision due in three years.
	p, err := r.AddPlan(ctx, EmPlan{OwnerKind: "enterprise", Owner: "模拟化工厂", RegionCode: "430100", SourceID: chem.ID, Title: "突发环境事件应急预案"}, a)
	must(err)
	v1, err := r.FileVersion(ctx, p.ID, "初版", a)
	must(err)
	if _, err := r.ReviewVersion(ctx, p.ID, v1.Version, false, "", a); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("return without note: %v", err)
	}
	_, err = r.ReviewVersion(ctx, p.ID, v1.Version, false, "缺少风险评估", a)
	must(err)
	v2, err := r.FileVersion(ctx, p.ID, "补充风险评估", a)
	must(err)
	if v2.Version != 2 {
		t.Errorf("version %d", v2.Version)
	}
	ok, err := r.ReviewVersion(ctx, p.ID, 2, true, "", a)
	must(err)
	if !ok.ReviseBy.Equal(now.AddDate(3, 0, 0)) {
		t.Errorf("revise by %s", ok.ReviseBy)
	}
	if _, err := r.ReviewVersion(ctx, p.ID, 2, true, "", a); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second review: %v", err)
	}
	_, err = r.AddDrill(ctx, p.ID, Drill{Time: now.AddDate(0, -1, 0), Kind: "tabletop", Participants: 12}, a)
	must(err)
	if _, err := r.AddDrill(ctx, p.ID, Drill{Time: now.AddDate(0, 1, 0), Kind: "tabletop"}, a); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("future drill: %v", err)
	}
	ps, err := r.Plans(ctx, "4301")
	must(err)
	if len(ps) != 1 || len(ps[0].Versions) != 2 || len(ps[0].Drills) != 1 {
		t.Fatalf("plans %+v", ps)
	}
	if s, _ := r.Source(ctx, chem.ID); s.PlanID != p.ID {
		t.Errorf("source plan %d", s.PlanID)
	}
	// Reminders with a controllable clock: nothing now; the drill in 11 months; both in 3 years.
	if rs := Reminders(States(ps), now, 30*24*time.Hour); len(rs) != 0 {
		t.Errorf("reminders now %+v", rs)
	}
	if rs := Reminders(States(ps), now.AddDate(0, 10, 15), 30*24*time.Hour); len(rs) != 1 || rs[0].What != "drill" {
		t.Errorf("reminders in 10.5 months %+v", rs)
	}
	if rs := Reminders(States(ps), now.AddDate(3, 0, 0), 30*24*time.Hour); len(rs) != 2 || !rs[0].Overdue {
		t.Errorf("reminders in 3 years %+v", rs)
	}
	var n int
	must(db.R.QueryRow(`SELECT COUNT(*) FROM audit_log`).Scan(&n))
	// 2 sources, campaign, check, hazard case, resolve, 3 resources,
	// receptor, incident, action, close, plan, 2 filings, 2 reviews, drill.
	if n != 19 {
		t.Errorf("audit entries %d, want 19 (one per change)", n)
	}
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
