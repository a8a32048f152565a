package sim

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"math"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"ecowatch/hj212"
)

// fakeGateway is a tiny platform: it frames and strictly decodes what
// devices send, acknowledges uploads with hj212.ReplyFor, and records frames.
type fakeGateway struct {
	ln       net.Listener
	mu       sync.Mutex
	frames   []*hj212.Frame
	raw      [][]byte
	bad      []error
	seenQN   map[string]int
	dropOnce bool // drop the first ack of every QN, to force a re-send
	conns    []net.Conn
}

func newFakeGateway(t *testing.T) *fakeGateway {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &fakeGateway{ln: ln, seenQN: map[string]int{}}
	t.Cleanup(func() {
		ln.Close()
		g.mu.Lock()
		for _, c := range g.conns {
			c.Close()
		}
		g.mu.Unlock()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			g.mu.Lock()
			g.conns = append(g.conns, c)
			g.mu.Unlock()
			go g.serve(c)
		}
	}()
	return g
}

func (g *fakeGateway) addr() string { return g.ln.Addr().String() }

func (g *fakeGateway) serve(c net.Conn) {
	sc := hj212.NewScanner(c)
	for sc.Scan() {
		raw := append([]byte(nil), sc.Bytes()...)
		f, err := hj212.Decode(raw, hj212.Strict)
		g.mu.Lock()
		if err != nil {
			g.bad = append(g.bad, err)
			g.mu.Unlock()
			continue
		}
		g.frames = append(g.frames, f)
		g.raw = append(g.raw, raw)
		g.seenQN[f.QN]++
		drop := g.dropOnce && g.seenQN[f.QN] == 1
		g.mu.Unlock()
		if r, ok := hj212.ReplyFor(f); ok && !drop {
			b, err := hj212.Encode(r)
			if err == nil {
				_, _ = c.Write(b)
			}
		}
	}
}

// send writes a platform request on the newest connection.
func (g *fakeGateway) send(t *testing.T, f *hj212.Frame) {
	t.Helper()
	b, err := hj212.Encode(f)
	if err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	c := g.conns[len(g.conns)-1]
	g.mu.Unlock()
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
}

func (g *fakeGateway) snapshot() ([]*hj212.Frame, []error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]*hj212.Frame(nil), g.frames...), append([]error(nil), g.bad...)
}

// waitFor polls until cond holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func field(f *hj212.Frame, name string) (string, bool) {
	for _, x := range f.CP {
		if x.Name == name {
			return x.Value, true
		}
	}
	return "", false
}

func dataTime(t *testing.T, f *hj212.Frame) time.Time {
	t.Helper()
	v, ok := field(f, "DataTime")
	if !ok {
		t.Fatalf("%s frame without DataTime", f.CN)
	}
	tm, err := hj212.ParseTime(v, chinaTime)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func runDevice(t *testing.T, cfg DeviceConfig, addr string) (*Device, context.CancelFunc, chan error) {
	t.Helper()
	d, err := NewDevice(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, addr) }()
	t.Cleanup(func() { cancel(); <-done })
	return d, cancel, done
}

