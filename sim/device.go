package sim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"ecowatch/hj212"
)

// Default timeout and retry count of HJ 212-2017 §6.6 Table 1 for wireless
// links (GPRS/4G): 10 s and 3 re-sends. CN=1000 may change them.
const (
	DefaultOverTime = 10 * time.Second
	DefaultReCount  = 3
)

// DeviceConfig describes one virtual data acquisition unit.
type DeviceConfig struct {
	MN, PW  string
	Point   string // point code, for the registry CSV
	Profile Kind
	Seed    int64
	Clock   *Clock
	Faults  Faults
	// OverTime is the real-time wait for an ack before a re-send
	// (DefaultOverTime if 0); ReCount the re-sends (DefaultReCount if 0,
	// -1 for none).
	OverTime time.Duration
	ReCount  int
}

// Stats counts what a device did. Fields are updated atomically.
type Stats struct {
	Sent, Acked, Resent, Unacked, Answered, Connects atomic.Int64
}

// Device is a virtual DAU. Run it with Run; read its counters with Stats.
type Device struct {
	cfg     DeviceConfig
	prof    Profile
	stats   Stats
	wmu     sync.Mutex // serialises writes: the sender and the request answers
	conn    net.Conn
	bw      *bufio.Writer
	amu     sync.Mutex
	waiting map[string]chan struct{} // QN -> closed on 9014
	drift   atomic.Int64             // device clock offset in ns
	rtd     atomic.Int64             // real-time interval (1062), ns
	minute  atomic.Int64             // minute interval (1064), ns
	nframes int
	qnSeq   atomic.Int64
}

// NewDevice returns a device; it fails for an unknown profile kind.
func NewDevice(cfg DeviceConfig) (*Device, error) {
	p, ok := ProfileFor(cfg.Profile)
	if !ok {
		return nil, fmt.Errorf("sim: unknown profile %q", cfg.Profile)
	}
	if cfg.Clock == nil {
		cfg.Clock = NewClock(time.Now(), 1)
	}
	if cfg.OverTime <= 0 {
		cfg.OverTime = DefaultOverTime
	}
	if cfg.ReCount == 0 {
		cfg.ReCount = DefaultReCount
	} else if cfg.ReCount < 0 {
		cfg.ReCount = 0
	}
	d := &Device{cfg: cfg, prof: p, waiting: map[string]chan struct{}{}}
	d.drift.Store(int64(cfg.Faults.Drift))
	d.rtd.Store(int64(p.Rtd))
	d.minute.Store(int64(p.Minute))
	return d, nil
}

// Config returns the device's configuration.
func (d *Device) Config() DeviceConfig { return d.cfg }

// Profile returns the device's profile.
func (d *Device) Profile() Profile { return d.prof }

// Stats returns the device's counters.
func (d *Device) Stats() *Stats { return &d.stats }

// now is the device's own clock: virtual time plus drift.
func (d *Device) now() time.Time { return d.cfg.Clock.Now().Add(time.Duration(d.drift.Load())) }

// Run connects to addr and sends the profile's schedule until ctx ends,
// reconnecting after errors and offline periods. It returns ctx's error.
func (d *Device) Run(ctx context.Context, addr string) error {
	clk := d.cfg.Clock
	next := d.nextEvents(d.now())
	for ctx.Err() == nil {
		if end, off := d.cfg.Faults.offlineUntil(d.now()); off {
			if err := clk.SleepUntil(ctx, end.Add(-time.Duration(d.drift.Load()))); err != nil {
				return err
			}
			continue
		}
		var dl net.Dialer
		c, err := dl.DialContext(ctx, "tcp", addr)
		if err != nil {
			// A real DAU retries after a pause; one virtual-second-scaled
			// real second is too slow for tests, so wait at most 1 s real.
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(min(time.Second, clk.Real(30*time.Second)+10*time.Millisecond)):
			}
			continue
		}
		d.stats.Connects.Add(1)
		cctx, cancel := context.WithCancel(ctx)
		d.wmu.Lock()
		d.conn, d.bw = c, bufio.NewWriter(c)
		d.wmu.Unlock()
		go func() { d.readLoop(cctx, c); cancel() }()
		next = d.sendLoop(cctx, next)
		cancel()
		c.Close()
	}
	return ctx.Err()
}

// events holds the next due instant of each schedule.
type events struct{ rtd, minute, hour, day time.Time }

