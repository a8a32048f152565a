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
			if _, err := c.Exec("PRAGMA wal_autocheckpoint = 10000", nil); err != nil {
				return err
			}
			// Keep statement journals in memory. A multi-row INSERT that
			// could abort half-way keeps the original of every page it
			// changes in a statement journal, which spills to a file in
			// /var/tmp past 64 KiB: a batch of 100 points (one leaf each)
			// cost ~200 small writes to that file on top of the WAL's
			// (strace), measured 4.5 of ~10 ms per 1,000-value batch. It
			// only serves to undo a failed statement, so memory loses
			// nothing; it takes at most the pages one statement changes.
			_, err := c.Exec("PRAGMA temp_store = MEMORY", nil)
			return err
		},
	})
}
