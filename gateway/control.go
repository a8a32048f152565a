package gateway

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"ecowatch/hj212"
)

// CommandState is where a platform request is in its lifecycle
// (HJ 212-2017 §6.1: request → 9011 request answer → uploads → 9012
// execution result).
type CommandState string

// Command states. Sent is the only state that is not final besides
// Accepted.
const (
	CommandSent     CommandState = "sent"      // written, waiting for 9011
	CommandAccepted CommandState = "accepted"  // 9011 QnRtn=1, waiting for 9012
	CommandRefused  CommandState = "refused"   // 9011 with another QnRtn
	CommandExecuted CommandState = "executed"  // 9012 ExeRtn=1 (or 9013 for a notification)
	CommandFailed   CommandState = "failed"    // 9012 with another ExeRtn, or not deliverable
	CommandTimedOut CommandState = "timed-out" // no answer after the retries
)

// Final reports whether no further transition can happen.
func (s CommandState) Final() bool { return s != CommandSent && s != CommandAccepted }

// Transition is one step of a command's history.
type Transition struct {
	State  CommandState `json:"state"`
	At     time.Time    `json:"at"`
	Detail string       `json:"detail,omitempty"`
}

// Command is a platform request to one device and its history.
type Command struct {
	ID       string       `json:"id"` // MN/QN: the QN identifies the exchange
	MN       string       `json:"mn"`
	CN       string       `json:"cn"`
	QN       string       `json:"qn"`
	Params   []Param      `json:"params,omitempty"`
	Origin   string       `json:"origin"` // operator, clock, backfill
	State    CommandState `json:"state"`
	QnRtn    int          `json:"qn_rtn,omitempty"`
	ExeRtn   int          `json:"exe_rtn,omitempty"`
	Reason   string       `json:"reason,omitempty"`
	Attempts int          `json:"attempts"`
	Uploads  int          `json:"uploads"` // data frames the device sent with this QN
	History  []Transition `json:"history"`
}

// Param is one key=value parameter of a platform request's CP (HJ 212-2017
// Table 9 notes: RtdInterval, BeginTime, PolId, InfoId, …).
type Param struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Command origins.
const (
	OriginOperator = "operator"
	OriginClock    = "clock"
	OriginBackfill = "backfill"
)

// ErrOffline is returned when a command's device has no open connection.
var ErrOffline = errors.New("gateway: device not connected")

// ErrNoCommand is returned for an unknown command ID.
var ErrNoCommand = errors.New("gateway: no such command")

// maxHistory bounds the commands kept per device.
const maxHistory = 200

type control struct {
	s  *Server
	mu sync.Mutex
	// pending maps MN+" "+QN of commands not yet final to their state.
	pending map[string]*pending
	byMN    map[string][]*Command // history, oldest first
	byID    map[string]*Command
	lastQN  time.Time
	// lastFix rate-limits automatic 1012s per device.
	lastFix map[string]time.Time
}

type pending struct {
	cmd     *Command
	answers chan *hj212.Frame // 9011, 9012, 9013 with this QN
	done    chan struct{}
}

func newControl(s *Server) *control {
	return &control{s: s, pending: map[string]*pending{}, byMN: map[string][]*Command{},
		byID: map[string]*Command{}, lastFix: map[string]time.Time{}}
}

// newQN returns a QN from the server clock that no earlier command of this
// server used: two commands in one millisecond get consecutive QNs.
func (ct *control) newQN(now time.Time) string {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	t := now.Truncate(time.Millisecond)
	if !t.After(ct.lastQN) {
		t = ct.lastQN.Add(time.Millisecond)
	}
	ct.lastQN = t
	return hj212.FormatQN(t.In(ct.s.cfg.Location))
}

// Send starts a platform request cn with params to device mn and returns
// at once with the command in state Sent; its answers, retries and
// timeouts are followed in the background (see CommandByID). It fails with
// ErrOffline when the device is not connected, and for a CN the platform
// does not send.
func (s *Server) Send(ctx context.Context, mn, cn string, params []Param) (Command, error) {
	return s.control.send(ctx, mn, cn, params, OriginOperator)
}

