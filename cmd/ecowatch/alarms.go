package main

import (
	"context"
	"fmt"
	"time"

	"ecowatch/alarm"
	"ecowatch/httpapi"
	"ecowatch/store"
)

// The alarm engine runs inside serve: it consumes the gateway's frames and
// events on the bus, stores alarms, publishes them for the live feeds and
// notifies webhooks and e-mail subscribers (package alarm). In the scaled
// deployment it runs in the workers, in one of them at a time (see
// alarmsLeader); the web role's API reads the stored alarms itself.
func init() { addServePart(servePart{name: "alarms", start: alarmsStart}) }

// alarmsLockKey is the PostgreSQL advisory lock the engine's worker holds
// ("alarm" in ASCII).
const alarmsLockKey = 0x616c61726d

func alarmsStart(ctx context.Context, m *Main, api *httpapi.Config) error {
	sq, ok := m.Store.(store.SQLer)
	if !ok {
		return fmt.Errorf("store %T has no SQL handle for the alarms", m.Store)
	}
	repo := alarm.NewRepo(sq.SQL(), nil)
	n := &alarm.Notifier{Repo: repo, Logger: m.Logger,
		SMTP: alarm.SMTP{Addr: m.Settings.AlarmSMTP, From: m.Settings.AlarmMailFrom}}
	eng := &alarm.Engine{Repo: repo, Store: m.Store, Bus: m.Bus, Logger: m.Logger, Every: m.Settings.AlarmTick, Notify: n.Notify}
	api.Alarms = eng
	start := func(ctx context.Context) error {
		n.Run(ctx, &m.bg)
		return eng.Start(ctx, &m.bg)
	}
	if m.Role == "" {
		// One process: the engine reads the store writer's decoded
		// records instead of decoding every frame a second time from a
		// bus consumer of its own (issue 7's 10 % CPU budget;
		// alarm/README.md has the figures).
		eng.SkipConsume = true
		m.wrapStoreSink(eng.Sink)
		return start(ctx)
	}
	if !sq.SQL().Postgres {
		return start(ctx)
	}
	// Several workers: the rules keep state per point (running means,
	// runs of identical values), so one engine must see every frame.
	// The durable bus consumer holds the frames while no worker leads.
	m.bg.Add(1)
	go func() {
		defer m.bg.Done()
		alarmsLeader(ctx, m, sq.SQL(), start)
	}()
	return nil
}

// alarmsLeader runs start while this process holds the engine's advisory
// lock, trying for it every 10 s; a dead leader's session ends and frees
// the lock for the next worker.
func alarmsLeader(ctx context.Context, m *Main, db store.SQL, start func(context.Context) error) {
	for ctx.Err() == nil {
		if alarmsLead(ctx, m, db, start) {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Second):
		}
	}
}

// alarmsLead tries for the lock once; with it, it runs start until ctx
// ends and reports true.
func alarmsLead(ctx context.Context, m *Main, db store.SQL, start func(context.Context) error) bool {
	conn, err := db.W.Conn(ctx)
	if err != nil {
		m.Logger.Warn("alarm engine: lead lock", "err", err)
		return false
	}
	defer conn.Close()
	var got bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", int64(alarmsLockKey)).Scan(&got); err != nil || !got {
		return false
	}
	// The connection goes back to the pool afterwards: unlock explicitly
	// (a process that dies loses its sessions, and the lock with them).
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(alarmsLockKey))
	if err := start(ctx); err != nil {
		m.Logger.Error("alarm engine: start failed; another worker may lead", "err", err)
		return false
	}
	m.Logger.Info("alarm engine: this worker leads")
	<-ctx.Done()
	return true
}
