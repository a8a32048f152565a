package main

import (
	"context"
	"fmt"

	"ecowatch/alarm"
	"ecowatch/httpapi"
	"ecowatch/store"
)

// The alarm engine runs inside serve: it consumes the gateway's frames and
// events on the bus, stores alarms, publishes them for the live feeds and
// notifies webhooks and e-mail subscribers (package alarm).
func init() { addServePart(servePart{name: "alarms", start: alarmsStart}) }

func alarmsStart(ctx context.Context, m *Main, api *httpapi.Config) error {
	sq, ok := m.Store.(store.SQLer)
	if !ok {
		return fmt.Errorf("store %T has no SQL handle for the alarms", m.Store)
	}
	repo := alarm.NewRepo(sq.SQL(), nil)
	n := &alarm.Notifier{Repo: repo, Logger: m.Logger,
		SMTP: alarm.SMTP{Addr: m.Settings.AlarmSMTP, From: m.Settings.AlarmMailFrom}}
	n.Run(ctx, &m.bg)
	eng := &alarm.Engine{Repo: repo, Store: m.Store, Bus: m.Bus, Logger: m.Logger, Every: m.Settings.AlarmTick, Notify: n.Notify}
	if err := eng.Start(ctx, &m.bg); err != nil {
		return err
	}
	api.Alarms = eng
	return nil
}
