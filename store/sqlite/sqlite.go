// Package sqlite is the embedded store: one SQLite file in the data
// directory, in WAL mode, with one writer connection and a pool of
// readers. It is the default backend and needs nothing installed.
//
// Example:
//
//	st, err := sqlite.Open(ctx, "/var/lib/ecowatch")   // creates and migrates
//	if err != nil { ... }
//	defer st.Close()
//	err = st.Backup(ctx, "/backup/ecowatch-2020-01-01.db")
package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"ecowatch/store"
	"ecowatch/store/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// FileName is the database file's name inside the data directory.
const FileName = "ecowatch.db"

// Store is the SQLite implementation of store.Store and store.Backuper.
type Store struct {
	*sqlstore.DB
	path string
}

var dialect = &sqlstore.Dialect{
	Name:       "sqlite",
	TimeArg:    func(sec int64) any { return sec },
	LoadRows:   loadRows,
	UpdateRows: updateRows,
	ScanRows:   scanRows,
	CheckKey:   checkKey,
	ReadSQL:    readSQL,
	PurgeSQL:   purgeSQL,
	RangeArgs:  rangeArgs,
	// InsertRows and InsertFrames use a store's prepared statements:
	// Open sets them.
	IndexFrames: indexFrames,
	FramesByMN:  framesByMN,
}

// Frames are indexed by device (raw_frame_by_mn, migration 0003) in bulk:
// once this many are waiting, or the oldest waiting indexing is this old.
var (
	indexFramesEvery int64 = 20000
	indexFramesAge   int64 = 60 // seconds
)

// indexFrames brings raw_frame_by_mn up to date when enough frames wait,
// in the transaction that appended the last of them. Sorted by device, the
// entries of many frames share a page: ~2,000 devices' frames since the
// last indexing dirty ~2,000 pages once, where indexing every frame as it
// came dirtied a page per frame.
func indexFrames(ctx context.Context, tx *sql.Tx) error {
	var upto, at, last int64
	if err := tx.QueryRowContext(ctx, `SELECT upto, at, (SELECT COALESCE(max(id), 0) FROM raw_frame) FROM raw_frame_by_mn_upto`).Scan(&upto, &at, &last); err != nil {
		return err
	}
	now := time.Now().Unix()
	if last <= upto || last-upto < indexFramesEvery && now-at < indexFramesAge {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO raw_frame_by_mn (mn, id) SELECT mn, id FROM raw_frame WHERE id > ? AND id <= ? ORDER BY mn, id`, upto, last); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE raw_frame_by_mn_upto SET upto = ?, at = ? WHERE k = 0`, last, now)
	return err
}

// framesByMN reads a device's frames from the index up to its watermark and
// from raw_frame above it: both parts come in id order, and SQLite merges
// them and stops at the limit.
func framesByMN(mn string, afterID int64, where string, whereArgs []any, limit int) (string, []any) {
	cond := ""
	if where != "" {
		cond = " AND " + where
	}
	// The first part's id is m.id: ordered by the index, where f.id (the
	// same number) made SQLite sort all of a device's frames first.
	const cols = "f.received, f.remote, f.mn, f.cn, f.qn, f.raw, f.verdict, f.diagnostics"
	q := "SELECT m.id, " + cols + " FROM raw_frame_by_mn m JOIN raw_frame f ON f.id = m.id WHERE m.mn = ? AND m.id > ?" + cond +
		" UNION ALL SELECT f.id, " + cols + " FROM raw_frame f WHERE f.id > max(?, (SELECT upto FROM raw_frame_by_mn_upto)) AND f.mn = ?" + cond +
		" ORDER BY 1 LIMIT " + strconv.Itoa(limit)
	args := append([]any{mn, afterID}, whereArgs...)
	args = append(args, afterID, mn)
	return q, append(args, whereArgs...)
}

