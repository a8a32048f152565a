package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"ecowatch/bus"
	"ecowatch/bus/jetstream"
	"ecowatch/gateway"
	"ecowatch/hj212"
	"ecowatch/httpapi"
	"ecowatch/ingest"
	"ecowatch/registry"
	"ecowatch/store"
	"ecowatch/store/postgres"
	"ecowatch/store/sqlite"
	"ecowatch/web"
)

// Roles of the one binary in the scaled deployment (Main.Role,
// servePart.roles): `ecowatch gateway` holds device connections and
// publishes frames, `ecowatch worker` writes them to the store and runs the
// background parts, `ecowatch web` serves the API and UI.
const (
	roleGateway = "gateway"
	roleWorker  = "worker"
	roleWeb     = "web"
)

// runs reports whether this process runs role: every role under serve.
func (m *Main) runs(role string) bool { return m.Role == "" || m.Role == role }

// Default listen addresses. HJ 212 assigns no port, and every platform
// tells its devices its own; 9212 is easy to remember next to the standard's
// number, above 1024 (no root needed) and not assigned to a common service.
const (
	defaultGatewayAddr = ":9212"
	defaultHTTPAddr    = ":8080"
)

// serveSettings are the settings of `ecowatch serve`, each a flag, an
// ECOWATCH_… variable and a config-file key of the same name.
type serveSettings struct {
	DataDir     string
	GatewayAddr string
	HTTPAddr    string
	Postgres    string
	NATS        string
	NATSPrefix  string
	NATSStream  string
	LogLevel    string

	Limits        gateway.Limits
	ClockDrift    time.Duration
	Backfill      bool
	CommitBatch   int
	CommitWait    time.Duration
	CommitTimeout time.Duration

	Retention      string
	RetentionEvery time.Duration

	TrustProxy bool

	Scale scaleSettings

	OpenData, OpenDataPolicy string // issue 12: opendata.ParseSettings and ParsePolicy syntax
	CaseEscalateEvery        time.Duration

	AlarmTick     time.Duration
	AlarmSMTP     string
	AlarmMailFrom string
}

