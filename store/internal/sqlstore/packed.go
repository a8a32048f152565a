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
//	entry = codeLen:byte code has:uvarint value:float64le* flagLen:byte flag
//	        frame:uvarint received:varint
//
// value appears once per bit set in has, in field order; received is in
// Unix seconds relative to the row's time, so it takes two or three bytes.

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
				dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(e.Values.V[f]))
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
	nv := 8 * bits.OnesCount64(has)
	if len(b) < nv+1 || len(b) < nv+1+int(b[nv]) {
		r.err = errCorrupt
		return false, false
	}
	vals, flag := b[:nv], b[nv+1:nv+1+int(b[nv])]
	b = b[nv+1+int(b[nv]):]
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
	e.Factor = string(code)
	e.Values = store.Values{Has: uint16(has)}
	for f := store.Field(0); f < store.NumFields; f++ {
		if has&(1<<f) != 0 {
			e.Values.V[f] = math.Float64frombits(binary.LittleEndian.Uint64(vals))
			vals = vals[8:]
		}
	}
	if len(flag) > 0 {
		e.Values.Flag = string(flag)
	}
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
