package main

import (
	"ecowatch/store/postgres/pgtest"
	"strings"
	"testing"
)

// postgresTestURL returns a URL of a fresh schema on the test PostgreSQL.
func postgresTestURL(t *testing.T) string { return pgtest.SchemaURL(t, "ecowatch_cmdtest") }

func TestPostgresSeedImportList(t *testing.T) {
	pg := map[string]string{"ECOWATCH_POSTGRES": postgresTestURL(t)} // from the environment
	if code, out, errs := runCmd(t, pg, "migrate"); code != 0 || !strings.Contains(out, "applied 0001_init.sql") {
		t.Fatalf("migrate: %d %q %q", code, out, errs)
	}
	if code, out, errs := runCmd(t, pg, "seed", "hunan"); code != 0 || !strings.Contains(out, "stations 82") {
		t.Fatalf("seed: %d %q %q", code, out, errs)
	}
	code, out, errs := runCmd(t, pg, "registry", "import", samplePath("enterprises.csv"), samplePath("points.csv"), samplePath("devices.csv"))
	if code != 0 || !strings.HasPrefix(out, "imported enterprises 3, points 6, devices 4") {
		t.Fatalf("import: %d %q %q", code, out, errs)
	}
	code, out, _ = runCmd(t, pg, "registry", "list")
	for _, want := range []string{"regions (137)", "enterprises (3)", "points (88)", "devices (4)"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("list lacks %q:\n%s", want, out)
		}
	}
	if code, _, errs := runCmd(t, pg, "backup", "--out", "x"); code != 1 || !strings.Contains(errs, "pg_dump") {
		t.Fatalf("backup of postgres: %d %q", code, errs)
	}
}
