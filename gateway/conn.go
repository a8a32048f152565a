package gateway

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"ecowatch/bus"
	"ecowatch/hj212"
)

// conn is one device connection. Its goroutine reads, handles and answers
// frames: a frame is acknowledged only after its commit, and nothing more
// is read from the connection until the frames read so far are answered,
// so the order of acknowledgements is the order of frames. Group commit
// happens across connections, in the bus consumer's batches, and within
// one: the frames a device sent back to back (a backlog upload, 补发) that
// arrived together are published together and share one commit and one
// write of their answers, instead of a commit's wait each.
type conn struct {
	s      *Server
	nc     net.Conn
	host   string
	remote string
	rd     deadlineReader

	stopped atomic.Bool

	wmu        sync.Mutex // one writer at a time: acks and platform requests
	writeUntil time.Time  // the write deadline set; guarded by wmu

	mu    sync.Mutex
	mns   []string             // MNs seen on this connection (usually one)
	peers map[string]peerState // what the device told us of itself, by MN

	// Owned by the connection's goroutine.
	mode       hj212.Mode
	tokens     float64
	lastRefill time.Time
	reasm      *hj212.Reassembler
	buf        []byte
	pubCtx     context.Context
	pubCancel  context.CancelFunc
	pubTimer   *time.Timer
	subjCN     string
	subjMN     string
	subj       string
	batch      []pendingFrame // handled frames awaiting their publish
	msgs       []bus.Msg
	errs       []error
	out        []byte
}

// maxPipeline bounds the frames of one connection published together.
const maxPipeline = 64

// pendingFrame is a frame handled up to its publish: what its answer and
// the work after its commit need.
type pendingFrame struct {
	msg Message
	f   *hj212.Frame
	dev Device
	now time.Time
}

// peerState is what a platform request to a device needs: its system code
// and protocol edition, learnt from its frames.
type peerState struct {
	st      string
	version hj212.Version
}

func newConn(s *Server, nc net.Conn, host string) *conn {
	c := &conn{s: s, nc: nc, host: host, remote: nc.RemoteAddr().String(),
		peers: make(map[string]peerState)}
	c.rd.c = c
	c.tokens = float64(s.cfg.Limits.FrameBurst)
	return c
}

var errStopped = errors.New("gateway: connection stopped for shutdown")

// stopReading makes the connection's next (or current) read fail, so its
// goroutine ends after the frame it is handling.
func (c *conn) stopReading() {
	c.stopped.Store(true)
	c.nc.SetReadDeadline(time.Unix(1, 0))
}

// deadlineReader sets the read deadline before every read: a short one
// while a frame is partly received (slow clients), the idle timeout
// between frames.
type deadlineReader struct {
	c            *conn
	read         int64 // bytes read from the connection
	consumed     int64 // bytes the scanner has handed out as tokens
	partialSince time.Time
	partial      bool      // the last read waited inside a frame
	idleUntil    time.Time // the idle deadline set, zero when another is
}

func (r *deadlineReader) Read(p []byte) (int, error) {
	l := &r.c.s.cfg.Limits
	now := time.Now()
	r.partial = r.read > r.consumed && l.PartialDeadline > 0
	switch {
	case r.partial:
		if r.partialSince.IsZero() {
			r.partialSince = now
		}
		r.idleUntil = time.Time{}
		r.c.nc.SetReadDeadline(r.partialSince.Add(l.PartialDeadline))
	case l.IdleTimeout <= 0:
		r.partialSince, r.idleUntil = time.Time{}, time.Time{}
		r.c.nc.SetReadDeadline(time.Time{})
	case r.idleUntil.Sub(now) < l.IdleTimeout:
		// The idle deadline is set with a sixteenth to spare and renewed
		// only once that is used up: re-arming the timer before every
		// read cost ~2 % of the gateway's CPU. A silent connection is
		// closed between IdleTimeout and 17/16 of it after its last byte.
		r.partialSince = time.Time{}
		r.idleUntil = now.Add(l.IdleTimeout + l.IdleTimeout/16)
		r.c.nc.SetReadDeadline(r.idleUntil)
	default:
		r.partialSince = time.Time{}
	}
	if r.c.stopped.Load() {
		return 0, errStopped
	}
	n, err := r.c.nc.Read(p)
	r.read += int64(n)
	return n, err
}

