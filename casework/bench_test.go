package casework

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"ecowatch/store"
	"ecowatch/store/sqlite"
)

// BenchmarkVerify: the chain check's cost per audit entry on SQLite
// (b.N passes over 20,000 entries).
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	db := st.SQL()
	const n = 20000
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		for i := 0; i < n; i++ {
			if _, err := db.AppendAudit(ctx, tx, store.AuditEntry{Time: time.Unix(1.8e9+int64(i), 0), Actor: "province", Action: "case.report",
				Object: "case:1", Detail: "管网施工完成 60%; files: site.png sha256:abcdef"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := Verify(ctx, db)
		if err != nil || rep.Break != nil || rep.Checked != n {
			b.Fatal(rep, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/entry")
}
