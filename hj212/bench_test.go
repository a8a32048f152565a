package hj212

import (
	"bytes"
	"testing"
)

// typical2011 is a real-time upload of 7 air factors (Rtd and Flag each),
// the guocay sample of the samples file with its CRC in upper case: a 317-
// byte data segment, 329 bytes on the wire.
const typical2011Data = "QN=20191012133710130;ST=22;CN=2011;PW=123456;MN=Y80110010000010;Flag=4;CP=&&DataTime=20191012133710;a21005-Rtd=0.00,a21005-Flag=N;a21004-Rtd=0.00,a21004-Flag=N;a21007-Rtd=0.033,a21007-Flag=N;a21006-Rtd=0.036,a21006-Flag=N;a21001-Rtd=25.40,a21001-Flag=N;a21003-Rtd=101.94,a21003-Flag=N;a21002-Rtd=49.20,a21002-Flag=N&&"

func typical2011(b *testing.B) []byte {
	raw := []byte(mustEncode(b, typical2011Data))
	if _, err := Decode(raw, Strict); err != nil {
		b.Fatal(err)
	}
	return raw
}

// BenchmarkCRC16 is the floor: the checksum alone over the same frame's
// data segment. SetBytes counts the whole frame so MB/s compare directly.
func BenchmarkCRC16(b *testing.B) {
	raw := typical2011(b)
	data := raw[6 : len(raw)-6]
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	var sink uint16
	for b.Loop() {
		sink += CRC16(data)
	}
	_ = sink
}

// crcBytewise is Appendix A's CRC one table look-up per byte (each step
// waits for the previous one), the way most implementations write it.
func crcBytewise(data []byte) uint16 {
	var r uint16 = 0xFFFF
	for _, b := range data {
		r = crcTable[byte(r>>8)^b]
	}
	return r
}

// BenchmarkCRC16Bytewise is the one-byte-at-a-time CRC over the same bytes,
// for comparison with CRC16's eight-byte slicing.
func BenchmarkCRC16Bytewise(b *testing.B) {
	raw := typical2011(b)
	data := raw[6 : len(raw)-6]
	if crcBytewise(data) != CRC16(data) {
		b.Fatal("bytewise and sliced CRC differ")
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	var sink uint16
	for b.Loop() {
		sink += crcBytewise(data)
	}
	_ = sink
}

// BenchmarkDecode is envelope checks, CRC and full parse of one frame into
// a reused Frame.
func BenchmarkDecode(b *testing.B) {
	raw := typical2011(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	var f Frame
	for b.Loop() {
		if err := DecodeInto(&f, raw, Strict); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeFresh decodes into a new Frame each time, as the gateway
// does (each frame goes on to the store writer): CP is sized once.
func BenchmarkDecodeFresh(b *testing.B) {
	raw := typical2011(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(raw, Strict); err != nil {
			b.Fatal(err)
		}
	}
}

// loopReader serves the same stream forever, in reads of up to 4 KiB as a
// TCP connection would.
type loopReader struct {
	data []byte
	off  int
}

func (r *loopReader) Read(p []byte) (int, error) {
	p = p[:min(len(p), 4096)]
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.data[r.off:])
		n += c
		r.off = (r.off + c) % len(r.data)
	}
	return n, nil
}

// BenchmarkScanDecode is the gateway's path per frame: framing on a byte
// stream (frames stuck together and split across reads), CRC and full
// decode. One op is one frame.
func BenchmarkScanDecode(b *testing.B) {
	raw := typical2011(b)
	s := NewScanner(&loopReader{data: bytes.Repeat(raw, 64)})
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	var f Frame
	for b.Loop() {
		if !s.Scan() || s.FramingErr() != nil {
			b.Fatal("scan failed", s.FramingErr())
		}
		if err := DecodeInto(&f, s.Bytes(), Strict); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	f, err := Decode(typical2011(b), Strict)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf, err = AppendEncode(buf[:0], f)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}