func (c *conn) serve() {
	s := c.s
	defer s.removeConn(c)
	defer c.nc.Close()
	defer func() {
		if c.pubCancel != nil {
			c.pubTimer.Stop()
			c.pubCancel()
		}
	}()
	c.reasm = hj212.NewReassembler(2*time.Minute, 256)
	sc := hj212.NewScanner(&c.rd)
	if s.cfg.Limits.MaxFrame > 0 {
		sc.SetMaxFrame(s.cfg.Limits.MaxFrame)
	}
	// Frames read before the stream ended, or before a limit closed it,
	// are still archived and, where the connection allows, answered.
	defer c.flush()
	for sc.Scan() {
		tok := sc.Bytes()
		c.rd.consumed = sc.Offset() + int64(len(tok))
		if !c.allow() {
			c.flush()
			s.limitHit("frame-rate", c.remote, c.lastMN())
			return
		}
		if err := sc.FramingErr(); err != nil {
			c.flush()
			var pe *hj212.ParseError
			code := "framing"
			if errors.As(err, &pe) {
				code = pe.Code
			}
			c.archive(&Message{Verdict: code, Detail: err.Error(), Raw: tok})
			if code == hj212.CodeOversize {
				s.limitHit("frame-size", c.remote, c.lastMN())
				return
			}
			continue
		}
		c.handle(tok)
		// The tokens of c.batch point into the scanner's buffer, which
		// stays as it is until a Scan reads.
		if len(c.batch) >= maxPipeline || !sc.Ready() {
			c.flush()
		}
	}
	err := sc.Err()
	switch {
	case err == nil, c.stopped.Load(), errors.Is(err, net.ErrClosed):
	case errors.Is(err, os.ErrDeadlineExceeded):
		if c.rd.partial {
			s.limitHit("partial-frame", c.remote, c.lastMN())
		} else {
			s.limitHit("idle", c.remote, c.lastMN())
		}
	default:
		s.log.Debug("gateway connection read", "remote", c.remote, "err", err)
	}
}

// allow is the per-connection token bucket of Limits.FrameRate.
func (c *conn) allow() bool {
	l := &c.s.cfg.Limits
	if l.FrameRate < 0 {
		return true
	}
	now := time.Now()
	if !c.lastRefill.IsZero() {
		c.tokens = min(c.tokens+now.Sub(c.lastRefill).Seconds()*l.FrameRate, float64(l.FrameBurst))
	}
	c.lastRefill = now
	if c.tokens < 1 {
		return false
	}
	c.tokens--
	return true
}

func (c *conn) lastMN() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.mns) == 0 {
		return ""
	}
	return c.mns[len(c.mns)-1]
}

// handle decodes one frame and judges it. A frame to acknowledge joins
// c.batch, published and answered by flush; anything else is archived at
// once, after the frames before it.
func (c *conn) handle(raw []byte) {
	s := c.s
	now := s.cfg.Now()
	f, err := hj212.Decode(raw, c.mode)
	if err != nil {
		// The device's registry entry decides the mode, and the MN is
		// inside the frame: read it tolerantly, then decode again in the
		// mode that device is allowed.
		if g, gerr := hj212.Decode(raw, hj212.Tolerant); gerr == nil && g.MN != "" {
			d, lerr := c.lookup(g.MN, now)
			if lerr == nil && d.Mode != c.mode {
				f, err = hj212.Decode(raw, d.Mode)
				if err == nil {
					c.mode = d.Mode
				}
			}
			if err != nil {
				if errors.Is(lerr, ErrUnknownDevice) {
					// An unregistered device whose frames need quirks
					// still waits for registration; Replay decodes its
					// archive in the mode it is registered with.
					s.waiting.seen(g.MN, c.remote, now)
				}
				c.flush()
				c.archive(&Message{MN: g.MN, CN: g.CN, QN: g.QN, Verdict: errCode(err), Detail: err.Error(), Raw: raw})
				s.presence.setError(g.MN, err.Error(), now)
				return
			}
		} else {
			c.flush()
			c.archive(&Message{Verdict: errCode(err), Detail: err.Error(), Raw: raw})
			return
		}
	}

	used := c.mode
	dev, err := c.lookup(f.MN, now)
	if err == nil || errors.Is(err, ErrUnknownDevice) {
		// The frame was read in the connection's current mode; what
		// counts is the mode of the device it names (strict for an
		// unregistered one). Another device on this connection, or a
		// registry entry made stricter, must not inherit looser rules.
		want := dev.Mode // zero (Strict) for an unknown device
		if want != used {
			g, derr := hj212.Decode(raw, want)
			if derr != nil {
				if errors.Is(err, ErrUnknownDevice) {
					s.waiting.seen(f.MN, c.remote, now)
				}
				c.flush()
				c.archive(&Message{MN: f.MN, CN: f.CN, QN: f.QN, Verdict: errCode(derr), Detail: derr.Error(), Raw: raw})
				s.presence.setError(f.MN, derr.Error(), now)
				return
			}
			f, used = g, want
		}
	}
	msg := Message{MN: f.MN, CN: f.CN, QN: f.QN, Verdict: VerdictOK, Detail: diagnostics(f.Diagnostics),
		Mode: used, Raw: raw, Decoded: f}
	switch {
	case errors.Is(err, ErrUnknownDevice):
		msg.Verdict = VerdictUnregistered
		s.waiting.seen(f.MN, c.remote, now)
	case err != nil:
		s.log.Error("gateway registry lookup", "mn", f.MN, "err", err)
		s.m.frame(f.CN, "registry-error")
		return // not archived, not acknowledged: the device re-sends
	case f.PW != dev.Password:
		msg.Verdict = VerdictWrongPassword
		msg.Point = dev.Point
		if s.presence.wrongPassword(f.MN, now) {
			s.event(Event{Kind: EventWrongPassword, MN: f.MN, At: now, Remote: c.remote})
		}
	case dev.Suspended:
		msg.Verdict = VerdictSuspended
		msg.Point = dev.Point
	default:
		msg.Point = dev.Point
		c.mode = dev.Mode
	}
	c.batch = append(c.batch, pendingFrame{msg: msg, f: f, dev: dev, now: now})
}

