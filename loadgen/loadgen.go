// Package loadgen is the load generator of `ecowatch bench gateway`: many
// concurrent HJ 212 connections, each sending real-time uploads (2011) that
// require an acknowledgement (Flag=5: version 2017, A=1), measuring the
// frames sent and acknowledged, the ack latency and the errors by kind.
//
// Example:
//
//	res, err := loadgen.Run(ctx, loadgen.Config{Addr: "127.0.0.1:2120",
//		Conns: 1000, Duration: 30 * time.Second})
//	fmt.Println(res.AckedPerSecond(), res.Latency.Quantile(0.99))
package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"ecowatch/hj212"
)

// Bounds that keep a run finite.
const (
	MaxConns    = 100000
	MaxDuration = time.Hour
	MaxValues   = 100
)

// Config describes one run.
type Config struct {
	Addr string
	// Addrs, when set, are the gateways of a scaled deployment: connection
	// i dials Addrs[i mod n] first and, after losing its connection, the
	// next one, as a DAU with a backup address does. Addr is then unused.
	Addrs    []string
	Conns    int
	Duration time.Duration
	// Rate is the total frames/s to offer (0: as fast as acks return).
	Rate float64
	// Values per frame (10 if 0).
	Values int
	// Window is the number of unacknowledged frames a connection may have
	// in flight (1 if 0): 1 is how a DAU behaves.
	Window int
	// MaxFrames stops the run after this many frames sent (0: no limit).
	MaxFrames int64
	// AckTimeout counts a frame as timed out (10 s if 0, HJ 212-2017
	// Table 1's default for wireless links).
	AckTimeout time.Duration
	// AllowRemote permits a non-loopback address (the project's own test
	// host); otherwise Run refuses it.
	AllowRemote bool
	// MNPrefix starts each connection's MN (followed by its number).
	MNPrefix string
	PW       string
	// DialConcurrency bounds simultaneous connection attempts (500 if 0),
	// so that a burst does not overflow the server's accept backlog.
	DialConcurrency int
	// Resend makes every frame of a connection carry the same DataTime
	// (the current 30-second interval), so that all but the first of an
	// interval are re-sends the store merges into the row it holds: the
	// worst case of the write path. By default each frame is a new
	// interval, as a device uploading its buffered history (补发) as fast
	// as it is answered: DataTime starts 30 days back and steps one
	// second per frame.
	Resend bool
	// OnAck, when set, is called with the MN and QN of every frame whose
	// acknowledgement arrived (tests check those are stored); qn is valid
	// only during the call.
	OnAck func(mn string, qn []byte)
}

// Error kinds counted in Result.Errors.
const (
	ErrRefused  = "connect refused"
	ErrConnect  = "connect other"
	ErrTimeout  = "timeout"
	ErrBadReply = "bad reply"
	ErrClosed   = "closed"
)

// Result is what a run measured.
type Result struct {
	Sent, Acked int64
	Elapsed     time.Duration
	Latency     *Histogram
	Errors      map[string]int64
	// Connected is the most connections open at one time.
	Connected int64
}

// SentPerSecond returns frames sent per second of the run.
func (r *Result) SentPerSecond() float64 { return float64(r.Sent) / r.Elapsed.Seconds() }

// AckedPerSecond returns frames acknowledged per second of the run.
func (r *Result) AckedPerSecond() float64 { return float64(r.Acked) / r.Elapsed.Seconds() }

// CheckAddr refuses an address that is not loopback unless allowRemote.
func CheckAddr(addr string, allowRemote bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("loadgen: address %q: %w", addr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("loadgen: address %q: port must be 1 to 65535", addr)
	}
	if allowRemote {
		return nil
	}
	ips, err := net.LookupIP(host)
	if err != nil {
		return fmt.Errorf("loadgen: address %q: %w", addr, err)
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("loadgen: %s is not a loopback address; only the project's own test host may be loaded (--test-host)", host)
		}
	}
	return nil
}

