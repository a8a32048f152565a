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
	InsertRows: insertRows,
	LoadRows:   loadRows,
	UpdateRows: updateRows,
	ScanRows:   scanRows,
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
	closer := func() error { return errors.Join(r.Close(), w.Close()) }
	return &Store{DB: sqlstore.New(dialect, w, r, closer), path: path}, nil
}

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

// insertChunk is the number of rows per INSERT statement: one statement
// for many rows saves the per-statement cost that dominates single-row
// inserts, and 4 × 256 parameters stay far below SQLite's limit of 32,766.
const insertChunk = 256

// insertRows inserts rows in multi-row statements whose RETURNING clause
// names the rows actually inserted (ON CONFLICT DO NOTHING returns none for
// an existing key).
func insertRows(ctx context.Context, tx *sql.Tx, rows []sqlstore.Row) ([]bool, error) {
	ok := make([]bool, len(rows))
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	args := make([]any, 0, 4*insertChunk)
	for start := 0; start < len(rows); start += insertChunk {
		chunk := rows[start:min(start+insertChunk, len(rows))]
		args = args[:0]
		for _, r := range chunk {
			args = append(args, r.Point, r.Kind, r.T, r.Data)
		}
		var st *sql.Stmt
		var err error
		if len(chunk) == insertChunk && full != nil {
			st = full
		} else {
			st, err = tx.PrepareContext(ctx, insertSQL(len(chunk)))
			if err != nil {
				return nil, err
			}
			if len(chunk) == insertChunk {
				full = st
			} else {
				defer st.Close()
			}
		}
		res, err := st.QueryContext(ctx, args...)
		if err != nil {
			return nil, err
		}
		inserted := make(map[[3]int64]bool, len(chunk))
		for res.Next() {
			var k [3]int64
			if err := res.Scan(&k[0], &k[1], &k[2]); err != nil {
				res.Close()
				return nil, err
			}
			inserted[k] = true
		}
		if err := res.Err(); err != nil {
			return nil, err
		}
		res.Close()
		for i, r := range chunk {
			ok[start+i] = inserted[[3]int64{r.Point, int64(r.Kind), r.T}]
		}
	}
	return ok, nil
}

func insertSQL(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO measurement (point_id, kind, t, data) VALUES ")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?)")
	}
	b.WriteString(" ON CONFLICT DO NOTHING RETURNING point_id, kind, t")
	return b.String()
}

func loadRows(ctx context.Context, tx *sql.Tx, rows []sqlstore.Row) ([][]byte, error) {
	st, err := tx.PrepareContext(ctx, "SELECT data FROM measurement WHERE point_id = ? AND kind = ? AND t = ?")
	if err != nil {
		return nil, err
	}
	defer st.Close()
	out := make([][]byte, len(rows))
	for i, r := range rows {
		if err := st.QueryRowContext(ctx, r.Point, r.Kind, r.T).Scan(&out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func updateRows(ctx context.Context, tx *sql.Tx, rows []sqlstore.Row) error {
	st, err := tx.PrepareContext(ctx, "UPDATE measurement SET data = ? WHERE point_id = ? AND kind = ? AND t = ?")
	if err != nil {
		return err
	}
	defer st.Close()
	for _, r := range rows {
		if _, err := st.ExecContext(ctx, r.Data, r.Point, r.Kind, r.T); err != nil {
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