// flush publishes c.batch and, for the frames committed, answers them and
// does what follows. A lone frame, or a bus that cannot publish a batch,
// takes the frames one at a time.
func (c *conn) flush() {
	batch := c.batch
	if len(batch) == 0 {
		return
	}
	defer func() {
		clear(batch) // the scanner's bytes and decoded frames go
		c.batch = batch[:0]
	}()
	bp, ok := c.s.cfg.Bus.(bus.BatchPublisher)
	if len(batch) == 1 || !ok {
		for i := range batch {
			p := &batch[i]
			if !c.archive(&p.msg) {
				continue
			}
			if reply := c.accepted(p); reply != nil {
				c.reply(reply)
			}
			if p.msg.Verdict == VerdictOK {
				c.after(p.f, p.dev, p.now)
			}
		}
		return
	}
	s := c.s
	c.msgs, c.errs = c.msgs[:0], c.errs[:0]
	for i := range batch {
		subject, data, v := c.message(&batch[i].msg)
		c.msgs = append(c.msgs, bus.Msg{Subject: subject, Data: data, Value: v})
		c.errs = append(c.errs, nil)
	}
	start := time.Now()
	bp.PublishBatch(c.publishCtx(), c.msgs, c.errs)
	c.pubTimer.Stop()
	clear(c.msgs)
	// The answers go out in one write, in the frames' order, before
	// anything that follows them (a 1012 after a clock check).
	c.out = c.out[:0]
	var cns []string
	for i := range batch {
		p := &batch[i]
		s.m.commit.UpdateDuration(start)
		if err := c.errs[i]; err != nil {
			s.m.pubErrors.Inc()
			s.log.Error("gateway publish, frame not acknowledged", "mn", p.msg.MN, "cn", p.msg.CN, "qn", p.msg.QN, "err", err)
			continue
		}
		if reply := c.accepted(p); reply != nil {
			var err error
			if c.out, err = hj212.AppendEncode(c.out, reply); err != nil {
				s.log.Error("gateway encode reply", "mn", reply.MN, "cn", reply.CN, "err", err)
				continue
			}
			cns = append(cns, reply.CN)
		}
	}
	if len(c.out) > 0 {
		if err := c.write(c.out); err != nil {
			c.writeFailed(err)
		} else {
			for _, cn := range cns {
				s.m.ack(cn)
			}
		}
	}
	for i := range batch {
		if p := &batch[i]; c.errs[i] == nil && p.msg.Verdict == VerdictOK {
			c.after(p.f, p.dev, p.now)
		}
	}
}

