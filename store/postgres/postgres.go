// Package postgres is the production store on PostgreSQL (via pgx), for
// the scaled deployment. Raw frames live in tables partitioned by month
// and measurements by month and interval kind, created on demand, so
// retention drops whole partitions and vacuum works on bounded pieces
// (partitions.go).
//
// Example:
//
//	st, err := postgres.Open(ctx, "postgres://ecowatch@db/ecowatch")  // migrates
//	if err != nil { ... }
//	defer st.Close()
//
// Backups use PostgreSQL's own tools (pg_dump for a logical copy, or
// pg_basebackup with WAL archiving for point-in-time recovery); see the
// store README.
package postgres

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib" // also registers the "pgx" database/sql driver

	"ecowatch/store"
	"ecowatch/store/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is the PostgreSQL implementation of store.Store.
type Store struct {
	*sqlstore.DB
	parts *partitions
}

var _ store.Store = (*Store)(nil)

// Open connects to url, applies the migrations and returns the store.
func Open(ctx context.Context, url string) (*Store, error) {
	db, err := openDB(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if _, err := Migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	p := &partitions{db: db, made: map[string]bool{}, leaves: map[string]string{}, now: time.Now}
	d := &sqlstore.Dialect{
		Name:          "postgres",
		Dollar:        true,
		TimeArg:       func(sec int64) any { return time.Unix(sec, 0).UTC() },
		InsertRows:    insertRows,
		LoadRows:      loadRows,
		UpdateRows:    updateRows,
		Prepare:       p.prepare,
		ScanRows:      p.scanRows,
		InsertFrames:  insertFrames,
		MigrationLock: migrationLock,
	}
	return &Store{DB: sqlstore.New(d, db, db, db.Close), parts: p}, nil
}

// migrationLock serialises migrations of processes starting together; the
// number is arbitrary but fixed.
const migrationLock = "SELECT pg_advisory_xact_lock(2122017)"

var migrateDialect = &sqlstore.Dialect{Name: "postgres", Dollar: true, MigrationLock: migrationLock}

// Migrate applies the embedded migrations not yet applied and returns
// their names.
func Migrate(ctx context.Context, db *sql.DB) ([]string, error) {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	ms, err := sqlstore.Migrations(sub)
	if err != nil {
		return nil, err
	}
	return sqlstore.Migrate(ctx, db, migrateDialect, ms, time.Now)
}

func columns(rows []sqlstore.Row, withData bool) []any {
	ps := make([]int64, len(rows))
	ks := make([]int16, len(rows))
	ts := make([]time.Time, len(rows))
	var ds [][]byte
	if withData {
		ds = make([][]byte, len(rows))
	}
	for i, r := range rows {
		ps[i], ks[i], ts[i] = r.Point, r.Kind, time.Unix(r.T, 0).UTC()
		if withData {
			ds[i] = r.Data
		}
	}
	if withData {
		return []any{ps, ks, ts, ds}
	}
	return []any{ps, ks, ts}
}

type key struct {
	p int64
	k int16
	t int64
}

// insertRows sends the whole batch as four arrays in one statement: one
// round trip, like COPY, but with ON CONFLICT, which COPY lacks. The usual
// batch has only new keys, which the change count tells; only otherwise
// are the stored rows read back (and locked, see loadRows), and a row
// holding exactly our data counts as inserted: merging it would change
// nothing. A RETURNING row per key cost a time.Time and a map entry each.
func insertRows(ctx context.Context, tx *sql.Tx, rows []sqlstore.Row) ([]bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO measurement (point_id, kind, t, data)
SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::timestamptz[], $4::bytea[])
ON CONFLICT DO NOTHING`, columns(rows, true)...)
	if err != nil {
		return nil, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, err
	}
	ok := make([]bool, len(rows))
	if n == int64(len(rows)) {
		for i := range ok {
			ok[i] = true
		}
		return ok, nil
	}
	stored, err := loadRows(ctx, tx, rows)
	if err != nil {
		return nil, err
	}
	for i, r := range rows {
		ok[i] = bytes.Equal(stored[i], r.Data)
	}
	return ok, nil
}

// loadRows locks the stored rows it reads (FOR UPDATE): without the lock
// two transactions merging into one row would both read the old version
// and the later commit would drop the other's copy whatever its receive
// time. Locks are taken in key order, the order every batch inserts in,
// so two batches do not deadlock.
func loadRows(ctx context.Context, tx *sql.Tx, rows []sqlstore.Row) ([][]byte, error) {
	res, err := tx.QueryContext(ctx, `SELECT m.point_id, m.kind, m.t, m.data FROM measurement m
JOIN unnest($1::bigint[], $2::smallint[], $3::timestamptz[]) AS k (p, kd, t) ON m.point_id = k.p AND m.kind = k.kd AND m.t = k.t
ORDER BY m.point_id, m.kind, m.t FOR UPDATE OF m`,
		columns(rows, false)...)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	got := make(map[key][]byte, len(rows))
	for res.Next() {
		var k key
		var t time.Time
		var d []byte
		if err := res.Scan(&k.p, &k.k, &t, &d); err != nil {
			return nil, err
		}
		k.t = t.Unix()
		got[k] = d
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	out := make([][]byte, len(rows))
	for i, r := range rows {
		d, ok := got[key{r.Point, r.Kind, r.T}]
		if !ok {
			return nil, fmt.Errorf("row %d/%d/%d vanished within its transaction", r.Point, r.Kind, r.T)
		}
		out[i] = d
	}
	return out, nil
}

func updateRows(ctx context.Context, tx *sql.Tx, rows []sqlstore.Row) error {
	_, err := tx.ExecContext(ctx, `UPDATE measurement m SET data = u.d
FROM unnest($1::bigint[], $2::smallint[], $3::timestamptz[], $4::bytea[]) AS u (p, kd, t, d)
WHERE m.point_id = u.p AND m.kind = u.kd AND m.t = u.t`, columns(rows, true)...)
	return err
}

// MigrateURL connects to url, applies the migrations not yet applied and
// returns their names.
func MigrateURL(ctx context.Context, url string) ([]string, error) {
	db, err := openDB(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	defer db.Close()
	return Migrate(ctx, db)
}

// readDay is sqlstore's read query, run through pgx, with a LIMIT that
// never cuts (keys are unique and times whole seconds, so a range of n
// seconds holds at most n rows) but steers the plan. pgx prepares the
// statement once per connection, and after five runs PostgreSQL keeps a
// generic plan, which knows neither the point nor the range: it guessed
// ~20 rows and chose a bitmap heap scan and a sort (0.8-1.2 ms of server
// time for a day of minute data) over the primary key's ordered index
// scan (0.3-0.6 ms), whatever random_page_cost says. A LIMIT given as a
// parameter is planned as if a tenth of the rows were wanted, and a sort
// must read all of its input before its first row, so the generic plan
// is the ordered index scan, which can stop early.
const readDay = `SELECT t, data FROM measurement
WHERE point_id = $1 AND kind = $2 AND t >= $3 AND t < $4 ORDER BY t LIMIT $5`

// readFrom is readDay on one partition.
func readFrom(table string) string {
	return `SELECT t, data FROM ` + table + `
WHERE point_id = $1 AND kind = $2 AND t >= $3 AND t < $4 ORDER BY t LIMIT $5`
}

func isUndefinedTable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "42P01"
}

// sqlstoreRead is the read query sqlstore hands to ScanRows; scanRows
// runs readDay (or readFrom) in its place, and any other query as given.
const sqlstoreRead = "SELECT t, data FROM measurement WHERE point_id = $1 AND kind = $2 AND t >= $3 AND t < $4 ORDER BY t"

// dayRead reads sqlstore's arguments of sqlstoreRead: point, kind, from, to.
func dayRead(q string, args []any) (kind int16, from, to time.Time, ok bool) {
	if q != sqlstoreRead || len(args) != 4 {
		return 0, from, to, false
	}
	kind, ok1 := args[1].(int16)
	from, ok2 := args[2].(time.Time)
	to, ok3 := args[3].(time.Time)
	return kind, from, to, ok1 && ok2 && ok3
}

// scanRows reads through pgx itself rather than database/sql, whose
// per-row locking and conversions cost as much as the rows, and takes each
// row's values as pgx received them: a timestamptz in binary format is
// eight bytes of microseconds and a bytea its bytes, so a row costs no
// allocation (Scan made a time.Time and copied the data each time).
//
// A range within one month reads that month's partition of the kind by
// name (see partitions.leaf) rather than the parent table: PostgreSQL
// 15's generic plan for the parent covers every partition, locks them all
// at each run and prunes only then, which with ten years of partitions
// cost more server time than the read.
func (p *partitions) scanRows(ctx context.Context, db *sql.DB, q string, args []any, fn func(int64, []byte) error) error {
	kind, from, to, day := dayRead(q, args)
	var leaf string
	if day {
		var err error
		if leaf, err = p.leaf(ctx, kind, from, to); err != nil {
			return err
		}
		// readDay's LIMIT: the number of seconds in [from, to).
		args = append(args[:4:4], max(0, to.Unix()-from.Unix()))
		q = readDay
		if leaf != "" {
			q = readFrom(leaf)
		}
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("postgres driver connection is %T", dc)
		}
		rows, err := sc.Conn().Query(ctx, q, args...)
		if err != nil && leaf != "" && isUndefinedTable(err) {
			// Dropped since we looked (retention in another process).
			p.forget(leaf)
			rows, err = sc.Conn().Query(ctx, readDay, args...)
		}
		if err != nil {
			return err
		}
		defer rows.Close()
		fds := rows.FieldDescriptions()
		raw := len(fds) == 2 && fds[0].Format == pgBinary && fds[1].Format == pgBinary
		var t time.Time
		var data []byte
		for rows.Next() {
			if !raw {
				if err := rows.Scan(&t, &data); err != nil {
					return err
				}
				if err := fn(t.Unix(), data); err != nil {
					return err
				}
				continue
			}
			vs := rows.RawValues()
			sec, err := pgUnixSeconds(vs[0])
			if err != nil {
				return err
			}
			if vs[1] == nil {
				return fmt.Errorf("measurement row at %d has no data", sec)
			}
			if err := fn(sec, vs[1]); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// pgBinary is the format code of PostgreSQL's binary wire format.
const pgBinary = 1

// pgEpoch is 2000-01-01 00:00 UTC, where binary timestamps count from.
const pgEpoch = 946684800

// pgUnixSeconds converts a timestamptz in binary format (microseconds
// since pgEpoch, big-endian) to Unix seconds, rounding down.
func pgUnixSeconds(b []byte) (int64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("timestamptz of %d bytes", len(b))
	}
	us := int64(binary.BigEndian.Uint64(b))
	if us == math.MaxInt64 || us == math.MinInt64 {
		return 0, errors.New("infinite timestamptz")
	}
	sec := us / 1e6
	if us%1e6 < 0 {
		sec--
	}
	return sec + pgEpoch, nil
}

// insertFrames takes the ids from the sequence first, in order, then
// inserts every frame in one statement: two round trips for any number of
// frames, and ids that follow the frames' order.
func insertFrames(ctx context.Context, tx *sql.Tx, frames []store.Frame) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, "SELECT nextval(pg_get_serial_sequence('raw_frame', 'id')) FROM generate_series(1, $1) ORDER BY 1", len(frames))
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(frames))
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(ids) != len(frames) {
		return nil, fmt.Errorf("sequence gave %d ids for %d frames", len(ids), len(frames))
	}
	rec := make([]time.Time, len(frames))
	remote, mn, cn, qn, verdict, diag := make([]string, len(frames)), make([]string, len(frames)), make([]string, len(frames)),
		make([]string, len(frames)), make([]string, len(frames)), make([]string, len(frames))
	raw := make([][]byte, len(frames))
	for i, f := range frames {
		rec[i], remote[i], mn[i], cn[i], qn[i], verdict[i], diag[i] = time.Unix(f.Received.Unix(), 0).UTC(), f.Remote, f.MN, f.CN, f.QN, f.Verdict, f.Diagnostics
		raw[i] = f.Raw
		if raw[i] == nil {
			raw[i] = []byte{}
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO raw_frame (id, received, remote, mn, cn, qn, raw, verdict, diagnostics)
SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bytea[], $8::text[], $9::text[])`,
		ids, rec, remote, mn, cn, qn, raw, verdict, diag)
	if err != nil {
		return nil, err
	}
	return ids, nil
}
