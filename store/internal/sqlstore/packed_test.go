package sqlstore

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"ecowatch/store"
)

func TestRowRoundTrip(t *testing.T) {
	const t0 = 1577808000 // 2020-01-01 00:00 CST
	es := []entry{
		{Factor: "a21026", Values: store.Values{Flag: "N"}.With(store.Avg, 12.5).With(store.ZsMax, math.Copysign(0, -1)).With(store.Cou, math.MaxFloat64), Frame: 1 << 40, Received: t0 + 61},
		{Factor: "a01012", Values: store.Values{}.With(store.Rtd, math.SmallestNonzeroFloat64), Frame: 0, Received: t0 - 3600}, // received before t: a clock skew is kept as is
		{Factor: "w01018", Values: store.Values{Flag: "Md"}, Frame: 7, Received: t0},
		// Codes and flags outside the packed forms: HJ 212-2005 codes, an
		// upper-case letter, a lower-case flag.
		{Factor: "B02", Values: store.Values{Flag: "n"}.With(store.Rtd, 1), Frame: 7, Received: t0},
		{Factor: "01", Values: store.Values{Flag: "B"}.With(store.Rtd, 2), Frame: 8, Received: t0 + 1},
		{Factor: "A21026", Values: store.Values{}.With(store.Rtd, 3), Frame: 8, Received: t0 + 1},
		{Factor: "z99999", Values: store.Values{Flag: "T"}.With(store.Rtd, 4), Frame: 9, Received: t0 + 1},
	}
	b := appendRow(nil, t0, es)
	got, err := decodeRow(b, t0)
	if err != nil || len(got) != len(es) {
		t.Fatalf("decode = %+v, %v", got, err)
	}
	for i := range es {
		if got[i].Factor != es[i].Factor || !got[i].Values.Equal(es[i].Values) || got[i].Frame != es[i].Frame || got[i].Received != es[i].Received {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], es[i])
		}
	}
	if math.Signbit(got[0].Values.V[store.ZsMax]) != true {
		t.Error("negative zero lost: values must round-trip bit-exactly")
	}
	e, ok, err := findFactor(b, t0, "w01018")
	if err != nil || !ok || e.Values.Flag != "Md" {
		t.Fatalf("find = %+v %v %v", e, ok, err)
	}
	if _, ok, err := findFactor(b, t0, "a99999"); ok || err != nil {
		t.Fatalf("absent factor found: %v %v", ok, err)
	}
	// A flue-gas factor from the same frame as the previous one takes 3
	// bytes of code, 1 of flag and 2 of frame and receive time.
	one := appendRow(nil, t0, es[:1])
	two := appendRow(nil, t0, []entry{es[0], {Factor: "a21002", Values: es[0].Values, Frame: es[0].Frame, Received: es[0].Received}})
	if d := len(two) - len(one); d != len(one)-2-5 {
		t.Errorf("second entry of the same frame takes %d bytes, the first %d", d, len(one)-2)
	}
	// Every truncation is an error, never a panic or a silent success.
	for n := 0; n < len(b); n++ {
		if _, err := decodeRow(b[:n], t0); err == nil {
			t.Fatalf("truncated to %d bytes decoded", n)
		}
	}
}

func TestMergeEntries(t *testing.T) {
	old := []entry{{Factor: "a", Received: 10, Frame: 1}, {Factor: "b", Received: 10, Frame: 1}}
	got, changed := mergeEntries(append([]entry(nil), old...), []entry{{Factor: "b", Received: 10, Frame: 1}})
	if changed || len(got) != 2 {
		t.Fatalf("exact repeat changed the row: %+v", got)
	}
	got, changed = mergeEntries(append([]entry(nil), old...), []entry{{Factor: "c", Received: 5}, {Factor: "a", Received: 11, Frame: 2}})
	if !changed || len(got) != 3 || got[0].Frame != 2 || got[2].Factor != "c" {
		t.Fatalf("merge = %+v", got)
	}
}

