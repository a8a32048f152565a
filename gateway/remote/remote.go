// Package remote carries the web application's device operations (presence,
// waiting devices, platform commands, registration) to the gateways of a
// scaled deployment over NATS request/reply, where the web processes hold
// no device connection.
//
// Subjects, below the installation's prefix:
//
//   - "<prefix>-rpc.gateway": every gateway answers (presence, waiting
//     devices, command history, forgetting a device just registered); the
//     client gathers the answers for a short window and merges them.
//   - "<prefix>-rpc.device.<MN>": only the gateway that holds MN's
//     connection answers (send a command, wait for it); the others stay
//     silent, so a request nobody answers means the device is offline.
//
// Example (gateway role, then web role):
//
//	stop, err := remote.Serve(nc, "ecowatch", gw)
//	c := &remote.Client{Conn: nc, Prefix: "ecowatch", RegisterFunc: registerInStore}
//	api := httpapi.New(httpapi.Config{Gateway: c, …})
package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"ecowatch/gateway"
)

// Gateway is what Serve answers from: *gateway.Server.
type Gateway interface {
	Presence() []gateway.Presence
	Waiting() []gateway.Waiting
	Send(ctx context.Context, mn, cn string, params []gateway.Param) (gateway.Command, error)
	Commands(mn string) []gateway.Command
	CommandByID(id string) (gateway.Command, error)
	WaitCommand(ctx context.Context, id string) (gateway.Command, error)
	Forget(mn string)
	Connected(mn string) bool
}

type request struct {
	Op     string          `json:"op"`
	MN     string          `json:"mn,omitempty"`
	CN     string          `json:"cn,omitempty"`
	ID     string          `json:"id,omitempty"`
	Params []gateway.Param `json:"params,omitempty"`
	WaitMS int64           `json:"wait_ms,omitempty"`
}

type reply struct {
	Presence []gateway.Presence `json:"presence,omitempty"`
	Waiting  []gateway.Waiting  `json:"waiting,omitempty"`
	Commands []gateway.Command  `json:"commands,omitempty"`
	Command  *gateway.Command   `json:"command,omitempty"`
	Err      string             `json:"err,omitempty"`
	Kind     string             `json:"kind,omitempty"` // "invalid", "deadline", "" for others
}

// The request subjects start with "<prefix>-rpc", not "<prefix>.": the
// installation's stream holds "<prefix>.>", and would both store the
// requests and answer them with its own publish acknowledgement.
func allSubject(prefix string) string        { return prefix + "-rpc.gateway" }
func deviceSubject(prefix, mn string) string { return prefix + "-rpc.device." + mn }
func deviceSubjectAll(prefix string) string  { return prefix + "-rpc.device.*" }
func validMN(mn string) bool                 { return mn != "" && !strings.ContainsAny(mn, ".*> \t\r\n") }
func mnOfCommand(id string) (string, bool) {
	mn, _, ok := strings.Cut(id, "/")
	return mn, ok && validMN(mn)
}
func encode(r reply) []byte                  { b, _ := json.Marshal(r); return b }
func errReply(err error, kind string) []byte { return encode(reply{Err: err.Error(), Kind: kind}) }
func isOffline(err error) bool               { return errors.Is(err, gateway.ErrOffline) }
func isUnknownCommand(err error) bool        { return errors.Is(err, gateway.ErrNoCommand) }
func withWait(ms int64) (context.Context, func()) {
	if ms <= 0 || ms > int64(15*time.Minute/time.Millisecond) {
		ms = int64(10 * time.Second / time.Millisecond)
	}
	return context.WithTimeout(context.Background(), time.Duration(ms)*time.Millisecond)
}

