package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ecowatch/bus/jetstream"
	"ecowatch/hj212"
	"ecowatch/registry"
	"ecowatch/store"
)

// BenchmarkServeAck measures frames acknowledged per second by the whole
// of `ecowatch serve` with the embedded SQLite store: 200 registered
// devices on loopback, each sending ten-value real-time frames (distinct
// DataTimes, so every frame writes new measurements) and waiting for each
// 9014, as a DAU does. Client and server share this machine's CPUs.
func BenchmarkServeAck(b *testing.B) { benchServe(b) }

// BenchmarkServeAckJetStream is BenchmarkServeAck with the bus on NATS
// JetStream (ECOWATCH_TEST_NATS or 127.0.0.1:4222): a frame is answered
// once the stream holds it, and the store writer follows.
func BenchmarkServeAckJetStream(b *testing.B) {
	u := os.Getenv("ECOWATCH_TEST_NATS")
	if u == "" {
		u = "nats://127.0.0.1:4222"
	}
	id := fmt.Sprintf("bench%d", time.Now().UnixNano())
	probe, err := jetstream.Open(context.Background(), jetstream.Options{URL: u, Prefix: id, Stream: id})
	if err != nil {
		b.Skipf("NATS JetStream at %s unreachable (%v); set ECOWATCH_TEST_NATS", u, err)
	}
	defer func() {
		probe.DeleteStream(context.Background())
		probe.Close()
	}()
	benchServe(b, "--nats", u, "--nats-prefix", id, "--nats-stream", id)
}

func benchServe(b *testing.B, extra ...string) {
	m := &Main{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	m.Settings.flags(fs)
	if err := fs.Parse(append([]string{"--data-dir", b.TempDir(), "--gateway-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--clock-drift", "-1s", "--backfill=false", "--max-frame-rate", "-1", "--log-level", "error"}, extra...)); err != nil {
		b.Fatal(err)
	}
	m.Logger, _ = newLogger(devNull{}, "error")
	if err := m.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	const devices = 200
	ctx := context.Background()
	seedPoint(b, m.Store, "BP0000")
	for i := range devices {
		p := fmt.Sprintf("BP%04d", i)
		if err := m.Store.UpsertPoint(ctx, registry.Point{Code: p, Name: "p", Kind: registry.KindAirStation, RegionCode: "430100"}); err != nil {
			b.Fatal(err)
		}
		if err := m.Store.UpsertDevice(ctx, registry.Device{MN: fmt.Sprintf("BM%04d", i), Password: "pw",
			ProtocolVersion: "HJ212-2017", PointCode: p, State: registry.DeviceActive}); err != nil {
			b.Fatal(err)
		}
	}
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, store.CST)
	var left atomic.Int64
	left.Store(int64(b.N))
	var seq atomic.Int64
	b.ReportAllocs()
	var wg sync.WaitGroup
	start := time.Now()
	b.ResetTimer()
	for i := range devices {
		c, err := net.Dial("tcp", m.GatewayAddr)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := hj212.NewScanner(c)
			mn := fmt.Sprintf("BM%04d", i)
			for left.Add(-1) >= 0 {
				n := seq.Add(1)
				seg := fmt.Sprintf("QN=20200101000000000;ST=22;CN=2011;PW=pw;MN=%s;Flag=5;CP=&&DataTime=%s", mn,
					hj212.FormatTime(base.Add(time.Duration(n)*time.Second)))
				for f := range 10 {
					seg += fmt.Sprintf(";a2102%d-Rtd=%d.5,a2102%d-Flag=N", f, n%100, f)
				}
				seg += "&&"
				c.Write(fmt.Appendf(nil, "##%04d%s%04X\r\n", len(seg), seg, hj212.CRC16([]byte(seg))))
				c.SetReadDeadline(time.Now().Add(30 * time.Second))
				if !sc.Scan() {
					b.Error("no ack")
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "frames/s")
}

type devNull struct{}

func (devNull) Write(p []byte) (int, error) { return len(p), nil }