// accepted records a committed frame and returns its answer, nil if it
// gets none.
func (c *conn) accepted(p *pendingFrame) *hj212.Frame {
	s, f := c.s, p.f
	s.m.frame(f.CN, p.msg.Verdict)
	if p.msg.Verdict == VerdictWrongPassword {
		// Not bound to the MN: a client that does not know the password
		// must not receive the device's platform requests nor count as
		// the device being online.
		s.presence.setError(f.MN, "wrong password", p.now)
		return nil
	}
	c.seen(f, p.now)
	if reply, ok := hj212.ReplyFor(f); ok {
		return reply
	}
	return nil
}

// lookup asks the (cached) registry, bounded in time: a registry that
// hangs leaves frames unacknowledged instead of hanging connections.
func (c *conn) lookup(mn string, now time.Time) (Device, error) {
	if d, err, ok := c.s.devices.cached(mn, now); ok {
		return d, err
	}
	ctx, cancel := context.WithTimeout(c.s.bgCtx, 10*time.Second)
	defer cancel()
	return c.s.devices.lookup(ctx, mn, now)
}

// publishCtx returns the context of one Publish: it ends PublishTimeout
// from now. One context and timer serve the connection's frames one after
// the other (the timer is re-armed, not re-made), and are replaced only
// after a timeout fired: no allocation per frame.
func (c *conn) publishCtx() context.Context {
	d := c.s.cfg.PublishTimeout
	if c.pubCtx == nil || c.pubCtx.Err() != nil {
		if c.pubCancel != nil {
			c.pubCancel()
		}
		c.pubCtx, c.pubCancel = context.WithCancel(c.s.bgCtx)
		c.pubTimer = time.AfterFunc(d, c.pubCancel)
		return c.pubCtx
	}
	c.pubTimer.Reset(d)
	return c.pubCtx
}

// subject returns FrameSubject(cn, mn), reusing the last one: a device
// sends the same few subjects all day.
func (c *conn) subject(cn, mn string) string {
	if c.subj == "" || cn != c.subjCN || mn != c.subjMN {
		c.subjCN, c.subjMN, c.subj = cn, mn, FrameSubject(cn, mn)
	}
	return c.subj
}

// message stamps m and returns what the bus carries of it: its subject,
// its encoding, and, for a bus in this process, the message itself.
func (c *conn) message(m *Message) (subject string, data []byte, v *Message) {
	s := c.s
	m.Received = s.cfg.Now()
	m.Remote = c.remote
	m.ID = s.nextID()
	if m.Verdict != VerdictOK && m.Verdict != VerdictUnregistered &&
		m.Verdict != VerdictWrongPassword && m.Verdict != VerdictSuspended {
		s.m.frame(m.CN, m.Verdict)
	}
	c.buf = m.AppendBinary(c.buf[:0])
	// The bus may hand the bytes to live subscribers after Publish
	// returns, so they get their own copy; c.buf only saves the growth.
	data = append([]byte(nil), c.buf...)
	if _, ok := s.cfg.Bus.(bus.ValuePublisher); ok {
		// In process, the consumers get the message as it is, decoded
		// frame included, and skip decoding both again. Its Raw is the
		// copy inside data: m.Raw is the scanner's buffer, which the next
		// read overwrites, and a publish that timed out may still be
		// written after this connection moved on.
		cp := *m
		cp.Raw = data[len(data)-len(m.Raw):]
		v = &cp
	}
	return c.subject(m.CN, m.MN), data, v
}

// archive publishes m and reports whether the bus committed it. Only then
// may the frame be acknowledged.
func (c *conn) archive(m *Message) bool {
	s := c.s
	subject, data, v := c.message(m)
	ctx := c.publishCtx()
	start := time.Now()
	var err error
	if vp, ok := s.cfg.Bus.(bus.ValuePublisher); ok && v != nil {
		err = vp.PublishValue(ctx, subject, data, v)
	} else {
		err = s.cfg.Bus.Publish(ctx, subject, data)
	}
	c.pubTimer.Stop()
	s.m.commit.UpdateDuration(start)
	if err != nil {
		s.m.pubErrors.Inc()
		s.log.Error("gateway publish, frame not acknowledged", "mn", m.MN, "cn", m.CN, "qn", m.QN, "err", err)
		return false
	}
	return true
}

