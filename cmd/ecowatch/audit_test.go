package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"ecowatch/casework"
	"ecowatch/store"
	"ecowatch/store/postgres"
	"ecowatch/store/postgres/pgtest"
	"ecowatch/store/sqlite"
)

// TestAuditVerifyCommand: `ecowatch audit verify` passes an untouched log
// and fails, naming the entry, when a row is altered or a middle row is
// deleted directly in the database, on both backends.
func TestAuditVerifyCommand(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			var st interface {
				store.SQLer
				Close() error
			}
			var flag []string
			if backend == "sqlite" {
				dir := t.TempDir()
				s, err := sqlite.Open(ctx, dir)
				if err != nil {
					t.Fatal(err)
				}
				st, flag = s, []string{"--data-dir", dir}
			} else {
				url := pgtest.SchemaURL(t, "ecowatch_audit")
				s, err := postgres.Open(ctx, url)
				if err != nil {
					t.Fatal(err)
				}
				st, flag = s, []string{"--postgres", url}
			}
			defer st.Close()
			db := st.SQL()
			repo := casework.NewRepo(db, nil)
			for i := 0; i < 4; i++ {
				if _, err := repo.Create(ctx, casework.Case{Title: "问题", Source: casework.SourceLeaderInstruction, Category: "air",
					RegionCode: "430102", Deadline: t0Audit}, casework.Actor{Name: "province"}); err != nil {
					t.Fatal(err)
				}
			}
			verify := func() (string, int) { return userCLI(t, "", append([]string{"audit", "verify"}, flag...)...) }
			if out, code := verify(); code != 0 || !strings.Contains(out, "intact: 4 entries") {
				t.Fatalf("untouched (%d): %s", code, out)
			}
			var ids []int64
			rows, err := db.R.QueryContext(ctx, "SELECT id FROM audit_log ORDER BY id")
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id int64
				rows.Scan(&id)
				ids = append(ids, id)
			}
			rows.Close()
			if _, err := db.W.ExecContext(ctx, db.Q("UPDATE audit_log SET detail = ? WHERE id = ?"), "harmless", ids[1]); err != nil {
				t.Fatal(err)
			}
			out, code := verify()
			if code != 1 || !strings.Contains(out, "altered") || !strings.Contains(out, "entry "+itoaAudit(ids[1])) {
				t.Errorf("altered row (%d): %s", code, out)
			}
			if _, err := db.W.ExecContext(ctx, db.Q("DELETE FROM audit_log WHERE id = ?"), ids[1]); err != nil {
				t.Fatal(err)
			}
			out, code = verify()
			if code != 1 || !strings.Contains(out, "missing") || !strings.Contains(out, "entry "+itoaAudit(ids[2])) {
				t.Errorf("deleted middle row (%d): %s", code, out)
			}
		})
	}
}

var t0Audit = time.Date(2030, 1, 1, 0, 0, 0, 0, store.CST)

func itoaAudit(n int64) string { return strconv.FormatInt(n, 10) }
