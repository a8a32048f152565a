package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"ecowatch/bus"
	"ecowatch/hj212"
)

// harness is a gateway on a loopback port with an in-process bus, a
// recording store consumer and a map registry.
type harness struct {
	t    testing.TB
	srv  *Server
	bus  *bus.Memory
	addr string
	set  *metrics.Set

	mu      sync.Mutex
	stored  []Message
	devs    map[string]Device
	gate    chan struct{} // when non-nil, each commit waits for a receive
	events  []Event
	uploads []string
	decoded int   // in-process messages that carried their decoded frame
	batches []int // the sizes of the store consumer's batches
}

func newHarness(t testing.TB, tweak func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, bus: bus.NewMemory(bus.MemoryOptions{}), devs: map[string]Device{}, set: metrics.NewSet()}
	err := h.bus.Consume(context.Background(), "store", "frame.>", func(ctx context.Context, batch []bus.Msg) error {
		h.mu.Lock()
		gate := h.gate
		h.mu.Unlock()
		if gate != nil {
			<-gate
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		h.batches = append(h.batches, len(batch))
		for _, m := range batch {
			var msg Message
			if err := msg.UnmarshalBinary(m.Data); err != nil {
				t.Errorf("bad message on the bus: %v", err)
				continue
			}
			if v, ok := m.Value.(*Message); ok {
				// The in-process copy is the encoded message, and its
				// decoded frame is its Raw's.
				if !bytes.Equal(v.AppendBinary(nil), m.Data) {
					t.Errorf("in-process message %+v differs from its encoding", v)
				}
				if v.Decoded != nil {
					h.decoded++
					if g, err := hj212.Decode(v.Raw, v.Mode); err != nil || !reflect.DeepEqual(g, v.Decoded) {
						t.Errorf("in-process frame %+v, Raw decodes to %+v (%v)", v.Decoded, g, err)
					}
				}
			}
			h.stored = append(h.stored, msg)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h.bus.Subscribe("event.>", func(m bus.Msg) {
		var e Event
		json.Unmarshal(m.Data, &e)
		h.mu.Lock()
		h.events = append(h.events, e)
		h.mu.Unlock()
	})
	h.bus.Subscribe("upload.>", func(m bus.Msg) {
		h.mu.Lock()
		h.uploads = append(h.uploads, string(m.Data))
		h.mu.Unlock()
	})
	reg := RegistryFuncs{
		DeviceFunc: func(ctx context.Context, mn string) (Device, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			d, ok := h.devs[mn]
			if !ok {
				return Device{}, ErrUnknownDevice
			}
			return d, nil
		},
		RegisterFunc: func(ctx context.Context, d Device) error {
			h.mu.Lock()
			h.devs[d.MN] = d
			h.mu.Unlock()
			return nil
		},
		DevicesFunc: func(ctx context.Context) ([]Device, error) { return nil, nil },
	}
	cfg := Config{Bus: h.bus, Registry: reg, Metrics: h.set, ClockDrift: -1, RegistryTTL: time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if tweak != nil {
		tweak(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() {
		h.mu.Lock()
		if h.gate != nil {
			close(h.gate)
			h.gate = nil
		}
		h.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		h.bus.Close()
	})
	return h
}

func (h *harness) register(mn, pw string) {
	h.mu.Lock()
	h.devs[mn] = Device{MN: mn, Password: pw, Point: "P-" + mn}
	h.mu.Unlock()
}

func (h *harness) storedMessages() []Message {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Message(nil), h.stored...)
}

func (h *harness) eventKinds(mn string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, e := range h.events {
		if e.MN == mn {
			out = append(out, e.Kind)
		}
	}
	return out
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// device is a test client speaking HJ 212 over a real socket.
type device struct {
	t  testing.TB
	c  net.Conn
	sc *hj212.Scanner
}

func (h *harness) dial() *device {
	h.t.Helper()
	c, err := net.Dial("tcp", h.addr)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	return &device{t: h.t, c: c, sc: hj212.NewScanner(c)}
}

func (d *device) send(b []byte) {
	d.t.Helper()
	if _, err := d.c.Write(b); err != nil {
		d.t.Fatal(err)
	}
}

// read returns the next frame from the gateway within wait, or nil.
func (d *device) read(wait time.Duration) []byte {
	d.c.SetReadDeadline(time.Now().Add(wait))
	if !d.sc.Scan() {
		return nil
	}
	return append([]byte(nil), d.sc.Bytes()...)
}

// closed reports whether the gateway closed the connection within wait.
func (d *device) closed(wait time.Duration) bool {
	d.c.SetReadDeadline(time.Now().Add(wait))
	_, err := d.c.Read(make([]byte, 1))
	if err == nil {
		return false
	}
	ne, ok := err.(net.Error)
	return !ok || !ne.Timeout()
}

// frame writes a data segment as a frame by hand: "##", the 4-digit
// length, the segment, the CRC16 of Appendix A in upper case and CRLF
// (HJ 212-2017 Table 2), independent of hj212.Encode.
func frame(seg string) []byte {
	return []byte(fmt.Sprintf("##%04d%s%04X\r\n", len(seg), seg, hj212.CRC16([]byte(seg))))
}

func upload(qn, cn, pw, mn, dataTime string) []byte {
	return frame("QN=" + qn + ";ST=31;CN=" + cn + ";PW=" + pw + ";MN=" + mn + ";Flag=5;CP=&&DataTime=" + dataTime +
		";a21026-Rtd=12.3,a21026-Flag=N&&")
}

func TestAckExactBytesAfterCommit(t *testing.T) {
	h := newHarness(t, nil)
	const mn = "010000A8900016F000169DC0"
	h.register(mn, "123456")
	h.mu.Lock()
	h.gate = make(chan struct{})
	gate := h.gate
	h.mu.Unlock()

	d := h.dial()
	d.send(upload("20160801085857223", "2011", "123456", mn, "20160801085800"))
	// The commit is held: no acknowledgement may come before it.
	if got := d.read(300 * time.Millisecond); got != nil {
		t.Fatalf("acknowledged before the commit: %q", got)
	}
	d = &device{t: t, c: d.c, sc: hj212.NewScanner(d.c)} // the timed-out scanner is spent
	gate <- struct{}{}
	got := d.read(5 * time.Second)
	// The reference's worked example 5 (a 9014 built like Appendix C):
	// length 0087, CRC 3240.
	want := "##0087QN=20160801085857223;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&3240\r\n"
	if string(got) != want {
		t.Fatalf("ack\n got %q\nwant %q", got, want)
	}
	st := h.storedMessages()
	if len(st) != 1 || st[0].Verdict != VerdictOK || st[0].Point != "P-"+mn || st[0].CN != "2011" {
		t.Fatalf("stored %+v, want one ok 2011 frame of point P-%s", st, mn)
	}
	if !strings.HasPrefix(string(st[0].Raw), "##0") || string(st[0].Raw) != string(upload("20160801085857223", "2011", "123456", mn, "20160801085800")) {
		t.Fatalf("raw not byte-exact: %q", st[0].Raw)
	}
	h.mu.Lock()
	decoded := h.decoded
	h.mu.Unlock()
	if decoded != 1 {
		t.Fatalf("%d in-process messages carried their decoded frame, want 1", decoded)
	}
	if kinds := h.eventKinds(mn); len(kinds) == 0 {
		eventually(t, "online event", func() bool { return len(h.eventKinds(mn)) > 0 })
	}
	if k := h.eventKinds(mn); k[0] != EventOnline {
		t.Fatalf("events %v, want online first", k)
	}
}

// plainBus hides the in-process bus's batch and value publishing: a bus
// that can only Publish.
type plainBus struct{ bus.Bus }

// batchBus records the sizes of the batches published through it.
type batchBus struct {
	*bus.Memory
	mu    sync.Mutex
	sizes []int
}

func (b *batchBus) PublishBatch(ctx context.Context, msgs []bus.Msg, errs []error) {
	b.mu.Lock()
	b.sizes = append(b.sizes, len(msgs))
	b.mu.Unlock()
	b.Memory.PublishBatch(ctx, msgs, errs)
}

// TestBackToBackFramesShareOneCommit: frames a device sends without
// waiting (a backlog upload) that arrive together are published in one
// batch and answered in their order, each after its commit; a bad frame
// among them is archived in its place and not answered. A bus without
// PublishBatch gets the same answers, a publish and commit per frame.
func TestBackToBackFramesShareOneCommit(t *testing.T) {
	for _, batched := range []bool{true, false} {
		t.Run(fmt.Sprintf("batched=%v", batched), func(t *testing.T) {
			var bb *batchBus
			h := newHarness(t, func(c *Config) {
				if batched {
					bb = &batchBus{Memory: c.Bus.(*bus.Memory)}
					c.Bus = bb
				} else {
					c.Bus = plainBus{c.Bus}
				}
			})
			h.register("MN1", "pw")
			var frames [][]byte
			var stream []byte
			for i := range 7 {
				f := upload(fmt.Sprintf("2020010100000000%d", i), "2011", "pw", "MN1", fmt.Sprintf("2020010100000%d", i))
				if i == 3 {
					f[len(f)-3] ^= 1 // a CRC digit
				}
				frames = append(frames, f)
				stream = append(stream, f...)
			}
			h.mu.Lock()
			h.gate = make(chan struct{})
			gate := h.gate
			h.mu.Unlock()
			d := h.dial()
			d.send(stream) // one write, well below the scanner's first read
			if got := d.read(300 * time.Millisecond); got != nil {
				t.Fatalf("answered before any commit: %q", got)
			}
			d = &device{t: t, c: d.c, sc: hj212.NewScanner(d.c)}
			h.mu.Lock()
			h.gate = nil
			close(gate) // the held commit and every later one proceed
			h.mu.Unlock()
			for i, f := range frames {
				if i == 3 {
					continue
				}
				g, _ := hj212.Decode(f, hj212.Strict)
				r, _ := hj212.ReplyFor(g)
				want, _ := hj212.Encode(r)
				if got := d.read(5 * time.Second); string(got) != string(want) {
					t.Fatalf("answer to frame %d\n got %q\nwant %q", i, got, want)
				}
			}
			if got := d.read(200 * time.Millisecond); got != nil {
				t.Fatalf("an answer too many: %q", got)
			}
			st := h.storedMessages()
			if len(st) != 7 {
				t.Fatalf("%d frames stored, want 7", len(st))
			}
			for i, m := range st {
				if string(m.Raw) != string(frames[i]) || (m.Verdict == VerdictOK) == (i == 3) {
					t.Fatalf("stored frame %d: %s %q, want frame %d in order, only the bad one refused", i, m.Verdict, m.Raw, i)
				}
			}
			h.mu.Lock()
			commits := len(h.batches)
			h.mu.Unlock()
			if batched {
				// Three before the bad frame, three after it; the bad
				// one is published alone, after the three before it.
				bb.mu.Lock()
				sizes := bb.sizes
				bb.mu.Unlock()
				if !reflect.DeepEqual(sizes, []int{3, 3}) {
					t.Fatalf("published batches %v, want [3 3]", sizes)
				}
			} else if commits != 7 {
				t.Fatalf("%d commits, want one per frame", commits)
			}
		})
	}
}

func TestBadCRCArchivedNotAckedConnectionStays(t *testing.T) {
	h := newHarness(t, nil)
	h.register("MN1", "pw")
	d := h.dial()
	bad := upload("20200101000000001", "2011", "pw", "MN1", "20200101000000")
	bad[len(bad)-3] ^= 1 // flip a CRC digit
	d.send(bad)
	good := upload("20200101000000002", "2011", "pw", "MN1", "20200101000000")
	d.send(good)
	got := d.read(5 * time.Second)
	if !strings.Contains(string(got), "QN=20200101000000002;ST=91;CN=9014") {
		t.Fatalf("first reply %q, want the 9014 of the good frame only", got)
	}
	st := h.storedMessages()
	if len(st) != 2 || st[0].Verdict != hj212.CodeCRC || st[1].Verdict != VerdictOK {
		t.Fatalf("stored verdicts %+v, want crc then ok", st)
	}
	if string(st[0].Raw) != string(bad) {
		t.Fatal("bad frame not archived byte-exact")
	}
}

func TestUnregisteredAckedWaitingAndRegisterReplays(t *testing.T) {
	var replayed []string
	h := newHarness(t, func(c *Config) {
		c.Replay = func(ctx context.Context, mn string) (int, error) {
			replayed = append(replayed, mn)
			return 1, nil
		}
	})
	d := h.dial()
	d.send(upload("20200101000000001", "2061", "pw", "NEW1", "20200101000000"))
	if got := d.read(5 * time.Second); !strings.Contains(string(got), "CN=9014") {
		t.Fatalf("an unregistered device's upload is acknowledged (archived first), got %q", got)
	}
	if st := h.storedMessages(); len(st) != 1 || st[0].Verdict != VerdictUnregistered || st[0].Point != "" {
		t.Fatalf("stored %+v", st)
	}
	w := h.srv.Waiting()
	if len(w) != 1 || w[0].MN != "NEW1" || w[0].Frames != 1 {
		t.Fatalf("waiting list %+v", w)
	}
	n, err := h.srv.Register(context.Background(), Device{MN: "NEW1", Password: "pw", Point: "P1"})
	if err != nil || n != 1 || len(replayed) != 1 || replayed[0] != "NEW1" {
		t.Fatalf("register: n=%d err=%v replayed=%v", n, err, replayed)
	}
	if len(h.srv.Waiting()) != 0 {
		t.Fatal("registered device still waiting")
	}
	d.send(upload("20200101000000002", "2061", "pw", "NEW1", "20200101010000"))
	d.read(5 * time.Second)
	st := h.storedMessages()
	if last := st[len(st)-1]; last.Verdict != VerdictOK || last.Point != "P1" {
		t.Fatalf("after registration: %+v", last)
	}
}

func TestWrongPasswordArchivedNotAckedEvent(t *testing.T) {
	h := newHarness(t, nil)
	h.register("MN1", "right")
	d := h.dial()
	d.send(upload("20200101000000001", "2011", "wrong", "MN1", "20200101000000"))
	if got := d.read(300 * time.Millisecond); got != nil {
		t.Fatalf("wrong password acknowledged: %q", got)
	}
	st := h.storedMessages()
	if len(st) != 1 || st[0].Verdict != VerdictWrongPassword {
		t.Fatalf("stored %+v", st)
	}
	eventually(t, "wrong-password event", func() bool {
		for _, k := range h.eventKinds("MN1") {
			if k == EventWrongPassword {
				return true
			}
		}
		return false
	})
	p := h.srv.Presence()
	if len(p) != 1 || p[0].LastError != "wrong password" || p[0].Online {
		t.Fatalf("presence %+v: the error is recorded, the device is not online", p)
	}
	// Re-sends within the minute raise no new event.
	d.send(upload("20200101000000002", "2011", "wrong", "MN1", "20200101000000"))
	eventually(t, "second frame archived", func() bool { return len(h.storedMessages()) == 2 })
	time.Sleep(50 * time.Millisecond)
	if n := len(h.eventKinds("MN1")); n != 1 {
		t.Fatalf("%d events for two wrong-password frames within a minute, want 1", n)
	}
	// An impostor without the password does not receive the device's
	// platform requests.
	if _, err := h.srv.Send(context.Background(), "MN1", "1011", nil); !errors.Is(err, ErrOffline) {
		t.Fatalf("command routed to a connection that failed the password: %v", err)
	}
}

func TestSplitUploadAckedPerPartAndReassembled(t *testing.T) {
	h := newHarness(t, nil)
	h.register("MN1", "pw")
	d := h.dial()
	// Appendix C.49/C.50: each part has its own QN, Flag=7 (split + ack),
	// PNUM/PNO, and the same DataTime.
	p1 := frame("QN=20200101000000001;ST=31;CN=2061;PW=pw;MN=MN1;Flag=7;PNUM=2;PNO=1;CP=&&DataTime=20200101000000;a21026-Avg=1.5,a21026-Flag=N&&")
	p2 := frame("QN=20200101000000002;ST=31;CN=2061;PW=pw;MN=MN1;Flag=7;PNUM=2;PNO=2;CP=&&DataTime=20200101000000;a21002-Avg=2.5,a21002-Flag=N&&")
	// The second part arrives cut in two TCP writes.
	d.send(p1)
	if got := d.read(5 * time.Second); !strings.Contains(string(got), "QN=20200101000000001;ST=91;CN=9014") {
		t.Fatalf("part 1 ack %q", got)
	}
	d.send(p2[:20])
	time.Sleep(50 * time.Millisecond)
	d.send(p2[20:])
	if got := d.read(5 * time.Second); !strings.Contains(string(got), "QN=20200101000000002;ST=91;CN=9014") {
		t.Fatalf("part 2 ack %q", got)
	}
	eventually(t, "joined upload", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return len(h.uploads) == 1
	})
	j, err := hj212.Decode([]byte(h.uploads[0]), hj212.Strict)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := j.Value("a21026", "Avg"); !ok {
		t.Fatal("joined upload lacks part 1's factor")
	}
	if v, ok := j.Value("a21002", "Avg"); !ok || v != "2.5" {
		t.Fatal("joined upload lacks part 2's factor")
	}
	if j.Flag.Split() {
		t.Fatal("joined upload still flagged split")
	}
}

func TestSlowClientDoesNotBlockOthers(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Limits.PartialDeadline = 2 * time.Second })
	h.register("MN1", "pw")
	slow := h.dial()
	slow.send(upload("20200101000000001", "2011", "pw", "MN1", "20200101000000")[:30]) // and stalls
	eventually(t, "slow client connected", func() bool { return h.srv.Stats().Conns == 1 })
	fast := h.dial()
	for i := range 20 {
		fast.send(upload(fmt.Sprintf("202001010000001%02d", i), "2011", "pw", "MN1", "20200101000000"))
		if got := fast.read(5 * time.Second); got == nil {
			t.Fatalf("frame %d of the fast client not acknowledged", i)
		}
	}
	// All 20 acknowledged while the stalled client is still connected:
	// the fast one never waited for it.
	if n := h.srv.Stats().Conns; n != 2 {
		t.Fatalf("%d connections after the fast client's 20 acks, want 2 (the stalled one still open)", n)
	}
	if !slow.closed(10 * time.Second) {
		t.Fatal("the stalled client was not closed after the partial-frame deadline")
	}
	eventually(t, "limit metric", func() bool {
		return h.set.GetOrCreateCounter(`ecowatch_gateway_limit_hits_total{limit="partial-frame"}`).Get() == 1
	})
}

func TestLimits(t *testing.T) {
	t.Run("per-address", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.Limits.MaxConnsPerAddr = 2 })
		a, b := h.dial(), h.dial()
		eventually(t, "two connections", func() bool { return h.srv.Stats().Conns == 2 })
		c := h.dial()
		if !c.closed(5 * time.Second) {
			t.Fatal("third connection from one address not closed")
		}
		if a.closed(100*time.Millisecond) || b.closed(100*time.Millisecond) {
			t.Fatal("the limit closed a connection that was within it")
		}
	})
	t.Run("total", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.Limits.MaxConns = 1 })
		h.dial()
		eventually(t, "one connection", func() bool { return h.srv.Stats().Conns == 1 })
		if !h.dial().closed(5 * time.Second) {
			t.Fatal("connection over MaxConns not closed")
		}
	})
	t.Run("frame-size", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.Limits.MaxFrame = 100 })
		h.register("MN1", "pw")
		d := h.dial()
		other := h.dial()
		d.send(frame("QN=20200101000000001;ST=31;CN=2011;PW=pw;MN=MN1;Flag=5;CP=&&DataTime=20200101000000;" +
			strings.Repeat("a21026-Rtd=1.0;", 10) + "a21026-Flag=N&&"))
		if !d.closed(5 * time.Second) {
			t.Fatal("oversized frame did not close its connection")
		}
		other.send(upload("20200101000000002", "2011", "pw", "MN1", "20200101000000")[:0])
		if other.closed(100 * time.Millisecond) {
			t.Fatal("another connection was closed")
		}
	})
	t.Run("frame-rate", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.Limits.FrameRate = 0.001; c.Limits.FrameBurst = 3 })
		h.register("MN1", "pw")
		d := h.dial()
		for i := range 3 {
			d.send(upload(fmt.Sprintf("2020010100000000%d", i), "2011", "pw", "MN1", "20200101000000"))
			if d.read(5*time.Second) == nil {
				t.Fatalf("frame %d within the burst not acknowledged", i)
			}
		}
		d.send(upload("20200101000000009", "2011", "pw", "MN1", "20200101000000"))
		if !d.closed(5 * time.Second) {
			t.Fatal("frame over the rate did not close the connection")
		}
		if n := h.set.GetOrCreateCounter(`ecowatch_gateway_limit_hits_total{limit="frame-rate"}`).Get(); n != 1 {
			t.Fatalf("frame-rate limit hits = %d, want 1", n)
		}
	})
	t.Run("idle", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.Limits.IdleTimeout = 200 * time.Millisecond })
		if !h.dial().closed(5 * time.Second) {
			t.Fatal("idle connection not closed")
		}
	})
	t.Run("idle deadline renewed by traffic", func(t *testing.T) {
		// The deadline is renewed lazily; a device that never stays
		// silent for the idle timeout must never be cut off, and one that
		// falls silent is closed no earlier than the timeout.
		const idle = 400 * time.Millisecond
		h := newHarness(t, func(c *Config) { c.Limits.IdleTimeout = idle })
		const mn = "IDLE0001"
		h.register(mn, "pw")
		d := h.dial()
		var last time.Time
		for i := range 8 {
			if i > 0 {
				time.Sleep(idle / 2)
			}
			last = time.Now()
			d.send(upload(fmt.Sprintf("20200101000000%03d", i), "2011", "pw", mn, "20200101000000"))
			if d.read(5*time.Second) == nil {
				t.Fatalf("frame %d not acknowledged: the connection was closed while in use", i)
			}
		}
		if !d.closed(5 * time.Second) {
			t.Fatal("silent connection not closed")
		}
		if gone := time.Since(last); gone < idle {
			t.Fatalf("closed %v after the last frame, before the idle timeout %v", gone, idle)
		}
	})
}