func (c *Config) check() error {
	if c.Values == 0 {
		c.Values = 10
	}
	if c.Window == 0 {
		c.Window = 1
	}
	if c.AckTimeout == 0 {
		c.AckTimeout = 10 * time.Second
	}
	if c.DialConcurrency == 0 {
		c.DialConcurrency = 500
	}
	if c.MNPrefix == "" {
		c.MNPrefix = "BENCH"
	}
	if c.PW == "" {
		c.PW = "123456"
	}
	switch {
	case c.Conns < 1 || c.Conns > MaxConns:
		return fmt.Errorf("loadgen: connections %d out of 1..%d", c.Conns, MaxConns)
	case c.Duration <= 0 || c.Duration > MaxDuration:
		return fmt.Errorf("loadgen: duration %v out of (0, %v]", c.Duration, MaxDuration)
	case c.Values < 1 || c.Values > MaxValues:
		return fmt.Errorf("loadgen: values per frame %d out of 1..%d", c.Values, MaxValues)
	case c.Window < 1 || c.Window > 1000:
		return fmt.Errorf("loadgen: window %d out of 1..1000", c.Window)
	case c.Rate < 0:
		return fmt.Errorf("loadgen: rate %v is negative", c.Rate)
	case len(c.MNPrefix) > 12:
		return fmt.Errorf("loadgen: MN prefix %q longer than 12", c.MNPrefix)
	}
	if len(c.Addrs) == 0 {
		return CheckAddr(c.Addr, c.AllowRemote)
	}
	for _, a := range c.Addrs {
		if err := CheckAddr(a, c.AllowRemote); err != nil {
			return err
		}
	}
	return nil
}

// benchFactors are the codes a bench frame carries, cycled for more values:
// wastewater and flue-gas factors of HJ 212-2017 Appendix B.
var benchFactors = []string{"w01018", "w21003", "w21011", "w21001", "w01001", "w00000", "a21026", "a21002", "a34013", "a19001",
	"a01012", "a01013", "a01011", "a00000", "w01012", "w01003", "w01009", "w01010", "w01014", "w01019"}

type run struct {
	cfg       Config
	hist      Histogram
	sent      atomic.Int64
	acked     atomic.Int64
	open      atomic.Int64
	maxOpen   atomic.Int64
	errMu     sync.Mutex
	errs      map[string]int64
	dialSem   chan struct{}
	perConnIv time.Duration
}

func (r *run) fail(kind string) {
	r.errMu.Lock()
	r.errs[kind]++
	r.errMu.Unlock()
}

// Run drives the load until cfg.Duration passes, cfg.MaxFrames are sent or
// ctx ends, and returns the figures.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	r := &run{cfg: cfg, errs: map[string]int64{}, dialSem: make(chan struct{}, cfg.DialConcurrency)}
	if cfg.Rate > 0 {
		r.perConnIv = time.Duration(float64(cfg.Conns) / cfg.Rate * float64(time.Second))
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range cfg.Conns {
		wg.Add(1)
		go func() { defer wg.Done(); r.conn(ctx, cancel, i) }()
	}
	wg.Wait()
	res := &Result{Sent: r.sent.Load(), Acked: r.acked.Load(), Elapsed: time.Since(start), Latency: &r.hist,
		Errors: r.errs, Connected: r.maxOpen.Load()}
	return res, nil
}

