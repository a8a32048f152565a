package httpapi

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"ecowatch/store/postgres"
)

// TestPostgres runs the API's behaviour tests on PostgreSQL
// (ECOWATCH_TEST_POSTGRES, default postgres://postgres@127.0.0.1:5432/test),
// each in a schema of its own. Unreachable, it skips saying so, except
// under CI=true, where that fails.
func TestPostgres(t *testing.T) {
	for name, fn := range map[string]func(*testing.T, *fixture){
		"Scoping": testScoping, "SessionSecurity": testSessionSecurity, "ThrottleAndAudit": testThrottleAndAudit,
		"Export": testExport, "Outline": testOutline, "CityAQI": testCityAQI,
	} {
		t.Run(name, func(t *testing.T) {
			st := openPostgres(t)
			t.Cleanup(func() { st.Close() })
			fn(t, newFixtureOn(t, st))
		})
	}
}

var pgSchemas int

func openPostgres(t *testing.T) *postgres.Store {
	t.Helper()
	base := os.Getenv("ECOWATCH_TEST_POSTGRES")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := sql.Open("pgx", base)
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		msg := fmt.Sprintf("PostgreSQL unreachable at %s (%v); set ECOWATCH_TEST_POSTGRES to run the API tests on PostgreSQL", base, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true: a failure, not a skip)")
		}
		t.Skip(msg)
	}
	pgSchemas++
	schema := fmt.Sprintf("ecowatch_api_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, pgSchemas)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	st, err := postgres.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	return st
}
