package alarm

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"ecowatch/bus"
	"ecowatch/gateway"
	"ecowatch/hj212"
	"ecowatch/ingest"
	"ecowatch/store/sqlite"
	"ecowatch/store/storetest"
)

// rawFrame builds an HJ 212-2017 upload with the given CP fields.
func rawFrame(cn, mn string, dt time.Time, cp string) []byte {
	seg := "QN=20200101000000000;ST=31;CN=" + cn + ";PW=123456;MN=" + mn + ";Flag=5;CP=&&DataTime=" + dt.In(hj212.ChinaTime).Format("20060102150405") + ";" + cp + "&&"
	return fmt.Appendf(nil, "##%04d%s%04X\r\n", len(seg), seg, hj212.CRC16([]byte(seg)))
}

func message(cn, verdict string, dt time.Time, cp string) []byte {
	m := gateway.Message{Received: dt, MN: storetest.MN, CN: cn, Verdict: verdict, Point: storetest.Outlet, Raw: rawFrame(cn, storetest.MN, dt, cp)}
	return m.AppendBinary(nil)
}

func TestEngineOnTheBus(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	storetest.Seed(t, st)
	b := bus.NewMemory(bus.MemoryOptions{})
	defer b.Close()
	events := make(chan EventView, 16)
	unsub, _ := b.Subscribe("alarm.>", func(m bus.Msg) {
		var v EventView
		if json.Unmarshal(m.Data, &v) == nil {
			events <- v
		}
	})
	defer unsub()
	now := time.Date(2020, 6, 1, 10, 0, 0, 0, hj212.ChinaTime)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	repo := NewRepo(st.SQL(), clock)
	var notified []string
	var nmu sync.Mutex
	eng := &Engine{Repo: repo, Store: st, Bus: b, Now: clock, Every: 20 * time.Millisecond, Notify: func(_ context.Context, a Alarm, c Change) {
		nmu.Lock()
		notified = append(notified, string(a.Rule)+":"+c.String())
		nmu.Unlock()
	}}
	var wg sync.WaitGroup
	if err := eng.Start(ctx, &wg); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); wg.Wait() }()
	// Three real-time values of SO2 whose O2-converted value (ZsRtd) is
	// over the 35 mg/m³ limit; one flagged value that must not count.
	for i, cp := range []string{"a21026-Rtd=30,a21026-ZsRtd=60,a21026-Flag=N", "a21026-Rtd=300,a21026-ZsRtd=600,a21026-Flag=M",
		"a21026-Rtd=31,a21026-ZsRtd=61,a21026-Flag=N", "a21026-Rtd=32,a21026-ZsRtd=62,a21026-Flag=N"} {
		if err := b.Publish(ctx, gateway.FrameSubject("2011", storetest.MN), message("2011", gateway.VerdictOK, now.Add(time.Duration(i)*30*time.Second), cp)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case v := <-events:
		if v.Rule != Exceedance || v.Point != storetest.Outlet || v.Factor != "a21026" || v.State != StateOpen || v.Region != storetest.County {
			t.Errorf("alarm event %+v", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no alarm event on the bus")
	}
	list, _, err := repo.List(ctx, Query{States: []string{StateOpen}})
	if err != nil || len(list) != 1 || list[0].Value < 60 {
		t.Fatalf("open alarms %+v %v", list, err)
	}
	if want := "a21026 average 61 over limit 35 (3 valid values, 1 flagged excluded)"; list[0].Message != want {
		t.Errorf("message %q, want %q", list[0].Message, want)
	}
	// A wrong password from the gateway: a device alarm.
	ev, _ := json.Marshal(gateway.Event{Kind: gateway.EventWrongPassword, MN: storetest.MN, At: now})
	b.Publish(ctx, gateway.EventSubject(gateway.EventWrongPassword, storetest.MN), ev)
	// Frames failing checks five times: another.
	for range 5 {
		b.Publish(ctx, gateway.FrameSubject("2011", storetest.MN), message("2011", "crc", now, "a21026-Rtd=1"))
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, n, _ := repo.List(ctx, Query{States: []string{StateOpen}})
		if n == 3 {
			break
		}
		if time.Now().After(deadline) {
			all, _, _ := repo.List(ctx, Query{})
			t.Fatalf("%d open alarms, want 3: %+v", n, all)
		}
		time.Sleep(20 * time.Millisecond)
	}
	nmu.Lock()
	if len(notified) != 3 {
		t.Errorf("notified %v", notified)
	}
	nmu.Unlock()
}

// BenchmarkEngineFrame is the engine's work per frame on the bus: decode
// the gateway's message and the HJ 212 frame (ten values, as in the
// gateway's BenchmarkAck), extract readings and evaluate every rule.
// Compare it with the gateway's per-frame cost in the same run:
//
//	go test -run '^$' -bench 'BenchmarkAck$|BenchmarkEngineFrame' -benchmem -cpu 1 ./gateway ./alarm
func BenchmarkEngineFrame(b *testing.B) {
	reg := Registry{Points: map[string]Point{}, Devices: map[string]string{}}
	const points = 1000
	const variants = 7
	msgs := make([][]byte, points*variants)
	t := time.Date(2020, 1, 1, 0, 0, 0, 0, hj212.ChinaTime)
	for i := range points {
		code, mn := fmt.Sprintf("P%04d", i), fmt.Sprintf("B%04d", i)
		reg.Points[code] = Point{Code: code, Kind: "gas_outlet", Region: "430102", Limits: map[string]Limit{
			"a21020": {Value: 100}, "a21021": {Value: 100, RefO2: 6, HasRefO2: true}, "a21022": {Value: 100}}}
		reg.Devices[mn] = code
		for v := range variants {
			cp := ""
			for f := range 10 {
				if f > 0 {
					cp += ";"
				}
				cp += fmt.Sprintf("a2102%d-Rtd=%d.25,a2102%d-Flag=N", f, 10+f+v, f)
			}
			m := gateway.Message{Received: t, MN: mn, CN: "2011", Verdict: gateway.VerdictOK, Point: code, Raw: rawFrame("2011", mn, t, cp)}
			msgs[v*points+i] = m.AppendBinary(nil)
		}
	}
	e := &Engine{ev: NewEvaluator(Settings{}, reg, t), queue: make(chan Transition, 1)}
	batch := []bus.Msg{{}}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for i := range b.N {
		batch[0].Data = msgs[i%len(msgs)]
		e.Handle(context.Background(), batch)
	}
	// CPU time rather than wall time: on a shared machine the wall time
	// per frame includes waiting for a core.
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/frame")
	if d := e.dropped.Load(); d > int64(b.N/100) {
		b.Fatalf("%d transitions for %d frames: the frames should raise none", d, b.N)
	}
}

// BenchmarkEvaluatorFrame is the rules alone on an already decoded frame
// of ten values (the part of BenchmarkEngineFrame that is not decoding).
func BenchmarkEvaluatorFrame(b *testing.B) {
	t := time.Date(2020, 1, 1, 0, 0, 0, 0, hj212.ChinaTime)
	reg := Registry{Points: map[string]Point{"P1": {Code: "P1", Kind: "gas_outlet", Limits: map[string]Limit{"a21020": {Value: 100}, "a21021": {Value: 100, RefO2: 6, HasRefO2: true}}}}}
	e := NewEvaluator(Settings{}, reg, t)
	fs := make([]Frame, 7)
	for v := range fs {
		fs[v] = Frame{MN: "B1", Point: "P1", Kind: RealTime, DataTime: t}
		for f := range 10 {
			fs[v].Readings = append(fs[v].Readings, Reading{Factor: fmt.Sprintf("a2102%d", f), Value: float64(10 + f + v), Flag: 'N'})
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if len(e.Frame(t, &fs[i%7])) != 0 {
			b.Fatal("transition")
		}
	}
}

// processCPU is the process's user and system CPU time in nanoseconds.
func processCPU() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func TestEngineThroughTheStoreWriter(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	storetest.Seed(t, st)
	b := bus.NewMemory(bus.MemoryOptions{})
	defer b.Close()
	now := time.Date(2020, 6, 1, 10, 0, 0, 0, hj212.ChinaTime)
	repo := NewRepo(st.SQL(), func() time.Time { return now })
	eng := &Engine{Repo: repo, Store: st, Bus: b, Now: func() time.Time { return now }, SkipConsume: true}
	var wg sync.WaitGroup
	if err := eng.Start(ctx, &wg); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); wg.Wait() }()
	// The store writer as serve builds it, with the engine's sink around
	// the store's.
	c := &ingest.Consumer{Sink: eng.Sink(ingest.StoreSink(st)), Location: hj212.ChinaTime}
	if err := c.Start(ctx, b); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		cp := fmt.Sprintf("a21026-Rtd=30,a21026-ZsRtd=%d,a21026-Flag=N", 60+i)
		if err := b.Publish(ctx, gateway.FrameSubject("2011", storetest.MN), message("2011", gateway.VerdictOK, now.Add(time.Duration(i)*time.Second), cp)); err != nil {
			t.Fatal(err)
		}
	}
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		list, _, err := repo.List(ctx, Query{Rule: Exceedance})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 1 {
			if list[0].Value != 61 {
				t.Errorf("alarm %+v", list[0])
			}
			return
		}
		if time.Now().After(end) {
			t.Fatal("no alarm through the store writer's sink")
		}
	}
}