// scanRows reads through the driver's own row interface: for a day of
// minute data (1,440 rows) database/sql's per-row locking and conversions
// cost about as much as SQLite itself.
func scanRows(ctx context.Context, db *sql.DB, q string, args []any, fn func(int64, []byte) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		v, err := driver.DefaultParameterConverter.ConvertValue(a)
		if err != nil {
			return err
		}
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return conn.Raw(func(dc any) error {
		qc, ok := dc.(driver.QueryerContext)
		if !ok {
			return fmt.Errorf("sqlite driver connection %T cannot query", dc)
		}
		rows, err := qc.QueryContext(ctx, q, named)
		if err != nil {
			return err
		}
		defer rows.Close()
		dest := make([]driver.Value, 2)
		for {
			if err := rows.Next(dest); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
			t, ok1 := dest[0].(int64)
			data, ok2 := dest[1].([]byte)
			if !ok1 || !ok2 {
				return fmt.Errorf("measurement row holds %T, %T", dest[0], dest[1])
			}
			if err := fn(t, data); err != nil {
				return err
			}
		}
	})
}

// dsn builds the connection string. busy_timeout comes first so that the
// pragmas after it wait for a lock instead of failing; synchronous=FULL
// because a committed batch must survive a power cut (in WAL mode NORMAL
// may lose the last transactions); foreign_keys is per connection.
func dsn(path string, readOnly bool) string {
	v := url.Values{}
	v.Set("_busy_timeout", "10000")
	v.Set("_journal_mode", "WAL")
	v.Set("_synchronous", "FULL")
	v.Set("_foreign_keys", "on")
	if readOnly {
		v.Set("mode", "ro")
		v.Set("_cache_size", "-16384") // KiB: 16 MiB per reader
	} else {
		// The writer keeps the B-tree pages a batch touches (one leaf per
		// point at least) in memory: 64 MiB.
		v.Set("_cache_size", "-65536")
		// Take the write lock at BEGIN: a deferred transaction that
		// upgrades later can fail with SQLITE_BUSY instead of waiting.
		v.Set("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + v.Encode()
}

// Open opens (creating if needed) the store in dataDir and applies the
// migrations.
func Open(ctx context.Context, dataDir string) (*Store, error) {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(dataDir, FileName)
	w, err := sql.Open(driverName, dsn(path, false))
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	if _, err := Migrate(ctx, w); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open(driverName, dsn(path, true))
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	stmts, err := prepareInserts(ctx, w)
	if err != nil {
		errors.Join(r.Close(), w.Close())
		return nil, err
	}
	closer := func() error { return errors.Join(stmts.close(), r.Close(), w.Close()) }
	// The dialect's writes use this store's prepared statements.
	d := *dialect
	d.InsertRows = func(ctx context.Context, tx *sql.Tx, rows []sqlstore.Row) ([]bool, error) {
		return insertRows(ctx, tx, stmts, rows)
	}
	d.InsertFrames = func(ctx context.Context, tx *sql.Tx, frames []store.Frame) ([]int64, error) {
		return insertFrames(ctx, tx, stmts, frames)
	}
	return &Store{DB: sqlstore.New(&d, w, r, closer), path: path}, nil
}

// inserts are the writer connection's prepared multi-row INSERTs, for
// insertChunk rows and for each power of two below it: a batch is written
// in full chunks and a remainder of at most log2(insertChunk) statements.
// Parsing a statement of hundreds of rows, in every transaction, was a
// tenth of the store writer's CPU.
type inserts struct {
	frames, rows map[int]*sql.Stmt // by rows per statement
}

func prepareInserts(ctx context.Context, w *sql.DB) (*inserts, error) {
	in := &inserts{frames: map[int]*sql.Stmt{}, rows: map[int]*sql.Stmt{}}
	for n := insertChunk; n >= 1; n /= 2 {
		st, err := w.PrepareContext(ctx, framesSQL(n))
		if err != nil {
			return nil, errors.Join(err, in.close())
		}
		in.frames[n] = st
		if st, err = w.PrepareContext(ctx, insertSQL(n)); err != nil {
			return nil, errors.Join(err, in.close())
		}
		in.rows[n] = st
	}
	return in, nil
}

func (in *inserts) close() error {
	var errs []error
	for _, m := range []map[int]*sql.Stmt{in.frames, in.rows} {
		for _, st := range m {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// chunks calls fn for consecutive [start, end) ranges of n items that
// inserts has a statement for: full chunks, then the remainder by powers
// of two.
func chunks(n int, fn func(start, end int) error) error {
	start := 0
	for size := insertChunk; size >= 1; size /= 2 {
		for n-start >= size {
			if err := fn(start, start+size); err != nil {
				return err
			}
			start += size
		}
	}
	return nil
}

// Migrate applies the embedded migrations not yet applied and returns
// their names.
func Migrate(ctx context.Context, db *sql.DB) ([]string, error) {
	return migrate(ctx, db, func(sqlstore.Migration) bool { return true })
}

// migrate applies the migrations that use selects (tests build stores of
// earlier versions with it).
func migrate(ctx context.Context, db *sql.DB, use func(sqlstore.Migration) bool) ([]string, error) {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	ms, err := sqlstore.Migrations(sub)
	if err != nil {
		return nil, err
	}
	ms = slices.DeleteFunc(ms, func(m sqlstore.Migration) bool { return !use(m) })
	return sqlstore.Migrate(ctx, db, dialect, ms, time.Now)
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Backup writes a consistent copy of the database to path while the store
// stays in use (VACUUM INTO reads one snapshot). path must not exist.
func (s *Store) Backup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup: %s already exists", path)
	}
	if _, err := s.Writer().ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

var _ store.Store = (*Store)(nil)
var _ store.Backuper = (*Store)(nil)

// Measurement rows are keyed by one integer (migration 0002):
//
//	id = point_id << 35 | kind index << 32 | t
//
// with t the Unix seconds as an unsigned 32-bit number and the kinds
// indexed in CN order (2011, 2031, 2051, 2061), so ids sort like
// (point_id, kind, t) did and the rows of one point and kind over a time
// range are one range of id. A rowid table's interior pages hold 8-byte
// keys, where the former WITHOUT ROWID table's held whole rows: a batch
// rewrites fewer pages (store/README.md has the figures). The migration's
// SQL and the table's virtual columns compute the same key: keep them in
// step (TestMigrateFilledStore).
const (
	keyTimeBits  = 32
	keyKindBits  = 3
	keyPointBits = 63 - keyTimeBits - keyKindBits // 28: ids stay positive
	maxKeyTime   = 1<<keyTimeBits - 1             // 2106-02-07 06:28:15 UTC
)

// kindIndex is a kind's index in the key, -1 for no kind.
func kindIndex(kind int16) int64 {
	switch store.Kind(kind) {
	case store.RealTime:
		return 0
	case store.Day:
		return 1
	case store.Minute:
		return 2
	case store.Hour:
		return 3
	}
	return -1
}

// measurementKey is the id of a row, or why the key cannot hold it: a
// time or point id that did not fit would otherwise land in another
// point's or kind's range.
func measurementKey(point int64, kind int16, t int64) (int64, error) {
	k := kindIndex(kind)
	switch {
	case point < 0 || point >= 1<<keyPointBits:
		return 0, fmt.Errorf("point id %d: the SQLite store keys point ids below 2^%d", point, keyPointBits)
	case k < 0:
		return 0, fmt.Errorf("interval kind %d: not one the SQLite store keys", kind)
	case t < 0 || t > maxKeyTime:
		return 0, fmt.Errorf("time %s: the SQLite store keeps times from 1970-01-01 to 2106-02-07 06:28:15 UTC",
			time.Unix(t, 0).UTC().Format(time.RFC3339))
	}
	return point<<(keyKindBits+keyTimeBits) | k<<keyTimeBits | t, nil
}

func checkKey(point int64, kind int16, t int64) error {
	_, err := measurementKey(point, kind, t)
	return err
}

// rangeArgs are the ids [lo, hi) of point's rows of kind with
// from <= t < to; times are clamped to what the key holds, and a point
// or kind it cannot hold gets an empty range (nothing of it is stored).
func rangeArgs(point int64, kind int16, from, to int64) []any {
	base, err := measurementKey(point, kind, 0)
	if err != nil {
		return []any{int64(0), int64(0)}
	}
	clamp := func(t int64) int64 { return min(max(t, 0), maxKeyTime+1) }
	return []any{base + clamp(from), base + clamp(to)}
}

// The day read is one range scan of the table's B-tree (TestReadPlan);
// t is the table's virtual column id & 0xFFFFFFFF.
const (
	readSQL  = "SELECT t, data FROM measurement WHERE id >= ? AND id < ? ORDER BY id"
	purgeSQL = "DELETE FROM measurement WHERE id >= ? AND id < ?"
)

// rowIDs computes the ids of rows.
func rowIDs(rows []sqlstore.Row) ([]int64, error) {
	ids := make([]int64, len(rows))
	for i, r := range rows {
		id, err := measurementKey(r.Point, r.Kind, r.T)
		if err != nil {
			return nil, fmt.Errorf("%w: measurement row: %w", store.ErrInvalid, err)
		}
		ids[i] = id
	}
	return ids, nil
}

// insertChunk is the number of rows per INSERT statement: one statement
// for many rows saves the per-statement cost that dominates single-row
// inserts, and 2 × 256 parameters stay far below SQLite's limit of 32,766.
const insertChunk = 256

// insertRows inserts rows in multi-row statements (ON CONFLICT DO NOTHING)
// and reports a row as not inserted when its key held other data. The
// usual batch has only new keys: the statement's change count then says
// so, without a RETURNING row per key through the driver. When some key
// existed, the chunk's stored rows are read back: a row that holds
// exactly our data was inserted (or was an identical copy, which merging
// would not change either).
func insertRows(ctx context.Context, tx *sql.Tx, in *inserts, rows []sqlstore.Row) ([]bool, error) {
	ids, err := rowIDs(rows)
	if err != nil {
		return nil, err
	}
	ok := make([]bool, len(rows))
	args := make([]any, 0, 2*insertChunk)
	err = chunks(len(rows), func(start, end int) error {
		chunk := rows[start:end]
		args = args[:0]
		for i, r := range chunk {
			args = append(args, ids[start+i], r.Data)
		}
		res, err := tx.StmtContext(ctx, in.rows[len(chunk)]).ExecContext(ctx, args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == int64(len(chunk)) {
			for i := range chunk {
				ok[start+i] = true
			}
			return nil
		}
		stored, err := loadIDs(ctx, tx, chunk, ids[start:end])
		if err != nil {
			return err
		}
		for i, r := range chunk {
			ok[start+i] = bytes.Equal(stored[i], r.Data)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ok, nil
}

func insertSQL(n int) string {
	return valuesSQL("INSERT INTO measurement (id, data) VALUES ", "(?,?)", n, " ON CONFLICT DO NOTHING")
}

// loadRows reads the stored rows of many keys with one statement per
// insertChunk keys: a SELECT per key cost more in driver overhead than
// the lookup, and every re-sent interval (same point, kind and time) takes
// this path.
func loadRows(ctx context.Context, tx *sql.Tx, rows []sqlstore.Row) ([][]byte, error) {
	ids, err := rowIDs(rows)
	if err != nil {
		return nil, err
	}
	return loadIDs(ctx, tx, rows, ids)
}

// loadIDs is loadRows with the rows' ids computed.
func loadIDs(ctx context.Context, tx *sql.Tx, rows []sqlstore.Row, ids []int64) ([][]byte, error) {
	out := make([][]byte, len(rows))
	idx := make(map[int64]int, min(len(rows), insertChunk))
	args := make([]any, 0, insertChunk)
	for start := 0; start < len(rows); start += insertChunk {
		chunk := ids[start:min(start+insertChunk, len(ids))]
		args = args[:0]
		clear(idx)
		for i, id := range chunk {
			args = append(args, id)
			idx[id] = start + i
		}
		res, err := tx.QueryContext(ctx, valuesSQL("SELECT id, data FROM measurement WHERE id IN (", "?", len(chunk), ")"), args...)
		if err != nil {
			return nil, err
		}
		for res.Next() {
			var id int64
			var data []byte
			if err := res.Scan(&id, &data); err != nil {
				res.Close()
				return nil, err
			}
			if i, ok := idx[id]; ok {
				out[i] = data
			}
		}
		if err := res.Err(); err != nil {
			return nil, err
		}
		res.Close()
	}
	for i, r := range rows {
		if out[i] == nil {
			return nil, fmt.Errorf("measurement row (%d, %d, %d): %w", r.Point, r.Kind, r.T, sql.ErrNoRows)
		}
	}
	return out, nil
}

// updateRows replaces stored rows' data, insertChunk rows per statement:
// an upsert whose conflict branch is the update (every key exists; the
// transaction holds the write lock since it read them).
func updateRows(ctx context.Context, tx *sql.Tx, rows []sqlstore.Row) error {
	ids, err := rowIDs(rows)
	if err != nil {
		return err
	}
	args := make([]any, 0, 2*insertChunk)
	for start := 0; start < len(rows); start += insertChunk {
		chunk := rows[start:min(start+insertChunk, len(rows))]
		args = args[:0]
		for i, r := range chunk {
			args = append(args, ids[start+i], r.Data)
		}
		q := valuesSQL("INSERT INTO measurement (id, data) VALUES ", "(?,?)", len(chunk),
			" ON CONFLICT (id) DO UPDATE SET data = excluded.data")
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// MigrateDir opens the store file in dataDir (creating it if needed),
// applies the migrations not yet applied and returns their names.
func MigrateDir(ctx context.Context, dataDir string) ([]string, error) {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	db, err := sql.Open(driverName, dsn(filepath.Join(dataDir, FileName), false))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return Migrate(ctx, db)
}

// insertFrames inserts frames in multi-row statements (9 parameters each,
// 9 × insertChunk far below SQLite's limit of 32,766). A statement per
// frame cost about 40 µs of driver and cgo overhead, more than SQLite's own
// work, and was most of a group commit's time. The ids are given, not
// read back: raw_frame.id is an INTEGER PRIMARY KEY without AUTOINCREMENT,
// for which SQLite itself would take max(id)+1 (sqlite.org/autoinc.html),
// and the transaction holds the write lock (BEGIN IMMEDIATE), so nobody
// can take them meanwhile. RETURNING would not do: its order is not
// defined (sqlite.org/lang_returning.html, "limitations").
func insertFrames(ctx context.Context, tx *sql.Tx, in *inserts, frames []store.Frame) ([]int64, error) {
	var last int64
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(max(id), 0) FROM raw_frame").Scan(&last); err != nil {
		return nil, err
	}
	ids := make([]int64, len(frames))
	args := make([]any, 0, 9*insertChunk)
	err := chunks(len(frames), func(start, end int) error {
		args = args[:0]
		for i, f := range frames[start:end] {
			last++
			ids[start+i] = last
			raw := f.Raw
			if raw == nil {
				raw = []byte{}
			}
			args = append(args, last, f.Received.Unix(), f.Remote, f.MN, f.CN, f.QN, raw, f.Verdict, f.Diagnostics)
		}
		_, err := tx.StmtContext(ctx, in.frames[end-start]).ExecContext(ctx, args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

func framesSQL(n int) string {
	return valuesSQL("INSERT INTO raw_frame (id, received, remote, mn, cn, qn, raw, verdict, diagnostics) VALUES ",
		"(?,?,?,?,?,?,?,?,?)", n, "")
}

// valuesSQL repeats tuple n times, comma-separated, between head and tail.
func valuesSQL(head, tuple string, n int, tail string) string {
	var b strings.Builder
	b.Grow(len(head) + n*(len(tuple)+1) + len(tail))
	b.WriteString(head)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(tuple)
	}
	b.WriteString(tail)
	return b.String()
}