// TestScheduleAndValues runs a flue-gas CEMS for about 65 virtual minutes at
// 3600x and checks the schedule of HJ 212-2017 §6.6 against the profile:
// 2011 every 30 s, 2051 every 10 min and 2061 on the hour, each with the
// DataTime of its interval's start (§6.6.2: minute and hourly data are
// stamped with the interval start), every frame strictly decodable and
// acknowledged, and ZsRtd = Rtd × (21−6)/(21−O2) (HJ 75-2017).
func TestScheduleAndValues(t *testing.T) {
	g := newFakeGateway(t)
	start := time.Date(2020, 6, 1, 8, 58, 0, 0, chinaTime)
	clk := NewClock(start, 3600)
	d, _, _ := runDevice(t, DeviceConfig{MN: "88888880000001", PW: "123456", Profile: FlueGas, Seed: 7, Clock: clk}, g.addr())
	end := time.Date(2020, 6, 1, 10, 3, 0, 0, chinaTime)
	waitFor(t, 15*time.Second, "virtual 10:03", func() bool { return clk.Now().After(end) })
	frames, bad := g.snapshot()
	if len(bad) > 0 {
		t.Fatalf("gateway refused %d frames, first: %v", len(bad), bad[0])
	}
	var hours []time.Time
	byCN := map[string]int{}
	for _, f := range frames {
		byCN[f.CN]++
		dt := dataTime(t, f)
		switch f.CN {
		case "2011":
			if dt.Sub(dt.Truncate(30*time.Second)) != 0 {
				t.Errorf("2011 DataTime %v not on a 30 s boundary", dt)
			}
			rtd, _ := field(f, "a21026-Rtd")
			zs, _ := field(f, "a21026-ZsRtd")
			o2s, _ := field(f, "a19001-Rtd")
			var c, z, o2 float64
			for _, p := range []struct {
				s string
				v *float64
			}{{rtd, &c}, {zs, &z}, {o2s, &o2}} {
				v, err := (hj212.Field{Name: "x", Value: p.s}).Float()
				if err != nil {
					t.Fatalf("2011 value %q: %v", p.s, err)
				}
				*p.v = v
			}
			// Values are rounded to 0.01 before sending; allow for it.
			if want := c * 15 / (21 - o2); math.Abs(z-want) > 0.02+0.01*want {
				t.Errorf("ZsRtd %v, want %v from Rtd %v and O2 %v", z, want, c, o2)
			}
		case "2051":
			if dt.Minute()%10 != 0 || dt.Second() != 0 {
				t.Errorf("2051 DataTime %v not on a 10 min boundary", dt)
			}
		case "2061":
			hours = append(hours, dt)
		}
	}
	want := []time.Time{time.Date(2020, 6, 1, 8, 0, 0, 0, chinaTime), time.Date(2020, 6, 1, 9, 0, 0, 0, chinaTime)}
	if len(hours) < 2 || !hours[0].Equal(want[0]) || !hours[1].Equal(want[1]) {
		t.Errorf("2061 DataTimes %v, want %v first (sent at 09:00 and 10:00)", hours, want)
	}
	// 08:58 to 10:03 holds 130 half-minutes and 6 ten-minute ends; allow
	// for the sender lagging the fast clock at the end.
	if byCN["2011"] < 100 || byCN["2051"] < 5 {
		t.Errorf("frames by CN %v, want about 130 2011 and 6 2051", byCN)
	}
	s := d.Stats()
	if s.Sent.Load() == 0 || s.Acked.Load() < s.Sent.Load()-1 || s.Resent.Load() != 0 {
		t.Errorf("sent %d acked %d resent %d: every frame is acked once", s.Sent.Load(), s.Acked.Load(), s.Resent.Load())
	}
}