// fakeDevice answers platform requests the way Appendix C shows: 9011
// with qnRtn, then (if accepted) 9012 with exeRtn, both echoing the QN.
// With qnRtn 0 it stays silent.
func fakeDevice(t *testing.T, d *device, qnRtn, exeRtn int, got chan<- *hj212.Frame) {
	go func() {
		sc := hj212.NewScanner(d.c)
		for sc.Scan() {
			f, err := hj212.Decode(sc.Bytes(), hj212.Strict)
			if err != nil {
				t.Errorf("gateway sent a bad frame %q: %v", sc.Bytes(), err)
				return
			}
			got <- f
			if qnRtn == 0 || f.CN == "9014" {
				continue
			}
			b, _ := hj212.Encode(hj212.RequestAnswer(f, qnRtn))
			d.c.Write(b)
			if qnRtn == hj212.QnRtnReady {
				b, _ = hj212.Encode(hj212.ExecutionResult(f, exeRtn))
				d.c.Write(b)
			}
		}
	}()
}

func TestReverseControlLifecycle(t *testing.T) {
	cases := []struct {
		name          string
		qnRtn, exeRtn int
		want          CommandState
		attempts      int
	}{
		{"executed", hj212.QnRtnReady, hj212.ExeRtnOK, CommandExecuted, 1},
		{"failed", hj212.QnRtnReady, hj212.ExeRtnNoData, CommandFailed, 1},
		{"refused", hj212.QnRtnRefused, 0, CommandRefused, 1},
		{"timed-out", 0, 0, CommandTimedOut, 3}, // 1 + 2 retries
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Answered cases get a generous timeout, so a loaded machine
			// cannot turn an answer into a retry; the silent one a short one.
			timeout := 5 * time.Second
			if tc.qnRtn == 0 {
				timeout = 100 * time.Millisecond
			}
			h := newHarness(t, func(c *Config) { c.CommandTimeout = timeout; c.CommandRetries = 2 })
			h.register("MN1", "pw")
			d := h.dial()
			d.send(upload("20200101000000001", "2011", "pw", "MN1", "20200101000000"))
			if d.read(5*time.Second) == nil {
				t.Fatal("no ack")
			}
			got := make(chan *hj212.Frame, 16)
			fakeDevice(t, d, tc.qnRtn, tc.exeRtn, got)
			cmd, err := h.srv.Send(context.Background(), "MN1", "1062", []Param{{Name: "RtdInterval", Value: "30"}})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			final, err := h.srv.WaitCommand(ctx, cmd.ID)
			if err != nil {
				t.Fatal(err)
			}
			if final.State != tc.want || final.Attempts != tc.attempts {
				t.Fatalf("state %s after %d attempts, want %s after %d: %+v", final.State, final.Attempts, tc.want, tc.attempts, final)
			}
			req := <-got
			// The request as Appendix A's 1062 example: ST of the device,
			// Flag with A=1, the password, RtdInterval.
			if req.CN != "1062" || req.QN != cmd.QN || req.ST != "31" || !req.Flag.Ack() || req.PW != "pw" {
				t.Fatalf("request sent: %+v", req)
			}
			if v, _ := req.Param("RtdInterval"); v != "30" {
				t.Fatalf("RtdInterval %q", v)
			}
			if tc.want == CommandRefused && final.Reason != "QnRtn=2 request refused" {
				t.Fatalf("reason %q", final.Reason)
			}
			hist := h.srv.Commands("MN1")
			if len(hist) != 1 || hist[0].History[0].State != CommandSent {
				t.Fatalf("history %+v", hist)
			}
		})
	}
	t.Run("offline", func(t *testing.T) {
		h := newHarness(t, nil)
		h.register("MN9", "pw")
		if _, err := h.srv.Send(context.Background(), "MN9", "1011", nil); err == nil || !strings.Contains(err.Error(), "not connected") {
			t.Fatalf("got %v, want ErrOffline", err)
		}
	})
}

