package sqlstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"

	"ecowatch/store"
)

// One stored row holds every factor of one point, interval kind and time,
// because a data acquisition unit reports all its factors in one frame:
// one row per frame instead of one per value is what makes 300,000 values
// per second durable on both backends (the measurements: one row
// per value reached at most about 210,000 rows/s on SQLite).
//
// Row format, version 1:
//
//	row   = 0x01 count:uvarint entry*
//	entry = code has:uvarint value* flag frame:varint received:varint
//	code  = 1 b1 b2                          [a-z] and five digits, e.g. a21026:
//	        b0 = 0x80 | letter<<1 | n>>16     letter 0..25, n the five digits
//	      | len:byte(<0x80) bytes             any other code
//	value = uvarint(zigzag(n)<<3 | s)        s in 0..6: the value is n / 10^s
//	      | uvarint(7) float64le             anything else, bit for bit
//	flag  = 0x80 | i                          the i-th of the HJ 212 flags N F M S D C T B
//	      | len:byte(<0x80) bytes             any other flag (or none: 0)
//
// value appears once per bit set in has, in field order. Devices send
// decimals with a few fraction digits (HJ 212-2017 table 7 formats such as
// N.3), so most values take two or three bytes instead of eight; a value
// is written as a decimal only when decoding gives back the same float64
// bit for bit. frame is the difference from the previous entry's frame
// (the first: from 0) and received from the previous entry's receive time
// (the first: from the row's time), so factors of one frame share them for
// two bytes.

const rowVersion = 1

// entry is one factor's values in a row.
type entry struct {
	Factor   string
	Values   store.Values
	Frame    int64
	Received int64 // Unix seconds
}

// errCorrupt is returned for a row that does not decode; it means the
// database was altered outside ecowatch.
var errCorrupt = errors.New("corrupt measurement row")

func appendRow(dst []byte, t int64, es []entry) []byte {
	dst = append(dst, rowVersion)
	dst = binary.AppendUvarint(dst, uint64(len(es)))
	var prevFrame, prevRec int64 = 0, t
	for i := range es {
		e := &es[i]
		dst = appendCode(dst, e.Factor)
		dst = binary.AppendUvarint(dst, uint64(e.Values.Has))
		for f := store.Field(0); f < store.NumFields; f++ {
			if e.Values.Has&(1<<f) != 0 {
				dst = appendValue(dst, e.Values.V[f])
			}
		}
		dst = appendFlag(dst, e.Values.Flag)
		dst = binary.AppendVarint(dst, e.Frame-prevFrame)
		dst = binary.AppendVarint(dst, e.Received-prevRec)
		prevFrame, prevRec = e.Frame, e.Received
	}
	return dst
}

// maxShort is the longest factor code or flag a row holds.
const maxShort = 0x7f

func packedCode(c string) (byte, uint32, bool) {
	if len(c) != 6 || c[0] < 'a' || c[0] > 'z' {
		return 0, 0, false
	}
	n := uint32(0)
	for i := 1; i < 6; i++ {
		if c[i] < '0' || c[i] > '9' {
			return 0, 0, false
		}
		n = n*10 + uint32(c[i]-'0')
	}
	return c[0] - 'a', n, true
}

func appendCode(dst []byte, c string) []byte {
	if l, n, ok := packedCode(c); ok {
		return append(dst, 0x80|l<<1|byte(n>>16), byte(n>>8), byte(n))
	}
	dst = append(dst, byte(len(c)))
	return append(dst, c...)
}

// readCode returns the code's bytes (packed codes are expanded into buf)
// and the bytes it took; k <= 0 means b is malformed.
func readCode(b []byte, buf *[6]byte) ([]byte, int) {
	if len(b) == 0 {
		return nil, -1
	}
	if b[0]&0x80 == 0 {
		n := int(b[0])
		if len(b) < 1+n {
			return nil, -1
		}
		return b[1 : 1+n], 1 + n
	}
	if len(b) < 3 {
		return nil, -1
	}
	l := (b[0] &^ 0x80) >> 1
	n := uint32(b[0]&1)<<16 | uint32(b[1])<<8 | uint32(b[2])
	if l > 25 || n > 99999 {
		return nil, -1
	}
	buf[0] = 'a' + l
	for i := 5; i >= 1; i-- {
		buf[i] = '0' + byte(n%10)
		n /= 10
	}
	return buf[:], 3
}

func appendFlag(dst []byte, f string) []byte {
	if len(f) == 1 {
		for i, k := range flags {
			if k[0] == f[0] {
				return append(dst, 0x80|byte(i))
			}
		}
	}
	dst = append(dst, byte(len(f)))
	return append(dst, f...)
}

func readFlag(b []byte) (string, int) {
	if len(b) == 0 {
		return "", -1
	}
	if b[0]&0x80 != 0 {
		i := int(b[0] &^ 0x80)
		if i >= len(flags) {
			return "", -1
		}
		return flags[i], 1
	}
	n := int(b[0])
	if len(b) < 1+n {
		return "", -1
	}
	if n == 0 {
		return "", 1
	}
	return string(b[1 : 1+n]), 1 + n
}

