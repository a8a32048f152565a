package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"ecowatch/emergency"
	"ecowatch/httpapi"
	"ecowatch/plan"
	"ecowatch/store"
)

func init() {
	addServePart(servePart{name: "emergency", start: emergencyStart})
}

// emergencyStart shares one emergency and one plan repository between the
// API and the reminder loop, which checks once an hour for emergency plans
// due for revision or a drill and for overdue progress reports of the
// newest work plan, and logs what became due since the last check (the
// reminders; the UI lists them from the API).
func emergencyStart(ctx context.Context, m *Main, api *httpapi.Config) error {
	sq, ok := m.Store.(store.SQLer)
	if !ok {
		return errors.New("the store has no SQL handle for the emergency tables")
	}
	api.Emergency = emergency.NewRepo(sq.SQL(), nil)
	api.Plan = plan.NewRepo(sq.SQL(), nil)
	rem := &emergencyReminders{em: api.Emergency, plan: api.Plan, log: m.Logger, now: time.Now, seen: map[string]bool{}}
	m.bg.Add(1)
	go func() {
		defer m.bg.Done()
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			if _, err := rem.tick(ctx); err != nil && ctx.Err() == nil {
				m.Logger.Warn("emergency reminders failed", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return nil
}

// emergencyReminders finds what is due; now is injectable for tests.
type emergencyReminders struct {
	em   *emergency.Repo
	plan *plan.Repo
	log  *slog.Logger
	now  func() time.Time
	seen map[string]bool // reminders already logged
}

// tick logs the reminders that are new since the last tick and returns
// them (as "what:key" strings).
func (e *emergencyReminders) tick(ctx context.Context) ([]string, error) {
	now := e.now()
	var fresh []string
	ps, err := e.em.Plans(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, r := range emergency.Reminders(emergency.States(ps), now, 30*24*time.Hour) {
		key := fmt.Sprintf("em-plan-%s:%d:%s", r.What, r.PlanID, r.Due.Format(time.DateOnly))
		if !e.seen[key] {
			e.seen[key] = true
			fresh = append(fresh, key)
			e.log.Info("emergency plan due", "plan", r.PlanID, "title", r.Title, "region", r.Region, "what", r.What, "due", r.Due, "overdue", r.Overdue)
		}
	}
	plans, err := e.plan.Plans(ctx)
	if err != nil || len(plans) == 0 {
		return fresh, err
	}
	year := plans[0].Year
	sched, err := e.plan.Schedule(ctx, year)
	if err != nil {
		return fresh, err
	}
	as, err := e.plan.Assignments(ctx, year)
	if err != nil {
		return fresh, err
	}
	reps, err := e.plan.Reports(ctx, plan.ReportFilter{Year: year})
	if err != nil {
		return fresh, err
	}
	over := map[string]int{}
	for _, d := range plan.Overdue(sched, as, plan.AsReports(reps), now) {
		key := fmt.Sprintf("plan-overdue:%d:%s:%s:%s", d.TaskID, d.Party.Kind, d.Party.Code, d.Period)
		if !e.seen[key] {
			e.seen[key] = true
			fresh = append(fresh, key)
			over[d.Party.Name]++
		}
	}
	for name, n := range over {
		e.log.Info("progress reports overdue", "plan", year, "party", name, "reports", n)
	}
	return fresh, nil
}
