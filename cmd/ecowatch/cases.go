package main

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"time"

	"ecowatch/casework"
	"ecowatch/httpapi"
	"ecowatch/store"
)

// The web role serves the cases (opener, attachments); the worker role
// runs the escalation schedule. In a scaled deployment the web processes'
// --data-dir must be one shared volume, since attachments are files there.
func init() {
	addServePart(servePart{name: "cases", roles: []string{roleWeb, roleWorker}, start: casesStart})
}

// casesStart gives the API the case opener and the attachments directory,
// and, outside the web role, starts the escalation schedule (提醒 → 督办 →
// 挂牌督办). Escalation only raises levels, so two workers running it at
// once at most record a level twice, never lower one.
func casesStart(ctx context.Context, m *Main, api *httpapi.Config) error {
	sqler, ok := m.Store.(store.SQLer)
	if !ok {
		return errors.New("the store has no SQL handle for the cases")
	}
	repo := casework.NewRepo(sqler.SQL(), time.Now)
	api.Cases = httpapi.CasesOpener(repo, m.Store)
	api.CaseFiles = filepath.Join(m.Settings.DataDir, "attachments")
	if m.Settings.CaseEscalateEvery <= 0 || !m.runs(roleWorker) {
		return nil
	}
	s := casesScheduler{repo: repo, every: m.Settings.CaseEscalateEvery, now: time.Now, after: time.After, log: m.Logger}
	m.bg.Add(1)
	go func() {
		defer m.bg.Done()
		s.run(ctx)
	}()
	return nil
}

// casesScheduler raises the escalation level of overdue cases on a
// schedule: a pass at start, then one every `every`. The clock and the
// timer are injected so a test drives it.
type casesScheduler struct {
	repo  *casework.Repo
	every time.Duration
	now   func() time.Time
	after func(time.Duration) <-chan time.Time
	log   *slog.Logger
	// passed is called after each pass (tests wait on it); may be nil.
	passed func(raised int, err error)
}

func (s casesScheduler) run(ctx context.Context) {
	for {
		raised, err := s.repo.Escalate(ctx, s.now())
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("case escalation pass failed, retried at the next", "err", err)
		case len(raised) > 0:
			s.log.Info("cases escalated", "cases", len(raised))
		}
		if s.passed != nil {
			s.passed(len(raised), err)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.after(s.every):
		}
	}
}