func (s *serveSettings) flags(fs *flag.FlagSet) {
	fs.StringVar(&s.DataDir, "data-dir", "./data", "directory of the embedded store")
	fs.StringVar(&s.GatewayAddr, "gateway-addr", defaultGatewayAddr, "HJ 212 listen address host:port (port 0 picks a free one)")
	fs.StringVar(&s.HTTPAddr, "http-addr", defaultHTTPAddr, "HTTP listen address for the API, UI and /metrics (port 0 picks a free one)")
	fs.StringVar(&s.Postgres, "postgres", "", "PostgreSQL URL; empty uses the embedded SQLite store in --data-dir")
	fs.StringVar(&s.NATS, "nats", "", "NATS JetStream URL for the bus; empty uses the in-process bus")
	fs.StringVar(&s.NATSPrefix, "nats-prefix", "ecowatch", "subject prefix of this installation on NATS")
	fs.StringVar(&s.NATSStream, "nats-stream", "ECOWATCH", "JetStream stream name")
	fs.StringVar(&s.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.IntVar(&s.Limits.MaxConns, "max-conns", 20000, "most device connections at once")
	fs.IntVar(&s.Limits.MaxConnsPerAddr, "max-conns-per-addr", 1000, "most device connections from one IP address")
	fs.IntVar(&s.Limits.MaxFrame, "max-frame", 4096, "largest frame in bytes (the standard's is 1036)")
	fs.DurationVar(&s.Limits.PartialDeadline, "partial-frame-deadline", 30*time.Second, "time a started frame may take to arrive")
	fs.DurationVar(&s.Limits.IdleTimeout, "idle-timeout", 70*time.Minute, "close a connection silent this long")
	fs.Float64Var(&s.Limits.FrameRate, "max-frame-rate", 50, "frames per second one connection may send on average (negative: no limit)")
	fs.IntVar(&s.Limits.FrameBurst, "max-frame-burst", 1000, "frames one connection may send in a burst")
	fs.DurationVar(&s.ClockDrift, "clock-drift", 5*time.Minute, "device clock error that triggers 1012 set-time (negative: never)")
	fs.BoolVar(&s.Backfill, "backfill", true, "ask devices for missing hourly data (2061 history queries)")
	fs.IntVar(&s.CommitBatch, "commit-batch", 2000, "most frames per store transaction (group commit)")
	fs.DurationVar(&s.CommitWait, "commit-wait", 0, "extra wait to fill a store transaction (0: take what is queued)")
	fs.StringVar(&s.Retention, "retention", "realtime=1y,minute=3y,hour=10y,day=10y,frames=10y",
		"how long data is kept, by kind (store.ParseRetention syntax), or off")
	fs.DurationVar(&s.RetentionEvery, "retention-every", 6*time.Hour, "how often old data is purged")
	fs.BoolVar(&s.TrustProxy, "trust-proxy", false, "take the client address from X-Forwarded-For (only behind a reverse proxy that sets it)")
	fs.StringVar(&s.OpenData, "opendata", "", "open data limits and bulk files, e.g. anonymous=120/m,key=1200/m,token=12000/m,settle=72h,bulk-every=1h,bulk-days=31 (or bulk-every=off)")
	fs.StringVar(&s.OpenDataPolicy, "opendata-policy", "", "changes to what is published, e.g. enterprise.address=hidden,point_kind.power_use=public (GET /api/v1/open/policy lists the fields)")
	fs.DurationVar(&s.AlarmTick, "alarm-tick", 15*time.Second, "how often the time-driven alarm rules (offline, missing data, facility off, city AQI) are evaluated")
	fs.StringVar(&s.AlarmSMTP, "alarm-smtp", "", "SMTP server host:port for alarm e-mail (empty: no e-mail)")
	fs.StringVar(&s.AlarmMailFrom, "alarm-mail-from", "ecowatch@localhost", "sender address of alarm e-mail")
	fs.DurationVar(&s.CommitTimeout, "commit-timeout", 30*time.Second, "longest wait for a frame's commit before it goes unacknowledged")
	s.Scale.flags(fs)
	fs.DurationVar(&s.CaseEscalateEvery, "case-escalate-every", 10*time.Minute, "how often overdue cases are escalated (0: never)")
}

// Main is `ecowatch serve` as a value: tests start it on port 0 in a temp
// directory, exactly as the command does.
type Main struct {
	Settings serveSettings
	Logger   *slog.Logger
	// Role is the one role this process runs (roleGateway, roleWorker,
	// roleWeb: `ecowatch gateway|worker|web`); "" runs them all, as
	// `ecowatch serve` does. The roles share every code path; a role
	// skips what belongs to the others.
	Role string

	// Set by Run.
	Store       store.Store
	Bus         bus.Bus
	Gateway     *gateway.Server
	API         *httpapi.API
	Metrics     *metrics.Set
	GatewayAddr string // the address actually listened on
	HTTPAddr    string

	gwLn    net.Listener
	httpSrv *http.Server
	cancel  context.CancelFunc
	bg      sync.WaitGroup // background jobs using the store

	// storeSinkWrappers wrap the store writer's sink, in order (see
	// wrapStoreSink).
	storeSinkWrappers []func(ingest.Sink) ingest.Sink
	serveErr          chan error

	scaleStop []func() // what scaleStart started beside the bus
}

// Run opens the store and the bus, starts the store writer, the gateway and
// the HTTP server, and returns once they listen.
// tuneGC trades memory for CPU unless GOGC or GOMEMLIMIT say otherwise.
// Every frame allocates short-lived buffers (decode, bus message, store
// rows), and at Go's default GOGC=100 the live heap is small (~100 MiB),
// so the collector ran often and took about a fifth of the server's CPU:
// GOGC=400 raised acknowledged frames/s by ~20 % (store/README.md). The
// soft limit makes the collector work harder before the heap nears the
// 1 GiB budget of issue 5 instead of letting GOGC=400 overshoot it.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(768 << 20)
	}
}