func (d *Device) nextEvents(now time.Time) events {
	var e events
	if r := time.Duration(d.rtd.Load()); r > 0 {
		e.rtd = now.Truncate(r).Add(r)
	}
	if m := time.Duration(d.minute.Load()); m > 0 {
		e.minute = now.Truncate(m).Add(m)
	}
	if d.prof.Hour > 0 {
		e.hour = now.Truncate(d.prof.Hour).Add(d.prof.Hour)
	}
	if d.prof.Day {
		y, m, dd := now.In(chinaTime).Date()
		e.day = time.Date(y, m, dd+1, 0, 0, 0, 0, chinaTime)
	}
	return e
}

// sendLoop sends each schedule's frames when due until the connection
// fails, an offline period starts or ctx ends; it returns the schedule.
func (d *Device) sendLoop(ctx context.Context, e events) events {
	for ctx.Err() == nil {
		due := earliest(e.rtd, e.minute, e.hour, e.day)
		if due.IsZero() {
			<-ctx.Done()
			return e
		}
		if err := d.cfg.Clock.SleepUntil(ctx, due.Add(-time.Duration(d.drift.Load()))); err != nil {
			return e
		}
		if _, off := d.cfg.Faults.offlineUntil(d.now()); off {
			return e
		}
		var err error
		switch due {
		case e.rtd:
			err = d.upload(ctx, "2011", due, 0, d.newQN(), false)
			e.rtd = due.Add(time.Duration(d.rtd.Load()))
		case e.minute:
			m := time.Duration(d.minute.Load())
			err = d.upload(ctx, "2051", due.Add(-m), m, d.newQN(), false)
			e.minute = due.Add(m)
		case e.hour:
			err = d.upload(ctx, "2061", due.Add(-d.prof.Hour), d.prof.Hour, d.newQN(), false)
			if err == nil && d.cfg.Faults.Resend {
				err = d.upload(ctx, "2061", due.Add(-d.prof.Hour), d.prof.Hour, d.newQN(), false)
			}
			e.hour = due.Add(d.prof.Hour)
		case e.day:
			err = d.upload(ctx, "2031", due.AddDate(0, 0, -1), 24*time.Hour, d.newQN(), false)
			e.day = due.AddDate(0, 0, 1)
		}
		if err != nil {
			return e
		}
	}
	return e
}

func earliest(ts ...time.Time) time.Time {
	var m time.Time
	for _, t := range ts {
		if !t.IsZero() && (m.IsZero() || t.Before(m)) {
			m = t
		}
	}
	return m
}

// newQN returns a request id from the device clock, unique per device.
func (d *Device) newQN() string {
	t := d.now().Add(time.Duration(d.qnSeq.Add(1)%1000) * time.Millisecond)
	return hj212.FormatQN(t.In(chinaTime))
}

// DataFrame builds the data upload of cn ("2011", "2051", "2061", "2031")
// whose interval starts at start and lasts span (0 for real-time data).
func (d *Device) DataFrame(cn string, start time.Time, span time.Duration, qn string, ack bool) *hj212.Frame {
	ver := hj212.V2017
	if d.cfg.Faults.Legacy {
		ver = hj212.V2005
	}
	f := &hj212.Frame{QN: qn, ST: d.prof.ST, CN: cn, PW: d.cfg.PW, MN: d.cfg.MN,
		Flag: hj212.MakeFlag(ver, false, ack), HasFlag: true}
	f.CP = append(f.CP, hj212.Field{Name: "DataTime", Value: hj212.FormatTime(start.In(chinaTime))})
	sample := start
	if span > 0 {
		sample = start.Add(span / 2)
	}
	if d.cfg.Faults.Flat {
		sample = sample.Truncate(time.Hour)
	}
	flag := "N"
	if d.cfg.Faults.DataFlag != "" {
		flag = d.cfg.Faults.DataFlag
	}
	o2 := 0.0
	for _, fs := range d.prof.Factors {
		if fs.Code == "a19001" {
			o2 = d.value(fs, sample)
		}
	}
	for i, fs := range d.prof.Factors {
		code := fs.Code
		if d.cfg.Faults.Legacy {
			if f5, ok := hj212.LookupFactor(code); ok && f5.Code2005 != "" {
				code = f5.Code2005
			}
		}
		v := d.value(fs, sample)
		add := func(suffix, val string) {
			f.CP = append(f.CP, hj212.Field{Name: code + "-" + suffix, Value: val, Item: i + 1})
		}
		zs := fs.Zs && d.prof.RefO2 > 0 && o2 > 0
		if span == 0 {
			add("Rtd", fs.Format(v))
			if zs {
				add("ZsRtd", fs.Format(Convert(v, o2, d.prof.RefO2)))
			}
		} else {
			// Min/Max straddle the interval's mean by the noise amplitude.
			lo, hi := v*(1-fs.Noise), v*(1+fs.Noise)
			if lo > hi {
				lo, hi = hi, lo
			}
			add("Min", fs.Format(lo))
			add("Avg", fs.Format(v))
			add("Max", fs.Format(hi))
			if zs {
				add("ZsMin", fs.Format(Convert(lo, o2, d.prof.RefO2)))
				add("ZsAvg", fs.Format(Convert(v, o2, d.prof.RefO2)))
				add("ZsMax", fs.Format(Convert(hi, o2, d.prof.RefO2)))
			}
		}
		add("Flag", flag)
	}
	return f
}

