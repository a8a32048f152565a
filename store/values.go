package store

import "math/bits"

// Field is one value field of an HJ 212 data segment (HJ 212-2017 table 7
// and 6.3.3): the real-time value, the interval's average, minimum,
// maximum and cumulative amount, and their O2-converted (折算, Zs)
// variants.
type Field uint8

// The value fields, in the order they are packed.
const (
	Rtd Field = iota
	Avg
	Min
	Max
	Cou
	ZsRtd
	ZsAvg
	ZsMin
	ZsMax
	NumFields // the number of fields, not a field
)

var fieldNames = [NumFields]string{"Rtd", "Avg", "Min", "Max", "Cou", "ZsRtd", "ZsAvg", "ZsMin", "ZsMax"}

// String returns the field's name as HJ 212 writes it after the factor
// code and a dash, e.g. "Avg" in a21026-Avg.
func (f Field) String() string {
	if f < NumFields {
		return fieldNames[f]
	}
	return "Field(?)"
}

// ParseField is the inverse of String.
func ParseField(s string) (Field, bool) {
	for i, n := range fieldNames {
		if n == s {
			return Field(i), true
		}
	}
	return 0, false
}

// Values holds the fields present for one factor in one interval and its
// data flag (HJ 212-2017 table 8: N, F, M, S, D, C, T, B). A Values is
// small and copied by value; Has has bit f set when V[f] is present.
type Values struct {
	Has  uint16
	V    [NumFields]float64
	Flag string
}

// With returns v with field f set to x.
func (v Values) With(f Field, x float64) Values {
	v.Has |= 1 << f
	v.V[f] = x
	return v
}

// Get returns field f and whether it is present.
func (v Values) Get(f Field) (float64, bool) {
	if f >= NumFields || v.Has&(1<<f) == 0 {
		return 0, false
	}
	return v.V[f], true
}

// Len is the number of fields present.
func (v Values) Len() int { return bits.OnesCount16(v.Has) }

// Equal reports whether v and w hold the same fields, values and flag.
func (v Values) Equal(w Values) bool {
	if v.Has != w.Has || v.Flag != w.Flag {
		return false
	}
	for f := Field(0); f < NumFields; f++ {
		if v.Has&(1<<f) != 0 && v.V[f] != w.V[f] {
			return false
		}
	}
	return true
}