func (ct *control) send(ctx context.Context, mn, cn string, params []Param, origin string) (Command, error) {
	s := ct.s
	info, ok := hj212.LookupCommand(cn)
	if !ok || (info.FromPlatform != hj212.RoleRequest && info.FromPlatform != hj212.RoleNotification) {
		return Command{}, fmt.Errorf("gateway: CN %q is not a platform request or notification (HJ 212-2017 Table 9)", cn)
	}
	dev, err := s.devices.lookup(ctx, mn, s.cfg.Now())
	if err != nil {
		return Command{}, fmt.Errorf("gateway: command to %s: %w", mn, err)
	}
	c := s.connFor(mn)
	if c == nil {
		return Command{}, fmt.Errorf("gateway: command to %s: %w", mn, ErrOffline)
	}
	c.mu.Lock()
	peer := c.peers[mn]
	c.mu.Unlock()
	if peer.st == "" {
		peer.st = "91"
	}
	now := s.cfg.Now()
	qn := ct.newQN(now)
	cp := make([]hj212.Field, len(params))
	for i, p := range params {
		cp[i] = hj212.Field{Name: p.Name, Value: p.Value, Item: i}
	}
	if cn == "1012" && len(cp) == 0 {
		cp = []hj212.Field{{Name: "SystemTime", Value: hj212.FormatTime(now.In(s.cfg.Location))}}
	}
	sent := make([]Param, len(cp))
	for i, f := range cp {
		sent[i] = Param{Name: f.Name, Value: f.Value}
	}
	f := &hj212.Frame{QN: qn, ST: peer.st, CN: cn, PW: dev.Password, MN: mn,
		Flag: hj212.MakeFlag(peer.version, false, info.FromPlatform == hj212.RoleRequest), HasFlag: true, CP: cp}
	raw, err := hj212.Encode(f)
	if err != nil {
		return Command{}, fmt.Errorf("gateway: command %s to %s: %w", cn, mn, err)
	}
	cmd := &Command{ID: mn + "/" + qn, MN: mn, CN: cn, QN: qn, Params: sent, Origin: origin, State: CommandSent,
		History: []Transition{{State: CommandSent, At: now}}}
	p := &pending{cmd: cmd, answers: make(chan *hj212.Frame, 8), done: make(chan struct{})}
	ct.mu.Lock()
	ct.pending[mn+" "+qn] = p
	ct.byID[cmd.ID] = cmd
	h := append(ct.byMN[mn], cmd)
	if len(h) > maxHistory {
		delete(ct.byID, h[0].ID)
		h = h[1:]
	}
	ct.byMN[mn] = h
	snapshot := cloneCommand(cmd)
	ct.mu.Unlock()
	s.m.command(CommandSent)

	timeout, retries := dev.Timeout, dev.Retries
	if timeout <= 0 {
		timeout = s.cfg.CommandTimeout
	}
	if retries <= 0 {
		retries = s.cfg.CommandRetries
	}
	notification := info.FromPlatform == hj212.RoleNotification
	s.bgWG.Add(1)
	go ct.run(p, raw, timeout, retries, notification)
	return snapshot, nil
}