func (r *run) dial(ctx context.Context, addr string) (net.Conn, error) {
	select {
	case r.dialSem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-r.dialSem }()
	d := net.Dialer{Timeout: 10 * time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil && ctx.Err() == nil {
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			r.fail(ErrRefused)
		case errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
			r.fail(ErrTimeout)
		default:
			r.fail(ErrConnect)
		}
	}
	return c, err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// conn keeps one device connection busy, reconnecting after errors.
func (r *run) conn(ctx context.Context, stop context.CancelFunc, i int) {
	mn := r.cfg.MNPrefix + fmt.Sprintf("%0*d", 14-len(r.cfg.MNPrefix), i+1)
	if len(r.cfg.MNPrefix) >= 14 {
		mn = r.cfg.MNPrefix + strconv.Itoa(i+1)
	}
	// The QN sequence outlives a session: a device reconnecting within
	// the same second must not repeat a QN.
	var seq int
	addrs := r.cfg.Addrs
	if len(addrs) == 0 {
		addrs = []string{r.cfg.Addr}
	}
	for try := i; ctx.Err() == nil; try++ {
		c, err := r.dial(ctx, addrs[try%len(addrs)])
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		n := r.open.Add(1)
		for {
			m := r.maxOpen.Load()
			if n <= m || r.maxOpen.CompareAndSwap(m, n) {
				break
			}
		}
		if r.cfg.Window == 1 {
			r.syncSession(ctx, stop, c, mn, &seq)
		} else {
			r.session(ctx, stop, c, mn, &seq)
		}
		r.open.Add(-1)
		c.Close()
	}
}

// session sends frames on c with at most Window unacknowledged, until an
// error or the end of the run.
func (r *run) session(ctx context.Context, stop context.CancelFunc, c net.Conn, mn string, seqp *int) {
	tokens := make(chan struct{}, r.cfg.Window)
	var mu sync.Mutex
	inflight := map[string]time.Time{}
	readErr := make(chan string, 1)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Unblock the reader and writer at the end of the run, without a
	// goroutine per connection waiting for it.
	stopDeadline := context.AfterFunc(sctx, func() { c.SetDeadline(time.Now()) })
	defer stopDeadline()
	go func() {
		sc := hj212.NewScanner(c)
		for sc.Scan() {
			now := time.Now()
			qn, good := ackQN(sc.Bytes())
			if !good {
				readErr <- ErrBadReply
				cancel()
				return
			}
			mu.Lock()
			t0, ok := inflight[string(qn)]
			delete(inflight, string(qn))
			mu.Unlock()
			if !ok {
				readErr <- ErrBadReply
				cancel()
				return
			}
			r.hist.Record(now.Sub(t0))
			r.acked.Add(1)
			if r.cfg.OnAck != nil {
				r.cfg.OnAck(mn, qn)
			}
			<-tokens
		}
		kind := ErrClosed
		if err := sc.Err(); err != nil && isTimeout(err) {
			kind = "" // our own deadline at the end of the run
		}
		readErr <- kind
		cancel()
	}()
	bw := bufio.NewWriterSize(c, 4096)
	fm := newFrameMaker(r, mn, *seqp)
	defer func() { *seqp = fm.seq }()
	f := fm.f
	next := time.Now()
	// Frames go out together while the window has room, as a device
	// uploading its backlog writes them back to back; the buffer is
	// written when the window is full, before pacing waits, and at the end.
	flush := func() bool {
		if bw.Buffered() == 0 {
			return true
		}
		c.SetWriteDeadline(time.Now().Add(r.cfg.AckTimeout))
		if err := bw.Flush(); err != nil {
			if sctx.Err() == nil {
				r.fail(ErrClosed)
			}
			return false
		}
		return true
	}
	for sctx.Err() == nil {
		select {
		case tokens <- struct{}{}:
		default:
			if !flush() {
				return
			}
			select {
			case tokens <- struct{}{}:
			case <-sctx.Done():
				continue
			}
		}
		if r.perConnIv > 0 && !flush() {
			return
		}
		if !r.pace(sctx, &next) {
			continue
		}
		if r.done(stop) {
			break
		}
		buf, err := fm.next()
		if err != nil {
			r.fail(ErrBadReply)
			return
		}
		mu.Lock()
		if _, dup := inflight[f.QN]; dup {
			mu.Unlock()
			<-tokens
			continue
		}
		inflight[f.QN] = time.Now()
		mu.Unlock()
		if bw.Available() < len(buf) {
			c.SetWriteDeadline(time.Now().Add(r.cfg.AckTimeout))
		}
		if _, err = bw.Write(buf); err != nil {
			if sctx.Err() == nil {
				r.fail(ErrClosed)
			}
			return
		}
		r.sent.Add(1)
	}
	flush()
	if kind := <-readErr; kind != "" && ctx.Err() == nil {
		r.fail(kind)
	}
}

// pace waits for a connection's next slot when the run has a Rate; false
// when ctx ended first.
func (r *run) pace(ctx context.Context, next *time.Time) bool {
	if r.perConnIv <= 0 {
		return true
	}
	*next = next.Add(r.perConnIv)
	d := time.Until(*next)
	if d <= 0 {
		return true
	}
	select {
	case <-time.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}

// done reports whether MaxFrames were sent, and then ends the run.
func (r *run) done(stop context.CancelFunc) bool {
	if m := r.cfg.MaxFrames; m > 0 && r.sent.Load() >= m {
		stop()
		return true
	}
	return false
}

// frameMaker builds a connection's frames: 2011 uploads that require an
// acknowledgement, into one reused buffer.
type frameMaker struct {
	r       *run
	f       *hj212.Frame
	buf     []byte
	seq     int
	seq0    int
	history time.Time
}

func newFrameMaker(r *run, mn string, seq int) *frameMaker {
	f := &hj212.Frame{ST: "32", CN: "2011", PW: r.cfg.PW, MN: mn, Flag: hj212.MakeFlag(hj212.V2017, false, true), HasFlag: true}
	f.CP = make([]hj212.Field, 0, 1+2*r.cfg.Values)
	return &frameMaker{r: r, f: f, buf: make([]byte, 0, 512), seq: seq, seq0: seq,
		history: time.Now().In(hj212.ChinaTime).Add(-30 * 24 * time.Hour).Truncate(time.Second)}
}

// next builds the next frame; its QN is fm.f.QN. The bytes are valid until
// the next call.
func (fm *frameMaker) next() ([]byte, error) {
	f := fm.f
	now := time.Now().In(hj212.ChinaTime)
	fm.seq++
	// A QN per frame: the clock's milliseconds plus a sequence, so
	// that frames of one millisecond differ (17 digits, Table 3).
	f.QN = hj212.FormatTime(now) + fmt.Sprintf("%03d", fm.seq%1000)
	f.CP = f.CP[:0]
	dt := now.Truncate(30 * time.Second)
	if !fm.r.cfg.Resend {
		dt = fm.history.Add(time.Duration(fm.seq-fm.seq0) * time.Second)
	}
	f.CP = append(f.CP, hj212.Field{Name: "DataTime", Value: hj212.FormatTime(dt)})
	for v := 0; v < fm.r.cfg.Values; v++ {
		code := benchFactors[v%len(benchFactors)]
		f.CP = append(f.CP, hj212.Field{Name: code + "-Rtd", Value: strconv.Itoa(10+(fm.seq+v)%90) + ".5", Item: v + 1},
			hj212.Field{Name: code + "-Flag", Value: "N", Item: v + 1})
	}
	var err error
	fm.buf, err = hj212.AppendEncode(fm.buf[:0], f)
	return fm.buf, err
}

// syncSession is session for a window of one, the way a DAU talks: send a
// frame, read its answer, on one goroutine. Handing every frame between a
// reader and a writer goroutine, as session does, cost the tool about a
// fifth more CPU per frame, which the server under test would miss.
func (r *run) syncSession(ctx context.Context, stop context.CancelFunc, c net.Conn, mn string, seqp *int) {
	// Unblock the read at the end of the run.
	stopDeadline := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stopDeadline()
	fm := newFrameMaker(r, mn, *seqp)
	defer func() { *seqp = fm.seq }()
	sc := hj212.NewScanner(c)
	next := time.Now()
	for ctx.Err() == nil {
		if !r.pace(ctx, &next) || r.done(stop) {
			return
		}
		buf, err := fm.next()
		if err != nil {
			r.fail(ErrBadReply)
			return
		}
		t0 := time.Now()
		c.SetDeadline(t0.Add(r.cfg.AckTimeout))
		if ctx.Err() != nil {
			return // the end of the run's deadline may just have been overwritten
		}
		if _, err := c.Write(buf); err != nil {
			if ctx.Err() == nil {
				r.fail(ErrClosed)
			}
			return
		}
		r.sent.Add(1)
		if !sc.Scan() {
			switch err := sc.Err(); {
			case ctx.Err() != nil:
			case err != nil && isTimeout(err):
				r.fail(ErrTimeout)
			default:
				r.fail(ErrClosed)
			}
			return
		}
		now := time.Now()
		qn, good := ackQN(sc.Bytes())
		if !good || string(qn) != fm.f.QN {
			r.fail(ErrBadReply)
			return
		}
		r.hist.Record(now.Sub(t0))
		r.acked.Add(1)
		if r.cfg.OnAck != nil {
			r.cfg.OnAck(mn, qn)
		}
	}
}

// ackQN checks that raw is a 9014 with a right CRC and returns its QN. It
// reads only what it needs: the tool must cost the machine far less than the
// server it measures.
func ackQN(raw []byte) ([]byte, bool) {
	n := len(raw)
	if n < 6+4+2+len("QN=;CN=9014") || string(raw[:2]) != "##" || string(raw[n-2:]) != "\r\n" {
		return nil, false
	}
	data := raw[6 : n-6]
	crc, err := strconv.ParseUint(string(raw[n-6:n-2]), 16, 16)
	if err != nil || uint16(crc) != hj212.CRC16(data) || !bytes.HasPrefix(data, []byte("QN=")) ||
		!bytes.Contains(data, []byte(";CN=9014;")) {
		return nil, false
	}
	qn := data[3:]
	if i := bytes.IndexByte(qn, ';'); i >= 0 {
		return qn[:i], true
	}
	return nil, false
}
