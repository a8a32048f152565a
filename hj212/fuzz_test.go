package hj212

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// addSampleSeeds seeds a fuzz target with every public sample, as sent.
func addSampleSeeds(f *testing.F) {
	for _, s := range readSamples(f) {
		f.Add(s.raw)
	}
	f.Add([]byte(appA))
	f.Add([]byte("##0026QN=1;ST=22;CN=2011;CP=&&&&53C0\r\n"))
	f.Add([]byte("##0030ST=32;CN=3020;CP=&&i1-Info=//a;b//&&0000\r\n"))
	f.Add([]byte("##"))
	f.Add([]byte(""))
}

func sameFrame(a, b *Frame) bool {
	x, y := *a, *b
	x.Diagnostics, y.Diagnostics = nil, nil
	if len(x.CP) == 0 {
		x.CP = nil
	}
	if len(y.CP) == 0 {
		y.CP = nil
	}
	return reflect.DeepEqual(x, y)
}

// FuzzDecode: Decode never panics, fails only with a *ParseError whose code
// is one of the documented words and whose offset lies in the frame, and a
// frame strict mode accepts encodes to bytes that decode strictly to the
// same frame.
func FuzzDecode(f *testing.F) {
	addSampleSeeds(f)
	codes := ErrorCodes()
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, m := range []Mode{Strict, Tolerant} {
			fr, err := Decode(raw, m)
			if err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) || !slices.Contains(codes, pe.Code) || pe.Offset < 0 || pe.Offset > len(raw) {
					t.Fatalf("mode %v: error %#v", m.Allow, err)
				}
				if !errors.Is(err, sentinelByCode[pe.Code]) {
					t.Fatalf("error %v does not wrap its sentinel", err)
				}
				continue
			}
			if m == Strict && len(fr.Diagnostics) != 0 {
				t.Fatalf("strict decode with diagnostics %v", fr.Diagnostics)
			}
			b, err := Encode(fr)
			if err != nil {
				if m == Strict {
					t.Fatalf("strictly valid frame does not encode: %v\n%q", err, raw)
				}
				continue
			}
			back, err := Decode(b, m)
			if err != nil {
				t.Fatalf("mode %v: re-encoded frame fails: %v\nin  %q\nout %q", m.Allow, err, raw, b)
			}
			if m == Strict && !sameFrame(fr, back) {
				t.Fatalf("strict round trip changed the frame:\n%+v\n%+v", fr, back)
			}
		}
	})
}

// FuzzEncodeDecode: any frame Encode accepts decodes (tolerantly, since
// fuzzed codes are rarely real ones) back to the same header and CP.
func FuzzEncodeDecode(f *testing.F) {
	f.Add("20160801085857223", "32", "1062", "100000", "010000A8900016F000169DC0", byte(5), "RtdInterval\x1f30")
	f.Add("", "31", "2011", "123456", "MN", byte(7), "DataTime\x1f20200101000000\x1fa21026-Rtd\x1f1.5\x1fa21026-Flag\x1fN")
	f.Add("1", "91", "3020", "p", "m", byte(4), "i11001-Info\x1f//清洗;管路,\r\n//")
	f.Fuzz(func(t *testing.T, qn, st, cn, pw, mn string, flag byte, cp string) {
		fr := &Frame{QN: qn, ST: st, CN: cn, PW: pw, MN: mn, Flag: Flag(flag), HasFlag: true}
		if fr.Flag.Split() {
			fr.PNUM, fr.PNO = 2, 1
		}
		if cp != "" {
			parts := strings.Split(cp, "\x1f")
			for i := 0; i+1 < len(parts); i += 2 {
				item := len(fr.CP)
				fl := Field{Name: parts[i], Value: parts[i+1]}
				if item > 0 && fl.Code() != "" && fl.Code() == fr.CP[item-1].Code() {
					item = fr.CP[item-1].Item
				} else if item > 0 {
					item = fr.CP[item-1].Item + 1
				}
				fl.Item = item
				fr.CP = append(fr.CP, fl)
			}
		}
		b, err := Encode(fr)
		if err != nil {
			return
		}
		back, err := Decode(b, Tolerant)
		if err != nil {
			t.Fatalf("encoded frame does not decode: %v\n%q", err, b)
		}
		if !sameFrame(fr, back) {
			t.Fatalf("round trip changed the frame:\n%+v\n%+v\n%q", fr, back, b)
		}
	})
}

// FuzzScanner: a valid frame placed after any garbage, with the stream cut
// into two reads anywhere, always comes out whole; and the scanner never
// panics or stops early on any input.
func FuzzScanner(f *testing.F) {
	f.Add([]byte("xx"), uint16(3))
	f.Add([]byte("##0107"), uint16(0))
	f.Add([]byte("##0101QN=1;"), uint16(50))
	f.Add([]byte("#"), uint16(1))
	f.Add([]byte("##12\n##"), uint16(7))
	valid := []byte(appA)
	f.Fuzz(func(t *testing.T, garbage []byte, cut uint16) {
		stream := append(append(append([]byte(nil), garbage...), valid...), garbage...)
		c := int(cut) % (len(stream) + 1)
		r := &countingReader{chunks: []string{string(stream[:c]), string(stream[c:])}}
		s := NewScanner(r)
		s.SetMaxFrame(4096)
		found, total := false, 0
		for {
			ready, reads := s.Ready(), r.reads
			if !s.Scan() {
				if ready {
					t.Fatal("Ready said a token was buffered, Scan found none")
				}
				break
			}
			if ready && r.reads != reads {
				t.Fatal("Ready said a token was buffered, Scan read")
			}
			total += len(s.Bytes())
			if s.FramingErr() == nil && bytes.Equal(s.Bytes(), valid) {
				found = true
			}
		}
		if s.Err() != nil {
			t.Fatal(s.Err())
		}
		if !found {
			t.Fatalf("valid frame lost after garbage %q (cut %d)", garbage, c)
		}
		if total > len(stream) {
			t.Fatalf("tokens hold %d bytes, stream %d", total, len(stream))
		}
	})
}
