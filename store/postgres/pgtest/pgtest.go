// Package pgtest gives tests a PostgreSQL schema of their own.
//
// Tests of every package that touches PostgreSQL use the server named by
// ECOWATCH_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/test).
// Each call creates a fresh schema, so parallel test packages and runs never
// collide, and drops it when the test ends. Where the server is unreachable
// the test skips and says how to enable it, except under CI=true, where a
// missing service is a failure: CI must never pass by skipping.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// DefaultURL is the server this kind of machine runs for tests.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test"

// BaseURL returns ECOWATCH_TEST_POSTGRES or DefaultURL.
func BaseURL() string {
	if u := os.Getenv("ECOWATCH_TEST_POSTGRES"); u != "" {
		return u
	}
	return DefaultURL
}

// SchemaURL creates a schema named prefix_<random> on the test server and
// returns a URL whose search_path selects it; the schema is dropped when tb
// ends.
func SchemaURL(tb testing.TB, prefix string) string {
	tb.Helper()
	base := BaseURL()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := sql.Open("pgx", base)
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		msg := fmt.Sprintf("PostgreSQL unreachable at %s (%v); start it or set ECOWATCH_TEST_POSTGRES to a reachable URL to run the PostgreSQL tests", base, err)
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg + " (CI=true: this is a failure, not a skip)")
		}
		tb.Skip(msg)
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		tb.Fatal(err)
	}
	schema := prefix + "_" + hex.EncodeToString(rnd[:])
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			tb.Errorf("drop test schema %s: %v", schema, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