// seen updates presence and the connection's view of the device.
func (c *conn) seen(f *hj212.Frame, now time.Time) {
	s := c.s
	c.mu.Lock()
	found := false
	for _, mn := range c.mns {
		found = found || mn == f.MN
	}
	if !found && len(c.mns) < 16 {
		c.mns = append(c.mns, f.MN)
	}
	if f.ST != "91" && f.ST != "" {
		c.peers[f.MN] = peerState{st: f.ST, version: f.Version()}
	}
	c.mu.Unlock()
	if s.bindMN(c, f.MN) {
		s.presence.online(f.MN, c.remote, now)
		s.event(Event{Kind: EventOnline, MN: f.MN, At: now, Remote: c.remote})
	}
	s.presence.frame(f.MN, now, s.cfg.Location)
}

// reply writes an answer frame.
func (c *conn) reply(f *hj212.Frame) {
	b, err := hj212.Encode(f)
	if err != nil {
		c.s.log.Error("gateway encode reply", "mn", f.MN, "cn", f.CN, "err", err)
		return
	}
	if err := c.write(b); err != nil {
		c.writeFailed(err)
		return
	}
	c.s.m.ack(f.CN)
}

// writeFailed closes a connection whose answer could not be written: a
// client that does not read its answers (or is gone) would make every
// later write wait WriteTimeout.
func (c *conn) writeFailed(err error) {
	c.s.log.Info("gateway write failed, connection closed", "remote", c.remote, "err", err)
	c.nc.Close()
}

func (c *conn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if wt := c.s.cfg.Limits.WriteTimeout; wt > 0 {
		// As with the idle deadline: a sixteenth to spare, renewed when
		// used up, so a write fails between WriteTimeout and 17/16 of it.
		if now := time.Now(); c.writeUntil.Sub(now) < wt {
			c.writeUntil = now.Add(wt + wt/16)
			c.nc.SetWriteDeadline(c.writeUntil)
		}
	}
	_, err := c.nc.Write(b)
	return err
}

// after does what follows a committed, accepted frame: reverse-control
// correlation, the clock check, split reassembly and gap tracking.
func (c *conn) after(f *hj212.Frame, dev Device, now time.Time) {
	s := c.s
	ours := s.control.observe(f, now)
	if !ours && s.cfg.ClockDrift > 0 {
		c.checkClock(f, dev, now)
	}
	if f.CN == "1013" {
		// A time-calibration request (Appendix C): 9013 went out above,
		// now set the device's clock.
		s.control.clockFix(f.MN, now, 0, "time-calibration request")
	}
	whole := f
	if f.Flag.Split() && f.PNUM > 1 {
		j, err := c.reasm.Add(f, now)
		for _, inc := range c.reasm.Expire(now) {
			s.log.Warn("gateway split upload incomplete", "mn", inc.MN, "remote", c.remote)
		}
		if err != nil {
			s.log.Warn("gateway split part", "mn", f.MN, "qn", f.QN, "err", err)
			return
		}
		if j == nil {
			return
		}
		whole = j
		if b, err := hj212.Encode(j); err == nil {
			// Live copy of the joined upload for dashboards and the alarm
			// engine; its parts are already durable, each on its own.
			_ = s.cfg.Bus.Publish(s.bgCtx, "upload."+token(j.CN)+"."+token(j.MN), b)
		}
	}
	if whole.CN == "2061" {
		if t, err := whole.DataTime(s.cfg.Location); err == nil {
			s.backfill.hourly(whole.MN, t, now)
		}
	}
}

// checkClock compares the device's clock with the server's. The QN is the
// device's clock when it sent the frame (Table 3: YYYYMMDDhhmmsszzz), the
// best reading there is; a 2011 frame without QN has its sampling instant.
// Other DataTimes are interval starts, not the clock.
func (c *conn) checkClock(f *hj212.Frame, dev Device, now time.Time) {
	s := c.s
	var t time.Time
	var err error
	switch {
	case len(f.QN) == 17:
		t, err = hj212.ParseTime(f.QN, s.cfg.Location)
	case f.CN == "2011":
		t, err = f.DataTime(s.cfg.Location)
	default:
		return
	}
	if err != nil {
		return
	}
	drift := t.Sub(now)
	if drift < 0 {
		drift = -drift
	}
	if drift <= s.cfg.ClockDrift {
		return
	}
	s.control.clockFix(f.MN, now, t.Sub(now), "clock drift")
}

func errCode(err error) string {
	var pe *hj212.ParseError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return strings.ReplaceAll(err.Error(), " ", "-")
}