// run writes the request, re-sends it after each timeout without an
// answer (Table 1), and follows the answers to a final state.
func (ct *control) run(p *pending, raw []byte, timeout time.Duration, retries int, notification bool) {
	s := ct.s
	defer s.bgWG.Done()
	defer func() {
		ct.mu.Lock()
		delete(ct.pending, p.cmd.MN+" "+p.cmd.QN)
		ct.mu.Unlock()
		close(p.done)
	}()
	mn := p.cmd.MN
	accepted := false
	for attempt := 1; attempt <= retries+1 && !accepted; attempt++ {
		c := s.connFor(mn)
		if c == nil {
			ct.transition(p.cmd, CommandFailed, "device not connected")
			return
		}
		ct.mu.Lock()
		p.cmd.Attempts = attempt
		ct.mu.Unlock()
		if err := c.write(raw); err != nil {
			s.log.Warn("gateway command write", "mn", mn, "qn", p.cmd.QN, "err", err)
		}
		t := time.NewTimer(timeout)
	wait:
		for {
			select {
			case f := <-p.answers:
				switch {
				case f.CN == "9013" && notification:
					t.Stop()
					ct.transition(p.cmd, CommandExecuted, "9013")
					return
				case f.CN == "9011":
					rtn := intParam(f, "QnRtn")
					ct.mu.Lock()
					p.cmd.QnRtn = rtn
					ct.mu.Unlock()
					t.Stop()
					if rtn != hj212.QnRtnReady {
						ct.transition(p.cmd, CommandRefused, qnRtnReason(rtn))
						return
					}
					ct.transition(p.cmd, CommandAccepted, "")
					accepted = true
					break wait
				case f.CN == "9012":
					// A 9012 without a 9011 seen (lost on the way):
					// the result settles the command.
					t.Stop()
					ct.result(p.cmd, f)
					return
				}
			case <-t.C:
				break wait
			case <-s.bgCtx.Done():
				t.Stop()
				ct.transition(p.cmd, CommandFailed, "gateway shut down")
				return
			}
		}
	}
	if !accepted {
		ct.transition(p.cmd, CommandTimedOut, fmt.Sprintf("no answer to %d attempts of %s", retries+1, timeout))
		return
	}
	t := time.NewTimer(s.cfg.ExecTimeout)
	defer t.Stop()
	for {
		select {
		case f := <-p.answers:
			if f.CN == "9012" {
				ct.result(p.cmd, f)
				return
			}
		case <-t.C:
			ct.transition(p.cmd, CommandTimedOut, "accepted but no 9012 result within "+s.cfg.ExecTimeout.String())
			return
		case <-s.bgCtx.Done():
			ct.transition(p.cmd, CommandFailed, "gateway shut down")
			return
		}
	}
}

func (ct *control) result(cmd *Command, f *hj212.Frame) {
	rtn := intParam(f, "ExeRtn")
	ct.mu.Lock()
	cmd.ExeRtn = rtn
	ct.mu.Unlock()
	if rtn == hj212.ExeRtnOK {
		ct.transition(cmd, CommandExecuted, "")
	} else {
		ct.transition(cmd, CommandFailed, exeRtnReason(rtn))
	}
}

func (ct *control) transition(cmd *Command, st CommandState, detail string) {
	now := ct.s.cfg.Now()
	ct.mu.Lock()
	cmd.State = st
	if st.Final() && detail != "" {
		cmd.Reason = detail
	}
	cmd.History = append(cmd.History, Transition{State: st, At: now, Detail: detail})
	ct.mu.Unlock()
	ct.s.m.command(st)
	ct.s.log.Info("device command", "mn", cmd.MN, "cn", cmd.CN, "qn", cmd.QN, "state", st, "detail", detail)
}

// observe routes a device frame that carries the QN of a pending command:
// answers go to the command, uploads are counted. It reports whether the
// frame belonged to a command (its QN then is the platform's, not the
// device's clock).
func (ct *control) observe(f *hj212.Frame, now time.Time) bool {
	if f.QN == "" {
		return false
	}
	ct.mu.Lock()
	p := ct.pending[f.MN+" "+f.QN]
	if p != nil && f.CN != "9011" && f.CN != "9012" && f.CN != "9013" {
		p.cmd.Uploads++
	}
	ct.mu.Unlock()
	if p == nil {
		return false
	}
	switch f.CN {
	case "9011", "9012", "9013":
		select {
		case p.answers <- f:
		case <-p.done:
		}
	}
	return true
}

