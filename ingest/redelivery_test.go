package ingest_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"ecowatch/bus/jetstream"
	"ecowatch/gateway"
	"ecowatch/hj212"
	"ecowatch/ingest"
	"ecowatch/registry"
	"ecowatch/store"
	"ecowatch/store/postgres"
	"ecowatch/store/postgres/pgtest"
	"ecowatch/store/sqlite"
)

func natsOrSkip(t *testing.T) (string, string) {
	url := os.Getenv("ECOWATCH_TEST_NATS")
	if url == "" {
		url = "nats://127.0.0.1:4222"
	}
	var rnd [5]byte
	rand.Read(rnd[:])
	id := hex.EncodeToString(rnd[:])
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	b, err := jetstream.Open(ctx, jetstream.Options{URL: url, Prefix: "probe" + id, Stream: "PROBE" + id})
	if err != nil {
		msg := "NATS JetStream at " + url + " unreachable (" + err.Error() + "); set ECOWATCH_TEST_NATS"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	_ = b.DeleteStream(ctx)
	b.Close()
	return url, id
}

// A worker that commits a batch and dies before JetStream has its
// acknowledgement makes the stream deliver the batch again. Here the sink
// commits and then fails, which JetStream treats the same way (the batch
// comes back); a keyed consumer leaves one copy of each frame in the
// store, on both backends, and an unkeyed one would not (checked too, so
// the test shows the key is what prevents the copy).
func TestKeyedRedeliveryStoresOnce(t *testing.T) {
	url, _ := natsOrSkip(t)
	for _, backend := range []string{"sqlite", "postgres"} {
		for _, keyed := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/keyed=%v", backend, keyed), func(t *testing.T) {
				var st store.Store
				var err error
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				if backend == "sqlite" {
					st, err = sqlite.Open(ctx, t.TempDir())
				} else {
					st, err = postgres.Open(ctx, pgtest.SchemaURL(t, "ecowatch_ingest"))
				}
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				redeliveryCase(t, ctx, url, st, keyed)
			})
		}
	}
}

func redeliveryCase(t *testing.T, ctx context.Context, url string, st store.Store, keyed bool) {
	for _, r := range []registry.Region{{Code: "430000", Name: "湖南省"}, {Code: "430100", Name: "长沙市"}} {
		if err := st.UpsertRegion(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.UpsertPoint(ctx, registry.Point{Code: "P1", Name: "p", Kind: registry.KindAirStation, RegionCode: "430100"}); err != nil {
		t.Fatal(err)
	}
	var rnd [5]byte
	rand.Read(rnd[:])
	id := hex.EncodeToString(rnd[:])
	b, err := jetstream.Open(ctx, jetstream.Options{URL: url, Prefix: "redeliver" + id, Stream: "REDELIVER" + id,
		FetchWait: 20 * time.Millisecond, RetryBackoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = b.DeleteStream(context.Background())
		b.Close()
	}()
	var calls atomic.Int32
	sink := ingest.StoreSink(st)
	c := &ingest.Consumer{Keyed: keyed, Location: store.CST, Sink: ingest.SinkFunc(func(ctx context.Context, recs []ingest.Record) error {
		if err := sink.Write(ctx, recs); err != nil {
			return err
		}
		if calls.Add(1) == 1 {
			return errors.New("died after the commit, before the acknowledgement")
		}
		return nil
	})}
	if err := c.Start(ctx, b); err != nil {
		t.Fatal(err)
	}
	var g gatewayIDs
	const frames = 5
	for i := range frames {
		seg := fmt.Sprintf("QN=2020010100000000%d;ST=22;CN=2061;PW=pw;MN=M1;Flag=5;CP=&&DataTime=202001010%d0000;a21026-Avg=%d,a21026-Flag=N&&", i, i, i)
		raw := fmt.Appendf(nil, "##%04d%s%04X\r\n", len(seg), seg, hj212.CRC16([]byte(seg)))
		m := gateway.Message{Received: time.Now(), MN: "M1", CN: "2061", QN: fmt.Sprint(i), Point: "P1",
			Verdict: gateway.VerdictOK, Raw: raw, ID: g.next()}
		if err := b.Publish(ctx, gateway.FrameSubject("2061", "M1"), m.AppendBinary(nil)); err != nil {
			t.Fatal(err)
		}
	}
	for calls.Load() < 2 {
		select {
		case <-ctx.Done():
			t.Fatalf("the batch was not delivered again (%d handler calls)", calls.Load())
		case <-time.After(20 * time.Millisecond):
		}
	}
	// Let any later delivery finish before counting.
	time.Sleep(200 * time.Millisecond)
	fs, err := st.Frames(ctx, store.FrameQuery{MN: "M1"})
	if err != nil {
		t.Fatal(err)
	}
	if keyed && len(fs) != frames {
		t.Fatalf("keyed: %d frames stored after a redelivery, want %d", len(fs), frames)
	}
	if !keyed && len(fs) <= frames {
		t.Fatalf("unkeyed: %d frames stored; the redelivery should have stored copies, else this test shows nothing", len(fs))
	}
	ms, err := st.Measurements(ctx, store.MeasurementQuery{Point: "P1", Factor: "a21026", Kind: store.Hour,
		From: time.Date(2020, 1, 1, 0, 0, 0, 0, store.CST), To: time.Date(2020, 1, 2, 0, 0, 0, 0, store.CST)})
	if err != nil || len(ms) != frames {
		t.Fatalf("measurements %d, %v; want %d", len(ms), err, frames)
	}
}

// gatewayIDs stands in for the gateway's message ids.
type gatewayIDs struct{ n int }

func (g *gatewayIDs) next() string { g.n++; return fmt.Sprintf("test-%d", g.n) }