// TestSameSeedSameFrames: values are a function of seed, MN and time only.
func TestSameSeedSameFrames(t *testing.T) {
	at := time.Date(2020, 3, 1, 14, 0, 0, 0, chinaTime)
	frame := func(seed int64) []byte {
		d, err := NewDevice(DeviceConfig{MN: "88888880000002", PW: "1", Profile: AirStation, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		b, err := hj212.Encode(d.DataFrame("2061", at, time.Hour, "20200301140000000", true))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if a, b := frame(1), frame(1); !bytes.Equal(a, b) {
		t.Errorf("seed 1 gave two frames:\n%s\n%s", a, b)
	}
	if a, b := frame(1), frame(2); bytes.Equal(a, b) {
		t.Errorf("seeds 1 and 2 gave the same frame %s", a)
	}
}

// TestResendOnMissingAck: the gateway drops each QN's first ack; the device
// re-sends the same frame after OverTime (HJ 212-2017 §6.6 Table 1).
func TestResendOnMissingAck(t *testing.T) {
	g := newFakeGateway(t)
	g.dropOnce = true
	clk := NewClock(time.Date(2020, 6, 1, 8, 0, 10, 0, chinaTime), 60)
	d, _, _ := runDevice(t, DeviceConfig{MN: "88888880000003", PW: "123456", Profile: Wastewater, Seed: 1, Clock: clk,
		OverTime: 50 * time.Millisecond}, g.addr())
	waitFor(t, 10*time.Second, "an acked re-send", func() bool { return d.Stats().Acked.Load() >= 1 })
	frames, _ := g.snapshot()
	if len(frames) < 2 || frames[0].QN != frames[1].QN || frames[0].CN != "2011" {
		t.Fatalf("want the first 2011 twice with one QN, got %d frames", len(frames))
	}
	if d.Stats().Resent.Load() < 1 {
		t.Errorf("Resent = %d, want ≥ 1", d.Stats().Resent.Load())
	}
}

// TestFaults checks each fault on built frames and on the wire.
func TestFaults(t *testing.T) {
	at := time.Date(2020, 6, 1, 10, 5, 0, 0, chinaTime) // in a 2-hour episode's first 20 min
	mk := func(f Faults, k Kind) *Device {
		d, err := NewDevice(DeviceConfig{MN: "88888880000004", PW: "1", Profile: k, Seed: 3, Faults: f})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// Exceedance: SO2 is three times its 35 mg/m³ limit (the profile's).
	f := mk(Faults{Exceed: true}, FlueGas).DataFrame("2011", at, 0, "20200601100500000", true)
	if v, _ := field(f, "a21026-Rtd"); v != "105.00" {
		t.Errorf("exceedance SO2 = %s, want 105.00", v)
	}
	// Maintenance flag on every value.
	f = mk(Faults{DataFlag: "M"}, Wastewater).DataFrame("2051", at, 10*time.Minute, "20200601100500000", true)
	for _, x := range f.CP {
		if x.Suffix() == "Flag" && x.Value != "M" {
			t.Errorf("%s = %s, want M", x.Name, x.Value)
		}
	}
	// Flat line: two instants of one hour give the same values.
	d := mk(Faults{Flat: true}, Wastewater)
	a, _ := hj212.Encode(d.DataFrame("2011", at, 0, "20200601100500000", true))
	b, _ := hj212.Encode(d.DataFrame("2011", at.Add(20*time.Minute), 0, "20200601100500000", true))
	if !bytes.Equal(a[bytes.Index(a, []byte("w01018")):len(a)-6], b[bytes.Index(b, []byte("w01018")):len(b)-6]) {
		t.Errorf("flat-lined values differ:\n%s\n%s", a, b)
	}
	// Legacy: the 2005 code 02 for SO2 and a Flag without version bits.
	f = mk(Faults{Legacy: true}, FlueGas).DataFrame("2011", at, 0, "20200601100500000", true)
	if _, ok := field(f, "02-Rtd"); !ok || f.Flag.Version() != hj212.V2005 {
		t.Errorf("legacy frame: want 02-Rtd and version 2005, got %+v flag %d", f.CP[:3], f.Flag)
	}

	// On the wire: every 2nd frame has a bad CRC, frames are split.
	g := newFakeGateway(t)
	clk := NewClock(time.Date(2020, 6, 1, 8, 59, 0, 0, chinaTime), 1800)
	dev, _, _ := runDevice(t, DeviceConfig{MN: "88888880000005", PW: "123456", Profile: FlueGas, Seed: 1, Clock: clk,
		Faults: Faults{BadCRC: 2, Split: 200}, OverTime: 200 * time.Millisecond}, g.addr())
	waitFor(t, 10*time.Second, "bad CRCs and split parts", func() bool {
		frames, bad := g.snapshot()
		return len(bad) >= 3 && len(frames) >= 6
	})
	frames, bad := g.snapshot()
	for _, err := range bad {
		var pe *hj212.ParseError
		if !errors.As(err, &pe) || pe.Code != hj212.CodeCRC {
			t.Errorf("refused frame: %v, want only CRC errors", err)
		}
	}
	for _, f := range frames {
		if !f.Flag.Split() || f.PNUM < 2 || f.PNO < 1 || f.PNO > f.PNUM {
			t.Errorf("frame %s QN %s: Flag %d PNUM %d PNO %d, want split parts", f.CN, f.QN, f.Flag, f.PNUM, f.PNO)
		}
	}
	_ = dev
}

// TestAnswersRequests: 1012 sets the clock and 2061 uploads the asked hours,
// each between 9011 (QnRtn=1) and 9012 (ExeRtn=1), HJ 212-2017 Appendix C.
func TestAnswersRequests(t *testing.T) {
	g := newFakeGateway(t)
	clk := NewClock(time.Date(2020, 6, 1, 8, 0, 5, 0, chinaTime), 1)
	d, _, _ := runDevice(t, DeviceConfig{MN: "88888880000006", PW: "123456", Profile: Wastewater, Seed: 1, Clock: clk,
		Faults: Faults{Drift: 7 * time.Minute}}, g.addr())
	waitFor(t, 5*time.Second, "a connection", func() bool { g.mu.Lock(); defer g.mu.Unlock(); return len(g.conns) > 0 })
	tg := hj212.Target{QN: "20200601080010000", ST: "32", PW: "123456", MN: "88888880000006", Version: hj212.V2017}
	set := clk.Now()
	g.send(t, hj212.SetTime(tg, set.In(chinaTime)))
	tg.QN = "20200601080011000"
	q, err := hj212.HistoryQuery(tg, "2061", time.Date(2020, 6, 1, 2, 0, 0, 0, chinaTime), time.Date(2020, 6, 1, 5, 0, 0, 0, chinaTime))
	if err != nil {
		t.Fatal(err)
	}
	g.send(t, q)
	count := func(qn, cn string) (n int, last *hj212.Frame) {
		frames, _ := g.snapshot()
		for _, f := range frames {
			if f.QN == qn && f.CN == cn {
				n, last = n+1, f
			}
		}
		return
	}
	waitFor(t, 5*time.Second, "both 9012", func() bool {
		a, _ := count("20200601080010000", "9012")
		b, _ := count("20200601080011000", "9012")
		return a == 1 && b == 1
	})
	for _, qn := range []string{"20200601080010000", "20200601080011000"} {
		n, f := count(qn, "9011")
		if v, _ := field(f, "QnRtn"); n != 1 || v != "1" {
			t.Errorf("QN %s: %d 9011, QnRtn %s; want one with 1", qn, n, v)
		}
		_, f = count(qn, "9012")
		if v, _ := field(f, "ExeRtn"); v != "1" {
			t.Errorf("QN %s: ExeRtn %s, want 1", qn, v)
		}
	}
	frames, _ := g.snapshot()
	var hours []string
	for _, f := range frames {
		if f.QN == "20200601080011000" && f.CN == "2061" {
			v, _ := field(f, "DataTime")
			hours = append(hours, v)
		}
	}
	if got := strings.Join(hours, ","); got != "20200601020000,20200601030000,20200601040000,20200601050000" {
		t.Errorf("history hours %s, want 02:00 to 05:00 inclusive", got)
	}
	// The 7-minute drift is gone: the device clock reads within a second
	// of the platform's.
	if off := d.now().Sub(clk.Now()); off > time.Second || off < -time.Second {
		t.Errorf("device clock off by %v after 1012, want < 1 s", off)
	}
}

func TestParseFaults(t *testing.T) {
	f, err := ParseFaults("exceed,offline=30m,flag=C,badcrc=5,split=300,drift=-2m,legacy,resend,flat")
	if err != nil {
		t.Fatal(err)
	}
	want := Faults{Exceed: true, Offline: 30 * time.Minute, DataFlag: "C", BadCRC: 5, Split: 300, Drift: -2 * time.Minute, Legacy: true, Resend: true, Flat: true}
	if f != want {
		t.Errorf("got %+v, want %+v", f, want)
	}
	for _, bad := range []string{"flag=X", "badcrc=0", "split=5", "offline", "nosuch", "drift=abc"} {
		if _, err := ParseFaults(bad); err == nil {
			t.Errorf("ParseFaults(%q) accepted", bad)
		}
	}
}

// TestRegistryRoundTrip: the spec CSV reads back, and the device table has
// exactly the importer's device columns (importer.columns[Devices]).
func TestRegistryRoundTrip(t *testing.T) {
	specs, err := Pattern(6, "4301", "pw123")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteSpecs(&buf, specs); err != nil {
		t.Fatal(err)
	}
	back, err := ReadSpecs(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 6 || back[5] != specs[5] || len(specs[0].MN) != 14 {
		t.Errorf("round trip: %+v, want %+v", back, specs)
	}
	buf.Reset()
	if err := WriteRegistry(&buf, specs, "devices"); err != nil {
		t.Fatal(err)
	}
	if first := strings.SplitN(buf.String(), "\n", 2)[0]; first != "mn,protocol_version,state,password,quirks,point_code" {
		t.Errorf("device header %q", first)
	}
	buf.Reset()
	if err := WriteRegistry(&buf, specs, "enterprises"); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "\n"); n != 1+4 { // devices 1, 2, 5, 6 are flue gas or wastewater
		t.Errorf("enterprises table has %d lines, want 5:\n%s", n, buf.String())
	}
}

func FuzzParseFaults(f *testing.F) {
	for _, s := range []string{"exceed", "offline=1h,flag=M", "split=200,badcrc=3", "drift=-5m,legacy", ",,="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if fl, err := ParseFaults(s); err == nil && fl.Split != 0 && (fl.Split < 20 || fl.Split > 1024) {
			t.Fatalf("accepted split %d", fl.Split)
		}
	})
}

func FuzzReadSpecs(f *testing.F) {
	f.Add("mn,password,kind\n123,pw,air\n")
	f.Add("mn,password,kind,point_code\n1,2,flue-gas,P1\n\"x\n")
	f.Fuzz(func(t *testing.T, s string) {
		specs, err := ReadSpecs(strings.NewReader(s))
		for _, sp := range specs {
			if err == nil && (sp.MN == "" || len(sp.MN) > 24) {
				t.Fatalf("accepted MN %q", sp.MN)
			}
		}
	})
}

// TestOfflineAndResend: with offline=30m the device stays away for the
// first 30 virtual minutes of each 6 hours (which start at 08:00 China
// time, 00:00 UTC), then connects; with resend each hourly frame comes
// twice, with two QNs and one DataTime.
func TestOfflineAndResend(t *testing.T) {
	g := newFakeGateway(t)
	start := time.Date(2020, 6, 1, 8, 0, 10, 0, chinaTime)
	clk := NewClock(start, 7200)
	d, _, _ := runDevice(t, DeviceConfig{MN: "88888880000007", PW: "123456", Profile: SurfaceWater, Seed: 1, Clock: clk,
		Faults: Faults{Offline: 30 * time.Minute, Resend: true}}, g.addr())
	waitFor(t, 5*time.Second, "a connection", func() bool { g.mu.Lock(); defer g.mu.Unlock(); return len(g.conns) > 0 })
	if at := clk.Now(); at.Before(start.Add(29*time.Minute + 50*time.Second)) {
		t.Errorf("connected at virtual %v, want after the offline period ending 08:30", at)
	}
	waitFor(t, 10*time.Second, "the 12:00 upload and its re-send", func() bool {
		n := 0
		frames, _ := g.snapshot()
		for _, f := range frames {
			if f.CN == "2061" {
				n++
			}
		}
		return n >= 2
	})
	if c := d.Stats().Connects.Load(); c != 1 {
		t.Errorf("connects %d, want 1", c)
	}
	frames, bad := g.snapshot()
	if len(bad) > 0 {
		t.Fatal(bad[0])
	}
	var qns []string
	for _, f := range frames {
		if f.CN != "2061" {
			continue
		}
		// Surface water analyses every 4 hours: the 12:00 upload covers
		// 08:00-12:00 and is stamped 08:00.
		if dt := dataTime(t, f); !dt.Equal(time.Date(2020, 6, 1, 8, 0, 0, 0, chinaTime)) {
			t.Errorf("2061 DataTime %v, want 08:00", dt)
		}
		qns = append(qns, f.QN)
	}
	if len(qns) != 2 || qns[0] == qns[1] {
		t.Errorf("re-sent hourly QNs %v, want two different", qns)
	}
}

// TestRegistryCounties: simulated enterprises and their outlets are
// registered in 长沙's real county-level divisions, in turn; stations
// stay at the city.
func TestRegistryCounties(t *testing.T) {
	specs, err := Pattern(40, "SIM", "pw")
	if err != nil {
		t.Fatal(err)
	}
	changsha := map[string]bool{"430102": true, "430103": true, "430104": true, "430105": true, "430111": true,
		"430112": true, "430121": true, "430181": true, "430182": true}
	read := func(table string) [][]string {
		var buf bytes.Buffer
		if err := WriteRegistry(&buf, specs, table); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs[1:]
	}
	entRegion := map[string]string{}
	used := map[string]bool{}
	for _, r := range read("enterprises") {
		if !changsha[r[2]] {
			t.Errorf("enterprise %s in %s, not a county-level division of 长沙", r[0], r[2])
		}
		entRegion[r[0]] = r[2]
		used[r[2]] = true
	}
	if len(used) != len(changsha) {
		t.Errorf("20 enterprises spread over %d of 长沙's 9 divisions", len(used))
	}
	for _, r := range read("points") { // point_code,name,kind,region_code,enterprise_code,factors
		switch {
		case r[4] != "" && r[3] != entRegion[r[4]]:
			t.Errorf("outlet %s in %s, its enterprise in %s", r[0], r[3], entRegion[r[4]])
		case r[4] == "" && r[3] != "430100":
			t.Errorf("station %s (%s) in %s, want the city 430100", r[0], r[2], r[3])
		}
	}
}