// Serve answers the requests of Clients for gw until stop is called. The
// handlers run on the NATS connection's goroutines; waiting for a command
// runs on its own goroutine so that it holds up no other request.
func Serve(nc *nats.Conn, prefix string, gw Gateway) (stop func(), err error) {
	all, err := nc.Subscribe(allSubject(prefix), func(m *nats.Msg) {
		var req request
		if err := json.Unmarshal(m.Data, &req); err != nil {
			_ = m.Respond(errReply(err, "invalid"))
			return
		}
		limit := int(nc.MaxPayload())
		switch req.Op {
		case "presence":
			ps := gw.Presence()
			respondChunks(nc, m.Reply, limit, len(ps), func(i, j int) reply { return reply{Presence: ps[i:j]} })
		case "waiting":
			ws := gw.Waiting()
			respondChunks(nc, m.Reply, limit, len(ws), func(i, j int) reply { return reply{Waiting: ws[i:j]} })
		case "commands":
			cs := gw.Commands(req.MN)
			respondChunks(nc, m.Reply, limit, len(cs), func(i, j int) reply { return reply{Commands: cs[i:j]} })
		case "forget":
			gw.Forget(req.MN)
			_ = m.Respond(encode(reply{}))
		default:
			_ = m.Respond(encode(reply{Err: fmt.Sprintf("unknown operation %q", req.Op), Kind: "invalid"}))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("remote: subscribe: %w", err)
	}
	dev, err := nc.Subscribe(deviceSubjectAll(prefix), func(m *nats.Msg) {
		var req request
		if err := json.Unmarshal(m.Data, &req); err != nil {
			return
		}
		switch req.Op {
		case "send":
			if !gw.Connected(req.MN) {
				return // the gateway holding the connection answers
			}
			ctx, cancel := withWait(req.WaitMS)
			defer cancel()
			c, err := gw.Send(ctx, req.MN, req.CN, req.Params)
			if isOffline(err) {
				return // another gateway may hold the connection
			}
			if err != nil {
				kind := ""
				if strings.Contains(err.Error(), "not a platform request") {
					kind = "invalid"
				}
				_ = m.Respond(errReply(err, kind))
				return
			}
			_ = m.Respond(encode(reply{Command: &c}))
		case "wait":
			if _, err := gw.CommandByID(req.ID); isUnknownCommand(err) {
				return
			}
			go func() {
				ctx, cancel := withWait(req.WaitMS)
				defer cancel()
				c, err := gw.WaitCommand(ctx, req.ID)
				r := reply{Command: &c}
				if errors.Is(err, context.DeadlineExceeded) {
					r.Kind = "deadline"
				} else if err != nil {
					r = reply{Err: err.Error()}
				}
				_ = m.Respond(encode(r))
			}()
		}
	})
	if err != nil {
		_ = all.Unsubscribe()
		return nil, fmt.Errorf("remote: subscribe: %w", err)
	}
	if err := nc.Flush(); err != nil {
		_ = all.Unsubscribe()
		_ = dev.Unsubscribe()
		return nil, fmt.Errorf("remote: %w", err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			_ = all.Unsubscribe()
			_ = dev.Unsubscribe()
		})
	}, nil
}

// respondChunks answers with the list items [0, n) in as many messages as
// NATS's payload limit (1 MB by default) needs: a gateway's presence table
// of 15,000 devices is several megabytes of JSON. The client gathers every
// message sent to its inbox.
func respondChunks(nc *nats.Conn, inbox string, limit, n int, part func(i, j int) reply) {
	var send func(i, j int)
	send = func(i, j int) {
		b := encode(part(i, j))
		if len(b) <= limit || j-i <= 1 {
			_ = nc.Publish(inbox, b)
			return
		}
		mid := (i + j) / 2
		send(i, mid)
		send(mid, j)
	}
	send(0, n)
}

// Client is the web role's gateway: httpapi.Gateway over NATS.
type Client struct {
	Conn   *nats.Conn
	Prefix string
	// RegisterFunc writes a device to the registry and replays its archive
	// (what gateway.Server.Register does in one process); the client then
	// tells every gateway to forget the MN's cached entry.
	RegisterFunc func(ctx context.Context, d gateway.Device) (int, error)
	// Gather is how long the client waits for more gateways after the
	// last answer (default 50 ms); Timeout bounds a request (default 2 s).
	Gather  time.Duration
	Timeout time.Duration
}

func (c *Client) gather() time.Duration {
	if c.Gather > 0 {
		return c.Gather
	}
	return 50 * time.Millisecond
}

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return 2 * time.Second
}

// all sends req to every gateway and returns their answers: it waits up
// to Timeout for the first, then Gather after each. No gateway is no
// answer, not an error: the lists are then empty.
func (c *Client) all(req request) []reply {
	inbox := c.Conn.NewRespInbox()
	ch := make(chan *nats.Msg, 1024)
	sub, err := c.Conn.ChanSubscribe(inbox, ch)
	if err != nil {
		return nil
	}
	defer sub.Unsubscribe()
	data, _ := json.Marshal(req)
	if err := c.Conn.PublishRequest(allSubject(c.Prefix), inbox, data); err != nil {
		return nil
	}
	var out []reply
	t := time.NewTimer(c.timeout())
	defer t.Stop()
	for {
		select {
		case m := <-ch:
			var r reply
			if json.Unmarshal(m.Data, &r) == nil && r.Err == "" {
				out = append(out, r)
			}
			t.Reset(c.gather())
		case <-t.C:
			return out
		}
	}
}

