package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the driver store/postgres uses

	"ecowatch/bus/jetstream"
	"ecowatch/hj212"
	"ecowatch/registry"
	"ecowatch/store"
	"ecowatch/store/postgres/pgtest"
)

// serviceOrSkip skips when a test service is unreachable, saying how to
// enable it, except under CI=true where that is a failure (as the store
// and bus tests do).
func serviceOrSkip(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := what + " unreachable (" + err.Error() + ")"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: this is a failure, not a skip)")
	}
	t.Skip(msg)
}

// TestServeScaledPostgresNATS runs serve in the scaled shape, PostgreSQL as
// the store and NATS JetStream as the bus, through the same device path:
// an acknowledged frame is in the stream, and the store writer brings it
// into PostgreSQL.
func TestServeScaledPostgresNATS(t *testing.T) {
	natsURL := os.Getenv("ECOWATCH_TEST_NATS")
	if natsURL == "" {
		natsURL = "nats://127.0.0.1:4222"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pgURL := pgtest.SchemaURL(t, "ecowatch_serve")
	var rnd [5]byte
	rand.Read(rnd[:])
	id := hex.EncodeToString(rnd[:])

	probe, err := jetstream.Open(ctx, jetstream.Options{URL: natsURL, Prefix: "t" + id, Stream: "T" + id})
	serviceOrSkip(t, "NATS JetStream at "+natsURL+" (set ECOWATCH_TEST_NATS)", err)
	t.Cleanup(func() {
		probe.DeleteStream(context.Background())
		probe.Close()
	})

	m := &Main{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	m.Settings.flags(fs)
	if err := fs.Parse([]string{"--postgres", pgURL, "--nats", natsURL, "--nats-prefix", "t" + id,
		"--nats-stream", "T" + id, "--gateway-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--clock-drift", "-1s"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	seedPoint(t, m.Store, "S1")
	const mn = "SCALED0000001"
	if err := m.Store.UpsertDevice(ctx, registry.Device{MN: mn, Password: "pw", ProtocolVersion: "HJ212-2017",
		PointCode: "S1", State: registry.DeviceActive}); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", m.GatewayAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write(hourly("20200101010000001", "pw", mn, "20200101000000", "21.5"))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	sc := hj212.NewScanner(c)
	if !sc.Scan() {
		t.Fatalf("no acknowledgement: %v", sc.Err())
	}
	if f, err := hj212.Decode(sc.Bytes(), hj212.Strict); err != nil || f.CN != "9014" {
		t.Fatalf("reply %q: %v", sc.Bytes(), err)
	}
	t0 := time.Date(2020, 1, 1, 0, 0, 0, 0, store.CST)
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		ms, err := m.Store.Measurements(ctx, store.MeasurementQuery{Point: "S1", Factor: "a21026", Kind: store.Hour,
			From: t0, To: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 1 {
			if v, _ := ms[0].Values.Get(store.Avg); v != 21.5 {
				t.Fatalf("value %v, want 21.5 from the frame", v)
			}
			return
		}
		if time.Now().After(end) {
			t.Fatal("the acknowledged frame never reached PostgreSQL through JetStream")
		}
	}
}
