package postgres

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"ecowatch/store"
	"ecowatch/store/postgres/pgtest"
	"ecowatch/store/storetest"
)

// openTemp opens a store in a schema of its own (see pgtest).
func openTemp(t testing.TB) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := Open(ctx, pgtest.SchemaURL(t, "ecowatch_test"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := openTemp(t)
		// Close before the schema is dropped: cleanups run last in, first
		// out, and the suite's own Close is harmless to repeat.
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestPartitionsAndImmutableFrames(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	// 2020-02-01 00:30 CST is 16:30 UTC on Jan 31: months are cut in
	// CST, so it must land in the February partition.
	id, err := s.AppendFrame(ctx, store.Frame{Received: time.Date(2020, 2, 1, 0, 30, 0, 0, store.CST), Raw: []byte("##")})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.Writer().QueryRowContext(ctx, "SELECT COUNT(*) FROM raw_frame_p202002 WHERE id = $1", id).Scan(&n); err != nil || n != 1 {
		t.Fatalf("frame in February partition: %d, %v", n, err)
	}
	if _, err := s.Writer().ExecContext(ctx, "UPDATE raw_frame SET raw = 'x' WHERE id = $1", id); err == nil {
		t.Fatal("a raw frame was updated")
	}
}

func BenchmarkWrite1000(b *testing.B)      { storetest.BenchWrite(b, openTemp(b), 1000) }
func BenchmarkWrite10000(b *testing.B)     { storetest.BenchWrite(b, openTemp(b), 10000) }
func BenchmarkReadDay(b *testing.B)        { storetest.BenchReadDay(b, openTemp(b)) }
func BenchmarkIngest(b *testing.B)         { storetest.BenchIngest(b, openTemp(b)) }
func BenchmarkIngestBatch100(b *testing.B) { storetest.BenchIngestBatch(b, openTemp(b), 100) }

// BenchmarkSizePerMillion reports the growth of the measurement
// partitions (table, index and TOAST) per million values.
func BenchmarkSizePerMillion(b *testing.B) {
	for i := 0; i < b.N; i++ {
		s := openTemp(b)
		size := func() int64 {
			var n sql.NullInt64
			if err := s.Writer().QueryRow(`SELECT SUM(pg_total_relation_size(c.oid)) FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'measurement'::regclass`).Scan(&n); err != nil {
				b.Fatal(err)
			}
			return n.Int64
		}
		grew := storetest.MeasureSize(b, s, 1_000_000, size)
		b.ReportMetric(float64(grew)/1e6, "MB/Mvalues")
		s.Close()
	}
}