// clockFix sends 1012 (set time) unless one went to this device in the
// last ten minutes: a device that ignores it must not get one per frame.
func (ct *control) clockFix(mn string, now time.Time, drift time.Duration, why string) {
	ct.mu.Lock()
	if last, ok := ct.lastFix[mn]; ok && now.Sub(last) < 10*time.Minute && now.After(last) {
		ct.mu.Unlock()
		return
	}
	ct.lastFix[mn] = now
	ct.mu.Unlock()
	detail := why
	if drift != 0 {
		detail = fmt.Sprintf("%s: device clock off by %s", why, drift.Round(time.Second))
	}
	ct.s.event(Event{Kind: EventClockDrift, MN: mn, At: now, Detail: detail})
	if _, err := ct.send(context.Background(), mn, "1012", nil, OriginClock); err != nil {
		ct.s.log.Warn("gateway clock fix", "mn", mn, "err", err)
	}
}

// CommandByID returns a snapshot of a command.
func (s *Server) CommandByID(id string) (Command, error) {
	ct := s.control
	ct.mu.Lock()
	defer ct.mu.Unlock()
	c := ct.byID[id]
	if c == nil {
		return Command{}, fmt.Errorf("%w: %q", ErrNoCommand, id)
	}
	return cloneCommand(c), nil
}

// Commands returns the command history of a device (all devices when mn is
// ""), newest first.
func (s *Server) Commands(mn string) []Command {
	ct := s.control
	ct.mu.Lock()
	var out []Command
	for m, h := range ct.byMN {
		if mn != "" && m != mn {
			continue
		}
		for _, c := range h {
			out = append(out, cloneCommand(c))
		}
	}
	ct.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool { return out[i].QN > out[j].QN })
	return out
}

// WaitCommand waits until the command is final or ctx ends, and returns
// its latest snapshot.
func (s *Server) WaitCommand(ctx context.Context, id string) (Command, error) {
	for {
		c, err := s.CommandByID(id)
		if err != nil || c.State.Final() {
			return c, err
		}
		select {
		case <-ctx.Done():
			return c, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func cloneCommand(c *Command) Command {
	out := *c
	out.Params = append([]Param(nil), c.Params...)
	out.History = append([]Transition(nil), c.History...)
	return out
}

func intParam(f *hj212.Frame, name string) int {
	v, _ := f.Param(name)
	n, err := strconv.Atoi(v)
	if err != nil {
		return -1
	}
	return n
}

// qnRtnReason names a 9011 return code (HJ 212-2017 Table 6).
func qnRtnReason(rtn int) string {
	switch rtn {
	case hj212.QnRtnRefused:
		return "QnRtn=2 request refused"
	case hj212.QnRtnBadPW:
		return "QnRtn=3 PW wrong"
	case hj212.QnRtnBadMN:
		return "QnRtn=4 MN wrong"
	case hj212.QnRtnBadST:
		return "QnRtn=5 ST wrong"
	case hj212.QnRtnBadFlag:
		return "QnRtn=6 Flag wrong"
	case hj212.QnRtnBadQN:
		return "QnRtn=7 QN wrong"
	case hj212.QnRtnBadCN:
		return "QnRtn=8 CN wrong"
	case hj212.QnRtnBadCRC:
		return "QnRtn=9 CRC wrong"
	case hj212.QnRtnUnknown:
		return "QnRtn=100 unknown error"
	}
	return "QnRtn=" + strconv.Itoa(rtn)
}

// exeRtnReason names a 9012 return code (HJ 212-2017 Table 7).
func exeRtnReason(rtn int) string {
	switch rtn {
	case hj212.ExeRtnFailed:
		return "ExeRtn=2 failed, reason unknown"
	case hj212.ExeRtnCondition:
		return "ExeRtn=3 request condition wrong"
	case hj212.ExeRtnTimeout:
		return "ExeRtn=4 communication timeout"
	case hj212.ExeRtnBusy:
		return "ExeRtn=5 busy"
	case hj212.ExeRtnFault:
		return "ExeRtn=6 system fault"
	case hj212.ExeRtnNoData:
		return "ExeRtn=100 no data"
	}
	return "ExeRtn=" + strconv.Itoa(rtn)
}

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
