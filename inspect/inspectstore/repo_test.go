package inspectstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"ecowatch/inspect"
	"ecowatch/registry"
	"ecowatch/store"
	"ecowatch/store/postgres"
	"ecowatch/store/postgres/pgtest"
	"ecowatch/store/sqlite"
)

// testStore is a store with the SQL handle and the accounts (audit log).
type testStore interface {
	store.Store
	store.SQLer
	store.Accounts
}

func openSQLite(t *testing.T) testStore {
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func openPostgres(t *testing.T) testStore {
	st, err := postgres.Open(context.Background(), pgtest.SchemaURL(t, "inspect"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// creditCode makes a valid GB 32100 code from a number.
func creditCode(t testing.TB, n int) string {
	first := fmt.Sprintf("91430100MA%07d", n)
	c, err := registry.CreditCodeCheck(first)
	if err != nil {
		t.Fatal(err)
	}
	return first + string(c)
}

// seedRegistry writes Changsha with two counties and 40 enterprises, one
// in four a key unit.
func seedRegistry(t *testing.T, st store.Store) []string {
	ctx := context.Background()
	for _, r := range []registry.Region{{Code: "430000", Name: "湖南省"}, {Code: "430100", Name: "长沙市"},
		{Code: "430102", Name: "芙蓉区"}, {Code: "430103", Name: "天心区"}} {
		if err := st.UpsertRegion(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	var codes []string
	for i := range 40 {
		e := registry.Enterprise{CreditCode: creditCode(t, i), Name: fmt.Sprintf("长沙企业%02d", i), RegionCode: []string{"430102", "430103"}[i%2],
			IndustryCode: "4411"}
		if i%4 == 0 {
			e.KeyUnits = []registry.KeyUnit{registry.KeyUnitAir}
		}
		if err := st.UpsertEnterprise(ctx, e); err != nil {
			t.Fatal(err)
		}
		codes = append(codes, e.CreditCode)
	}
	return codes
}

func TestRepoSQLite(t *testing.T)   { testRepo(t, openSQLite(t)) }
func TestRepoPostgres(t *testing.T) { testRepo(t, openPostgres(t)) }

func testRepo(t *testing.T, st testStore) {
	ctx := context.Background()
	now := time.Date(2026, 9, 30, 10, 0, 0, 0, store.CST)
	repo := New(st.SQL(), func() time.Time { return now })
	codes := seedRegistry(t, st)
	sup := Actor{Name: "changsha", Remote: "127.0.0.1"}

	for i := range 6 {
		o := inspect.Officer{ID: fmt.Sprintf("officer%d", i), Name: fmt.Sprintf("执法员%d", i), Region: "430100", HomeCounty: "430102",
			Certificate: fmt.Sprintf("湘执%04d", i), Available: true}
		if i == 0 {
			o.Links = []string{codes[0], codes[0]}
		}
		if err := repo.UpsertOfficer(ctx, sup, o); err != nil {
			t.Fatal(err)
		}
	}
	if err := repo.UpsertOfficer(ctx, sup, inspect.Officer{ID: "bad", Name: "x", Region: "43"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad officer: %v, want invalid", err)
	}
	offs, err := repo.Officers(ctx, "4301")
	if err != nil || len(offs) != 6 || len(offs[0].Links) != 1 || offs[0].Links[0] != codes[0] {
		t.Fatalf("officers %+v, %v", offs, err)
	}

	ep, err := repo.EnterprisePool(ctx, st, "430100", now, nil)
	if err != nil || len(ep.Enterprises) != 40 {
		t.Fatalf("enterprise pool: %d, %v", len(ep.Enterprises), err)
	}
	op, err := repo.OfficerPool(ctx, "430100", now)
	if err != nil || len(op.Officers) != 6 {
		t.Fatalf("officer pool: %d, %v", len(op.Officers), err)
	}
	plan := inspect.Plan{Region: "430100", Period: "2026Q4", Teams: 3, Size: 2, ExcludeDays: 180,
		Groups: []inspect.GroupRule{{Group: inspect.GroupKey, Ratio: 0.5}, {Group: inspect.GroupGeneral, Ratio: 0.1}}}
	d, err := repo.Freeze(ctx, sup, plan, ep, op, 0, "")
	if err != nil || d.State != StateFrozen || d.EnterpriseHash != inspect.Hash(ep.Canonical()) {
		t.Fatalf("freeze: %+v, %v", d, err)
	}
	// The stored snapshots are the hashed bytes.
	eb, ob, err := repo.Snapshots(ctx, d.ID)
	if err != nil || inspect.Hash(eb) != d.EnterpriseHash || inspect.Hash(ob) != d.OfficerHash {
		t.Fatalf("snapshots do not hash to the published hashes: %v", err)
	}
	if _, err := repo.Freeze(ctx, sup, plan, ep, op, d.ID, "again"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("redraw of a frozen draw: %v, want conflict", err)
	}

	d, err = repo.Run(ctx, sup, d.ID, "lottery 2026-09-30 3 7 1", "external")
	if err != nil || d.State != StateDrawn {
		t.Fatalf("run: %+v, %v", d, err)
	}
	want := 5 + 3 // ceil(0.5 × 10 key units) + ceil(0.1 × 30 general)
	if len(d.Result.Assignments) != want {
		t.Fatalf("%d assignments, want %d", len(d.Result.Assignments), want)
	}
	if _, err := repo.Run(ctx, sup, d.ID, "other", "external"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second run: %v, want conflict (a draw is made once)", err)
	}
	// The record verifies against the stored snapshots.
	if err := inspect.Verify(d.Record(), eb, ob); err != nil {
		t.Fatalf("verify stored draw: %v", err)
	}

	tasks, err := repo.Tasks(ctx, TaskFilter{DrawID: d.ID})
	if err != nil || len(tasks) != want {
		t.Fatalf("tasks %d, %v", len(tasks), err)
	}
	task := tasks[0]
	officer := task.Officers[0]
	mine, err := repo.Tasks(ctx, TaskFilter{Officer: officer})
	if err != nil || len(mine) == 0 {
		t.Fatalf("officer's tasks: %v", err)
	}
	for _, mt := range mine {
		if !strings.Contains(strings.Join(mt.Officers, ","), officer) {
			t.Errorf("task %d listed for %s, who is not on it", mt.ID, officer)
		}
	}
	notes, err := repo.Notifications(ctx, officer)
	if err != nil || len(notes) != len(mine) || notes[0].Read {
		t.Fatalf("notifications %+v for %d tasks, %v", notes, len(mine), err)
	}
	if err := repo.MarkRead(ctx, Actor{Name: officer}); err != nil {
		t.Fatal(err)
	}
	if notes, _ := repo.Notifications(ctx, officer); !notes[0].Read {
		t.Error("notification not marked read")
	}

	// Attachments: type-checked, only by the task's officers.
	png := []byte("\x89PNG\r\n\x1a\nxxxx")
	if _, err := repo.AddAttachment(ctx, Actor{Name: "someone"}, task.ID, "a.png", "image/png", png); !errors.Is(err, ErrNotOfficer) {
		t.Errorf("attachment by a stranger: %v", err)
	}
	if _, err := repo.AddAttachment(ctx, Actor{Name: officer}, task.ID, "a.exe", "application/x-msdownload", png); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("exe attachment: %v", err)
	}
	att, err := repo.AddAttachment(ctx, Actor{Name: officer}, task.ID, "现场.png", "image/png", png)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := repo.Attachment(ctx, att.ID); err != nil || string(got.Data) != string(png) || got.SHA256 != inspect.Hash(png) {
		t.Fatalf("attachment back: %v", err)
	}

	// Complete with a finding.
	var answers []inspect.CheckAnswer
	for _, c := range inspect.Checklist(task.Industry) {
		answers = append(answers, inspect.CheckAnswer{Code: c.Code, OK: c.Code != "cems"})
	}
	rep := inspect.Report{Outcome: inspect.OutcomeProblems, Checklist: answers, Minutes: 95, InspectedOn: "2026-10-12",
		Findings: []inspect.Finding{{Text: "CEMS 采样管线漏气", Attachments: []int64{att.ID}}}}
	bad := rep
	bad.Checklist = answers[1:]
	if _, err := repo.Complete(ctx, Actor{Name: officer}, task.ID, bad, 0); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "not answered") {
		t.Errorf("incomplete checklist: %v", err)
	}
	if _, err := repo.Complete(ctx, Actor{Name: "someone"}, task.ID, rep, 0); !errors.Is(err, ErrNotOfficer) {
		t.Errorf("complete by a stranger: %v", err)
	}
	done, err := repo.Complete(ctx, Actor{Name: officer}, task.ID, rep, 77)
	if err != nil || done.State != inspect.TaskDone || done.CaseID != 77 || len(done.Findings) != 1 || done.Findings[0].Attachments[0] != att.ID {
		t.Fatalf("complete: %+v, %v", done, err)
	}
	if _, err := repo.Complete(ctx, Actor{Name: officer}, task.ID, rep, 0); !errors.Is(err, store.ErrConflict) {
		t.Errorf("complete twice: %v", err)
	}
	pub, ok := done.Public()
	if !ok || pub.FollowUp != "rectification" || pub.InspectedOn != "2026-10-12" {
		t.Errorf("public view %+v %v", pub, ok)
	}
	last, err := repo.LastInspected(ctx)
	if err != nil || last[task.CreditCode] != "2026-10-12" {
		t.Errorf("last inspected %v, %v", last, err)
	}
	// The inspected enterprise is excluded from the next pool's draw.
	ep2, _ := repo.EnterprisePool(ctx, st, "430100", now, nil)
	for _, e := range ep2.Enterprises {
		if e.CreditCode == task.CreditCode && e.LastInspected != "2026-10-12" {
			t.Errorf("pool does not carry the last inspection: %+v", e)
		}
	}

	// Targeted task; a redraw with its reason.
	tt, err := repo.CreateTask(ctx, sup, inspect.Task{Source: inspect.SourceTargeted, SourceRef: "alarm:42", CreditCode: codes[3],
		EnterpriseName: "长沙企业03", Region: "430103", Industry: "4411", Officers: []string{"officer1", "officer2"}})
	if err != nil || tt.ID == 0 || tt.State != inspect.TaskOpen {
		t.Fatalf("targeted task: %+v, %v", tt, err)
	}
	if _, err := repo.CreateTask(ctx, sup, inspect.Task{Source: inspect.SourceTargeted, CreditCode: codes[3], EnterpriseName: "x",
		Region: "430103", Officers: []string{"officer1"}}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("one-officer task: %v", err)
	}
	if _, err := repo.Freeze(ctx, sup, plan, ep, op, d.ID, ""); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("redraw without reason: %v", err)
	}
	rd, err := repo.Freeze(ctx, sup, plan, ep, op, d.ID, "officer2 on sick leave")
	if err != nil || rd.RedrawOf != d.ID {
		t.Fatalf("redraw: %+v %v", rd, err)
	}
	// An impossible plan is recorded as refused with its reason.
	plan.Teams = 4
	fz, err := repo.Freeze(ctx, sup, plan, ep, op, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := repo.Run(ctx, sup, fz.ID, NewSeed(), "generated")
	if !errors.Is(err, inspect.ErrRefused) || ref.State != StateRefused || !strings.Contains(ref.Refusal, "officers_short") {
		t.Fatalf("refused run: %+v, %v", ref, err)
	}
	if got, _ := repo.Draw(ctx, fz.ID); got.State != StateRefused || got.Refusal == "" {
		t.Errorf("stored refusal %+v", got)
	}

	// Statistics.
	sums, err := repo.Summaries(ctx, "4301")
	if err != nil || len(sums) != 1 {
		t.Fatalf("summaries %v, %v", sums, err)
	}
	all, _ := repo.Tasks(ctx, TaskFilter{RegionPrefix: "4301"})
	stats := inspect.Statistics(sums, all)
	var keyDone, keyPlanned int
	for _, c := range stats.Coverage {
		if c.Group == task.Group {
			keyDone, keyPlanned = c.Done, c.Planned
		}
	}
	if keyDone != 1 || keyPlanned == 0 {
		t.Errorf("coverage of %s: done %d planned %d, want 1 done", task.Group, keyDone, keyPlanned)
	}

	// Every change is in the hash-chained audit log.
	entries, _, err := st.Audit(ctx, store.AuditQuery{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]int{}
	for _, e := range entries {
		actions[e.Action]++
	}
	for _, a := range []string{"inspect.officer.upsert", "inspect.draw.freeze", "inspect.draw.run", "inspect.attachment.add",
		"inspect.task.complete", "inspect.task.create", "inspect.notification.read"} {
		if actions[a] == 0 {
			t.Errorf("no audit entry %s (have %v)", a, actions)
		}
	}
}
