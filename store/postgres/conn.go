package postgres

import (
	"database/sql"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// openDB opens a database/sql pool on the connection string (URL or
// keyword/value form) as connConfig reads it.
func openDB(connString string) (*sql.DB, error) {
	cfg, err := connConfig(connString)
	if err != nil {
		return nil, err
	}
	return stdlib.OpenDB(*cfg), nil
}

// connConfig parses connString like pgx, except that when every host is on
// this machine (a loopback address, "localhost" or a Unix socket) and
// neither the string nor PGSSLMODE names an sslmode, it uses sslmode=allow
// instead of libpq's default "prefer": try without TLS first, and with TLS
// only if the server refuses that. TLS on loopback protects nothing (the
// bytes never leave the kernel) and cost a third of a day read's time in
// encryption on both ends; a server whose pg_hba.conf wants TLS even there
// (hostssl) still gets it, one refused attempt later. An explicit sslmode
// always wins.
func connConfig(connString string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return nil, err
	}
	if explicitSSLMode(connString) || !allLocal(cfg) {
		return cfg, nil
	}
	return pgx.ParseConfig(withSSLMode(connString, "allow"))
}

// dsnSSLMode finds an sslmode keyword in the keyword/value form. A
// quoted value that happens to contain " sslmode=" also matches; that
// only keeps pgx's default, the safe side.
var dsnSSLMode = regexp.MustCompile(`(^|\s)sslmode\s*=`)

func isURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

func explicitSSLMode(connString string) bool {
	if _, ok := os.LookupEnv("PGSSLMODE"); ok {
		return true
	}
	if isURL(connString) {
		u, err := url.Parse(connString)
		// Unparsable here but accepted by pgx: keep pgx's reading.
		return err != nil || u.Query().Has("sslmode")
	}
	return dsnSSLMode.MatchString(connString)
}

func withSSLMode(connString, mode string) string {
	if isURL(connString) {
		u, err := url.Parse(connString)
		if err != nil {
			return connString
		}
		q := u.Query()
		q.Set("sslmode", mode)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return connString + " sslmode=" + mode
}

// allLocal reports whether every host pgx would try is on this machine.
func allLocal(cfg *pgx.ConnConfig) bool {
	if !localHost(cfg.Host) {
		return false
	}
	for _, f := range cfg.Fallbacks {
		if !localHost(f.Host) {
			return false
		}
	}
	return true
}

func localHost(h string) bool {
	if strings.HasPrefix(h, "/") { // a Unix socket's directory
		return true
	}
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}
