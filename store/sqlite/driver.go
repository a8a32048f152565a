package sqlite

// The driver is mattn/go-sqlite3 (cgo); see the package note in
// README.md of this directory for the measurements behind the choice.
import _ "github.com/mattn/go-sqlite3"

const driverName = "sqlite3"
