package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"ecowatch/bus"
	"ecowatch/hj212"
)

// Limits protect the gateway from bad or hostile clients. Hitting one
// closes only the offending connection, with a log line and a count in
// ecowatch_gateway_limit_hits_total{limit="…"}. Zero values take the
// defaults; a negative value disables a limit.
type Limits struct {
	// MaxConns bounds open connections in total (default 20000, just
	// above the 15,000 devices one node is sized for).
	MaxConns int
	// MaxConnsPerAddr bounds open connections from one remote IP (default
	// 1000: many DAUs sit behind one carrier NAT address).
	MaxConnsPerAddr int
	// MaxFrame is the largest frame accepted, in bytes (default 4096: the
	// standard's 1036 plus room for the over-long frames real DAUs send).
	MaxFrame int
	// PartialDeadline is how long a started frame may take to complete
	// (default 30 s): a slow-loris client cannot hold a goroutine and a
	// buffer forever.
	PartialDeadline time.Duration
	// IdleTimeout closes a connection that sends nothing (default 70 min:
	// devices that only send hourly data must survive an hour of silence).
	IdleTimeout time.Duration
	// FrameRate is the sustained frames per second one connection may send
	// and FrameBurst the burst above it (defaults 50 and 1000: a backfill
	// of a day's minute data arrives in a burst).
	FrameRate  float64
	FrameBurst int
	// WriteTimeout bounds one write to a device (default 10 s).
	WriteTimeout time.Duration
}

func (l *Limits) defaults() {
	setInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	setDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	setInt(&l.MaxConns, 20000)
	setInt(&l.MaxConnsPerAddr, 1000)
	setInt(&l.MaxFrame, 4096)
	setDur(&l.PartialDeadline, 30*time.Second)
	setDur(&l.IdleTimeout, 70*time.Minute)
	if l.FrameRate == 0 {
		l.FrameRate = 50
	}
	setInt(&l.FrameBurst, 1000)
	setDur(&l.WriteTimeout, 10*time.Second)
}

// Config configures a Server. Bus and Registry are required.
type Config struct {
	Bus      bus.Bus
	Registry Registry
	Logger   *slog.Logger     // default slog.Default()
	Metrics  *metrics.Set     // default a new set; serve exposes it at /metrics
	Now      func() time.Time // default time.Now; tests move time
	// Location is the zone of device times (QN, DataTime). The standard
	// names none; Chinese devices use UTC+8 (hj212.ChinaTime, the default).
	Location *time.Location
	Limits   Limits
	// PublishTimeout bounds the wait for a frame's durable commit; past it
	// the frame is not acknowledged and the device re-sends (default 30 s).
	PublishTimeout time.Duration
	// ClockDrift is the largest accepted difference between a device's
	// clock and the server's; beyond it the gateway sends 1012 (set time).
	// Default 5 min; negative disables the check.
	ClockDrift time.Duration
	// CommandTimeout and CommandRetries are the defaults for platform
	// requests (HJ 212-2017 Table 1: 10 s, 3 retries); ExecTimeout is how
	// long an accepted request may take to report its 9012 result
	// (default 10 min: a history query uploads many frames first).
	CommandTimeout time.Duration
	CommandRetries int
	ExecTimeout    time.Duration
	// Backfill turns on automatic history queries (2061) for missing
	// hourly data; BackfillGrace is how long after an hour ends its data
	// may still arrive on its own (default 20 min).
	Backfill      bool
	BackfillGrace time.Duration
	// Replay, when set, is called after a device is registered to turn its
	// archived frames into measurements; it returns how many it replayed.
	Replay func(ctx context.Context, mn string) (int, error)
	// RegistryTTL is how long a registry answer is cached (default 30 s).
	RegistryTTL time.Duration
}

// Server is the HJ 212 gateway: it accepts device connections, frames and
// decodes what they send, checks identity, publishes every frame on the bus
// and acknowledges it only after the bus says it is durable; it also sends
// platform requests, tracks presence and asks for missing data.
type Server struct {
	cfg     Config
	log     *slog.Logger
	devices *deviceCache
	m       *serverMetrics

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	perAddr   map[string]int
	byMN      map[string]*conn
	closing   bool

	wg       sync.WaitGroup // connection goroutines
	bgWG     sync.WaitGroup // event publisher, command and backfill goroutines
	stop     chan struct{}  // closed by Shutdown
	stopOnce sync.Once
	bgCtx    context.Context
	bgCancel context.CancelFunc

	presence *presenceTable
	waiting  *waitingList
	control  *control
	backfill *backfiller
	events   chan Event

	// idPrefix and idSeq make Message.ID: random per process, so ids of
	// two gateways or of one gateway before and after a restart differ.
	idPrefix string
	idSeq    atomic.Uint64
}

