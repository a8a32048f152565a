// Package sqlstore is the implementation of store.Store shared by the
// SQLite and PostgreSQL backends: hand-written SQL both dialects accept,
// with a Dialect for where they differ (placeholders, time columns, bulk
// measurement writes, partitions).
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"ecowatch/store"
)

// Row is one stored measurement row: every factor of one point, kind and
// time, packed.
type Row struct {
	Point int64
	Kind  int16
	T     int64 // Unix seconds
	Data  []byte

	// es are Data's entries when the row was packed here: merging with a
	// stored row then need not decode Data again.
	es []entry
}

// Dialect is what differs between the backends.
type Dialect struct {
	Name string
	// Dollar numbers placeholders $1, $2… (PostgreSQL) instead of ?.
	Dollar bool
	// TimeArg converts Unix seconds to the argument a time column takes.
	TimeArg func(sec int64) any
	// InsertRows inserts rows whose key is not yet stored and reports, per
	// row, whether it was inserted (false: the key exists; a backend may
	// report a stored row with exactly the same data as inserted, since
	// merging it would change nothing).
	InsertRows func(ctx context.Context, tx *sql.Tx, rows []Row) ([]bool, error)
	// LoadRows returns the stored data of the rows' keys, in order.
	LoadRows func(ctx context.Context, tx *sql.Tx, rows []Row) ([][]byte, error)
	// UpdateRows replaces the data of stored rows.
	UpdateRows func(ctx context.Context, tx *sql.Tx, rows []Row) error
	// Prepare, when not nil, runs before a write outside its transaction
	// with the Unix seconds of every frame and measurement time it will
	// write, e.g. to create partitions.
	Prepare func(ctx context.Context, frames, measurements []int64) error
	// InsertFrames, when not nil, inserts many frames in few round trips
	// and returns their ids in order, increasing.
	InsertFrames func(ctx context.Context, tx *sql.Tx, frames []store.Frame) ([]int64, error)
	// ScanRows, when not nil, runs a read query and calls fn for each row
	// of (time, data) instead of database/sql's row loop; data is valid
	// only during the call.
	ScanRows func(ctx context.Context, db *sql.DB, q string, args []any, fn func(t int64, data []byte) error) error
	// MigrationLock, when not empty, is run first in every migration's
	// transaction, so two processes starting at once migrate in turn.
	MigrationLock string
	// CheckKey, when not nil, says why a measurement row key does not fit
	// the dialect's table (nil when it does). It runs while values are
	// validated, before any transaction, so the error wraps
	// store.ErrInvalid and IngestBatch archives such a frame alone.
	CheckKey func(point int64, kind int16, t int64) error
	// ReadSQL and PurgeSQL, when not empty, replace the queries that read
	// (t, data) of one point's kind in time order and delete them; both
	// take RangeArgs' arguments. Empty: the (point_id, kind, t) table's.
	ReadSQL, PurgeSQL string
	// RangeArgs gives ReadSQL's and PurgeSQL's arguments for the rows of
	// point and kind with from <= t < to (from math.MinInt64: no lower
	// bound). Needed with ReadSQL or PurgeSQL.
	RangeArgs func(point int64, kind int16, from, to int64) []any
	// IndexFrames, when set, runs in every transaction that appended raw
	// frames, after them: a dialect that indexes frames by device in bulk
	// (SQLite's raw_frame_by_mn) catches up there.
	IndexFrames func(ctx context.Context, tx *sql.Tx) error
	// FramesByMN, when set, returns the query of FrameQuery's frames of one
	// device and its arguments; where is the other conditions (on f, with
	// ? placeholders for whereArgs), added to each part of the query.
	FramesByMN func(mn string, afterID int64, where string, whereArgs []any, limit int) (string, []any)
}