func TestGapBackfill(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Backfill = true; c.CommandTimeout = time.Second })
	h.register("MN1", "pw")
	d := h.dial()
	got := make(chan *hj212.Frame, 16)
	fakeDevice(t, d, hj212.QnRtnReady, hj212.ExeRtnOK, got)
	// Hour 00:00, then 03:00: 01:00 and 02:00 are missing.
	d.send(upload("20200101010000001", "2061", "pw", "MN1", "20200101000000"))
	d.send(upload("20200101040000001", "2061", "pw", "MN1", "20200101030000"))
	deadline := time.After(5 * time.Second)
	for {
		select {
		case f := <-got:
			if f.CN != "2061" {
				continue
			}
			b, _ := f.Param("BeginTime")
			e, _ := f.Param("EndTime")
			if b != "20200101010000" || e != "20200101020000" {
				t.Fatalf("backfill asked %s..%s, want 20200101010000..20200101020000", b, e)
			}
			cmds := h.srv.Commands("MN1")
			if len(cmds) != 1 || cmds[0].Origin != OriginBackfill {
				t.Fatalf("commands %+v", cmds)
			}
			return
		case <-deadline:
			t.Fatal("no history query for the missing hours")
		}
	}
}

func TestBackfillSweepAsksForLateHour(t *testing.T) {
	now := time.Date(2020, 1, 1, 5, 30, 0, 0, hj212.ChinaTime)
	h := newHarness(t, func(c *Config) { c.Backfill = true; c.Now = func() time.Time { return now } })
	h.register("MN1", "pw")
	d := h.dial()
	got := make(chan *hj212.Frame, 16)
	fakeDevice(t, d, hj212.QnRtnReady, hj212.ExeRtnOK, got)
	d.send(upload("20200101030000001", "2061", "pw", "MN1", "20200101020000"))
	eventually(t, "ack", func() bool {
		select {
		case f := <-got:
			return f.CN == "9014"
		default:
			return false
		}
	})
	// At 05:30 with a 20 min grace, hour 04:00 is due; 03:00 and 04:00
	// are missing.
	h.srv.backfill.sweep(now)
	for f := range got {
		if f.CN == "2061" {
			b, _ := f.Param("BeginTime")
			e, _ := f.Param("EndTime")
			if b != "20200101030000" || e != "20200101040000" {
				t.Fatalf("sweep asked %s..%s", b, e)
			}
			break
		}
	}
	// A second sweep within the hour asks nothing more.
	h.srv.backfill.sweep(now.Add(time.Minute))
	if n := len(h.srv.Commands("MN1")); n != 1 {
		t.Fatalf("%d commands, want 1", n)
	}
}

