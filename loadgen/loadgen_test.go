package loadgen

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ecowatch/hj212"
)

// ackServer is a fake gateway: it strictly decodes each frame and answers
// with hj212.ReplyFor, or with reply when it is set.
func ackServer(t testing.TB, reply []byte) (string, *int64) {
	return ackServerSeeing(t, reply, nil)
}

// ackServerSeeing is ackServer calling seen with every frame it decodes.
func ackServerSeeing(t testing.TB, reply []byte, seen func(*hj212.Frame)) (string, *int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var bad int64
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				sc := hj212.NewScanner(c)
				for sc.Scan() {
					f, err := hj212.Decode(sc.Bytes(), hj212.Strict)
					if err != nil {
						bad++
						return
					}
					if seen != nil {
						seen(f)
					}
					out := reply
					if out == nil {
						r, ok := hj212.ReplyFor(f)
						if !ok {
							return
						}
						out, _ = hj212.Encode(r)
					}
					if _, err := c.Write(out); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), &bad
}

// TestRunAgainstFakeServer: every frame decodes strictly and is acked, the
// counts agree (acked ≤ sent ≤ acked + one in flight per connection) and
// the latency quantiles are ordered and below the run's length.
func TestRunAgainstFakeServer(t *testing.T) {
	// A window of one runs on one goroutine per connection, larger ones
	// on a reader and a writer: both are checked.
	for _, window := range []int{1, 4} {
		addr, bad := ackServer(t, nil)
		res, err := Run(context.Background(), Config{Addr: addr, Conns: 20, Window: window, Duration: 700 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if *bad != 0 {
			t.Errorf("window %d: server refused %d frames", window, *bad)
		}
		if res.Acked < 100 || res.Acked > res.Sent || res.Sent > res.Acked+int64(20*window) {
			t.Errorf("window %d: sent %d acked %d: want many, acked ≤ sent ≤ acked+%d", window, res.Sent, res.Acked, 20*window)
		}
		if res.Latency.Count() != res.Acked {
			t.Errorf("window %d: latency samples %d, acked %d", window, res.Latency.Count(), res.Acked)
		}
		p50, p99, p999 := res.Latency.Quantile(0.5), res.Latency.Quantile(0.99), res.Latency.Quantile(0.999)
		if !(p50 <= p99 && p99 <= p999 && p999 <= res.Latency.Max() && res.Latency.Max() < time.Second) {
			t.Errorf("window %d: p50 %v p99 %v p99.9 %v max %v: want ordered and < 1 s", window, p50, p99, p999, res.Latency.Max())
		}
		if len(res.Errors) != 0 || res.Connected != 20 {
			t.Errorf("window %d: errors %v, connected %d; want none and 20", window, res.Errors, res.Connected)
		}
	}
}

// TestRateAndMaxFrames: a 200 frames/s offer over 0.5 s sends about 100,
// and MaxFrames stops the run early.
func TestRateAndMaxFrames(t *testing.T) {
	addr, _ := ackServer(t, nil)
	res, err := Run(context.Background(), Config{Addr: addr, Conns: 4, Duration: 500 * time.Millisecond, Rate: 200})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent < 60 || res.Sent > 110 {
		t.Errorf("sent %d at 200/s for 0.5 s, want about 100", res.Sent)
	}
	res, err = Run(context.Background(), Config{Addr: addr, Conns: 2, Duration: 5 * time.Second, MaxFrames: 50})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent < 50 || res.Sent > 52 || res.Elapsed > 4*time.Second {
		t.Errorf("MaxFrames 50: sent %d in %v", res.Sent, res.Elapsed)
	}
}

// TestErrorKinds: nobody listening is "connect refused"; a 9011 instead of
// 9014 is "bad reply"; a server that never answers gives "timeout".
func TestErrorKinds(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	res, err := Run(context.Background(), Config{Addr: dead, Conns: 2, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors[ErrRefused] == 0 || res.Sent != 0 {
		t.Errorf("dead port: errors %v sent %d", res.Errors, res.Sent)
	}
	wrong, err := hj212.Encode(&hj212.Frame{QN: "20200101000000000", ST: "91", CN: "9011", PW: "1", MN: "1",
		Flag: 4, HasFlag: true, CP: []hj212.Field{{Name: "QnRtn", Value: "1"}}})
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := ackServer(t, wrong)
	res, err = Run(context.Background(), Config{Addr: addr, Conns: 2, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors[ErrBadReply] == 0 || res.Acked != 0 {
		t.Errorf("9011 replies: errors %v acked %d", res.Errors, res.Acked)
	}
	silent, _ := net.Listen("tcp", "127.0.0.1:0")
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	res, err = Run(context.Background(), Config{Addr: silent.Addr().String(), Conns: 1, Duration: 500 * time.Millisecond, AckTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors[ErrTimeout] == 0 {
		t.Errorf("silent server: errors %v, want timeouts", res.Errors)
	}
}

func TestConfigBounds(t *testing.T) {
	for _, c := range []Config{
		{Addr: "10.1.2.3:2120", Conns: 1, Duration: time.Second},
		{Addr: "127.0.0.1:2120", Conns: 0, Duration: time.Second},
		{Addr: "127.0.0.1:2120", Conns: 1, Duration: 2 * time.Hour},
		{Addr: "127.0.0.1:2120", Conns: 1, Duration: time.Second, Values: 1000},
		{Addr: "127.0.0.1", Conns: 1, Duration: time.Second},
	} {
		if _, err := Run(context.Background(), c); err == nil {
			t.Errorf("Run(%+v) accepted", c)
		}
	}
	if err := CheckAddr("10.1.2.3:2120", true); err != nil {
		t.Errorf("explicit test host refused: %v", err)
	}
	if err := CheckAddr("10.1.2.3:2120", false); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("remote address: %v", err)
	}
}

// TestHistogramAgainstSorted: quantiles are within the 1/64 bucket width
// below the exact order statistic of the sorted samples.
func TestHistogramAgainstSorted(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	var xs []int64
	for range 20000 {
		us := int64(rng.ExpFloat64() * 3000)
		xs = append(xs, us)
		h.Record(time.Duration(us) * time.Microsecond)
	}
	slices.Sort(xs)
	for _, q := range []float64{0.5, 0.99, 0.999} {
		rank := int(q*float64(len(xs))+0.999999) - 1
		exact := xs[rank]
		got := h.Quantile(q).Microseconds()
		if got > exact || float64(exact-got) > float64(exact)/64+1 {
			t.Errorf("q%v = %d µs, exact %d µs", q, got, exact)
		}
	}
}

func TestProc(t *testing.T) {
	s, err := ReadProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.RSSBytes <= 0 || s.PeakRSS < s.RSSBytes || s.CPUSeconds < 0 {
		t.Errorf("own process: %+v", s)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pid, err := FindListener(ln.Addr().(*net.TCPAddr).Port)
	if err != nil || pid != os.Getpid() {
		t.Errorf("FindListener = %d, %v; want %d", pid, err, os.Getpid())
	}
	if _, err := RaiseFileLimit(); err != nil {
		t.Errorf("RaiseFileLimit: %v", err)
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	b.ReportAllocs()
	for i := range b.N {
		h.Record(time.Duration(i%100000) * time.Microsecond)
	}
}

// BenchmarkRunLoopback measures the load generator with a fake gateway in
// the same process (both share the CPU, so this is a lower bound on what the
// tool alone can offer); frames/s is b.N over the elapsed time.
func BenchmarkRunLoopback(b *testing.B) {
	addr, _ := ackServer(b, nil)
	b.ReportAllocs()
	b.ResetTimer()
	res, err := Run(context.Background(), Config{Addr: addr, Conns: 64, Window: 4, Duration: time.Minute, MaxFrames: int64(b.N)})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.SentPerSecond(), "frames/s")
}

// TestAckQN: the fast ack reader agrees with hj212.Decode on a 9014 built
// by hj212.DataAnswer, and refuses a bad CRC and another CN.
func TestAckQN(t *testing.T) {
	req := &hj212.Frame{QN: "20200601080000123", ST: "32", CN: "2011", PW: "1", MN: "2", Flag: 5, HasFlag: true}
	ack, err := hj212.Encode(hj212.DataAnswer(req))
	if err != nil {
		t.Fatal(err)
	}
	if qn, ok := ackQN(ack); !ok || string(qn) != req.QN {
		t.Errorf("ackQN = %q, %v; want %s", qn, ok, req.QN)
	}
	bad := append([]byte(nil), ack...)
	bad[len(bad)-3] ^= 1
	if _, ok := ackQN(bad); ok {
		t.Error("bad CRC accepted")
	}
	other, _ := hj212.Encode(hj212.NotificationAnswer(req))
	if _, ok := ackQN(other); ok {
		t.Error("9013 accepted as an ack")
	}
}

func FuzzAckQN(f *testing.F) {
	req := &hj212.Frame{QN: "20200601080000123", ST: "32", CN: "2011", PW: "1", MN: "2", Flag: 5, HasFlag: true}
	ack, _ := hj212.Encode(hj212.DataAnswer(req))
	f.Add(ack)
	f.Add([]byte("##0000\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		qn, ok := ackQN(raw)
		if ok && bytes.IndexByte(qn, ';') >= 0 {
			t.Fatalf("QN %q holds a ';'", qn)
		}
	})
}

// TestFailoverToNextAddr: with two gateways and the first closing every
// connection after a few frames, the connections move to the second and
// keep sending; OnAck sees exactly the acknowledged frames.
func TestFailoverToNextAddr(t *testing.T) {
	good, _ := ackServer(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close() // a gateway that dies at once
		}
	}()
	var mu sync.Mutex
	acks := map[string]int{}
	res, err := Run(context.Background(), Config{Addrs: []string{ln.Addr().String(), good}, Conns: 6,
		Duration: 600 * time.Millisecond, Rate: 600, OnAck: func(mn string, qn []byte) {
			mu.Lock()
			acks[mn+"/"+string(qn)]++
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// The QN is unique per connection up to 1000 frames a second: the
	// rate stays below that.
	if res.Acked < 50 || int64(len(acks)) != res.Acked {
		t.Fatalf("acked %d, OnAck saw %d distinct frames: want many and equal", res.Acked, len(acks))
	}
	mns := map[string]bool{}
	for k, n := range acks {
		if n != 1 {
			t.Fatalf("%s acknowledged %d times", k, n)
		}
		mns[strings.Split(k, "/")[0]] = true
	}
	if len(mns) != 6 {
		t.Fatalf("%d connections got acks, want all 6 after moving to the second address", len(mns))
	}
}

// TestDataTimes: by default every frame of a connection is a new interval
// (DataTime strictly increasing, in the past); with Resend the frames of a
// connection share the current 30-second interval.
func TestDataTimes(t *testing.T) {
	for _, resend := range []bool{false, true} {
		var mu sync.Mutex
		times := map[string][]time.Time{}
		addr, _ := ackServerSeeing(t, nil, func(f *hj212.Frame) {
			dt, err := f.DataTime(hj212.ChinaTime)
			if err != nil {
				t.Errorf("DataTime: %v", err)
				return
			}
			mu.Lock()
			times[f.MN] = append(times[f.MN], dt)
			mu.Unlock()
		})
		start := time.Now()
		res, err := Run(context.Background(), Config{Addr: addr, Conns: 3, Duration: 300 * time.Millisecond, Resend: resend})
		if err != nil || res.Acked < 10 {
			t.Fatalf("resend=%v: acked %d, %v", resend, res.Acked, err)
		}
		mu.Lock()
		for mn, ts := range times {
			distinct := map[time.Time]bool{}
			for i, dt := range ts {
				distinct[dt] = true
				if !resend && (i > 0 && !dt.After(ts[i-1]) || !dt.Before(start.Add(-29*24*time.Hour))) {
					t.Errorf("%s frame %d: DataTime %v after %v: want increasing, 30 days back", mn, i, dt, ts[max(i-1, 0)])
				}
				if resend && (dt.After(time.Now()) || dt.Before(start.Add(-30*time.Second))) {
					t.Errorf("resend %s frame %d: DataTime %v, want the current interval", mn, i, dt)
				}
			}
			if resend && len(distinct) > 2 || !resend && len(distinct) != len(ts) {
				t.Errorf("resend=%v %s: %d distinct DataTimes in %d frames", resend, mn, len(distinct), len(ts))
			}
		}
		mu.Unlock()
	}
}

// readCounter counts the reads that returned data.
type readCounter struct {
	net.Conn
	reads *atomic.Int64
}

func (r readCounter) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	if n > 0 {
		r.reads.Add(1)
	}
	return n, err
}

// TestWindowFramesShareWrites: with a window of 4, frames the window has
// room for go out in one write. The server answers only once it holds four
// frames, so the first four are written before any answer can free the
// window, and arrive in one read; the run as a whole takes fewer reads
// than frames.
func TestWindowFramesShareWrites(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var reads, frames atomic.Int64
	firstRead := make(chan int64, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		sc := hj212.NewScanner(readCounter{c, &reads})
		var out []byte
		for sc.Scan() {
			f, err := hj212.Decode(sc.Bytes(), hj212.Strict)
			if err != nil {
				t.Errorf("bad frame: %v", err)
				return
			}
			if frames.Add(1) == 4 {
				firstRead <- reads.Load()
			}
			r, _ := hj212.ReplyFor(f)
			out, _ = hj212.AppendEncode(out, r)
			if frames.Load()%4 == 0 {
				if _, err := c.Write(out); err != nil {
					return
				}
				out = out[:0]
			}
		}
	}()
	res, err := Run(context.Background(), Config{Addr: ln.Addr().String(), Conns: 1, Window: 4, MaxFrames: 400, Duration: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Acked < 100 {
		t.Fatalf("acked %d of %d", res.Acked, res.Sent)
	}
	select {
	case n := <-firstRead:
		if n != 1 {
			t.Errorf("the first four frames took %d reads, want one write", n)
		}
	default:
		t.Fatal("the server never held four frames")
	}
	if r, f := reads.Load(), frames.Load(); r >= f {
		t.Errorf("%d reads for %d frames: the window's frames were written one by one", r, f)
	}
}