// nextID returns a new Message.ID.
func (s *Server) nextID() string {
	var b [40]byte
	n := copy(b[:], s.idPrefix)
	return string(strconv.AppendUint(b[:n], s.idSeq.Add(1), 36))
}

// New returns a Server; call Serve with a listener to start it.
func New(cfg Config) (*Server, error) {
	if cfg.Bus == nil || cfg.Registry == nil {
		return nil, errors.New("gateway: Config needs a Bus and a Registry")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.NewSet()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Location == nil {
		cfg.Location = hj212.ChinaTime
	}
	cfg.Limits.defaults()
	if cfg.PublishTimeout <= 0 {
		cfg.PublishTimeout = 30 * time.Second
	}
	if cfg.ClockDrift == 0 {
		cfg.ClockDrift = 5 * time.Minute
	}
	if cfg.CommandTimeout <= 0 {
		cfg.CommandTimeout = 10 * time.Second
	}
	if cfg.CommandRetries == 0 {
		cfg.CommandRetries = 3
	}
	if cfg.ExecTimeout <= 0 {
		cfg.ExecTimeout = 10 * time.Minute
	}
	if cfg.BackfillGrace <= 0 {
		cfg.BackfillGrace = 20 * time.Minute
	}
	if cfg.RegistryTTL <= 0 {
		cfg.RegistryTTL = 30 * time.Second
	}
	s := &Server{
		cfg:       cfg,
		log:       cfg.Logger,
		devices:   newDeviceCache(cfg.Registry, cfg.RegistryTTL),
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*conn]struct{}),
		perAddr:   make(map[string]int),
		byMN:      make(map[string]*conn),
		stop:      make(chan struct{}),
		presence:  newPresenceTable(),
		waiting:   newWaitingList(),
		events:    make(chan Event, 4096),
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, fmt.Errorf("gateway: message id: %w", err)
	}
	s.idPrefix = hex.EncodeToString(rnd[:]) + "-"
	s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	s.m = newServerMetrics(cfg.Metrics, s)
	s.control = newControl(s)
	s.backfill = newBackfiller(s)
	s.bgWG.Add(1)
	go s.publishEvents()
	if cfg.Backfill {
		s.bgWG.Add(1)
		go s.backfill.loop()
	}
	return s, nil
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("gateway: server closed")

// Serve accepts connections on ln until Shutdown; it always returns a
// non-nil error, ErrServerClosed after a shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	s.log.Info("gateway listening", "addr", ln.Addr().String())
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.isClosing() || errors.Is(err, net.ErrClosed) {
				return ErrServerClosed
			}
			// Out of file descriptors and the like: wait and retry, as
			// net/http does, rather than spin or die.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("gateway accept", "err", err, "retry_in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		s.accept(nc)
	}
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// accept applies the connection limits and starts the connection's
// goroutine.
func (s *Server) accept(nc net.Conn) {
	host := remoteHost(nc.RemoteAddr())
	s.mu.Lock()
	var limit string
	switch {
	case s.closing:
		limit = "shutting-down"
	case s.cfg.Limits.MaxConns > 0 && len(s.conns) >= s.cfg.Limits.MaxConns:
		limit = "max-conns"
	case s.cfg.Limits.MaxConnsPerAddr > 0 && s.perAddr[host] >= s.cfg.Limits.MaxConnsPerAddr:
		limit = "max-conns-per-addr"
	}
	if limit != "" {
		s.mu.Unlock()
		nc.Close()
		s.limitHit(limit, nc.RemoteAddr().String(), "")
		return
	}
	c := newConn(s, nc, host)
	s.conns[c] = struct{}{}
	s.perAddr[host]++
	s.wg.Add(1)
	s.mu.Unlock()
	s.m.accepted.Inc()
	go c.serve()
}

func (s *Server) removeConn(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	if s.perAddr[c.host]--; s.perAddr[c.host] <= 0 {
		delete(s.perAddr, c.host)
	}
	var gone []string
	for _, mn := range c.mns {
		if s.byMN[mn] == c {
			delete(s.byMN, mn)
			gone = append(gone, mn)
		}
	}
	closing := s.closing
	s.mu.Unlock()
	now := s.cfg.Now()
	for _, mn := range gone {
		s.presence.offline(mn, now)
		// The platform stopping is not every device going offline: a
		// restart must not raise an offline alarm per device.
		if !closing {
			s.event(Event{Kind: EventOffline, MN: mn, At: now, Remote: c.remote})
		}
	}
	s.wg.Done()
}

// bindMN records that mn speaks on c; it reports whether the device just
// came online.
func (s *Server) bindMN(c *conn, mn string) bool {
	s.mu.Lock()
	prev := s.byMN[mn]
	s.byMN[mn] = c
	s.mu.Unlock()
	return prev != c
}

func (s *Server) connFor(mn string) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byMN[mn]
}

