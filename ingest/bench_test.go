package ingest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ecowatch/bus"
	"ecowatch/gateway"
	"ecowatch/hj212"
)

// BenchmarkGroupCommit measures the bus and this consumer with a sink that
// pays one real fsync per Write (an append-only file), as a store that
// writes a batch in one transaction would: 200 publishers, each waiting
// for its frame's commit like a gateway connection waiting to acknowledge.
// It shows what group commit buys over a commit per frame; frames/s and
// the mean batch are reported.
func BenchmarkGroupCommit(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "journal"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var writes, frames atomic.Int64
	sink := SinkFunc(func(ctx context.Context, recs []Record) error {
		var buf []byte
		for i := range recs {
			buf = append(buf, recs[i].Frame.Raw...)
		}
		if _, err := f.Write(buf); err != nil {
			return err
		}
		writes.Add(1)
		frames.Add(int64(len(recs)))
		return f.Sync()
	})
	bu := bus.NewMemory(bus.MemoryOptions{MaxBatch: 2000})
	defer bu.Close()
	c := &Consumer{Sink: sink}
	if err := c.Start(context.Background(), bu); err != nil {
		b.Fatal(err)
	}
	seg := "QN=20200101000000000;ST=22;CN=2011;PW=pw;MN=M1;Flag=5;CP=&&DataTime=20200101000000"
	for i := range 10 {
		seg += fmt.Sprintf(";a2102%d-Rtd=1.5,a2102%d-Flag=N", i, i)
	}
	seg += "&&"
	raw := fmt.Appendf(nil, "##%04d%s%04X\r\n", len(seg), seg, hj212.CRC16([]byte(seg)))
	msg := (&gateway.Message{Received: time.Now(), MN: "M1", CN: "2011", Verdict: gateway.VerdictOK, Point: "P1", Raw: raw}).AppendBinary(nil)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	var left atomic.Int64
	left.Store(int64(b.N))
	var wg sync.WaitGroup
	start := time.Now()
	b.ResetTimer()
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				if err := bu.Publish(context.Background(), "frame.2011.M1", msg); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "frames/s")
	if w := writes.Load(); w > 0 {
		b.ReportMetric(float64(frames.Load())/float64(w), "frames/commit")
	}
}