// BenchmarkEngineRecords is BenchmarkEngineFrame's work when the engine
// takes the store writer's decoded records (Engine.Sink): no second
// decoding of the frame.
func BenchmarkEngineRecords(b *testing.B) {
	reg := Registry{Points: map[string]Point{}, Devices: map[string]string{}}
	const points, variants = 1000, 7
	recs := make([][]ingest.Record, points*variants)
	t := time.Date(2020, 1, 1, 0, 0, 0, 0, hj212.ChinaTime)
	for i := range points {
		code, mn := fmt.Sprintf("P%04d", i), fmt.Sprintf("B%04d", i)
		reg.Points[code] = Point{Code: code, Kind: "gas_outlet", Region: "430102", Limits: map[string]Limit{
			"a21020": {Value: 100}, "a21021": {Value: 100, RefO2: 6, HasRefO2: true}, "a21022": {Value: 100}}}
		reg.Devices[mn] = code
		for v := range variants {
			cp := ""
			for f := range 10 {
				if f > 0 {
					cp += ";"
				}
				cp += fmt.Sprintf("a2102%d-Rtd=%d.25,a2102%d-Flag=N", f, 10+f+v, f)
			}
			m := gateway.Message{Received: t, MN: mn, CN: "2011", Verdict: gateway.VerdictOK, Point: code, Raw: rawFrame("2011", mn, t, cp)}
			recs[v*points+i] = []ingest.Record{ingest.RecordOf(&m, hj212.ChinaTime)}
		}
	}
	e := &Engine{ev: NewEvaluator(Settings{}, reg, t), queue: make(chan Transition, 1)}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for i := range b.N {
		e.Records(recs[i%len(recs)])
	}
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/frame")
	if d := e.dropped.Load(); d > int64(b.N/100) {
		b.Fatalf("%d transitions for %d frames", d, b.N)
	}
}