func (s *Server) limitHit(limit, remote, mn string) {
	s.m.limitHit(limit)
	s.log.Warn("gateway limit hit, connection closed", "limit", limit, "remote", remote, "mn", mn)
	if mn != "" {
		s.presence.setError(mn, "limit "+limit, s.cfg.Now())
	}
}

// Shutdown stops accepting, lets every connection finish the frame it is
// handling (its commit and its acknowledgement), closes the connections and
// waits for them, then stops the background work. If ctx ends first the
// remaining connections are closed at once and ctx's error is returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for ln := range s.listeners {
		ln.Close()
	}
	s.listeners = map[net.Listener]struct{}{}
	for c := range s.conns {
		c.stopReading()
	}
	s.mu.Unlock()
	s.stopOnce.Do(func() { close(s.stop) })

	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		s.mu.Lock()
		for c := range s.conns {
			c.nc.Close()
		}
		s.mu.Unlock()
		<-done
	}
	s.bgCancel()
	s.bgWG.Wait()
	return err
}

// Stats is a snapshot of the server's counters, for tests and the CLI.
type Stats struct {
	Conns        int
	Frames, Acks uint64
}

// Stats returns current counts.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	n := len(s.conns)
	s.mu.Unlock()
	return Stats{Conns: n, Frames: s.m.framesAll.Load(), Acks: s.m.acksAll.Load()}
}

func remoteHost(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// serverMetrics are the gateway's Prometheus metrics.
type serverMetrics struct {
	set       *metrics.Set
	accepted  *metrics.Counter
	commit    *metrics.PrometheusHistogram
	pubErrors *metrics.Counter
	dropped   *metrics.Counter
	framesAll atomic.Uint64
	acksAll   atomic.Uint64
	counters  sync.Map // name → *metrics.Counter
	ack9013   *metrics.Counter
	ack9014   *metrics.Counter
	labelsMu  sync.RWMutex
	frames    map[labelPair]*metrics.Counter
}

func newServerMetrics(set *metrics.Set, s *Server) *serverMetrics {
	m := &serverMetrics{set: set}
	m.accepted = set.NewCounter("ecowatch_gateway_connections_accepted_total")
	set.NewGauge("ecowatch_gateway_connections", func() float64 {
		s.mu.Lock()
		defer s.mu.Unlock()
		return float64(len(s.conns))
	})
	set.NewGauge("ecowatch_gateway_devices_online", func() float64 {
		s.mu.Lock()
		defer s.mu.Unlock()
		return float64(len(s.byMN))
	})
	m.commit = set.NewPrometheusHistogram("ecowatch_gateway_commit_seconds")
	m.pubErrors = set.NewCounter("ecowatch_gateway_publish_errors_total")
	m.dropped = set.NewCounter("ecowatch_gateway_events_dropped_total")
	m.ack9013 = m.counter(`ecowatch_gateway_acks_total{cn="9013"}`)
	m.ack9014 = m.counter(`ecowatch_gateway_acks_total{cn="9014"}`)
	m.frames = make(map[labelPair]*metrics.Counter)
	return m
}

// counter returns the counter of a full metric name, creating it once; the
// sync.Map keeps the hot path free of the set's lock and of formatting.
func (m *serverMetrics) counter(name string) *metrics.Counter {
	if c, ok := m.counters.Load(name); ok {
		return c.(*metrics.Counter)
	}
	c := m.set.GetOrCreateCounter(name)
	m.counters.Store(name, c)
	return c
}

type labelPair struct{ a, b string }

func (m *serverMetrics) frame(cn, verdict string) {
	m.framesAll.Add(1)
	k := labelPair{cn, verdict}
	m.labelsMu.RLock()
	ctr := m.frames[k]
	m.labelsMu.RUnlock()
	if ctr == nil {
		ctr = m.counter(`ecowatch_gateway_frames_total{cn="` + token(cn) + `",verdict="` + token(verdict) + `"}`)
		m.labelsMu.Lock()
		if len(m.frames) < 10000 { // hostile CNs must not grow it without bound
			m.frames[k] = ctr
		}
		m.labelsMu.Unlock()
	}
	ctr.Inc()
}

func (m *serverMetrics) ack(cn string) {
	m.acksAll.Add(1)
	switch cn {
	case "9014":
		m.ack9014.Inc()
	case "9013":
		m.ack9013.Inc()
	default:
		m.counter(`ecowatch_gateway_acks_total{cn="` + token(cn) + `"}`).Inc()
	}
}

func (m *serverMetrics) limitHit(limit string) {
	m.counter(`ecowatch_gateway_limit_hits_total{limit="` + limit + `"}`).Inc()
}

func (m *serverMetrics) command(state CommandState) {
	m.counter(fmt.Sprintf(`ecowatch_gateway_commands_total{state=%q}`, string(state))).Inc()
}