// rowReader walks a row's entries without allocating until asked.
type rowReader struct {
	b        []byte
	t        int64
	n        uint64
	err      error
	frame    int64
	received int64
	codeBuf  [6]byte
}

func newRowReader(b []byte, t int64) rowReader {
	if len(b) < 2 || b[0] != rowVersion {
		return rowReader{err: errCorrupt}
	}
	n, k := binary.Uvarint(b[1:])
	if k <= 0 {
		return rowReader{err: errCorrupt}
	}
	return rowReader{b: b[1+k:], t: t, n: n, received: t}
}

// next decodes the next entry into e; when want is not empty and the
// entry's factor differs, it skips the entry's values and reports skip.
func (r *rowReader) next(e *entry, want string) (ok, skip bool) {
	if r.err != nil || r.n == 0 {
		return false, false
	}
	r.n--
	b := r.b
	code, k := readCode(b, &r.codeBuf)
	if k <= 0 {
		r.err = errCorrupt
		return false, false
	}
	b = b[k:]
	has, k := binary.Uvarint(b)
	if k <= 0 || has >= 1<<store.NumFields {
		r.err = errCorrupt
		return false, false
	}
	b = b[k:]
	skip = want != "" && string(code) != want
	var vals [store.NumFields]float64
	for i := 0; i < bits.OnesCount64(has); i++ {
		var v float64
		if skip {
			k = skipValue(b)
		} else {
			v, k = readValue(b)
		}
		if k <= 0 {
			r.err = errCorrupt
			return false, false
		}
		vals[i], b = v, b[k:]
	}
	flag, k := readFlag(b)
	if k <= 0 {
		r.err = errCorrupt
		return false, false
	}
	b = b[k:]
	df, k := binary.Varint(b)
	if k <= 0 {
		r.err = errCorrupt
		return false, false
	}
	b = b[k:]
	dr, k := binary.Varint(b)
	if k <= 0 {
		r.err = errCorrupt
		return false, false
	}
	r.b = b[k:]
	r.frame += df
	r.received += dr
	if skip {
		return true, true
	}
	if want != "" {
		e.Factor = want // equal to code: no allocation
	} else {
		e.Factor = string(code)
	}
	e.Values = store.Values{Has: uint16(has), Flag: flag}
	i := 0
	for f := store.Field(0); f < store.NumFields; f++ {
		if has&(1<<f) != 0 {
			e.Values.V[f] = vals[i]
			i++
		}
	}
	e.Frame = r.frame
	e.Received = r.received
	return true, false
}

// decodeRow returns every entry of a row.
func decodeRow(b []byte, t int64) ([]entry, error) {
	r := newRowReader(b, t)
	var es []entry
	for {
		var e entry
		ok, _ := r.next(&e, "")
		if !ok {
			break
		}
		es = append(es, e)
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = errCorrupt
	}
	if r.err != nil {
		return nil, fmt.Errorf("%w at t=%d", r.err, t)
	}
	return es, nil
}

// findFactor returns the entry of one factor in a row, if present.
func findFactor(b []byte, t int64, factor string) (entry, bool, error) {
	m := newFactorMatcher(factor)
	return m.find(b, t)
}

// factorMatcher finds one factor's entry in rows. Reading a day of minute
// data runs it on 1,440 rows, so it compares each entry's code in its
// stored form instead of expanding it, skips the other entries' values
// without converting them and decodes only the entry it returns.
type factorMatcher struct {
	want    string
	packed  [3]byte // want's packed code, when it has one
	canPack bool
}

func newFactorMatcher(factor string) factorMatcher {
	m := factorMatcher{want: factor}
	if p := appendCode(nil, factor); len(p) == 3 && p[0]&0x80 != 0 {
		copy(m.packed[:], p)
		m.canPack = true
	}
	return m
}