func (m *Main) Run(ctx context.Context) (err error) {
	if m.Logger == nil {
		m.Logger = slog.Default()
	}
	log := m.Logger
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	tuneGC()
	var keep store.Retention
	if m.Settings.Retention != "off" {
		if keep, err = store.ParseRetention(m.Settings.Retention); err != nil {
			return err
		}
		if m.Settings.RetentionEvery <= 0 {
			return fmt.Errorf("retention-every %s: want a positive interval", m.Settings.RetentionEvery)
		}
	}
	if m.Role != "" && (m.Settings.Postgres == "" || m.Settings.NATS == "") {
		return fmt.Errorf("ecowatch %s is a role of the scaled deployment and needs --postgres and --nats (or ecowatch serve for one process)", m.Role)
	}
	if m.Settings.Postgres != "" {
		m.Store, err = postgres.Open(ctx, m.Settings.Postgres)
	} else {
		m.Store, err = sqlite.Open(ctx, m.Settings.DataDir)
	}
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	if m.Settings.NATS != "" {
		// On JetStream a frame is durable once the stream holds it, and
		// the store writer catches up from the stream, also after a crash.
		m.Bus, err = jetstream.Open(ctx, m.Settings.Scale.busOptions(m.Settings, m.Role))
		if err != nil {
			return fmt.Errorf("open bus: %w", err)
		}
	} else {
		m.Bus = bus.NewMemory(bus.MemoryOptions{MaxBatch: m.Settings.CommitBatch, MaxWait: m.Settings.CommitWait})
	}
	m.Metrics = metrics.NewSet()

	var runCtx context.Context
	runCtx, m.cancel = context.WithCancel(context.Background())
	reg := storeRegistry{m.Store}
	if m.runs(roleGateway) {
		if m.Gateway, err = m.newGateway(reg); err != nil {
			return err
		}
	}
	if m.Settings.Retention != "off" && m.runs(roleWorker) {
		m.bg.Add(1)
		go func() {
			defer m.bg.Done()
			store.RunRetention(runCtx, m.Store, keep, m.Settings.RetentionEvery, time.Now, func(p store.Purged, err error) {
				if err != nil {
					log.Error("retention pass failed, retried at the next", "err", err)
					return
				}
				log.Info("retention pass", "frames", p.Frames, "rows", fmt.Sprint(p.Rows))
			})
		}()
	}
	if err := m.scaleStart(runCtx); err != nil {
		return err
	}

	if m.runs(roleGateway) {
		m.gwLn, err = net.Listen("tcp", m.Settings.GatewayAddr)
		if err != nil {
			return fmt.Errorf("gateway listen: %w", err)
		}
		m.GatewayAddr = m.gwLn.Addr().String()
	}
	httpLn, err := net.Listen("tcp", m.Settings.HTTPAddr)
	if err != nil {
		return fmt.Errorf("http listen: %w", err)
	}
	m.HTTPAddr = httpLn.Addr().String()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		m.Metrics.WritePrometheus(w)
		metrics.WriteProcessMetrics(w)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	// Every route of the API checks who is asking (issue 6); the gateway's
	// own unauthenticated handler (gateway.Server.Handler) is not mounted:
	// its capabilities are behind /api/v1/devices.
	accounts, ok := m.Store.(store.Accounts)
	if !ok {
		return fmt.Errorf("store %T keeps no accounts", m.Store)
	}
	apiCfg := httpapi.Config{Store: m.Store, Accounts: accounts, Gateway: m.scaleAPIGateway(reg), Bus: m.Bus,
		Logger: log, TrustProxy: m.Settings.TrustProxy}
	for _, p := range serveParts {
		if !p.runsIn(m.Role) {
			continue
		}
		if err := p.start(runCtx, m, &apiCfg); err != nil {
			return fmt.Errorf("start %s: %w", p.name, err)
		}
	}
	// The store writer starts after the parts, so that a part may wrap its
	// sink (wrapStoreSink) and see every decoded frame without decoding
	// it again; nothing is published before the gateway serves.
	if m.runs(roleWorker) {
		sink := ingest.StoreSink(m.Store)
		for _, w := range m.storeSinkWrappers {
			sink = w(sink)
		}
		// On JetStream a message can come again after its commit (a
		// worker dying before its acknowledgement): key the frames.
		c := &ingest.Consumer{Sink: sink, Logger: log, Metrics: m.Metrics, Location: store.CST,
			Keyed: m.Settings.NATS != ""}
		if err := c.Start(runCtx, m.Bus); err != nil {
			return fmt.Errorf("start store writer: %w", err)
		}
	}
	if m.runs(roleWeb) {
		m.API, err = httpapi.New(apiCfg)
		if err != nil {
			return err
		}
		mux.Handle(httpapi.Prefix+"/", m.API)
		// Any other /api/ path (the gateway's old /api/devices…) is a 404,
		// not the UI's single-page fallback.
		mux.Handle("/api/", m.API)
		mux.Handle("/", web.Handler())
	}
	m.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if m.API != nil {
		// Event streams never go idle: end them when shutting down.
		m.httpSrv.RegisterOnShutdown(m.API.Shutdown)
	}

	m.serveErr = make(chan error, 2)
	if m.Gateway != nil {
		go func() { m.serveErr <- m.Gateway.Serve(m.gwLn) }()
	}
	go func() { m.serveErr <- m.httpSrv.Serve(httpLn) }()
	role := m.Role
	if role == "" {
		role = "serve"
	}
	log.Info("ecowatch serving", "role", role, "gateway_addr", m.GatewayAddr, "http_addr", m.HTTPAddr,
		"store", storeName(m.Settings), "bus", busName(m.Settings))
	return nil
}