// Presence merges the gateways' tables: a device online somewhere is
// online; otherwise the entry with the latest frame wins.
func (c *Client) Presence() []gateway.Presence {
	by := map[string]gateway.Presence{}
	for _, r := range c.all(request{Op: "presence"}) {
		for _, p := range r.Presence {
			q, ok := by[p.MN]
			switch {
			case !ok, p.Online && !q.Online, p.Online == q.Online && p.LastFrame.After(q.LastFrame):
				if ok && !p.Online {
					p.FramesToday = max(p.FramesToday, q.FramesToday)
				}
				by[p.MN] = p
			}
		}
	}
	out := make([]gateway.Presence, 0, len(by))
	for _, p := range by {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].MN < out[j].MN })
	return out
}

// Waiting merges the gateways' waiting lists by MN.
func (c *Client) Waiting() []gateway.Waiting {
	by := map[string]gateway.Waiting{}
	for _, r := range c.all(request{Op: "waiting"}) {
		for _, w := range r.Waiting {
			q, ok := by[w.MN]
			if ok {
				if q.FirstSeen.Before(w.FirstSeen) {
					w.FirstSeen = q.FirstSeen
				}
				if q.LastSeen.After(w.LastSeen) {
					w.LastSeen, w.Remote = q.LastSeen, q.Remote
				}
				w.Frames += q.Frames
			}
			by[w.MN] = w
		}
	}
	out := make([]gateway.Waiting, 0, len(by))
	for _, w := range by {
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].MN < out[j].MN })
	return out
}

// Commands gathers a device's command history from every gateway (the
// device may have moved between them).
func (c *Client) Commands(mn string) []gateway.Command {
	var out []gateway.Command
	for _, r := range c.all(request{Op: "commands", MN: mn}) {
		out = append(out, r.Commands...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Register registers d through Register and has every gateway forget the
// MN, so the next frame is looked up again.
func (c *Client) Register(ctx context.Context, d gateway.Device) (int, error) {
	if c.RegisterFunc == nil {
		return 0, errors.New("remote: no registry")
	}
	n, err := c.RegisterFunc(ctx, d)
	if err != nil {
		return n, err
	}
	c.all(request{Op: "forget", MN: d.MN})
	return n, nil
}

// Send sends a platform command through the gateway holding mn's
// connection; none answering within Timeout means gateway.ErrOffline.
func (c *Client) Send(ctx context.Context, mn, cn string, params []gateway.Param) (gateway.Command, error) {
	if !validMN(mn) {
		return gateway.Command{}, fmt.Errorf("remote: command to %q: %w", mn, gateway.ErrOffline)
	}
	r, err := c.device(ctx, mn, request{Op: "send", MN: mn, CN: cn, Params: params, WaitMS: c.timeout().Milliseconds()})
	if err != nil {
		if errors.Is(err, errNobody) {
			return gateway.Command{}, fmt.Errorf("remote: command to %s: %w", mn, gateway.ErrOffline)
		}
		return gateway.Command{}, err
	}
	if r.Command == nil {
		return gateway.Command{}, errors.New("remote: empty answer")
	}
	return *r.Command, nil
}

// WaitCommand waits on the gateway that runs the command.
func (c *Client) WaitCommand(ctx context.Context, id string) (gateway.Command, error) {
	mn, ok := mnOfCommand(id)
	if !ok {
		return gateway.Command{}, gateway.ErrNoCommand
	}
	wait := c.timeout()
	if dl, ok := ctx.Deadline(); ok {
		wait = time.Until(dl)
	}
	r, err := c.device(ctx, mn, request{Op: "wait", ID: id, WaitMS: max(wait.Milliseconds(), 1)})
	switch {
	case errors.Is(err, errNobody):
		if ctx.Err() != nil {
			return gateway.Command{}, ctx.Err()
		}
		return gateway.Command{}, gateway.ErrNoCommand
	case err != nil:
		return gateway.Command{}, err
	case r.Command == nil:
		return gateway.Command{}, errors.New("remote: empty answer")
	case r.Kind == "deadline":
		return *r.Command, context.DeadlineExceeded
	}
	return *r.Command, nil
}

var errNobody = errors.New("remote: no gateway answered")

// device asks the gateway holding mn; a silent or absent gateway is
// errNobody.
func (c *Client) device(ctx context.Context, mn string, req request) (reply, error) {
	data, _ := json.Marshal(req)
	// The gateway answers a wait when the command ends; leave it a little
	// more than the wait it was given.
	d := time.Duration(req.WaitMS)*time.Millisecond + time.Second
	rctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	m, err := c.Conn.RequestWithContext(rctx, deviceSubject(c.Prefix, mn), data)
	if err != nil {
		if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) {
			return reply{}, errNobody
		}
		return reply{}, fmt.Errorf("remote: %w", err)
	}
	var r reply
	if err := json.Unmarshal(m.Data, &r); err != nil {
		return reply{}, fmt.Errorf("remote: answer: %w", err)
	}

	if r.Err != "" {
		return r, errors.New(r.Err)
	}
	return r, nil
}