// find returns the first entry of m's factor in row b of time t. Like
// decodeRow it reports a malformed entry before the one it finds as
// corrupt; what follows the entry found is not read.
func (m *factorMatcher) find(b []byte, t int64) (entry, bool, error) {
	corrupt := func() (entry, bool, error) { return entry{}, false, fmt.Errorf("%w at t=%d", errCorrupt, t) }
	if len(b) < 2 || b[0] != rowVersion {
		return corrupt()
	}
	n, k := binary.Uvarint(b[1:])
	if k <= 0 {
		return corrupt()
	}
	b = b[1+k:]
	var frame int64
	received := t
	for ; n > 0; n-- {
		if len(b) == 0 {
			return corrupt()
		}
		var match bool
		if c := b[0]; c&0x80 != 0 {
			if len(b) < 3 {
				return corrupt()
			}
			if (c&^0x80)>>1 > 25 || uint32(c&1)<<16|uint32(b[1])<<8|uint32(b[2]) > 99999 {
				return corrupt()
			}
			match = m.canPack && c == m.packed[0] && b[1] == m.packed[1] && b[2] == m.packed[2]
			b = b[3:]
		} else {
			l := int(c)
			if len(b) < 1+l {
				return corrupt()
			}
			match = string(b[1:1+l]) == m.want
			b = b[1+l:]
		}
		has, k := binary.Uvarint(b)
		if k <= 0 || has >= 1<<store.NumFields {
			return corrupt()
		}
		b = b[k:]
		var v store.Values
		if match {
			v.Has = uint16(has)
			for f := store.Field(0); f < store.NumFields; f++ {
				if has&(1<<f) != 0 {
					x, k := readValue(b)
					if k <= 0 {
						return corrupt()
					}
					v.V[f], b = x, b[k:]
				}
			}
			flag, k := readFlag(b)
			if k <= 0 {
				return corrupt()
			}
			v.Flag, b = flag, b[k:]
		} else {
			for i := bits.OnesCount64(has); i > 0; i-- {
				k := skipValue(b)
				if k <= 0 {
					return corrupt()
				}
				b = b[k:]
			}
			k := skipFlag(b)
			if k <= 0 {
				return corrupt()
			}
			b = b[k:]
		}
		df, k := binary.Varint(b)
		if k <= 0 {
			return corrupt()
		}
		b = b[k:]
		dr, k := binary.Varint(b)
		if k <= 0 {
			return corrupt()
		}
		b = b[k:]
		frame += df
		received += dr
		if match {
			return entry{Factor: m.want, Values: v, Frame: frame, Received: received}, true, nil
		}
	}
	return entry{}, false, nil
}

// skipFlag returns the length of the flag at the start of b, like
// readFlag but without making a string of it.
func skipFlag(b []byte) int {
	if len(b) == 0 {
		return -1
	}
	if b[0]&0x80 != 0 {
		if int(b[0]&^0x80) >= len(flags) {
			return -1
		}
		return 1
	}
	if len(b) < 1+int(b[0]) {
		return -1
	}
	return 1 + int(b[0])
}

// wins applies store.Wins to two entries.
func wins(a, b *entry) bool {
	if a.Received != b.Received {
		return a.Received > b.Received
	}
	return a.Frame > b.Frame
}

// mergeEntries merges incoming into existing factor by factor, keeping for
// each factor the copy that wins, and reports whether anything changed.
func mergeEntries(existing, incoming []entry) ([]entry, bool) {
	changed := false
	for _, in := range incoming {
		found := false
		for i := range existing {
			if existing[i].Factor != in.Factor {
				continue
			}
			found = true
			if wins(&in, &existing[i]) {
				existing[i] = in
				changed = true
			}
			break
		}
		if !found {
			existing = append(existing, in)
			changed = true
		}
	}
	return existing, changed
}

var pow10 = [7]float64{1, 10, 100, 1000, 10000, 100000, 1000000}

// appendValue writes x as a short decimal when that is exact, else as its
// eight bytes. It is most of the CPU of packing a batch, so it rounds by
// truncating (one instruction) and correcting, instead of math.Round; the
// check that n / 10^s gives back x bit for bit is what makes it exact.
func appendValue(dst []byte, x float64) []byte {
	if x != 0 || !math.Signbit(x) { // -0 has no decimal form: keep its sign bit
		for s, p := range pow10 {
			y := x * p
			if !(y < 1<<52 && y > -(1<<52)) { // also NaN and ±Inf
				break // larger scales are larger still
			}
			i := int64(y) // toward zero; then round half away from zero, as math.Round
			if d := y - float64(i); d >= 0.5 {
				i++
			} else if d <= -0.5 {
				i--
			}
			if float64(i)/p == x {
				z := uint64(i<<1) ^ uint64(i>>63) // zigzag
				return binary.AppendUvarint(dst, z<<3|uint64(s))
			}
		}
	}
	dst = binary.AppendUvarint(dst, 7)
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(x))
}

// skipValue returns the length of the value at the start of b, like
// readValue but without computing it.
func skipValue(b []byte) int {
	for i := 0; i < len(b) && i < binary.MaxVarintLen64; i++ {
		if b[i] < 0x80 {
			if i == 0 && b[0] == 7 {
				if len(b) < 9 {
					return -1
				}
				return 9
			}
			return i + 1
		}
	}
	return -1
}

// readValue is the inverse of appendValue; k <= 0 means b is malformed.
func readValue(b []byte) (float64, int) {
	var u uint64
	var k int
	switch {
	// Most values take one or two bytes (a day read decodes ~10,000):
	// spare them binary.Uvarint's loop.
	case len(b) > 0 && b[0] < 0x80:
		u, k = uint64(b[0]), 1
	case len(b) > 1 && b[1] < 0x80:
		u, k = uint64(b[0]&0x7f)|uint64(b[1])<<7, 2
	default:
		if u, k = binary.Uvarint(b); k <= 0 {
			return 0, k
		}
	}
	s := u & 7
	if s == 7 {
		if len(b) < k+8 {
			return 0, -1
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(b[k:])), k + 8
	}
	z := u >> 3
	n := int64(z>>1) ^ -int64(z&1)
	return float64(n) / pow10[s], k
}

// flags are the data flags of HJ 212-2017 table 8, in the order the
// packed form numbers them.
var flags = [...]string{"N", "F", "M", "S", "D", "C", "T", "B"}
