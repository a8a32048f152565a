package ingest

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"ecowatch/gateway"
	"ecowatch/hj212"
	"ecowatch/store"
)

// archiveDouble is an Archive over a slice, paging like the store does.
type archiveDouble struct {
	frames  []store.Frame
	written []store.Measurement
	pages   int
}

func (a *archiveDouble) Frames(ctx context.Context, q store.FrameQuery) ([]store.Frame, error) {
	a.pages++
	var out []store.Frame
	for _, f := range a.frames {
		if f.MN == q.MN && f.ID > q.AfterID && len(out) < q.Limit {
			out = append(out, f)
		}
	}
	return out, nil
}

func (a *archiveDouble) WriteMeasurements(ctx context.Context, ms []store.Measurement) error {
	a.written = append(a.written, ms...)
	return nil
}

func TestReplay(t *testing.T) {
	up := func(hour string) []byte {
		return encode(t, &hj212.Frame{QN: "20200101000000000", ST: "22", CN: "2061", PW: "pw", MN: "MN1",
			Flag: 5, HasFlag: true, CP: []hj212.Field{{Name: "DataTime", Value: "20200101" + hour + "0000"},
				{Name: "a21026-Avg", Value: hour, Item: 1}}})
	}
	// A frame with its CRC in lower case: strict decoding refused it
	// (verdict crc); the device is registered with lowercase-crc allowed.
	// Find an hour whose CRC has a hex letter to lower (only 256 CRCs
	// exist, most with one).
	hour, lower := "", []byte(nil)
	for _, h := range []string{"03", "05", "06", "07", "08", "09", "10", "11"} {
		b := up(h)
		n := len(b)
		copy(b[n-6:n-2], bytes.ToLower(b[n-6:n-2]))
		if !bytes.Equal(b, up(h)) {
			hour, lower = h, b
			break
		}
	}
	if lower == nil {
		t.Fatal("no test frame with a letter in its CRC")
	}
	recv := time.Unix(1577811600, 0)
	a := &archiveDouble{frames: []store.Frame{
		{ID: 1, MN: "MN1", Verdict: gateway.VerdictUnregistered, Raw: up("00"), Received: recv},
		{ID: 2, MN: "MN1", Verdict: gateway.VerdictOK, Raw: up("01"), Received: recv},
		{ID: 3, MN: "MN1", Verdict: gateway.VerdictWrongPassword, Raw: up("02"), Received: recv},
		{ID: 4, MN: "MN1", Verdict: hj212.CodeCRC, Raw: lower, Received: recv},
		{ID: 5, MN: "MN2", Verdict: gateway.VerdictUnregistered, Raw: up("04"), Received: recv},
	}}
	got, err := Replay(context.Background(), a, "MN1", "P1", hj212.Mode{Allow: hj212.QuirkLowercaseCRC}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Frames 1 and 4 only: 2 was ingested already, 3 had a wrong password,
	// 5 is another device.
	if got != 2 || len(a.written) != 2 {
		t.Fatalf("replayed %d frames, wrote %+v; want frames 1 and 4", got, a.written)
	}
	if a.written[0].Frame != 1 || a.written[1].Frame != 4 || !a.written[0].Received.Equal(recv) || a.written[0].Point != "P1" {
		t.Fatalf("measurements keep their frame's id and receive time: %+v", a.written)
	}
	if v, _ := a.written[1].Values.Get(store.Avg); fmt.Sprintf("%02.0f", v) != hour {
		t.Fatalf("frame 4's value %v, want %s", v, hour)
	}
}

// refusingArchive refuses, like the SQLite store, a batch holding a time
// before 1970 UTC (store.ErrInvalid) and writes nothing of it.
type refusingArchive struct{ archiveDouble }

func (a *refusingArchive) WriteMeasurements(ctx context.Context, ms []store.Measurement) error {
	for _, m := range ms {
		if m.Time.Unix() < 0 {
			return fmt.Errorf("%w: time %v out of range", store.ErrInvalid, m.Time)
		}
	}
	return a.archiveDouble.WriteMeasurements(ctx, ms)
}

// TestReplaySkipsRefusedFrames: a frame whose values the store refuses (a
// device clock reset to 1970-01-01 00:00 China time) stays archive-only and
// the frames around it are replayed.
func TestReplaySkipsRefusedFrames(t *testing.T) {
	up := func(dataTime, v string) []byte {
		return encode(t, &hj212.Frame{QN: "20200101000000000", ST: "22", CN: "2061", PW: "pw", MN: "MN1",
			Flag: 5, HasFlag: true, CP: []hj212.Field{{Name: "DataTime", Value: dataTime},
				{Name: "a21026-Avg", Value: v, Item: 1}}})
	}
	recv := time.Unix(1577811600, 0)
	a := &refusingArchive{archiveDouble{frames: []store.Frame{
		{ID: 1, MN: "MN1", Verdict: gateway.VerdictUnregistered, Raw: up("20200101000000", "1"), Received: recv},
		{ID: 2, MN: "MN1", Verdict: gateway.VerdictUnregistered, Raw: up("19700101000000", "2"), Received: recv},
		{ID: 3, MN: "MN1", Verdict: gateway.VerdictUnregistered, Raw: up("20200101010000", "3"), Received: recv},
	}}}
	got, err := Replay(context.Background(), a, "MN1", "P1", hj212.Strict, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got != 2 || len(a.written) != 2 || a.written[0].Frame != 1 || a.written[1].Frame != 3 {
		t.Fatalf("replayed %d, wrote %+v; want frames 1 and 3", got, a.written)
	}
}
