package gateway

import (
	"io"
	"net"
	"testing"
	"time"

	"ecowatch/hj212"
)

// FuzzConnection feeds arbitrary bytes to a gateway connection over
// loopback TCP and checks that the
// gateway neither panics nor hangs, and that everything it writes back is
// a frame that decodes strictly: it never answers garbage with garbage.
func FuzzConnection(f *testing.F) {
	f.Add(upload("20200101000000001", "2011", "pw", "MN1", "20200101000000"))
	f.Add(upload("20200101000000001", "2061", "pw", "NEW", "20200101000000"))
	f.Add(upload("20200101000000001", "2011", "bad", "MN1", "20200101000000"))
	f.Add(frame("QN=20200101000000001;ST=31;CN=2061;PW=pw;MN=MN1;Flag=7;PNUM=2;PNO=1;CP=&&DataTime=20200101000000;a21026-Avg=1.5&&"))
	f.Add(frame("QN=20200101000000001;ST=31;CN=1013;PW=pw;MN=MN1;Flag=4;CP=&&&&"))
	f.Add(frame("QN=20200101000000001;ST=91;CN=9011;PW=pw;MN=MN1;Flag=4;CP=&&QnRtn=1&&"))
	f.Add([]byte("##0026QN=1;ST=22;CN=2011;CP=&&&&53c0\r\n##garbage##9999"))
	f.Add([]byte("\r\n\r\n##"))
	h := newHarness(f, func(c *Config) {
		c.Limits.MaxFrame = 2048
		c.Limits.FrameRate = -1
	})
	h.register("MN1", "pw")
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 1<<16 {
			in = in[:1<<16] // keep each run short; longer input only repeats
		}
		c, err := net.Dial("tcp", h.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		replies := make(chan []byte, 1)
		go func() {
			b, _ := io.ReadAll(c)
			replies <- b
		}()
		c.Write(in)
		// End of input: the gateway answers what it has, sees EOF and
		// closes, which ends ReadAll.
		c.(*net.TCPConn).CloseWrite()
		var out []byte
		select {
		case out = <-replies:
		case <-time.After(15 * time.Second):
			t.Fatal("gateway hung on this input")
		}
		sc := hj212.NewScanner(bytesReader(out))
		for sc.Scan() {
			if _, err := hj212.Decode(sc.Bytes(), hj212.Strict); err != nil {
				t.Fatalf("gateway wrote a bad frame %q: %v", sc.Bytes(), err)
			}
		}
		h.mu.Lock()
		h.stored = h.stored[:0]
		h.events = h.events[:0]
		h.mu.Unlock()
	})
}

type byteReader struct{ b []byte }

func bytesReader(b []byte) *byteReader { return &byteReader{b} }

func (r *byteReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}