// newGateway builds the HJ 212 gateway of this process.
func (m *Main) newGateway(reg storeRegistry) (*gateway.Server, error) {
	return gateway.New(gateway.Config{
		Bus: m.Bus, Registry: reg, Logger: m.Logger, Metrics: m.Metrics, Location: store.CST,
		Limits: m.Settings.Limits, PublishTimeout: m.Settings.CommitTimeout, ClockDrift: m.Settings.ClockDrift,
		Backfill: m.Settings.Backfill,
		Replay: func(ctx context.Context, mn string) (int, error) {
			d, err := reg.Device(ctx, mn)
			if err != nil {
				return 0, err
			}
			return ingest.Replay(ctx, m.Store, mn, d.Point, d.Mode, store.CST)
		},
	})
}

// servePart is a domain's share of `ecowatch serve` (the alarm engine,
// case escalation schedules, report generation, …), registered from an
// init function in the domain's own file with addServePart. start runs in
// Run after the store, bus and gateway are up and before the API is
// built: it starts the part's background work on ctx (counted in m.bg
// when it uses the store, so Close waits for it) and puts the part's
// services into the API's Config.
//
// roles says which processes of the scaled deployment run start:
// `ecowatch serve` runs every part; `ecowatch worker`, `gateway` and `web`
// run the parts that name their role. Empty means {roleWorker}: background
// work (engines, schedules) belongs to the workers, and the web role's
// API features build their services from the store themselves (feature
// setup). Every worker process runs its parts, so work that must happen
// once in the installation consumes a durable bus consumer (shared
// between workers) or takes a PostgreSQL advisory lock; m.Role tells start
// which role it runs in.
type servePart struct {
	name  string
	roles []string
	start func(ctx context.Context, m *Main, api *httpapi.Config) error
}

// runsIn reports whether the part starts in a process of role ("" is
// serve, which runs everything).
func (p servePart) runsIn(role string) bool {
	if role == "" {
		return true
	}
	if len(p.roles) == 0 {
		return role == roleWorker
	}
	return slices.Contains(p.roles, role)
}

var serveParts []servePart

func addServePart(p servePart) { serveParts = append(serveParts, p) }

// wrapStoreSink lets a part's start see the store writer's decoded
// records (a part in a worker or serve process only): w gets the sink
// and returns one that passes every batch on to it.
func (m *Main) wrapStoreSink(w func(ingest.Sink) ingest.Sink) {
	m.storeSinkWrappers = append(m.storeSinkWrappers, w)
}

func busName(s serveSettings) string {
	if s.NATS != "" {
		return "jetstream:" + s.NATSStream
	}
	return "in-process"
}

func storeName(s serveSettings) string {
	if s.Postgres != "" {
		return "postgres"
	}
	return "sqlite:" + s.DataDir
}

// Close shuts down in order: stop accepting and let every connection
// finish the frame it is handling (commit and acknowledgement), stop the
// HTTP server, stop the store writer and the bus, close the store.
func (m *Main) Close() error {
	var errs []error
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if m.Gateway != nil {
		if err := m.Gateway.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("gateway shutdown: %w", err))
		}
	}
	if m.gwLn != nil {
		m.gwLn.Close() // Shutdown closed it if Serve ran; Run may have failed before
	}
	if m.httpSrv != nil {
		if err := m.httpSrv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
	}
	for _, stop := range m.scaleStop {
		stop()
	}
	if m.Bus != nil {
		m.Bus.Close()
	}
	if m.cancel != nil {
		m.cancel()
	}
	m.bg.Wait()
	if m.Store != nil {
		if err := m.Store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close store: %w", err))
		}
	}
	return errors.Join(errs...)
}

