package httpapi

import (
	"context"
	"testing"
	"time"

	"ecowatch/store/postgres"
	"ecowatch/store/postgres/pgtest"
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

func openPostgres(t *testing.T) *postgres.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := postgres.Open(ctx, pgtest.SchemaURL(t, "ecowatch_api_test"))
	if err != nil {
		t.Fatal(err)
	}
	return st
}
