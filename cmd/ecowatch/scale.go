package main

import (
	"context"
	"flag"
	"time"

	"ecowatch/bus/jetstream"
	"ecowatch/gateway"
	"ecowatch/gateway/remote"
	"ecowatch/httpapi"
	"ecowatch/ingest"
	"ecowatch/store"
)

// The roles of the scaled deployment (README "Scaled deployment"): the same
// binary and settings as serve, one role per process, PostgreSQL as the
// store and NATS JetStream as the bus.
func init() {
	registerCommand(func() command {
		return serveRoleCommand(roleGateway, roleGateway,
			"scaled deployment: accept device connections, publish frames to JetStream, acknowledge after the stream has them")
	})
	registerCommand(func() command {
		return serveRoleCommand(roleWorker, roleWorker,
			"scaled deployment: write frames from JetStream to PostgreSQL and run the background work (alarms, schedules)")
	})
	registerCommand(func() command {
		return serveRoleCommand(roleWeb, roleWeb, "scaled deployment: serve the API and the UI (stateless; live updates from NATS)")
	})
}

// scaleSettings are the settings of the scaled deployment's bus, shared by
// every role (and serve with --nats).
type scaleSettings struct {
	Replicas int
	MaxAge   time.Duration
	AckWait  time.Duration
	Batch    int
}

func (s *scaleSettings) flags(fs *flag.FlagSet) {
	fs.IntVar(&s.Replicas, "nats-replicas", 1, "replicas of the JetStream stream: 1 on one NATS server, 3 in the documented cluster")
	fs.DurationVar(&s.MaxAge, "nats-max-age", 7*24*time.Hour, "how long the stream keeps a message (workers may be down this long without loss)")
	fs.DurationVar(&s.AckWait, "nats-ack-wait", 30*time.Second, "how long a worker may hold a batch before JetStream gives it to another worker")
	fs.IntVar(&s.Batch, "nats-batch", 0, "most frames a worker takes from the stream per store transaction (0: --commit-batch)")
}

// busOptions are the JetStream options of a process of role.
func (s scaleSettings) busOptions(all serveSettings, role string) jetstream.Options {
	batch := s.Batch
	if batch <= 0 {
		batch = all.CommitBatch
	}
	name := "ecowatch"
	if role != "" {
		name += "-" + role
	}
	return jetstream.Options{URL: all.NATS, Prefix: all.NATSPrefix, Stream: all.NATSStream, Replicas: s.Replicas,
		MaxAge: s.MaxAge, AckWait: s.AckWait, MaxBatch: batch, Name: name}
}

// scaleRoleDefaults gives the roles that serve no UI their own default
// HTTP port (/metrics, /healthz), so that one machine can run a gateway,
// a worker and a web process without setting every port.
func scaleRoleDefaults(fs *flag.FlagSet, role string) {
	addr := map[string]string{roleGateway: ":8081", roleWorker: ":8082"}[role]
	if addr == "" {
		return
	}
	f := fs.Lookup("http-addr")
	_ = f.Value.Set(addr)
	f.DefValue = addr
}

// scaleStart starts what the scaled deployment adds to a role: a gateway
// answers the web processes' device requests over NATS; a worker on
// JetStream purges the keys of frames the stream can no longer redeliver.
func (m *Main) scaleStart(ctx context.Context) error {
	jb, ok := m.Bus.(*jetstream.Bus)
	if !ok {
		return nil
	}
	if m.Gateway != nil {
		stop, err := remote.Serve(jb.Conn(), jb.Prefix(), m.Gateway)
		if err != nil {
			return err
		}
		m.scaleStop = append(m.scaleStop, stop)
	}
	if m.runs(roleWorker) {
		if p, ok := m.Store.(scaleKeyPurger); ok {
			horizon := m.Settings.Scale.MaxAge + 24*time.Hour
			m.bg.Add(1)
			go func() {
				defer m.bg.Done()
				scalePurgeKeys(ctx, p, horizon, time.Hour, time.Now, m.Logger.Error)
			}()
		}
	}
	return nil
}

// scaleKeyPurger is the store's PurgeIngestKeys (both backends).
type scaleKeyPurger interface {
	PurgeIngestKeys(ctx context.Context, before time.Time) (int64, error)
}

// scalePurgeKeys deletes, every interval, the ingest keys older than
// horizon (the stream's MaxAge and a day): a message older than that
// cannot be delivered again.
func scalePurgeKeys(ctx context.Context, p scaleKeyPurger, horizon, every time.Duration, now func() time.Time, logErr func(string, ...any)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := p.PurgeIngestKeys(ctx, now().Add(-horizon)); err != nil && ctx.Err() == nil {
			logErr("purging ingest keys failed, retried later", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// scaleAPIGateway is the API's view of the gateways: this process's own,
// or in a web process on JetStream the gateways reached over NATS.
func (m *Main) scaleAPIGateway(reg storeRegistry) httpapi.Gateway {
	if m.Gateway != nil {
		return m.Gateway
	}
	jb, ok := m.Bus.(*jetstream.Bus)
	if !ok || !m.runs(roleWeb) {
		return nil
	}
	return &remote.Client{Conn: jb.Conn(), Prefix: jb.Prefix(),
		RegisterFunc: func(ctx context.Context, d gateway.Device) (int, error) {
			if err := reg.Register(ctx, d); err != nil {
				return 0, err
			}
			got, err := reg.Device(ctx, d.MN)
			if err != nil {
				return 0, err
			}
			return ingest.Replay(ctx, m.Store, d.MN, got.Point, got.Mode, store.CST)
		}}
}
