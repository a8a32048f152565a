package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"ecowatch/auth"
	"ecowatch/bus"
	"ecowatch/gateway"
	"ecowatch/store"
)

// sseBuffer is how many events a slow client may lag behind; beyond it
// events are dropped for that client (and it is told so with a `dropped`
// event) rather than holding up the bus.
const sseBuffer = 256

// keepAlive is the interval of comment lines that stop proxies closing an
// idle stream.
var keepAlive = 15 * time.Second

// EventView is the data of a `device` event.
type EventView struct {
	Type   string    `json:"type"` // online, offline, wrong-password, clock-drift, registered
	Time   time.Time `json:"time"`
	MN     string    `json:"mn"`
	Remote string    `json:"remote,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// FrameEventView is the data of a `frame` event: the latest values of a
// data frame (real-time -Rtd, or interval -Avg, HJ 212-2017 Table 10).
type FrameEventView struct {
	Type   string             `json:"type"` // "frame"
	Time   time.Time          `json:"time"` // when it was received
	MN     string             `json:"mn"`
	Point  string             `json:"point"`
	CN     string             `json:"cn"`
	Values map[string]float64 `json:"values"` // factor code → value
}

// frameEvery is how often a client gets the latest frame of each device
// that sent one: at 10,000 frames/s a browser cannot take every frame, and
// a wall display needs the latest, not each.
var frameEvery = 2 * time.Second

// maxFrameEvents bounds the frame events of one interval per client.
const maxFrameEvents = 500

// latestFrames keeps the latest frame per MN between flushes.
type latestFrames struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (l *latestFrames) put(mn string, data []byte) {
	l.mu.Lock()
	l.m[mn] = data
	l.mu.Unlock()
}

func (l *latestFrames) take() map[string][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.m
	l.m = map[string][]byte{}
	return m
}

// frameEvent decodes a bus frame message into its event; ok is false for
// frames that are not accepted data uploads.
func frameEvent(data []byte) (FrameEventView, bool) {
	var m gateway.Message
	if m.UnmarshalBinary(data) != nil || m.Point == "" {
		return FrameEventView{}, false
	}
	f, err := m.Frame()
	if err != nil {
		return FrameEventView{}, false
	}
	v := FrameEventView{Type: "frame", Time: m.Received.In(store.CST), MN: m.MN, Point: m.Point, CN: m.CN, Values: map[string]float64{}}
	for _, fl := range f.CP {
		code, field, ok := strings.Cut(fl.Name, "-")
		if !ok || field != "Rtd" && field != "Avg" {
			continue
		}
		if x, err := strconv.ParseFloat(fl.Value, 64); err == nil {
			v.Values[code] = x
		}
	}
	return v, len(v.Values) > 0
}

// events streams live events as Server-Sent Events (WHATWG HTML §9.2):
// `device` events from the gateway and `frame` events with the latest
// values of each device (at most one per device every frameEvery), both
// filtered to the devices the principal may see, and `alarm` events of
// the alarm engine in the principal's scope (alarms.go).
func (a *API) events(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	fl, ok := w.(http.Flusher)
	if !ok {
		return errorf(CodeInternal, "streaming unsupported")
	}
	ch := make(chan gateway.Event, sseBuffer)
	dropped := make(chan struct{}, 1)
	frames := &latestFrames{m: map[string][]byte{}}
	if a.cfg.Bus != nil {
		unsubFrames, err := a.cfg.Bus.Subscribe(gateway.FrameSubjectPrefix+">", func(m bus.Msg) {
			// The subject ends with the MN: no decoding at the bus's rate.
			if i := strings.LastIndexByte(m.Subject, '.'); i >= 0 {
				frames.put(m.Subject[i+1:], m.Data)
			}
		})
		if err != nil {
			return err
		}
		defer unsubFrames()
		unsub, err := a.cfg.Bus.Subscribe("event.device.>", func(m bus.Msg) {
			var e gateway.Event
			if json.Unmarshal(m.Data, &e) != nil {
				return
			}
			select {
			case ch <- e:
			default:
				select {
				case dropped <- struct{}{}:
				default:
				}
			}
		})
		if err != nil {
			return err
		}
		defer unsub()
	}
	alarms, unsubAlarms, err := a.alarmsFeed(p)
	if err != nil {
		return err
	}
	defer unsubAlarms()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(": ecowatch events\n\n"))
	fl.Flush()
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	frameTick := time.NewTicker(frameEvery)
	defer frameTick.Stop()
	send := func(name string, v any) {
		b, _ := json.Marshal(v)
		w.Write([]byte("event: " + name + "\ndata: "))
		w.Write(b)
		w.Write([]byte("\n\n"))
		fl.Flush()
	}
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-a.closing:
			return nil
		case <-tick.C:
			w.Write([]byte(": keep-alive\n\n"))
			fl.Flush()
		case <-frameTick.C:
			latest := frames.take()
			if len(latest) == 0 {
				continue
			}
			s, err := a.snap(r.Context())
			if err != nil {
				return nil
			}
			n := 0
			for mn, data := range latest {
				if n == maxFrameEvents {
					break
				}
				if !s.canSeeDevice(p, mn) {
					continue
				}
				if ev, ok := frameEvent(data); ok {
					send("frame", ev)
					n++
				}
			}
		case v := <-alarms:
			send("alarm", v)
		case <-dropped:
			send("dropped", map[string]any{"type": "dropped", "time": a.now().In(store.CST)})
		case e := <-ch:
			s, err := a.snap(r.Context())
			if err != nil {
				return nil // the response has started: end the stream, the client reconnects
			}
			if !s.canSeeDevice(p, e.MN) {
				continue
			}
			send("device", EventView{Type: e.Kind, Time: e.At.In(store.CST), MN: e.MN, Remote: e.Remote, Detail: e.Detail})
		}
	}
}