func FuzzDecodeRow(f *testing.F) {
	f.Add(appendRow(nil, 100, []entry{{Factor: "a21026", Values: store.Values{Flag: "N"}.With(store.Avg, 1), Frame: 3, Received: 160}}))
	f.Add([]byte{1, 200})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := decodeRow(b, 100)
		if err != nil {
			return
		}
		// findFactor, which skips other factors without decoding them,
		// finds what a full decode finds.
		for _, e := range es {
			got, ok, err := findFactor(b, 100, e.Factor)
			if err != nil || !ok {
				t.Fatalf("findFactor(%q) = %v, %v", e.Factor, ok, err)
			}
			var first entry
			for _, x := range es {
				if x.Factor == e.Factor {
					first = x
					break
				}
			}
			if got.Frame != first.Frame || got.Received != first.Received || got.Values.Has != first.Values.Has || got.Values.Flag != first.Values.Flag {
				t.Fatalf("findFactor(%q) = %+v, full decode %+v", e.Factor, got, first)
			}
		}
		// Whatever decodes re-encodes to the same bytes (the format has
		// one encoding per content, uvarints aside) or at least decodes
		// back to the same entries.
		again, err := decodeRow(appendRow(nil, 100, es), 100)
		if err != nil || len(again) != len(es) {
			t.Fatalf("re-encoded row does not decode: %v", err)
		}
		for i := range es {
			if again[i].Factor != es[i].Factor || again[i].Frame != es[i].Frame || again[i].Received != es[i].Received || again[i].Values.Has != es[i].Values.Has || again[i].Values.Flag != es[i].Values.Flag {
				t.Fatalf("entry %d changed: %+v vs %+v", i, es[i], again[i])
			}
		}
	})
}

func TestValueEncoding(t *testing.T) {
	// Each value must come back bit for bit; the decimal ones must be
	// short (that is the point of the encoding).
	for _, tc := range []struct {
		x      float64
		maxLen int
	}{
		{0, 1}, {1, 1}, {-1, 1}, {12.125, 3}, {0.001, 2}, {35.6, 2}, {-273.15, 3}, {123456.789, 5},
		{math.Pi, 9}, {1e300, 9}, {math.Inf(1), 9}, {math.Copysign(0, -1), 9}, {0.1 + 0.2, 9}, {1 << 53, 9},
	} {
		b := appendValue(nil, tc.x)
		got, k := readValue(b)
		if skipValue(b) != k {
			t.Errorf("%v: skipValue = %d, readValue took %d", tc.x, skipValue(b), k)
		}
		if k != len(b) || math.Float64bits(got) != math.Float64bits(tc.x) {
			t.Errorf("%v: decoded %v (%d of %d bytes)", tc.x, got, k, len(b))
		}
		if len(b) > tc.maxLen {
			t.Errorf("%v: %d bytes, want at most %d", tc.x, len(b), tc.maxLen)
		}
	}
	nan := appendValue(nil, math.NaN())
	if got, _ := readValue(nan); !math.IsNaN(got) {
		t.Errorf("NaN decoded as %v", got)
	}
}

func FuzzValue(f *testing.F) {
	for _, x := range []float64{0, 1.5, -3.25, math.Pi, 1e-7, 4503599627370495.5} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		b := appendValue(nil, x)
		got, k := readValue(b)
		if skipValue(b) != k || skipValue(b[:len(b)-1]) > 0 {
			t.Fatalf("%v: skipValue disagrees with readValue on %x", x, b)
		}
		if k != len(b) || (math.Float64bits(got) != math.Float64bits(x) && !(math.IsNaN(x) && math.IsNaN(got))) {
			t.Fatalf("%v (%x) decoded as %v (%x)", x, math.Float64bits(x), got, math.Float64bits(got))
		}
	})
}

// TestDecimalsStayShort checks that appendValue's rounding (truncate and
// correct) never turns away a decimal: every n / 10^s (s ≤ 6) is stored in
// its short form.
func TestDecimalsStayShort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200000; i++ {
		s := r.IntN(len(pow10))
		n := r.Int64N(1<<uint(1+r.IntN(46))) - r.Int64N(1<<20)
		x := float64(n) / pow10[s]
		if x == 0 {
			continue
		}
		u, _ := binary.Uvarint(appendValue(nil, x))
		if u&7 == 7 {
			t.Fatalf("%d / 10^%d = %v stored as raw float64", n, s, x)
		}
	}
}

// TestReadValueShortForms compares readValue's one- and two-byte fast
// paths with binary.Uvarint on every one- and two-byte input.
func TestReadValueShortForms(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		for _, b := range [][]byte{{byte(i)}, {byte(i), byte(i >> 8)}} {
			got, k := readValue(b)
			u, n := binary.Uvarint(b)
			if n > 0 && u&7 == 7 {
				n = -1 // a raw float64 needs eight more bytes than these
			}
			if k != n || (n > 0 && got != float64(int64(u>>4)^-int64(u>>3&1))/pow10[u&7]) {
				t.Fatalf("% x: readValue = %v, %d; Uvarint = %d, %d", b, got, k, u, n)
			}
		}
	}
}
