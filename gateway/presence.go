package gateway

import (
	"context"
	"encoding/json"
	"sort"
	"sync"
	"time"
)

// Event kinds the gateway publishes on "event.device.<kind>.<MN>" for the
// alarm engine.
const (
	EventOnline        = "online"         // a device's first frame on a connection
	EventOffline       = "offline"        // its connection closed
	EventWrongPassword = "wrong-password" // a frame with a PW the registry does not hold
	EventClockDrift    = "clock-drift"    // its clock is off; 1012 was sent
	EventRegistered    = "registered"     // an operator registered it
)

// Event is a device event, JSON-encoded on the bus.
type Event struct {
	Kind   string    `json:"kind"`
	MN     string    `json:"mn"`
	At     time.Time `json:"at"`
	Remote string    `json:"remote,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// event queues e for publication. Events never hold up a device's frames:
// a full queue drops the event and counts it.
func (s *Server) event(e Event) {
	select {
	case s.events <- e:
	default:
		s.m.dropped.Inc()
		s.log.Warn("gateway event dropped", "kind", e.Kind, "mn", e.MN)
	}
}

func (s *Server) publishEvents() {
	defer s.bgWG.Done()
	for {
		select {
		case e := <-s.events:
			ctx, cancel := contextWithTimeout(s.cfg.PublishTimeout)
			s.publishEvent(ctx, e)
			cancel()
		case <-s.bgCtx.Done():
			// Drain what was queued before the shutdown, within one
			// PublishTimeout in all: with the bus unreachable (a NATS
			// cluster stopped first) thousands of queued events must not
			// each wait the full timeout and hold the shutdown for hours.
			ctx, cancel := contextWithTimeout(s.cfg.PublishTimeout)
			defer cancel()
			for {
				select {
				case e := <-s.events:
					s.publishEvent(ctx, e)
				default:
					return
				}
			}
		}
	}
}

func (s *Server) publishEvent(ctx context.Context, e Event) {
	b, _ := json.Marshal(e)
	if err := s.cfg.Bus.Publish(ctx, EventSubject(e.Kind, e.MN), b); err != nil {
		s.m.dropped.Inc()
		s.log.Warn("gateway event publish", "kind", e.Kind, "mn", e.MN, "err", err)
	}
	s.log.Info("device event", "kind", e.Kind, "mn", e.MN, "remote", e.Remote, "detail", e.Detail)
}

// Presence is what the gateway knows of one device's link.
type Presence struct {
	MN             string    `json:"mn"`
	Online         bool      `json:"online"`
	Remote         string    `json:"remote,omitempty"`
	ConnectedSince time.Time `json:"connected_since,omitzero"`
	LastFrame      time.Time `json:"last_frame,omitzero"`
	// FramesToday counts frames since midnight in the device's time zone.
	FramesToday int       `json:"frames_today"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	day         int
	lastWrongPW time.Time
}

type presenceTable struct {
	mu sync.Mutex
	m  map[string]*Presence
}

func newPresenceTable() *presenceTable { return &presenceTable{m: make(map[string]*Presence)} }

func (t *presenceTable) get(mn string) *Presence {
	p := t.m[mn]
	if p == nil {
		if len(t.m) > 200000 {
			// Bound memory against invented MNs: forget offline devices.
			for k, v := range t.m {
				if !v.Online {
					delete(t.m, k)
				}
			}
		}
		p = &Presence{MN: mn}
		t.m[mn] = p
	}
	return p
}

func (t *presenceTable) online(mn, remote string, now time.Time) {
	t.mu.Lock()
	p := t.get(mn)
	p.Online, p.Remote, p.ConnectedSince = true, remote, now
	t.mu.Unlock()
}

func (t *presenceTable) offline(mn string, now time.Time) {
	t.mu.Lock()
	if p := t.m[mn]; p != nil {
		p.Online = false
	}
	t.mu.Unlock()
}

func (t *presenceTable) frame(mn string, now time.Time, loc *time.Location) {
	y, m, d := now.In(loc).Date()
	day := y*10000 + int(m)*100 + d
	t.mu.Lock()
	p := t.get(mn)
	p.LastFrame = now
	if p.day != day {
		p.day, p.FramesToday = day, 0
	}
	p.FramesToday++
	t.mu.Unlock()
}

// wrongPassword reports whether a wrong-password event is due for mn: one
// per minute at most, since a refused device re-sends every few seconds
// (Table 1's timeout) and one event per attempt would flood the alarm
// engine.
func (t *presenceTable) wrongPassword(mn string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.get(mn)
	if !p.lastWrongPW.IsZero() && now.Sub(p.lastWrongPW) < time.Minute && !now.Before(p.lastWrongPW) {
		return false
	}
	p.lastWrongPW = now
	return true
}

func (t *presenceTable) setError(mn, msg string, now time.Time) {
	if mn == "" {
		return
	}
	t.mu.Lock()
	p := t.get(mn)
	p.LastError, p.LastErrorAt = msg, now
	t.mu.Unlock()
}

func (t *presenceTable) list() []Presence {
	t.mu.Lock()
	out := make([]Presence, 0, len(t.m))
	for _, p := range t.m {
		out = append(out, *p)
	}
	t.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].MN < out[j].MN })
	return out
}

// Presence returns every device the gateway has heard from since it
// started, by MN.
func (s *Server) Presence() []Presence { return s.presence.list() }

// Waiting is an unregistered device that has sent frames: it waits for an
// operator to register it.
type Waiting struct {
	MN        string    `json:"mn"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Frames    int       `json:"frames"`
	Remote    string    `json:"remote"`
}

type waitingList struct {
	mu sync.Mutex
	m  map[string]*Waiting
}

func newWaitingList() *waitingList { return &waitingList{m: make(map[string]*Waiting)} }

func (w *waitingList) seen(mn, remote string, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	e := w.m[mn]
	if e == nil {
		if len(w.m) >= 10000 {
			return // a flood of invented MNs; the archive still has them
		}
		e = &Waiting{MN: mn, FirstSeen: now}
		w.m[mn] = e
	}
	e.LastSeen, e.Remote = now, remote
	e.Frames++
}

func (w *waitingList) remove(mn string) {
	w.mu.Lock()
	delete(w.m, mn)
	w.mu.Unlock()
}

func (w *waitingList) list() []Waiting {
	w.mu.Lock()
	out := make([]Waiting, 0, len(w.m))
	for _, e := range w.m {
		out = append(out, *e)
	}
	w.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].MN < out[j].MN })
	return out
}

// Waiting lists the unregistered devices heard from since the server
// started.
func (s *Server) Waiting() []Waiting { return s.waiting.list() }