func (d *Device) value(fs FactorSpec, t time.Time) float64 {
	v := fs.Value(d.cfg.Seed, d.cfg.MN, t)
	if fs.Limit > 0 && d.cfg.Faults.exceeding(t) {
		v = 3 * fs.Limit
	}
	return v
}

// errNoAck is returned after every re-send went unanswered.
var errNoAck = errors.New("sim: no 9014 after the last re-send")

// upload sends one data frame (split if asked) and, unless it answers a
// history query, waits for the 9014 of each part, re-sending on timeout.
func (d *Device) upload(ctx context.Context, cn string, start time.Time, span time.Duration, qn string, history bool) error {
	f := d.DataFrame(cn, start, span, qn, !history)
	parts := []*hj212.Frame{f}
	if d.cfg.Faults.Split > 0 {
		var err error
		if parts, err = hj212.Split(f, d.cfg.Faults.Split); err != nil {
			return err
		}
	}
	for _, p := range parts {
		if err := d.sendPart(ctx, p, history); err != nil {
			return err
		}
	}
	return nil
}

func (d *Device) sendPart(ctx context.Context, p *hj212.Frame, noWait bool) error {
	raw, err := hj212.Encode(p)
	if err != nil {
		return err
	}
	d.wmu.Lock()
	d.nframes++
	if n := d.cfg.Faults.BadCRC; n > 0 && d.nframes%n == 0 {
		raw = corruptCRC(raw)
		noWait = true // the platform must not ack a bad frame
	}
	d.wmu.Unlock()
	if noWait || d.cfg.Faults.NoAckWait || !p.Flag.Ack() {
		d.stats.Sent.Add(1)
		return d.write(raw)
	}
	ch := make(chan struct{})
	d.amu.Lock()
	d.waiting[p.QN] = ch
	d.amu.Unlock()
	defer func() { d.amu.Lock(); delete(d.waiting, p.QN); d.amu.Unlock() }()
	for try := 0; try <= d.cfg.ReCount; try++ {
		if try > 0 {
			d.stats.Resent.Add(1)
		}
		d.stats.Sent.Add(1)
		if err := d.write(raw); err != nil {
			return err
		}
		t := time.NewTimer(d.cfg.OverTime)
		select {
		case <-ch:
			t.Stop()
			d.stats.Acked.Add(1)
			return nil
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	d.stats.Unacked.Add(1)
	return errNoAck
}

// corruptCRC flips the CRC's first hex digit to another hex digit.
func corruptCRC(raw []byte) []byte {
	out := append([]byte(nil), raw...)
	i := len(out) - 6
	if out[i] == '0' {
		out[i] = '1'
	} else {
		out[i] = '0'
	}
	return out
}

func (d *Device) write(raw []byte) error {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	if d.bw == nil {
		return net.ErrClosed
	}
	if _, err := d.bw.Write(raw); err != nil {
		return err
	}
	return d.bw.Flush()
}

func (d *Device) send(f *hj212.Frame) error {
	raw, err := hj212.Encode(f)
	if err != nil {
		return err
	}
	return d.write(raw)
}

// readLoop decodes what the platform sends: acks release the sender; requests
// are answered in their own goroutine so that an upload does not block acks.
func (d *Device) readLoop(ctx context.Context, c net.Conn) {
	sc := hj212.NewScanner(c)
	for sc.Scan() {
		f, err := hj212.Decode(sc.Bytes(), hj212.Tolerant)
		if err != nil {
			continue
		}
		if f.CN == "9014" {
			d.amu.Lock()
			ch, ok := d.waiting[f.QN]
			if ok {
				delete(d.waiting, f.QN)
			}
			d.amu.Unlock()
			if ok {
				close(ch)
			}
			continue
		}
		if f.CN[0] == '9' { // 9013 and other answers need nothing
			continue
		}
		go d.answer(ctx, f)
	}
}
