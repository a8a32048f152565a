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
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
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
	} else {
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

func insertRows(ctx context.Context, tx *sql.Tx, rows []sqlstore.Row) ([]bool, error) {
	st, err := tx.PrepareContext(ctx, "INSERT INTO measurement (point_id, kind, t, data) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
	if err != nil {
		return nil, err
	}
	defer st.Close()
	ok := make([]bool, len(rows))
	for i, r := range rows {
		res, err := st.ExecContext(ctx, r.Point, r.Kind, r.T, r.Data)
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, err
		}
		ok[i] = n == 1
	}
	return ok, nil
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
