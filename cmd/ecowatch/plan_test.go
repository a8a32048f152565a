package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"ecowatch/emergency"
	"ecowatch/plan"
	"ecowatch/store"
	"ecowatch/store/sqlite"
)

func TestPlanSeedCommand(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var out, errb bytes.Buffer
	e := env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	if rc := run(ctx, e, []string{"seed", "hunan", "--data-dir", dir}); rc != 0 {
		t.Fatalf("seed: %d %s", rc, errb.String())
	}
	for i := 0; i < 2; i++ { // idempotent
		out.Reset()
		if rc := run(ctx, e, []string{"plan", "seed", "--year", "2020", "--data-dir", dir}); rc != 0 {
			t.Fatalf("plan seed: %d %s", rc, errb.String())
		}
	}
	if !strings.Contains(out.String(), "already seeded") {
		t.Errorf("second seed: %q", out.String())
	}
	out.Reset()
	if rc := run(ctx, e, []string{"plan", "list", "--year", "2020", "--data-dir", dir}); rc != 0 {
		t.Fatalf("plan list: %d %s", rc, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 33 || !strings.HasPrefix(lines[19], "20\t开展重点行业生态环境风险隐患大排查\t省生态环境厅、省应急厅、省交通运输厅、省住房城乡建设厅\t14 cities") {
		t.Errorf("list: %d lines, line 20 %q", len(lines), lines[min(19, len(lines)-1)])
	}
	if rc := run(ctx, e, []string{"plan", "seed", "--year", "2021", "--data-dir", dir}); rc != 2 {
		t.Errorf("seed 2021: rc %d", rc)
	}
}

func TestEmergencyReminderTick(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := env{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Getenv: func(string) string { return "" }}
	if rc := run(ctx, e, []string{"seed", "hunan", "--data-dir", dir}); rc != 0 {
		t.Fatal("seed")
	}
	if rc := run(ctx, e, []string{"plan", "seed", "--year", "2020", "--data-dir", dir}); rc != 0 {
		t.Fatal("plan seed")
	}
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clock := time.Date(2020, 4, 1, 9, 0, 0, 0, store.CST)
	now := func() time.Time { return clock }
	em := emergency.NewRepo(st.SQL(), now)
	a := emergency.Actor{Name: "test"}
	p, err := em.AddPlan(ctx, emergency.EmPlan{OwnerKind: "government", Owner: "长沙市人民政府", RegionCode: "430100", Title: "长沙市突发环境事件应急预案"}, a)
	if err != nil {
		t.Fatal(err)
	}
	em.FileVersion(ctx, p.ID, "v1", a)
	if _, err := em.ReviewVersion(ctx, p.ID, 1, true, "", a); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	rem := &emergencyReminders{em: em, plan: plan.NewRepo(st.SQL(), now), log: slog.New(slog.NewJSONHandler(&logs, nil)), now: now, seen: map[string]bool{}}
	got, err := rem.tick(ctx)
	if err != nil || len(got) != 0 {
		t.Fatalf("on 2020-04-01: %v %v", got, err)
	}
	// Eleven and a half months later (2021-03-16): the drill is due, and
	// every progress report of the four quarters of 2020 is overdue (none
	// was filed; Q4's was due on 2021-01-11).
	clock = clock.AddDate(0, 11, 15)
	got, err = rem.tick(ctx)
	if err != nil {
		t.Fatal(err)
	}
	drill, overdue := 0, 0
	for _, k := range got {
		switch {
		case strings.HasPrefix(k, "em-plan-drill:"):
			drill++
		case strings.HasPrefix(k, "plan-overdue:"):
			overdue++
		}
	}
	tasks, _ := plan.NewRepo(st.SQL(), now).Tasks(ctx, 2020)
	parties := 0
	for _, tk := range tasks {
		parties += 14 + len(tk.Leads)
	}
	if drill != 1 || overdue != parties*4 {
		t.Errorf("drill %d overdue %d (parties %d)", drill, overdue, parties)
	}
	if !strings.Contains(logs.String(), "emergency plan due") || !strings.Contains(logs.String(), "progress reports overdue") {
		t.Errorf("logs: %.300s", logs.String())
	}
	// Nothing new an hour later: reminders are logged once.
	clock = clock.Add(time.Hour)
	if got, _ := rem.tick(ctx); len(got) != 0 {
		t.Errorf("repeated reminders %d", len(got))
	}
}

func TestEmergencySeedDemo(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var out bytes.Buffer
	e := env{Stdout: &out, Stderr: &bytes.Buffer{}, Getenv: func(string) string { return "" }}
	for _, args := range [][]string{{"seed", "hunan"}, {"plan", "seed", "--year", "2020"}, {"emergency", "seed-demo"}} {
		if rc := run(ctx, e, append(args, "--data-dir", dir)); rc != 0 {
			t.Fatalf("%v: rc %d", args, rc)
		}
	}
	if rc := run(ctx, e, []string{"emergency", "seed-demo", "--data-dir", dir}); rc != 1 {
		t.Errorf("second seed-demo: rc %d, want 1", rc)
	}
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	em := emergency.NewRepo(st.SQL(), nil)
	srcs, _ := em.Sources(ctx, emergency.SourceFilter{})
	kinds := map[emergency.Kind]bool{}
	for _, s := range srcs {
		kinds[s.Kind] = true
		if !s.Simulated || !strings.HasPrefix(s.Name, "模拟") || !strings.HasPrefix(s.RegionCode, "43") {
			t.Errorf("source %+v is not clearly simulated in Hunan", s)
		}
	}
	if len(kinds) != len(emergency.Kinds) {
		t.Errorf("kinds %v", kinds)
	}
	experts, _ := em.Resources(ctx, "expert", "")
	if len(experts) != 28 {
		t.Errorf("experts %d, want 2 per city", len(experts))
	}
	// The tasks board as of the end of 2020 has parties on track and behind.
	pl := plan.NewRepo(st.SQL(), nil)
	sched, _ := pl.Schedule(ctx, 2020)
	as, _ := pl.Assignments(ctx, 2020)
	reps, _ := pl.Reports(ctx, plan.ReportFilter{Year: 2020})
	count := map[plan.Status]int{}
	for _, x := range plan.Assess(sched, as, plan.AsReports(reps), time.Date(2021, 1, 20, 0, 0, 0, 0, store.CST)) {
		count[plan.Delayed] += x.Delayed
		count[plan.OnTrack] += x.OnTrack
		count[plan.Done] += x.Done
	}
	if count[plan.Delayed] == 0 || count[plan.OnTrack] == 0 || count[plan.Done] == 0 {
		t.Errorf("board %v", count)
	}
}
