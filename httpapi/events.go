package httpapi

import (
	"encoding/json"
	"net/http"
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

// events streams live events as Server-Sent Events (WHATWG HTML §9.2):
// `device` events from the gateway, filtered to the devices the principal
// may see. `frame` and `alarm` events are reserved in the contract;
// alarms come with the alarm engine.
func (a *API) events(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	fl, ok := w.(http.Flusher)
	if !ok {
		return errorf(CodeInternal, "streaming unsupported")
	}
	ch := make(chan gateway.Event, sseBuffer)
	dropped := make(chan struct{}, 1)
	if a.cfg.Bus != nil {
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
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(": ecowatch events\n\n"))
	fl.Flush()
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
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
		case <-tick.C:
			w.Write([]byte(": keep-alive\n\n"))
			fl.Flush()
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