func TestClockDriftSendsSetTime(t *testing.T) {
	now := time.Date(2020, 1, 1, 12, 0, 0, 0, hj212.ChinaTime)
	h := newHarness(t, func(c *Config) { c.ClockDrift = time.Minute; c.Now = func() time.Time { return now } })
	h.register("MN1", "pw")
	d := h.dial()
	got := make(chan *hj212.Frame, 16)
	fakeDevice(t, d, hj212.QnRtnReady, hj212.ExeRtnOK, got)
	// The device's QN says 11:50: ten minutes slow.
	d.send(upload("20200101115000000", "2011", "pw", "MN1", "20200101115000"))
	for f := range got {
		if f.CN == "1012" {
			if v, _ := f.Param("SystemTime"); v != "20200101120000" {
				t.Fatalf("SystemTime %q, want the server's 20200101120000", v)
			}
			break
		}
	}
	eventually(t, "clock-drift event", func() bool {
		for _, k := range h.eventKinds("MN1") {
			if k == EventClockDrift {
				return true
			}
		}
		return false
	})
}

func TestShutdownFinishesInFlight(t *testing.T) {
	h := newHarness(t, nil)
	h.register("MN1", "pw")
	h.mu.Lock()
	h.gate = make(chan struct{})
	gate := h.gate
	h.mu.Unlock()
	d := h.dial()
	d.send(upload("20200101000000001", "2011", "pw", "MN1", "20200101000000"))
	eventually(t, "frame in flight", func() bool { return h.srv.Stats().Conns == 1 })
	time.Sleep(50 * time.Millisecond)
	done := make(chan error)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- h.srv.Shutdown(ctx)
	}()
	time.Sleep(100 * time.Millisecond)
	gate <- struct{}{} // the commit completes during the shutdown
	r := bufio.NewReader(d.c)
	d.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := r.ReadString('\n')
	if err != nil || !strings.Contains(line, "CN=9014") {
		t.Fatalf("in-flight frame not acknowledged during shutdown: %q %v", line, err)
	}
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if _, err := r.ReadByte(); err == nil {
		t.Fatal("connection still open after shutdown")
	}
	for _, k := range h.eventKinds("MN1") {
		if k == EventOffline {
			t.Fatal("shutting the gateway down raised an offline event for a device")
		}
	}
	h.mu.Lock()
	close(h.gate)
	h.gate = nil
	h.mu.Unlock()
}