// storeRegistry is the gateway's view of the store's device registry.
type storeRegistry struct{ st store.Store }

func (r storeRegistry) Device(ctx context.Context, mn string) (gateway.Device, error) {
	d, err := r.st.DeviceByMN(ctx, mn)
	if errors.Is(err, store.ErrNotFound) {
		return gateway.Device{}, fmt.Errorf("%s: %w", mn, gateway.ErrUnknownDevice)
	}
	if err != nil {
		return gateway.Device{}, err
	}
	if d.State == registry.DeviceUnregistered {
		return gateway.Device{}, fmt.Errorf("%s: %w", mn, gateway.ErrUnknownDevice)
	}
	return toGateway(d), nil
}

func toGateway(d registry.Device) gateway.Device {
	q, _ := hj212.ParseQuirks(strings.Join(d.Quirks, "|"))
	if d.ProtocolVersion == "HJ212-2005" {
		// HJ/T 212-2005 had no Flag version bits and 2005-era uploads
		// often carry no QN or Flag (reference §1.4, §1.11): for such a
		// device that is the standard, not a quirk.
		q |= hj212.QuirkMissingField
	}
	return gateway.Device{MN: d.MN, Password: d.Password, Point: d.PointCode, Mode: hj212.Mode{Allow: q},
		Suspended: d.State == registry.DeviceSuspended, Protocol: d.ProtocolVersion}
}

func (r storeRegistry) Register(ctx context.Context, d gateway.Device) error {
	var quirks []string
	if d.Mode.Allow != 0 {
		quirks = strings.Split(d.Mode.Allow.String(), "|")
	}
	state := registry.DeviceActive
	if d.Suspended {
		state = registry.DeviceSuspended
	}
	proto := d.Protocol
	if proto == "" {
		proto = "HJ212-2017"
	}
	err := r.st.UpsertDevice(ctx, registry.Device{MN: d.MN, Password: d.Password, ProtocolVersion: proto,
		Quirks: quirks, PointCode: d.Point, State: state})
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		return fmt.Errorf("%w: %v", gateway.ErrInvalidDevice, err)
	}
	return err
}

func (r storeRegistry) Devices(ctx context.Context) ([]gateway.Device, error) {
	ds, err := r.st.Devices(ctx, "")
	if err != nil {
		return nil, err
	}
	out := make([]gateway.Device, 0, len(ds))
	for _, d := range ds {
		if d.State != registry.DeviceUnregistered {
			out = append(out, toGateway(d))
		}
	}
	return out, nil
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})), nil
}

func serveCommand() command {
	return serveRoleCommand("serve", "", "run the HJ 212 gateway, the store writer and the web server in one process")
}

// serveRoleCommand is `ecowatch serve` or one role of the scaled
// deployment (`ecowatch gateway|worker|web`): the same settings, Main with
// Role set.
func serveRoleCommand(name, role, summary string) command {
	return command{
		Name:    name,
		Summary: summary,
		Run: func(ctx context.Context, e env, args []string) error {
			fs := flag.NewFlagSet(name, flag.ContinueOnError)
			fs.SetOutput(e.Stderr)
			m := Main{Role: role}
			m.Settings.flags(fs)
			scaleRoleDefaults(fs, role)
			if err := parseSettings(fs, args, e.Getenv); err != nil {
				if errors.Is(err, flag.ErrHelp) {
					return nil
				}
				return errUsage
			}
			log, err := newLogger(e.Stderr, m.Settings.LogLevel)
			if err != nil {
				return err
			}
			m.Logger = log
			if err := m.Run(ctx); err != nil {
				return err
			}
			var runErr error
			select {
			case <-ctx.Done():
			case runErr = <-m.serveErr:
			}
			log.Info("ecowatch shutting down")
			if err := m.Close(); err != nil {
				return err
			}
			if runErr != nil && !errors.Is(runErr, gateway.ErrServerClosed) && !errors.Is(runErr, http.ErrServerClosed) {
				return runErr
			}
			return nil
		},
	}
}
