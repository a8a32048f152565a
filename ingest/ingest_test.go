package ingest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"ecowatch/bus"
	"ecowatch/gateway"
	"ecowatch/hj212"
	"ecowatch/store"
)

// encode builds a frame with hj212.Encode, so the CRC and length are right
// by construction.
func encode(t *testing.T, f *hj212.Frame) []byte {
	t.Helper()
	b, err := hj212.Encode(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMeasurementsHourly(t *testing.T) {
	// An hourly upload shaped like HJ 212-2017 Appendix C.16 (2061 with
	// -Min/-Avg/-Max/-Cou and -Flag per factor).
	f := &hj212.Frame{QN: "20200101010000000", ST: "31", CN: "2061", PW: "123456", MN: "MN1",
		Flag: hj212.MakeFlag(hj212.V2017, false, true), HasFlag: true,
		CP: []hj212.Field{
			{Name: "DataTime", Value: "20200101000000", Item: 0},
			{Name: "a21026-Min", Value: "10.1", Item: 1}, {Name: "a21026-Avg", Value: "12.5", Item: 1},
			{Name: "a21026-Max", Value: "15", Item: 1}, {Name: "a21026-Cou", Value: "3.2", Item: 1},
			{Name: "a21026-Flag", Value: "N", Item: 1},
			{Name: "a19001-Avg", Value: "6.1", Item: 2}, {Name: "a19001-Flag", Value: "M", Item: 2},
		}}
	g, err := hj212.Decode(encode(t, f), hj212.Strict)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := Measurements(g, "P1", hj212.ChinaTime)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 {
		t.Fatalf("got %d measurements, want 2 (one per factor): %+v", len(ms), ms)
	}
	want := time.Date(2020, 1, 1, 0, 0, 0, 0, hj212.ChinaTime)
	so2 := ms[0]
	if so2.Factor != "a21026" || so2.Kind != store.Hour || !so2.Time.Equal(want) || so2.Point != "P1" {
		t.Fatalf("key: %+v", so2)
	}
	for fld, v := range map[store.Field]float64{store.Min: 10.1, store.Avg: 12.5, store.Max: 15, store.Cou: 3.2} {
		if got, ok := so2.Values.Get(fld); !ok || got != v {
			t.Errorf("a21026 %s = %v %v, want %v (from the frame's text)", fld, got, ok, v)
		}
	}
	if so2.Values.Flag != "N" || ms[1].Values.Flag != "M" {
		t.Errorf("flags %q %q, want N M", so2.Values.Flag, ms[1].Values.Flag)
	}
}

func TestMeasurementsLegacyCodesAndBadValues(t *testing.T) {
	// A 2005 real-time frame (no Flag) with legacy codes 011 (COD) and 060
	// (NH3-N); Appendix B maps them to w01018 and w21003.
	f := &hj212.Frame{QN: "20200101010000000", ST: "32", CN: "2011", PW: "123456", MN: "MN1",
		CP: []hj212.Field{
			{Name: "DataTime", Value: "20200101000000", Item: 0},
			{Name: "011-Rtd", Value: "23.1", Item: 1}, {Name: "060-Rtd", Value: "x", Item: 2},
		}}
	g, err := hj212.Decode(encode(t, f), hj212.Tolerant)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := Measurements(g, "P1", hj212.ChinaTime)
	if err == nil || !strings.Contains(err.Error(), "060-Rtd=x") {
		t.Fatalf("want an error naming the bad value, got %v", err)
	}
	if len(ms) != 1 || ms[0].Factor != "w01018" || ms[0].Kind != store.RealTime {
		t.Fatalf("got %+v, want one w01018 real-time measurement", ms)
	}
}

func TestMeasurementsIgnoreNonData(t *testing.T) {
	f := &hj212.Frame{QN: "20200101010000000", ST: "91", CN: "9011", PW: "1", MN: "MN1",
		Flag: 4, HasFlag: true, CP: []hj212.Field{{Name: "QnRtn", Value: "1"}}}
	ms, err := Measurements(f, "P1", hj212.ChinaTime)
	if err != nil || len(ms) != 0 {
		t.Fatalf("a 9011 has no measurements: %v %v", ms, err)
	}
}

func TestHandleWritesOneBatch(t *testing.T) {
	var calls [][]Record
	c := &Consumer{Sink: SinkFunc(func(ctx context.Context, recs []Record) error {
		calls = append(calls, recs)
		return nil
	})}
	okRaw := encode(t, &hj212.Frame{QN: "20200101010000000", ST: "31", CN: "2011", PW: "p", MN: "MN1",
		Flag: 5, HasFlag: true, CP: []hj212.Field{{Name: "DataTime", Value: "20200101000000"},
			{Name: "a21026-Rtd", Value: "1.5", Item: 1}}})
	msgs := []gateway.Message{
		{Received: time.Unix(100, 0), MN: "MN1", CN: "2011", Verdict: gateway.VerdictOK, Point: "P1", Raw: okRaw},
		{Received: time.Unix(101, 0), MN: "MN2", CN: "2011", Verdict: gateway.VerdictUnregistered, Raw: okRaw},
		{Received: time.Unix(102, 0), Verdict: hj212.CodeCRC, Raw: []byte("##garbage")},
	}
	var batch []bus.Msg
	for i := range msgs {
		batch = append(batch, bus.Msg{Subject: "frame.x.y", Data: msgs[i].AppendBinary(nil)})
	}
	batch = append(batch, bus.Msg{Subject: "frame.x.y", Data: []byte("not a message")})
	if err := c.Handle(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || len(calls[0]) != 3 {
		t.Fatalf("want one Write of 3 records (the bad message skipped), got %d calls", len(calls))
	}
	recs := calls[0]
	if len(recs[0].Measurements) != 1 || len(recs[1].Measurements) != 0 || len(recs[2].Measurements) != 0 {
		t.Fatalf("only the accepted frame of a registered point gets measurements: %+v", recs)
	}
	if recs[2].Frame.Verdict != "crc" || string(recs[2].Frame.Raw) != "##garbage" {
		t.Fatalf("bad frame archived as %+v", recs[2].Frame)
	}
	// A failing sink fails the batch, so the bus delivers it again.
	boom := errors.New("disk full")
	c.Sink = SinkFunc(func(context.Context, []Record) error { return boom })
	if err := c.Handle(context.Background(), batch); !errors.Is(err, boom) {
		t.Fatalf("got %v, want the sink's error", err)
	}
}

// A message of a newer format (a gateway upgraded before this worker) is
// not skipped like garbage: its device was acknowledged, so the batch
// fails and stays on the bus for an upgraded worker; the key of an
// accepted message is its gateway id when the consumer is keyed.
func TestHandleKeepsNewerMessagesOnTheBus(t *testing.T) {
	var calls [][]Record
	c := &Consumer{Keyed: true, Sink: SinkFunc(func(ctx context.Context, recs []Record) error {
		calls = append(calls, recs)
		return nil
	})}
	m := gateway.Message{Received: time.Unix(100, 0), MN: "MN1", CN: "2011", Verdict: hj212.CodeCRC, Raw: []byte("##x"), ID: "g-1"}
	cur := m.AppendBinary(nil)
	newer := append([]byte{cur[0] + 1}, cur[1:]...)
	err := c.Handle(context.Background(), []bus.Msg{{Subject: "frame.x.y", Data: cur}, {Subject: "frame.x.y", Data: newer}})
	if !errors.Is(err, gateway.ErrNewerMessage) || len(calls) != 0 {
		t.Fatalf("newer message: %v with %d writes, want ErrNewerMessage and nothing written", err, len(calls))
	}
	if err := c.Handle(context.Background(), []bus.Msg{{Subject: "frame.x.y", Data: cur}}); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0][0].Frame.Key != "g-1" {
		t.Fatalf("writes %+v, want one record keyed g-1", calls)
	}
}

// TestHandleInProcessValue: a message the gateway handed over in process
// (bus.Msg.Value) is taken as is, its decoded frame included, and gives the
// same record as its encoded form.
func TestHandleInProcessValue(t *testing.T) {
	var got []Record
	c := &Consumer{Sink: SinkFunc(func(ctx context.Context, recs []Record) error {
		got = append(got, recs...)
		return nil
	})}
	raw := encode(t, &hj212.Frame{QN: "20200101010000000", ST: "31", CN: "2011", PW: "p", MN: "MN1",
		Flag: 5, HasFlag: true, CP: []hj212.Field{{Name: "DataTime", Value: "20200101000000"},
			{Name: "a21026-Rtd", Value: "1.5", Item: 1}}})
	f, err := hj212.Decode(raw, hj212.Strict)
	if err != nil {
		t.Fatal(err)
	}
	m := gateway.Message{Received: time.Unix(100, 0), MN: "MN1", CN: "2011", Verdict: gateway.VerdictOK, Point: "P1", Raw: raw, Decoded: f}
	enc := m.AppendBinary(nil)
	if err := c.Handle(context.Background(), []bus.Msg{{Subject: "frame.2011.MN1", Data: enc}, {Subject: "frame.2011.MN1", Data: enc, Value: &m}}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(got[0].Measurements) != 1 || len(got[1].Measurements) != 1 {
		t.Fatalf("records %+v", got)
	}
	a, b := got[0], got[1]
	if a.Frame.MN != b.Frame.MN || string(a.Frame.Raw) != string(b.Frame.Raw) || !a.Frame.Received.Equal(b.Frame.Received) ||
		a.Measurements[0].Values != b.Measurements[0].Values || !a.Measurements[0].Time.Equal(b.Measurements[0].Time) {
		t.Fatalf("encoded %+v, in process %+v", a, b)
	}
	// The decoded frame is used, not Raw: a frame decoded with another
	// value shows it.
	g := f.Clone()
	g.CP[1].Value = "2.5"
	m.Decoded = g
	got = nil
	if err := c.Handle(context.Background(), []bus.Msg{{Subject: "frame.2011.MN1", Data: enc, Value: &m}}); err != nil {
		t.Fatal(err)
	}
	if v, _ := got[0].Measurements[0].Values.Get(store.Rtd); v != 2.5 {
		t.Fatalf("value %v: want the decoded frame's 2.5", v)
	}
}
