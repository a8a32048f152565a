package sqlite

import (
	"database/sql"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// The driver is mattn/go-sqlite3 (cgo); README.md in this directory has
// the measurements behind the choice.
const driverName = "sqlite3_ecowatch"

func init() {
	sql.Register(driverName, &sqlite3.SQLiteDriver{
		ConnectHook: func(c *sqlite3.SQLiteConn) error {
			// Checkpoint every 10,000 pages (about 40 MB of WAL) instead of
			// 1,000: a batch of one minute from many points rewrites one
			// leaf page per point, and a rarer checkpoint writes each such
			// page to the database file once for many batches. The
			// driver's DSN has no parameter for it, and a hook survives a
			// reconnect, which a one-off PRAGMA would not.
			_, err := c.Exec("PRAGMA wal_autocheckpoint = 10000", nil)
			return err
		},
	})
}
