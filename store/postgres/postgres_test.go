package postgres

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
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
// partitions (tables, indexes and TOAST of the leaves) per million values.
func BenchmarkSizePerMillion(b *testing.B) {
	for i := 0; i < b.N; i++ {
		s := openTemp(b)
		size := func() int64 {
			var n sql.NullInt64
			if err := s.Writer().QueryRow(`SELECT SUM(pg_total_relation_size(relid)) FROM pg_partition_tree('measurement')
WHERE isleaf`).Scan(&n); err != nil {
				b.Fatal(err)
			}
			return n.Int64
		}
		grew := storetest.MeasureSize(b, s, 1_000_000, size)
		b.ReportMetric(float64(grew)/1e6, "MB/Mvalues")
		s.Close()
	}
}

func TestUnixSeconds(t *testing.T) {
	for _, tc := range []struct {
		us   int64
		want int64
	}{{0, pgEpoch}, {1_500_000, pgEpoch + 1}, {-1, pgEpoch - 1}, {-1_000_000, pgEpoch - 1}, {-1_000_001, pgEpoch - 2}} {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(tc.us))
		if got, err := pgUnixSeconds(b[:]); err != nil || got != tc.want {
			t.Errorf("%d µs: %d, %v; want %d", tc.us, got, err, tc.want)
		}
	}
	if _, err := pgUnixSeconds([]byte{1, 2}); err == nil {
		t.Error("short timestamp accepted")
	}
	var inf [8]byte
	binary.BigEndian.PutUint64(inf[:], uint64(math.MaxInt64))
	if _, err := pgUnixSeconds(inf[:]); err == nil {
		t.Error("infinity accepted")
	}
}

// TestReadRawRows reads measurements written before and after 2000 (a
// negative binary timestamp) through the raw read.
func TestReadRawRows(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	points := storetest.SeedPoints(t, s, 1)
	var ms []store.Measurement
	for _, at := range []time.Time{time.Date(1999, 12, 31, 23, 59, 0, 0, store.CST), time.Date(2020, 1, 1, 0, 1, 0, 0, store.CST)} {
		ms = append(ms, store.Measurement{Point: points[0], Factor: "a21026", Kind: store.Minute, Time: at,
			Values: store.Values{Flag: "N"}.With(store.Avg, 1.5), Received: at})
	}
	if err := s.WriteMeasurements(ctx, ms); err != nil {
		t.Fatal(err)
	}
	got, err := s.Measurements(ctx, store.MeasurementQuery{Point: points[0], Factor: "a21026", Kind: store.Minute,
		From: ms[0].Time.Add(-time.Hour), To: ms[1].Time.Add(time.Hour)})
	if err != nil || len(got) != 2 {
		t.Fatalf("%d values, %v", len(got), err)
	}
	for i := range got {
		if !got[i].Time.Equal(ms[i].Time) || !got[i].Received.Equal(ms[i].Received) || got[i].Values.V[store.Avg] != 1.5 {
			t.Errorf("value %d = %+v", i, got[i])
		}
	}
}

// TestReadDayPlan checks that the plan PostgreSQL keeps for the day read
// after its first runs (the generic plan) is the ordered index scan, not
// a bitmap scan and a sort, at the default random_page_cost and others.
func TestReadDayPlan(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	points := storetest.SeedPoints(t, s, 20)
	rec := time.Date(2020, 2, 1, 0, 0, 0, 0, store.CST)
	var ms []store.Measurement
	for m := 0; m < 2*1440; m += 60 {
		ms = storetest.Batch(ms, points, m, 60*len(points)*len(storetest.GasFactors), rec)
		if err := s.WriteMeasurements(ctx, ms); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := s.Writer().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{"ANALYZE measurement", "SET plan_cache_mode = force_generic_plan"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for i, tc := range []struct{ cost, query string }{
		{"1.1", readDay}, {"4", readDay}, {"10", readDay},
		{"1.1", readFrom("measurement_p202001_minute")}, {"4", readFrom("measurement_p202001_minute")}, {"10", readFrom("measurement_p202001_minute")},
	} {
		// A generic plan is made once per prepared statement: prepare
		// one for each cost.
		for _, q := range []string{"SET random_page_cost = " + tc.cost,
			fmt.Sprintf("PREPARE rd%d (bigint, smallint, timestamptz, timestamptz, bigint) AS %s", i, tc.query)} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		var plan string
		if err := conn.QueryRowContext(ctx, fmt.Sprintf("EXPLAIN (FORMAT JSON) EXECUTE rd%d (2, 2051, '2020-01-02 00:00+08', '2020-01-03 00:00+08', 86400)", i)).Scan(&plan); err != nil {
			t.Fatal(err)
		}
		cost := tc.cost + " " + tc.query[strings.Index(tc.query, "FROM"):strings.Index(tc.query, "\n")]
		if !strings.Contains(plan, `"Node Type": "Index Scan"`) || strings.Contains(plan, `"Node Type": "Sort"`) || strings.Contains(plan, "Bitmap") {
			t.Errorf("random_page_cost %s: generic plan of the day read is not the ordered index scan:\n%s", cost, plan)
		}
	}
}

// TestReadDayPrepared checks that the day read runs as a statement pgx
// prepared once on the connection (its statement cache), so that
// PostgreSQL parses it once and keeps its plan. It also fails when
// sqlstore's read query no longer matches sqlstoreRead (scanRows then runs
// it as given, without the partition and the LIMIT).
func TestReadDayPrepared(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	s.Writer().SetMaxOpenConns(1) // every call on the one connection
	pt := storetest.SeedPoints(t, s, 1)[0]
	at := time.Date(2020, 1, 2, 0, 0, 0, 0, store.CST)
	for _, day := range []time.Time{at, at.AddDate(0, 0, 1), at.AddDate(0, 0, 2)} {
		if err := s.WriteMeasurements(ctx, []store.Measurement{{Point: pt, Factor: "a21026", Kind: store.Minute, Time: day,
			Values: store.Values{}.With(store.Avg, 1), Received: day}}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Measurements(ctx, store.MeasurementQuery{Point: pt, Factor: "a21026", Kind: store.Minute, From: day, To: day.AddDate(0, 0, 1)})
		if err != nil || len(got) != 1 {
			t.Fatalf("%d values, %v", len(got), err)
		}
	}
	var n int
	if err := s.Writer().QueryRowContext(ctx, "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1 AND NOT from_sql",
		readFrom("measurement_p202001_minute")).Scan(&n); err != nil || n != 1 {
		t.Errorf("the day read is prepared %d times on the connection (%v); want once", n, err)
	}
}
