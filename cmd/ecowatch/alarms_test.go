package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"ecowatch/alarm"
	"ecowatch/bus/jetstream"
	"ecowatch/hj212"
	"ecowatch/store"
	"ecowatch/store/postgres"
	"ecowatch/store/postgres/pgtest"
	"ecowatch/store/sqlite"
	"ecowatch/store/storetest"
)

// TestServeRaisesAlarms runs serve with the alarm engine: a device sends
// values over its limit through the gateway, and an exceedance alarm is
// stored within a second.
func TestServeRaisesAlarms(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Seed(t, st)
	st.Close()
	m := &Main{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	m.Settings.flags(fs)
	if err := fs.Parse([]string{"--data-dir", dir, "--gateway-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--clock-drift", "-1s", "--backfill=false", "--alarm-tick", "50ms"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c, err := net.Dial("tcp", m.GatewayAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc := hj212.NewScanner(c)
	now := time.Now().In(store.CST)
	for i := range 3 {
		dt := now.Add(time.Duration(i) * time.Second).Format("20060102150405")
		seg := fmt.Sprintf("QN=%s000;ST=31;CN=2011;PW=123456;MN=%s;Flag=5;CP=&&DataTime=%s;a21026-Rtd=%d,a21026-ZsRtd=%d,a21026-Flag=N&&",
			dt, storetest.MN, dt, 40+i, 70+i)
		c.Write(fmt.Appendf(nil, "##%04d%s%04X\r\n", len(seg), seg, hj212.CRC16([]byte(seg))))
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if !sc.Scan() {
			t.Fatalf("no ack: %v", sc.Err())
		}
	}
	repo := alarm.NewRepo(m.Store.(store.SQLer).SQL(), nil)
	deadline := time.Now().Add(5 * time.Second)
	for {
		list, _, err := repo.List(context.Background(), alarm.Query{Rule: alarm.Exceedance, States: []string{alarm.StateOpen}})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 1 {
			if a := list[0]; a.Point != storetest.Outlet || a.Factor != "a21026" || a.Value < 70 || a.Region != storetest.County {
				t.Errorf("alarm %+v", a)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no exceedance alarm after 5 s: %+v", list)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAlarmCommand(t *testing.T) {
	dir := t.TempDir()
	out, code := serveCLI(t, "alarm", "set", "--data-dir", dir, "--scope", "kind:gas_outlet", "flag-too-long", "for=30s", "severity=high")
	if code != 0 || !strings.Contains(out, "flag-too-long overridden") {
		t.Fatalf("set (%d): %s", code, out)
	}
	out, code = serveCLI(t, "alarm", "settings", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, `override flag-too-long scope "kind:gas_outlet": {"severity":"high","for":"30s"}`) {
		t.Fatalf("settings (%d): %s", code, out)
	}
	if out, code := serveCLI(t, "alarm", "set", "--data-dir", dir, "flat", "count=lots"); code == 0 || !strings.Contains(out, "whole number") {
		t.Errorf("bad count (%d): %s", code, out)
	}
	if out, code := serveCLI(t, "alarm", "set", "--data-dir", dir, "nope", "count=1"); code == 0 || !strings.Contains(out, "unknown") {
		t.Errorf("bad rule (%d): %s", code, out)
	}
	out, code = serveCLI(t, "alarm", "list", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "0 of 0 alarms") {
		t.Errorf("list (%d): %s", code, out)
	}
}

// TestServeScaledAlarms is TestServeRaisesAlarms on PostgreSQL and NATS
// JetStream: the engine is a durable consumer of the stream.
func TestServeScaledAlarms(t *testing.T) {
	natsURL := os.Getenv("ECOWATCH_TEST_NATS")
	if natsURL == "" {
		natsURL = "nats://127.0.0.1:4222"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pgURL := pgtest.SchemaURL(t, "alarm_serve")
	var rnd [5]byte
	rand.Read(rnd[:])
	id := hex.EncodeToString(rnd[:])
	probe, err := jetstream.Open(ctx, jetstream.Options{URL: natsURL, Prefix: "a" + id, Stream: "A" + id})
	serviceOrSkip(t, "NATS JetStream at "+natsURL+" (set ECOWATCH_TEST_NATS)", err)
	t.Cleanup(func() {
		probe.DeleteStream(context.Background())
		probe.Close()
	})
	st, err := postgres.Open(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Seed(t, st)
	st.Close()
	m := &Main{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	m.Settings.flags(fs)
	if err := fs.Parse([]string{"--postgres", pgURL, "--nats", natsURL, "--nats-prefix", "a" + id, "--nats-stream", "A" + id,
		"--gateway-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--clock-drift", "-1s", "--backfill=false"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c, err := net.Dial("tcp", m.GatewayAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc := hj212.NewScanner(c)
	now := time.Now().In(store.CST)
	for i := range 3 {
		dt := now.Add(time.Duration(i) * time.Second).Format("20060102150405")
		seg := fmt.Sprintf("QN=%s000;ST=31;CN=2011;PW=123456;MN=%s;Flag=5;CP=&&DataTime=%s;a21026-Rtd=%d,a21026-ZsRtd=%d,a21026-Flag=N&&",
			dt, storetest.MN, dt, 40+i, 70+i)
		c.Write(fmt.Appendf(nil, "##%04d%s%04X\r\n", len(seg), seg, hj212.CRC16([]byte(seg))))
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if !sc.Scan() {
			t.Fatalf("no ack: %v", sc.Err())
		}
	}
	repo := alarm.NewRepo(m.Store.(store.SQLer).SQL(), nil)
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		list, _, err := repo.List(ctx, alarm.Query{Rule: alarm.Exceedance})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 1 && list[0].Point == storetest.Outlet {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("no exceedance alarm through JetStream: %+v", list)
		}
	}
}

// One worker leads the alarm engine at a time; the next takes over when
// it stops.
func TestAlarmsLeader(t *testing.T) {
	st, err := postgres.Open(context.Background(), pgtest.SchemaURL(t, "alarm_lead"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m := &Main{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	started := make(chan int, 2)
	ctx1, stop1 := context.WithCancel(context.Background())
	ctx2, stop2 := context.WithCancel(context.Background())
	defer stop2()
	done1 := make(chan bool)
	go func() {
		done1 <- alarmsLead(ctx1, m, st.SQL(), func(context.Context) error { started <- 1; return nil })
	}()
	if got := <-started; got != 1 {
		t.Fatal(got)
	}
	if alarmsLead(ctx2, m, st.SQL(), func(context.Context) error { started <- 2; return nil }) {
		t.Fatal("a second worker led while the first holds the lock")
	}
	stop1()
	if !<-done1 {
		t.Error("the first worker did not report its lead")
	}
	go alarmsLead(ctx2, m, st.SQL(), func(context.Context) error { started <- 2; return nil })
	select {
	case got := <-started:
		if got != 2 {
			t.Errorf("leader %d", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the second worker did not take over")
	}
}