// Q rewrites ? placeholders for the dialect. The SQL of this package never
// has a ? inside a literal.
func (d *Dialect) Q(q string) string {
	if !d.Dollar {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// DB implements store.Store over a writer and a reader pool (the same
// pool for PostgreSQL; one writer connection for SQLite, which allows one
// writer at a time anyway).
type DB struct {
	d      *Dialect
	w, r   *sql.DB
	closer func() error

	mu     sync.RWMutex
	points map[string]int64 // point code → id; points are never deleted

	readQ string
}

// New wraps opened pools; closer closes them.
func New(d *Dialect, w, r *sql.DB, closer func() error) *DB {
	readQ := d.ReadSQL
	if readQ == "" {
		readQ = d.Q("SELECT t, data FROM measurement WHERE point_id = ? AND kind = ? AND t >= ? AND t < ? ORDER BY t")
	}
	return &DB{d: d, w: w, r: r, closer: closer, points: map[string]int64{}, readQ: readQ}
}

// Writer is the writer pool, for backend-specific operations.
func (db *DB) Writer() *sql.DB { return db.w }

// SQL is the handle domain repositories keep their tables through.
func (db *DB) SQL() store.SQL { return store.SQL{W: db.w, R: db.r, Postgres: db.d.Dollar} }

// Close closes the pools.
func (db *DB) Close() error { return db.closer() }

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// unixTime scans a time column of either dialect into Unix seconds.
type unixTime struct{ p *int64 }

func (u unixTime) Scan(v any) error {
	switch x := v.(type) {
	case int64:
		*u.p = x
	case time.Time:
		*u.p = x.Unix()
	default:
		return fmt.Errorf("time column holds %T", v)
	}
	return nil
}

func cst(sec int64) time.Time { return time.Unix(sec, 0).In(store.CST) }

// pointID resolves a point code, from the cache when it can.
func (db *DB) pointID(ctx context.Context, q querier, code string) (int64, error) {
	db.mu.RLock()
	id, ok := db.points[code]
	db.mu.RUnlock()
	if ok {
		return id, nil
	}
	err := q.QueryRowContext(ctx, db.d.Q("SELECT id FROM point WHERE code = ?"), code).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("point %q: %w", code, store.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("point %q: %w", code, err)
	}
	db.mu.Lock()
	db.points[code] = id
	db.mu.Unlock()
	return id, nil
}

// AppendFrame implements store.Store.
func (db *DB) AppendFrame(ctx context.Context, f store.Frame) (int64, error) {
	return db.Ingest(ctx, f, nil)
}

// CleanFrame makes a frame's text fields storable on both backends: valid
// UTF-8 without NUL (PostgreSQL's text refuses both), invalid bytes and
// NULs replaced by U+FFFD. Raw is never touched.
func CleanFrame(f store.Frame) store.Frame {
	for _, p := range []*string{&f.Remote, &f.MN, &f.CN, &f.QN, &f.Verdict, &f.Diagnostics} {
		if !utf8.ValidString(*p) || strings.IndexByte(*p, 0) >= 0 {
			*p = strings.ReplaceAll(strings.ToValidUTF8(*p, "\uFFFD"), "\x00", "\uFFFD")
		}
	}
	return f
}

func (db *DB) insertFrame(ctx context.Context, tx *sql.Tx, f store.Frame) (int64, error) {
	f = CleanFrame(f)
	var id int64
	raw := f.Raw
	if raw == nil {
		raw = []byte{}
	}
	err := tx.QueryRowContext(ctx, db.d.Q(`INSERT INTO raw_frame (received, remote, mn, cn, qn, raw, verdict, diagnostics)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		db.d.TimeArg(f.Received.Unix()), f.Remote, f.MN, f.CN, f.QN, raw, f.Verdict, f.Diagnostics).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("append frame: %w", err)
	}
	return id, nil
}

// Ingest implements store.Store.
func (db *DB) Ingest(ctx context.Context, f store.Frame, ms []store.Measurement) (int64, error) {
	if f.Received.IsZero() {
		return 0, fmt.Errorf("%w: frame received time is zero", store.ErrInvalid)
	}
	// A copy: the caller's slice is not changed behind its back.
	ms = append([]store.Measurement(nil), ms...)
	for i := range ms {
		ms[i].Received = f.Received
	}
	rows, err := db.pack(ctx, ms)
	if err != nil {
		return 0, err
	}
	if db.d.Prepare != nil {
		if err := db.d.Prepare(ctx, []int64{f.Received.Unix()}, rowTimes(rows)); err != nil {
			return 0, err
		}
	}
	var id int64
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if id, err = db.insertFrame(ctx, tx, f); err != nil {
			return err
		}
		if db.d.IndexFrames != nil {
			if err := db.d.IndexFrames(ctx, tx); err != nil {
				return fmt.Errorf("index frames: %w", err)
			}
		}
		if len(rows) == 0 {
			return nil
		}
		for i := range rows {
			// The frame id is known only now; patch it into each entry.
			es := rows[i].es
			for j := range es {
				es[j].Frame = id
			}
			rows[i].Data = appendRow(rows[i].Data[:0], rows[i].T, es)
		}
		return db.writeRows(ctx, tx, rows)
	})
	return id, err
}

// IngestBatch implements store.BatchIngester.
func (db *DB) IngestBatch(ctx context.Context, frames []store.Frame, ms [][]store.Measurement) ([]int64, error) {
	if len(ms) != len(frames) {
		return nil, fmt.Errorf("%w: %d frames but %d measurement lists", store.ErrInvalid, len(frames), len(ms))
	}
	frames = append([]store.Frame(nil), frames...)
	// Each frame's values are validated and keyed before the transaction
	// (a frame whose values are refused is archived alone) but encoded only
	// once, after the frame ids are known: packing per frame and decoding
	// again to patch the ids cost a fifth of a batch's CPU.
	perFrame := make([][]keyed, len(frames))
	var frameTimes, rowTimesAll []int64
	for i := range frames {
		if frames[i].Received.IsZero() {
			return nil, fmt.Errorf("%w: frame %d: received time is zero", store.ErrInvalid, i)
		}
		frameTimes = append(frameTimes, frames[i].Received.Unix())
		if len(ms[i]) == 0 {
			continue
		}
		rows, err := db.keyEntries(ctx, ms[i], frames[i].Received)
		if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrNotFound) {
			// The frame is evidence and is archived; its values are
			// refused, and say so where the frame is kept.
			frames[i].Diagnostics = strings.TrimPrefix(frames[i].Diagnostics+"; measurements not stored: "+err.Error(), "; ")
			continue
		}
		if err != nil {
			return nil, err
		}
		perFrame[i] = rows
		if db.d.Prepare != nil {
			for _, r := range rows {
				rowTimesAll = append(rowTimesAll, r.k.t)
			}
		}
	}
	if db.d.Prepare != nil {
		if err := db.d.Prepare(ctx, frameTimes, rowTimesAll); err != nil {
			return nil, err
		}
	}
	ids := make([]int64, len(frames))
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		clear(ids)
		// sel are the frames to store: all of them, less those whose
		// bus message was stored before (a redelivery).
		sel, err := db.claimKeys(ctx, tx, frames)
		if err != nil {
			return fmt.Errorf("ingest keys: %w", err)
		}
		if db.d.InsertFrames != nil {
			batch := make([]store.Frame, len(sel))
			for j, i := range sel {
				batch[j] = CleanFrame(frames[i])
			}
			if len(batch) > 0 {
				got, err := db.d.InsertFrames(ctx, tx, batch)
				if err != nil {
					return fmt.Errorf("append frames: %w", err)
				}
				for j, i := range sel {
					ids[i] = got[j]
				}
			}
		} else {
			for _, i := range sel {
				id, err := db.insertFrame(ctx, tx, frames[i])
				if err != nil {
					return err
				}
				ids[i] = id
			}
		}
		if db.d.IndexFrames != nil && len(sel) > 0 {
			if err := db.d.IndexFrames(ctx, tx); err != nil {
				return fmt.Errorf("index frames: %w", err)
			}
		}
		n := 0
		for _, i := range sel {
			n += len(perFrame[i])
		}
		ks := make([]keyed, 0, n)
		for _, i := range sel {
			for _, r := range perFrame[i] {
				r.e.Frame = ids[i]
				ks = append(ks, r)
			}
		}
		if len(ks) == 0 {
			return nil
		}
		return db.writeRows(ctx, tx, packKeyed(ks))
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

func rowTimes(rows []Row) []int64 {
	ts := make([]int64, len(rows))
	for i, r := range rows {
		ts[i] = r.T
	}
	return ts
}

// claimKeys records the Keys of frames in ingest_key within tx and returns
// the indexes of the frames to store: those without a Key, and those whose
// Key was not stored before (nor earlier in the same batch). Keys are
// inserted in sorted order, so two transactions claiming overlapping keys
// (two workers given one redelivered message) wait for each other instead
// of deadlocking; the one that commits first stores the frame.
func (db *DB) claimKeys(ctx context.Context, tx *sql.Tx, frames []store.Frame) ([]int, error) {
	sel := make([]int, 0, len(frames))
	var keys []string
	stored := map[string]int64{}
	for i := range frames {
		k := frames[i].Key
		if k == "" {
			continue
		}
		if _, ok := stored[k]; !ok {
			stored[k] = frames[i].Received.Unix()
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		for i := range frames {
			sel = append(sel, i)
		}
		return sel, nil
	}
	sort.Strings(keys)
	claimed := make(map[string]bool, len(keys))
	const chunk = 500
	for len(keys) > 0 {
		n := min(len(keys), chunk)
		var q strings.Builder
		q.WriteString("INSERT INTO ingest_key (key, stored) VALUES ")
		args := make([]any, 0, 2*n)
		for j, k := range keys[:n] {
			if j > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?)")
			args = append(args, k, stored[k])
		}
		q.WriteString(" ON CONFLICT DO NOTHING RETURNING key")
		rows, err := tx.QueryContext(ctx, db.d.Q(q.String()), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return nil, err
			}
			claimed[k] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		keys = keys[n:]
	}
	for i := range frames {
		k := frames[i].Key
		if k == "" {
			sel = append(sel, i)
			continue
		}
		if claimed[k] {
			delete(claimed, k) // a second copy in this batch is a repeat too
			sel = append(sel, i)
		}
	}
	return sel, nil
}

// PurgeIngestKeys deletes the keys of frames received before t: once the
// bus can no longer deliver a message again (its stream's MaxAge), its key
// only takes room. It returns how many it deleted.
func (db *DB) PurgeIngestKeys(ctx context.Context, before time.Time) (int64, error) {
	res, err := db.w.ExecContext(ctx, db.d.Q("DELETE FROM ingest_key WHERE stored < ?"), before.Unix())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (db *DB) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

type rowKey struct {
	point int64
	kind  int16
	t     int64
}

// keyed is one validated measurement with its row's key.
type keyed struct {
	k rowKey
	e entry
}

// keyEntries validates measurements and resolves their points; received,
// when not zero, replaces each one's receive time.
func (db *DB) keyEntries(ctx context.Context, ms []store.Measurement, received time.Time) ([]keyed, error) {
	out := make([]keyed, 0, len(ms))
	// A frame's values come point by point: resolve each run once.
	var lastCode string
	var lastID int64
	for i := range ms {
		m := &ms[i]
		if !m.Kind.Valid() {
			return nil, fmt.Errorf("%w: measurement %d: kind %d", store.ErrInvalid, i, m.Kind)
		}
		if m.Factor == "" || len(m.Factor) > maxShort {
			return nil, fmt.Errorf("%w: measurement %d: factor %q", store.ErrInvalid, i, m.Factor)
		}
		if len(m.Values.Flag) > maxShort {
			return nil, fmt.Errorf("%w: measurement %d: flag longer than %d bytes", store.ErrInvalid, i, maxShort)
		}
		if m.Time.IsZero() {
			return nil, fmt.Errorf("%w: measurement %d: time is zero", store.ErrInvalid, i)
		}
		if m.Values.Has >= 1<<store.NumFields {
			return nil, fmt.Errorf("%w: measurement %d: unknown value fields", store.ErrInvalid, i)
		}
		pid := lastID
		if m.Point != lastCode || i == 0 {
			id, err := db.pointID(ctx, db.r, m.Point)
			if err != nil {
				return nil, err
			}
			pid, lastCode, lastID = id, m.Point, id
		}
		if db.d.CheckKey != nil {
			if err := db.d.CheckKey(pid, int16(m.Kind), m.Time.Unix()); err != nil {
				return nil, fmt.Errorf("%w: measurement %d (point %s): %w", store.ErrInvalid, i, m.Point, err)
			}
		}
		rec := received
		if rec.IsZero() {
			rec = m.Received
		}
		if rec.IsZero() {
			rec = m.Time
		}
		out = append(out, keyed{rowKey{pid, int16(m.Kind), m.Time.Unix()},
			entry{Factor: m.Factor, Values: m.Values, Frame: m.Frame, Received: rec.Unix()}})
	}
	return out, nil
}

// pack validates measurements and groups them into rows, merging copies
// of one key within the batch by the same rule as against stored rows.
func (db *DB) pack(ctx context.Context, ms []store.Measurement) ([]Row, error) {
	if len(ms) == 0 {
		return nil, nil
	}
	ks, err := db.keyEntries(ctx, ms, time.Time{})
	if err != nil {
		return nil, err
	}
	return packKeyed(ks), nil
}

// packKeyed groups keyed entries into rows in key order (the order inserts
// are cheapest and row locks are taken in: the B-tree cursor moves forward
// through each point's range instead of jumping between them), merging
// copies of one factor by store.Wins; entries keep their first
// appearance's order within a row. It sorts indexes rather than a map of
// growing slices: a batch of 1,000 values then costs three allocations
// instead of about six per row.
func packKeyed(ks []keyed) []Row {
	if len(ks) == 0 {
		return nil
	}
	idx := make([]int32, len(ks))
	sorted := true
	for i := range idx {
		idx[i] = int32(i)
		if i > 0 && keyLess(ks[i].k, ks[i-1].k) {
			sorted = false
		}
	}
	if !sorted {
		slices.SortStableFunc(idx, func(a, b int32) int {
			x, y := ks[a].k, ks[b].k
			switch {
			case keyLess(x, y):
				return -1
			case keyLess(y, x):
				return 1
			}
			return 0
		})
	}
	es := make([]entry, 0, len(ks))
	var rows []Row
	for i := 0; i < len(idx); {
		k := ks[idx[i]].k
		start := len(es)
		for ; i < len(idx) && ks[idx[i]].k == k; i++ {
			es = mergeOne(es, start, ks[idx[i]].e)
		}
		rows = append(rows, Row{Point: k.point, Kind: k.kind, T: k.t, es: es[start:len(es):len(es)]})
	}
	// One buffer for every row's data, sized from the first row.
	var buf []byte
	for i := range rows {
		r := &rows[i]
		if buf == nil {
			first := appendRow(nil, r.T, r.es)
			buf = make([]byte, 0, len(first)*len(rows)+len(first))
		}
		n := len(buf)
		buf = appendRow(buf, r.T, r.es)
		r.Data = buf[n:len(buf):len(buf)]
	}
	return rows
}

func keyLess(a, b rowKey) bool {
	if a.point != b.point {
		return a.point < b.point
	}
	if a.kind != b.kind {
		return a.kind < b.kind
	}
	return a.t < b.t
}

// mergeOne adds in to the row es[start:], replacing the copy of its factor
// if in wins (store.Wins), and returns es.
func mergeOne(es []entry, start int, in entry) []entry {
	for i := start; i < len(es); i++ {
		if es[i].Factor == in.Factor {
			if wins(&in, &es[i]) {
				es[i] = in
			}
			return es
		}
	}
	return append(es, in)
}

// writeRows inserts new rows and merges the rest into the stored ones.
func (db *DB) writeRows(ctx context.Context, tx *sql.Tx, rows []Row) error {
	inserted, err := db.d.InsertRows(ctx, tx, rows)
	if err != nil {
		return fmt.Errorf("write measurements: %w", err)
	}
	var conflicts []Row
	for i, ok := range inserted {
		if !ok {
			conflicts = append(conflicts, rows[i])
		}
	}
	if len(conflicts) == 0 {
		return nil
	}
	stored, err := db.d.LoadRows(ctx, tx, conflicts)
	if err != nil {
		return fmt.Errorf("write measurements: load stored rows: %w", err)
	}
	var updates []Row
	for i, c := range conflicts {
		old, err := decodeRow(stored[i], c.T)
		if err != nil {
			return err
		}
		in := c.es
		if in == nil {
			if in, err = decodeRow(c.Data, c.T); err != nil {
				return err
			}
		}
		merged, changed := mergeEntries(old, in)
		if changed {
			c.Data = appendRow(nil, c.T, merged)
			updates = append(updates, c)
		}
	}
	if len(updates) == 0 {
		return nil
	}
	if err := db.d.UpdateRows(ctx, tx, updates); err != nil {
		return fmt.Errorf("write measurements: update: %w", err)
	}
	return nil
}

// WriteMeasurements implements store.Store.
func (db *DB) WriteMeasurements(ctx context.Context, ms []store.Measurement) error {
	rows, err := db.pack(ctx, ms)
	if err != nil || len(rows) == 0 {
		return err
	}
	if db.d.Prepare != nil {
		if err := db.d.Prepare(ctx, nil, rowTimes(rows)); err != nil {
			return err
		}
	}
	return db.inTx(ctx, func(tx *sql.Tx) error { return db.writeRows(ctx, tx, rows) })
}

// Measurements implements store.Store.
func (db *DB) Measurements(ctx context.Context, q store.MeasurementQuery) ([]store.Measurement, error) {
	if !q.Kind.Valid() {
		return nil, fmt.Errorf("%w: kind %d", store.ErrInvalid, q.Kind)
	}
	pid, err := db.pointID(ctx, db.r, q.Point)
	if err != nil {
		return nil, err
	}
	var out []store.Measurement
	m := newFactorMatcher(q.Factor)
	add := func(t int64, data []byte) error {
		e, ok, err := m.find(data, t)
		if err != nil || !ok {
			return err
		}
		if out == nil {
			out = make([]store.Measurement, 0, expected(q))
		}
		out = append(out, store.Measurement{Point: q.Point, Factor: q.Factor, Kind: q.Kind, Time: cst(t),
			Values: e.Values, Frame: e.Frame, Received: cst(e.Received)})
		return nil
	}
	if q.Factor == "" {
		// Every factor: one scan of the point's rows instead of one per
		// factor (a row holds them all), for readers of whole points such
		// as the open-data bulk files.
		add = func(t int64, data []byte) error {
			es, err := decodeRow(data, t)
			if err != nil {
				return err
			}
			for _, e := range es {
				out = append(out, store.Measurement{Point: q.Point, Factor: e.Factor, Kind: q.Kind, Time: cst(t),
					Values: e.Values, Frame: e.Frame, Received: cst(e.Received)})
			}
			return nil
		}
	}
	byFactor := func(out []store.Measurement) []store.Measurement {
		if q.Factor == "" {
			slices.SortStableFunc(out, func(a, b store.Measurement) int { return strings.Compare(a.Factor, b.Factor) })
		}
		return out
	}
	args := []any{pid, int16(q.Kind), db.d.TimeArg(q.From.Unix()), db.d.TimeArg(q.To.Unix())}
	if db.d.RangeArgs != nil {
		args = db.d.RangeArgs(pid, int16(q.Kind), q.From.Unix(), q.To.Unix())
	}
	if db.d.ScanRows != nil {
		if err := db.d.ScanRows(ctx, db.r, db.readQ, args, add); err != nil {
			return nil, fmt.Errorf("measurements: %w", err)
		}
		return byFactor(out), nil
	}
	rows, err := db.r.QueryContext(ctx, db.readQ, args...)
	if err != nil {
		return nil, fmt.Errorf("measurements: %w", err)
	}
	defer rows.Close()
	var t int64
	var data sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(unixTime{&t}, &data); err != nil {
			return nil, fmt.Errorf("measurements: %w", err)
		}
		if err := add(t, data); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("measurements: %w", err)
	}
	return byFactor(out), nil
}

// Frames implements store.Store.
func (db *DB) Frames(ctx context.Context, q store.FrameQuery) ([]store.Frame, error) {
	var where []string
	var args []any
	if q.MN != "" && db.d.FramesByMN == nil {
		where, args = append(where, "mn = ?"), append(args, q.MN)
	}
	if !q.From.IsZero() {
		where, args = append(where, "received >= ?"), append(args, db.d.TimeArg(q.From.Unix()))
	}
	if !q.To.IsZero() {
		where, args = append(where, "received < ?"), append(args, db.d.TimeArg(q.To.Unix()))
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 1000
	}
	var s string
	if q.MN != "" && db.d.FramesByMN != nil {
		s, args = db.d.FramesByMN(q.MN, q.AfterID, strings.Join(where, " AND "), args, limit)
	} else {
		if q.AfterID > 0 {
			where, args = append(where, "id > ?"), append(args, q.AfterID)
		}
		s = "SELECT id, received, remote, mn, cn, qn, raw, verdict, diagnostics FROM raw_frame"
		if len(where) > 0 {
			s += " WHERE " + strings.Join(where, " AND ")
		}
		s += " ORDER BY id LIMIT " + strconv.Itoa(limit)
	}
	rows, err := db.r.QueryContext(ctx, db.d.Q(s), args...)
	if err != nil {
		return nil, fmt.Errorf("frames: %w", err)
	}
	defer rows.Close()
	var out []store.Frame
	for rows.Next() {
		var f store.Frame
		var rec int64
		if err := rows.Scan(&f.ID, unixTime{&rec}, &f.Remote, &f.MN, &f.CN, &f.QN, &f.Raw, &f.Verdict, &f.Diagnostics); err != nil {
			return nil, fmt.Errorf("frames: %w", err)
		}
		f.Received = cst(rec)
		out = append(out, f)
	}
	return out, rows.Err()
}

// PurgeChunk bounds how many raw frames one purge transaction deletes; a
// variable so that tests can make it small.
var PurgeChunk = 10000

// Purge implements store.Store. It deletes point by point and frames in
// chunks, each in a short transaction of its own: one transaction over a
// whole store would scan every row (the key is point-first) and hold
// SQLite's write lock, stopping ingestion, for as long. A purge cut short
// leaves only old data that the next pass deletes.
func (db *DB) Purge(ctx context.Context, r store.Retention, now time.Time) (store.Purged, error) {
	p := store.Purged{Rows: map[store.Kind]int64{}}
	keep := map[store.Kind]time.Duration{store.RealTime: r.RealTime, store.Minute: r.Minute, store.Hour: r.Hour, store.Day: r.Day}
	var pids []int64
	rows, err := db.r.QueryContext(ctx, "SELECT id FROM point ORDER BY id")
	if err != nil {
		return p, fmt.Errorf("purge: %w", err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return p, fmt.Errorf("purge: %w", err)
		}
		pids = append(pids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return p, fmt.Errorf("purge: %w", err)
	}
	del := db.d.Q("DELETE FROM measurement WHERE point_id = ? AND kind = ? AND t < ?")
	if db.d.PurgeSQL != "" {
		del = db.d.PurgeSQL
	}
	for _, pid := range pids {
		for _, k := range store.Kinds {
			if keep[k] <= 0 {
				continue
			}
			before := now.Add(-keep[k]).Unix()
			args := []any{pid, int16(k), db.d.TimeArg(before)}
			if db.d.RangeArgs != nil {
				args = db.d.RangeArgs(pid, int16(k), math.MinInt64, before)
			}
			res, err := db.w.ExecContext(ctx, del, args...)
			if err != nil {
				return p, fmt.Errorf("purge %s: %w", k, err)
			}
			n, _ := res.RowsAffected()
			p.Rows[k] += n
		}
	}
	if r.Frames > 0 {
		delFrames := db.d.Q("DELETE FROM raw_frame WHERE id IN (SELECT id FROM raw_frame WHERE received < ? ORDER BY id LIMIT " + strconv.Itoa(PurgeChunk) + ")")
		for {
			res, err := db.w.ExecContext(ctx, delFrames, db.d.TimeArg(now.Add(-r.Frames).Unix()))
			if err != nil {
				return p, fmt.Errorf("purge frames: %w", err)
			}
			n, _ := res.RowsAffected()
			p.Frames += n
			if n < int64(PurgeChunk) {
				break
			}
		}
	}
	return p, nil
}

// expected estimates how many values a query returns, to size the result
// once: growing a slice of 1,440 measurements by doubling costs more than
// reading them.
func expected(q store.MeasurementQuery) int {
	step := map[store.Kind]int64{store.RealTime: 30, store.Minute: 60, store.Hour: 3600, store.Day: 86400}[q.Kind]
	n := (q.To.Unix() - q.From.Unix()) / step
	return int(max(16, min(n+1, 1<<16)))
}
