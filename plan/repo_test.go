package plan

import (
	"context"
	"errors"
	"testing"
	"time"

	"ecowatch/registry"
	"ecowatch/seed"
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
	st, err := postgres.Open(context.Background(), pgtest.SchemaURL(t, "plan"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	testRepo(t, st.SQL())
}

func testRepo(t *testing.T, db store.SQL) {
	ctx := context.Background()
	clock := at("2020-07-05 09:00")
	r := NewRepo(db, func() time.Time { return clock })
	cities, err := seed.Cities()
	if err != nil {
		t.Fatal(err)
	}
	cities = append(cities, registry.Region{Code: "430000", Name: "湖南省", Level: registry.LevelProvince})
	a := Actor{Name: "province", Remote: "127.0.0.1"}
	// A department missing from the registry is named.
	if _, err := r.CreatePlan(ctx, 2020, Hunan2020, seed.Departments[1:], cities, DefaultLinks, a); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("missing department: %v", err)
	}
	p, err := r.CreatePlan(ctx, 2020, Hunan2020, seed.Departments, cities, DefaultLinks, a)
	if err != nil {
		t.Fatal(err)
	}
	if p.Tasks != 33 {
		t.Errorf("tasks %d", p.Tasks)
	}
	if _, err := r.CreatePlan(ctx, 2020, Hunan2020, seed.Departments, cities, nil, a); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second 2020 plan: %v", err)
	}
	tasks, err := r.Tasks(ctx, 2020)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 33 || tasks[0].Key != "1" || tasks[28].Key != "29" || tasks[32].Key != "S4" {
		t.Fatalf("tasks %d", len(tasks))
	}
	t20 := tasks[19]
	if t20.Cities != 14 || len(t20.Leads) != 4 || t20.Leads[0].Code != "hn-eco-env" || t20.Leads[1].Code != "hn-emergency" {
		t.Errorf("task 20: %+v", t20)
	}
	links, err := r.Links(ctx, tasks[14].ID)
	if err != nil || len(links) != 1 || links[0].Kind != "case_source" || links[0].Ref != "central-inspection" {
		t.Errorf("task 15 links %+v %v", links, err)
	}
	if _, err := r.AddLink(ctx, Link{TaskID: tasks[14].ID, Kind: "case_source", Ref: "central-inspection"}, a); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate link: %v", err)
	}
	if _, err := r.AddLink(ctx, Link{TaskID: tasks[14].ID, Kind: "nonsense", Ref: "x"}, a); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad link kind: %v", err)
	}
	// Reports: the city reports task 20 for Q1 late, the department on time.
	rep, err := r.FileReport(ctx, ReportRow{TaskID: t20.ID, PartyKind: PartyCity, PartyCode: "430100", Period: "2020Q2", Status: OnTrack, Percent: 40,
		Text: "排查化工企业 120 家", Attachments: []Attachment{{Name: "排查清单.xlsx", URL: "/files/1"}}}, a)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ID == 0 || rep.TaskKey != "20" {
		t.Errorf("report %+v", rep)
	}
	for name, bad := range map[string]ReportRow{
		"not assigned": {TaskID: t20.ID, PartyKind: PartyDepartment, PartyCode: "hn-audit", Period: "2020Q2", Status: OnTrack},
		"wrong year":   {TaskID: t20.ID, PartyKind: PartyCity, PartyCode: "430100", Period: "2021Q1", Status: OnTrack},
		"bad status":   {TaskID: t20.ID, PartyKind: PartyCity, PartyCode: "430100", Period: "2020Q1", Status: "fine"},
		"bad percent":  {TaskID: t20.ID, PartyKind: PartyCity, PartyCode: "430100", Period: "2020Q1", Status: OnTrack, Percent: 120},
		"bad url":      {TaskID: t20.ID, PartyKind: PartyCity, PartyCode: "430100", Period: "2020Q1", Status: OnTrack, Attachments: []Attachment{{Name: "x", URL: "javascript:alert(1)"}}},
	} {
		if _, err := r.FileReport(ctx, bad, a); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := r.FileReport(ctx, ReportRow{TaskID: 999999, PartyKind: PartyCity, PartyCode: "430100", Period: "2020Q1", Status: OnTrack}, a); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown task: %v", err)
	}
	if _, err := r.ReviewReport(ctx, rep.ID, false, "", a); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("return without note: %v", err)
	}
	rv, err := r.ReviewReport(ctx, rep.ID, false, "缺少排查清单", a)
	if err != nil || rv.Review != "returned" {
		t.Fatalf("review %+v %v", rv, err)
	}
	reps, err := r.Reports(ctx, ReportFilter{Year: 2020, PartyKind: PartyCity, PartyCode: "430100"})
	if err != nil || len(reps) != 1 || reps[0].Attachments[0].Name != "排查清单.xlsx" {
		t.Fatalf("reports %+v %v", reps, err)
	}
	as, err := r.Assignments(ctx, 2020)
	if err != nil {
		t.Fatal(err)
	}
	// 14 cities × 33 tasks plus every lead.
	leads := 0
	for _, tk := range tasks {
		leads += len(tk.Leads)
	}
	if len(as) != 14*33+leads {
		t.Errorf("assignments %d, want %d", len(as), 14*33+leads)
	}
	sched, err := r.Schedule(ctx, 2020)
	if err != nil {
		t.Fatal(err)
	}
	// The returned report does not count: Changsha is behind on everything due.
	for _, x := range Assess(sched, as, AsReports(reps), at("2020-07-15 00:00")) {
		if x.Party.Code == "430100" && (x.Delayed != 33 || x.ReportsOnTime != 0) {
			t.Errorf("changsha %+v", x)
		}
	}
	// Every change is in the audit log.
	var n int
	if err := db.R.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action LIKE 'plan.%'`).Scan(&n); err != nil || n != 3 {
		t.Errorf("audit entries %d %v, want 3 (create, report, review)", n, err)
	}
	if _, err := r.Schedule(ctx, 2019); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("2019 schedule: %v", err)
	}
	ps, err := r.Plans(ctx)
	if err != nil || len(ps) != 1 || ps[0].Tasks != 33 {
		t.Errorf("plans %+v %v", ps, err)
	}
}
