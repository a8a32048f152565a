package hj212

import (
	"fmt"
	"testing"
)

// The worked examples of the reference (§1.3), each recomputed there by an
// independent script: example 1 is HJ 212-2017 Appendix A's own frame, whose
// CRC is 1C80 (the sentence under it says 1C08, a typo).
var crcExamples = []struct {
	data         string
	crc, modbus  uint16
	declaredSize int
}{
	{"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&", 0x1C80, 0x0759, 101},
	{"QN=20231008125115215;ST=22;CN=9011;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&QnRtn=1&&", 0xCC01, 0x2473, 94},
	{"ST=32;CN=2011;PW=123456;MN=LD130133000015;CP=&&DataTime=20160824003817000;B01-Rtd=36.91;011-Rtd=231.0,011-Flag=N;060-Rtd=1.803,060-Flag=N&&", 0x4980, 0x264D, 139},
	{"QN=20190925181031464;ST=22;CN=2061;PW=BF470F88957588DE902D1A52;MN=Z13401000010301;Flag=5;CP=&&DataTime=20190924220000;a34006-Avg=2.69700,a34006-Flag=N;a34007-Avg=7.96600,a34007-Flag=N;a34048-Avg=3.30600,a34048-Flag=N;a34047-Avg=7.35700,a34047-Flag=N;a34049-Avg=10.66300,a34049-Flag=N&&", 0xC181, 0x9C9A, 285},
	{"QN=20160801085857223;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&", 0x3240, 0x44BC, 87},
	{"QN=1;ST=22;CN=2011;CP=&&&&", 0x53C0, 0x649C, 26},
	{"", 0xFFFF, 0xFFFF, 0},
}

func TestCRC16Examples(t *testing.T) {
	for i, ex := range crcExamples {
		if len(ex.data) != ex.declaredSize {
			t.Errorf("example %d: length %d, reference says %d", i+1, len(ex.data), ex.declaredSize)
		}
		if got := CRC16([]byte(ex.data)); got != ex.crc {
			t.Errorf("example %d: CRC16 = %04X, reference says %04X", i+1, got, ex.crc)
		}
		if got := CRC16Modbus([]byte(ex.data)); got != ex.modbus {
			t.Errorf("example %d: CRC16Modbus = %04X, reference says %04X", i+1, got, ex.modbus)
		}
	}
}

// bitwiseCRC is Appendix A's algorithm written out step by step, as the
// standard's C listing does it, to check the table-driven version.
func bitwiseCRC(data []byte) uint16 {
	var r uint16 = 0xFFFF
	for _, b := range data {
		r = r>>8 ^ uint16(b)
		for range 8 {
			lsb := r & 1
			r >>= 1
			if lsb == 1 {
				r ^= 0xA001
			}
		}
	}
	return r
}

func TestCRC16MatchesBitwise(t *testing.T) {
	data := make([]byte, 0, 512)
	for i := range 512 {
		data = append(data, byte(i*131+7))
		if got, want := CRC16(data), bitwiseCRC(data); got != want {
			t.Fatalf("len %d: table %04X, bitwise %04X", len(data), got, want)
		}
	}
}

// The reference observed that only 256 CRC values are possible and the low
// byte is always one of eight values; a property of the algorithm, checked
// over a deterministic spread of inputs.
func TestCRC16LowByteSet(t *testing.T) {
	allowed := map[uint16]bool{0x00: true, 0x01: true, 0x40: true, 0x41: true, 0x80: true, 0x81: true, 0xC0: true, 0xC1: true}
	seen := map[uint16]bool{}
	for i := range 20000 {
		c := CRC16(fmt.Appendf(nil, "QN=%d;x=%d", i*7919, i))
		if !allowed[c&0xFF] {
			t.Fatalf("low byte %02X not in the reference's set", c&0xFF)
		}
		seen[c] = true
	}
	if len(seen) > 256 {
		t.Errorf("%d distinct CRCs, the algorithm allows at most 256", len(seen))
	}
}

func TestAppendCRC(t *testing.T) {
	if got := string(AppendCRC(nil, 0x1C80)); got != "1C80" {
		t.Errorf("AppendCRC = %q, want 1C80 (Appendix A)", got)
	}
	if got := string(AppendCRC([]byte("x"), 0x0a0b)); got != "x0A0B" {
		t.Errorf("AppendCRC = %q, want x0A0B (upper case, high byte first)", got)
	}
}
