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
//	entry = codeLen:byte code has:uvarint value* flagLen:byte flag
//	        frame:uvarint received:varint
//	value = uvarint(zigzag(n)<<3 | s)        s in 0..6: the value is n / 10^s
//	      | uvarint(7) float64le             anything else, bit for bit
//
// value appears once per bit set in has, in field order. Devices send
// decimals with a few fraction digits (HJ 212-2017 table 7 formats such as
// N.3), so most values take two or three bytes instead of eight; a value
// is written as a decimal only when decoding gives back the same float64
// bit for bit. received is in Unix seconds relative to the row's time.

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
	for i := range es {
		e := &es[i]
		dst = append(dst, byte(len(e.Factor)))
		dst = append(dst, e.Factor...)
		dst = binary.AppendUvarint(dst, uint64(e.Values.Has))
		for f := store.Field(0); f < store.NumFields; f++ {
			if e.Values.Has&(1<<f) != 0 {
				dst = appendValue(dst, e.Values.V[f])
			}
		}
		dst = append(dst, byte(len(e.Values.Flag)))
		dst = append(dst, e.Values.Flag...)
		dst = binary.AppendUvarint(dst, uint64(e.Frame))
		dst = binary.AppendVarint(dst, e.Received-t)
	}
	return dst
}

// rowReader walks a row's entries without allocating until asked.
type rowReader struct {
	b   []byte
	t   int64
	n   uint64
	err error
}

func newRowReader(b []byte, t int64) rowReader {
	if len(b) < 2 || b[0] != rowVersion {
		return rowReader{err: errCorrupt}
	}
	n, k := binary.Uvarint(b[1:])
	if k <= 0 {
		return rowReader{err: errCorrupt}
	}
	return rowReader{b: b[1+k:], t: t, n: n}
}

// next decodes the next entry into e; when want is not empty and the
// entry's factor differs, it skips the entry's values and reports skip.
func (r *rowReader) next(e *entry, want string) (ok, skip bool) {
	if r.err != nil || r.n == 0 {
		return false, false
	}
	r.n--
	b := r.b
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		r.err = errCorrupt
		return false, false
	}
	code := b[1 : 1+int(b[0])]
	b = b[1+int(b[0]):]
	has, k := binary.Uvarint(b)
	if k <= 0 || has >= 1<<store.NumFields {
		r.err = errCorrupt
		return false, false
	}
	b = b[k:]
	var vals [store.NumFields]float64
	for i := 0; i < bits.OnesCount64(has); i++ {
		v, k := readValue(b)
		if k <= 0 {
			r.err = errCorrupt
			return false, false
		}
		vals[i], b = v, b[k:]
	}
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		r.err = errCorrupt
		return false, false
	}
	flag := b[1 : 1+int(b[0])]
	b = b[1+int(b[0]):]
	frame, k := binary.Uvarint(b)
	if k <= 0 {
		r.err = errCorrupt
		return false, false
	}
	b = b[k:]
	rec, k := binary.Varint(b)
	if k <= 0 {
		r.err = errCorrupt
		return false, false
	}
	r.b = b[k:]
	if want != "" && string(code) != want {
		return true, true
	}
	if want != "" {
		e.Factor = want // equal to code: no allocation
	} else {
		e.Factor = string(code)
	}
	e.Values = store.Values{Has: uint16(has)}
	i := 0
	for f := store.Field(0); f < store.NumFields; f++ {
		if has&(1<<f) != 0 {
			e.Values.V[f] = vals[i]
			i++
		}
	}
	e.Values.Flag = flagString(flag)
	e.Frame = int64(frame)
	e.Received = r.t + rec
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
	r := newRowReader(b, t)
	var e entry
	for {
		ok, skip := r.next(&e, factor)
		if !ok {
			break
		}
		if !skip {
			return e, true, nil
		}
	}
	if r.err != nil {
		return entry{}, false, fmt.Errorf("%w at t=%d", r.err, t)
	}
	return entry{}, false, nil
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
// eight bytes.
func appendValue(dst []byte, x float64) []byte {
	if x != 0 || !math.Signbit(x) { // -0 has no decimal form: keep its sign bit
		for s, p := range pow10 {
			n := math.Round(x * p)
			if math.Abs(n) < 1<<52 && n/p == x {
				i := int64(n)
				z := uint64(i<<1) ^ uint64(i>>63) // zigzag
				return binary.AppendUvarint(dst, z<<3|uint64(s))
			}
		}
	}
	dst = binary.AppendUvarint(dst, 7)
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(x))
}

// readValue is the inverse of appendValue; k <= 0 means b is malformed.
func readValue(b []byte) (float64, int) {
	u, k := binary.Uvarint(b)
	if k <= 0 {
		return 0, k
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

// flags are the data flags of HJ 212-2017 table 8; returning these
// constants saves an allocation per value read.
var flags = [...]string{"N", "F", "M", "S", "D", "C", "T", "B"}

func flagString(b []byte) string {
	if len(b) == 1 {
		for _, f := range flags {
			if f[0] == b[0] {
				return f
			}
		}
	}
	if len(b) == 0 {
		return ""
	}
	return string(b)
}
