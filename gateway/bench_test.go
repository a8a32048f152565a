package gateway

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ecowatch/hj212"
)

// tenValues is a 2011 upload with ten factors, the frame size of the
// issue's speed target.
func tenValues(qn, mn string) []byte {
	seg := "QN=" + qn + ";ST=31;CN=2011;PW=pw;MN=" + mn + ";Flag=5;CP=&&DataTime=20200101000000"
	for i := range 10 {
		seg += fmt.Sprintf(";a2102%d-Rtd=%d.25,a2102%d-Flag=N", i, 10+i, i)
	}
	seg += "&&"
	return []byte(fmt.Sprintf("##%04d%s%04X\r\n", len(seg), seg, hj212.CRC16([]byte(seg))))
}

// BenchmarkAck measures frames acknowledged per second through real
// loopback sockets, the in-process bus and a consumer that commits
// instantly: the gateway's own ceiling, without a store. Each of 64
// devices sends a frame and waits for its 9014, like a real DAU.
func BenchmarkAck(b *testing.B) {
	h := newHarness(b, func(c *Config) { c.Limits.FrameRate = -1 })
	const conns = 64
	for i := range conns {
		h.register(fmt.Sprintf("B%04d", i), "pw")
	}
	h.mu.Lock()
	h.stored = nil
	h.mu.Unlock()
	frame := tenValues("20200101000000000", "B0000")
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	var left atomic.Int64
	left.Store(int64(b.N))
	var wg sync.WaitGroup
	start := time.Now()
	b.ResetTimer()
	for i := range conns {
		d := h.dial()
		raw := tenValues("20200101000000000", fmt.Sprintf("B%04d", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				d.c.Write(raw)
				d.c.SetReadDeadline(time.Now().Add(10 * time.Second))
				if !d.sc.Scan() {
					b.Error("no ack")
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "frames/s")
	// Keep the recording consumer from growing across runs.
	h.mu.Lock()
	h.stored = nil
	h.mu.Unlock()
}