func TestQuirkyDeviceModeFromRegistry(t *testing.T) {
	h := newHarness(t, nil)
	// A frame whose CRC is in lower case (a quirk of real DAUs, reference
	// §1.3); find one whose CRC has a letter.
	var raw []byte
	for i := 0; raw == nil; i++ {
		b := upload(fmt.Sprintf("202001010000000%02d", i), "2011", "pw", "Q1", "20200101000000")
		n := len(b)
		l := []byte(strings.ToLower(string(b[n-6 : n-2])))
		if string(l) != string(b[n-6:n-2]) {
			copy(b[n-6:n-2], l)
			raw = b
		}
	}
	d := h.dial()
	d.send(raw)
	if got := d.read(300 * time.Millisecond); got != nil {
		t.Fatalf("strict by default: a lower-case CRC is not acknowledged, got %q", got)
	}
	d = &device{t: t, c: d.c, sc: hj212.NewScanner(d.c)}
	if w := h.srv.Waiting(); len(w) != 1 || w[0].MN != "Q1" {
		t.Fatalf("an unknown device with quirky frames still waits for registration: %+v", w)
	}
	h.mu.Lock()
	h.devs["Q1"] = Device{MN: "Q1", Password: "pw", Point: "P", Mode: hj212.Mode{Allow: hj212.QuirkLowercaseCRC}}
	h.mu.Unlock()
	d.send(raw)
	if got := d.read(5 * time.Second); !strings.Contains(string(got), "CN=9014") {
		t.Fatalf("registered with lowercase-crc allowed, the frame is acknowledged; got %q", got)
	}
	st := h.storedMessages()
	last := st[len(st)-1]
	if st[0].Verdict != hj212.CodeCRC || last.Verdict != VerdictOK || !strings.Contains(last.Detail, "lowercase-crc") ||
		last.Mode.Allow != hj212.QuirkLowercaseCRC {
		t.Fatalf("stored %+v", st)
	}
	// A strict device on the same connection does not inherit Q1's
	// tolerance: its lower-case CRC is refused.
	h.register("S1", "pw")
	var strictRaw []byte
	for i := 0; strictRaw == nil; i++ {
		b := upload(fmt.Sprintf("202001010000001%02d", i), "2011", "pw", "S1", "20200101000000")
		n := len(b)
		l := []byte(strings.ToLower(string(b[n-6 : n-2])))
		if string(l) != string(b[n-6:n-2]) {
			copy(b[n-6:n-2], l)
			strictRaw = b
		}
	}
	d.send(strictRaw)
	if got := d.read(300 * time.Millisecond); got != nil {
		t.Fatalf("a strict device's lower-case CRC was acknowledged: %q", got)
	}
	st = h.storedMessages()
	if last := st[len(st)-1]; last.MN != "S1" || last.Verdict != hj212.CodeCRC {
		t.Fatalf("strict device's frame stored as %+v", last)
	}
}

func TestTimeCalibrationRequest(t *testing.T) {
	h := newHarness(t, nil)
	h.register("MN1", "pw")
	d := h.dial()
	got := make(chan *hj212.Frame, 16)
	fakeDevice(t, d, hj212.QnRtnReady, hj212.ExeRtnOK, got)
	// Appendix C: the device asks for calibration with 1013 (a
	// notification); the platform answers 9013, then sets the time (1012).
	d.send(frame("QN=20200101000000001;ST=31;CN=1013;PW=pw;MN=MN1;Flag=4;CP=&&&&"))
	var cns []string
	for f := range got {
		cns = append(cns, f.CN)
		if f.CN == "1012" {
			break
		}
	}
	if len(cns) != 2 || cns[0] != "9013" {
		t.Fatalf("frames from the gateway %v, want 9013 then 1012", cns)
	}
}

func TestOnlineOfflineEvents(t *testing.T) {
	h := newHarness(t, nil)
	h.register("MN1", "pw")
	d := h.dial()
	d.send(upload("20200101000000001", "2011", "pw", "MN1", "20200101000000"))
	if d.read(5*time.Second) == nil {
		t.Fatal("no ack")
	}
	d.c.Close()
	eventually(t, "offline event", func() bool {
		k := h.eventKinds("MN1")
		return len(k) == 2 && k[0] == EventOnline && k[1] == EventOffline
	})
	if p := h.srv.Presence(); len(p) != 1 || p[0].Online || p[0].FramesToday != 1 || p[0].ConnectedSince.IsZero() {
		t.Fatalf("presence after disconnect %+v", p)
	}
}
