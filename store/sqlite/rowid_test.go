package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"ecowatch/store"
	"ecowatch/store/internal/sqlstore"
	"ecowatch/store/storetest"
)

// v1Dialect writes and reads the measurement table as it was before
// migration 0002 (WITHOUT ROWID, keyed (point_id, kind, t)), one row per
// statement: enough to fill a store of that version through the shared
// code, which packs rows exactly as it did then.
var v1Dialect = &sqlstore.Dialect{
	Name:    "sqlite",
	TimeArg: func(sec int64) any { return sec },
	InsertRows: func(ctx context.Context, tx *sql.Tx, rows []sqlstore.Row) ([]bool, error) {
		ok := make([]bool, len(rows))
		for i, r := range rows {
			res, err := tx.ExecContext(ctx, "INSERT INTO measurement (point_id, kind, t, data) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
				r.Point, r.Kind, r.T, r.Data)
			if err != nil {
				return nil, err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return nil, err
			}
			ok[i] = n == 1
		}
		return ok, nil
	},
	LoadRows: func(ctx context.Context, tx *sql.Tx, rows []sqlstore.Row) ([][]byte, error) {
		out := make([][]byte, len(rows))
		for i, r := range rows {
			if err := tx.QueryRowContext(ctx, "SELECT data FROM measurement WHERE point_id = ? AND kind = ? AND t = ?",
				r.Point, r.Kind, r.T).Scan(&out[i]); err != nil {
				return nil, err
			}
		}
		return out, nil
	},
	UpdateRows: func(ctx context.Context, tx *sql.Tx, rows []sqlstore.Row) error {
		for _, r := range rows {
			if _, err := tx.ExecContext(ctx, "UPDATE measurement SET data = ? WHERE point_id = ? AND kind = ? AND t = ?",
				r.Data, r.Point, r.Kind, r.T); err != nil {
				return err
			}
		}
		return nil
	},
}

// openV1 creates a store in dir migrated to every migration but 0002: the
// schema of the version before the rowid key.
func openV1(t *testing.T, dir string) *sqlstore.DB {
	t.Helper()
	w, err := sql.Open(driverName, dsn(filepath.Join(dir, FileName), false))
	if err != nil {
		t.Fatal(err)
	}
	w.SetMaxOpenConns(1)
	if _, err := migrate(context.Background(), w, func(m sqlstore.Migration) bool { return m.Version != 2 }); err != nil {
		w.Close()
		t.Fatal(err)
	}
	return sqlstore.New(v1Dialect, w, w, w.Close)
}

var (
	keyFirst = time.Unix(0, 0)          // the first second the key holds
	keyLast  = time.Unix(maxKeyTime, 0) // the last
)

// v1Data writes, through db, values of three points and every kind at the
// first and last second the new key holds and at times in 2020, then
// re-sent copies of some (a later receive time wins, an earlier one does
// not), so that stored rows hold merged entries from several frames.
func v1Data(t *testing.T, db *sqlstore.DB) []string {
	t.Helper()
	ctx := context.Background()
	points := storetest.SeedPoints(t, db, 3)
	rec := time.Date(2020, 3, 1, 0, 0, 0, 0, store.CST)
	var ms []store.Measurement
	for pi, p := range points {
		for ki, k := range store.Kinds {
			times := []time.Time{keyFirst, keyLast}
			for m := 0; m < 50; m++ {
				times = append(times, time.Date(2020, 1, 1, 0, 0, 0, 0, store.CST).Add(time.Duration(m*(ki+1))*time.Minute))
			}
			for ti, at := range times {
				for fi, f := range storetest.GasFactors[:3+pi] {
					v := store.Values{Flag: "N"}.With(store.Avg, float64(ti)+0.5*float64(fi)).With(store.Max, 1e-9*float64(ti+pi))
					ms = append(ms, store.Measurement{Point: p, Factor: f, Kind: k, Time: at, Values: v,
						Frame: int64(100*pi + ti), Received: rec.Add(time.Duration(ti) * time.Second)})
				}
			}
		}
	}
	if err := db.WriteMeasurements(ctx, ms); err != nil {
		t.Fatal(err)
	}
	var resent []store.Measurement
	for i := 0; i < len(ms); i += 7 {
		m := ms[i]
		m.Values = m.Values.With(store.Min, -float64(i))
		m.Frame += 1000
		if i%2 == 0 {
			m.Received = m.Received.Add(time.Hour) // wins
		} else {
			m.Received = m.Received.Add(-time.Hour) // loses
		}
		resent = append(resent, m)
	}
	if err := db.WriteMeasurements(ctx, resent); err != nil {
		t.Fatal(err)
	}
	return points
}

// readAll reads every value of points from s.
func readAll(t *testing.T, s interface {
	Measurements(context.Context, store.MeasurementQuery) ([]store.Measurement, error)
}, points []string) []store.Measurement {
	t.Helper()
	var out []store.Measurement
	for _, p := range points {
		for _, k := range store.Kinds {
			for _, f := range storetest.GasFactors {
				got, err := s.Measurements(context.Background(), store.MeasurementQuery{Point: p, Factor: f, Kind: k,
					From: time.Unix(-1<<40, 0), To: time.Unix(1<<40, 0)})
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, got...)
			}
		}
	}
	return out
}

func sameMeasurements(t *testing.T, got, want []store.Measurement) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d values, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Point != w.Point || g.Factor != w.Factor || g.Kind != w.Kind || !g.Time.Equal(w.Time) ||
			!g.Values.Equal(w.Values) || g.Frame != w.Frame || !g.Received.Equal(w.Received) {
			t.Fatalf("value %d = %+v, want %+v", i, g, w)
		}
	}
}

func countRows(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM measurement").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestMigrateFilledStore migrates a store of the previous version holding
// data: every value reads back identically, the table is the rowid one,
// and a re-sent copy merges into a migrated row instead of adding one.
func TestMigrateFilledStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old := openV1(t, dir)
	points := v1Data(t, old)
	want := readAll(t, old, points)
	rows := countRows(t, old.Writer())
	if len(want) < 1000 || rows < 500 {
		t.Fatalf("test data too small: %d values, %d rows", len(want), rows)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sameMeasurements(t, readAll(t, s, points), want)
	if n := countRows(t, s.Writer()); n != rows {
		t.Fatalf("%d rows after migration, want %d", n, rows)
	}
	var withoutRowid int
	var pk, check string
	if err := s.Writer().QueryRow(`SELECT wr, (SELECT group_concat(name) FROM pragma_table_info('measurement') WHERE pk > 0)
FROM pragma_table_list WHERE name = 'measurement'`).Scan(&withoutRowid, &pk); err != nil || withoutRowid != 0 || pk != "id" {
		t.Fatalf("measurement after migration: without rowid %d, key %q, %v", withoutRowid, pk, err)
	}
	if err := s.Writer().QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	// The virtual columns give back the old key of every row.
	var bad int
	if err := s.Writer().QueryRow(`SELECT COUNT(*) FROM measurement WHERE kind IS NULL OR t < 0 OR point_id NOT IN (SELECT id FROM point)`).Scan(&bad); err != nil || bad != 0 {
		t.Fatalf("%d rows with a wrong virtual key, %v", bad, err)
	}

	// The SQL's key and the Go code's agree: a copy received later
	// replaces a migrated one in place.
	m := want[len(want)/2]
	m.Values = m.Values.With(store.Avg, 12345)
	m.Received = m.Received.Add(24 * time.Hour)
	if err := s.WriteMeasurements(ctx, []store.Measurement{m}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Measurements(ctx, store.MeasurementQuery{Point: m.Point, Factor: m.Factor, Kind: m.Kind, From: m.Time, To: m.Time.Add(time.Second)})
	if err != nil || len(got) != 1 || !got[0].Values.Equal(m.Values) {
		t.Fatalf("after re-send: %+v, %v", got, err)
	}
	if n := countRows(t, s.Writer()); n != rows {
		t.Fatalf("%d rows after a re-send, want %d", n, rows)
	}
}

// TestMigrationSetsAsideUnkeyableRows: a row of the previous version whose
// time the key cannot hold is moved to measurement_unkeyed, byte for byte,
// and the store opens with every other row.
func TestMigrationSetsAsideUnkeyableRows(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old := openV1(t, dir)
	points := storetest.SeedPoints(t, old, 1)
	ms := []store.Measurement{
		{Point: points[0], Factor: "a21026", Kind: store.Hour, Time: time.Date(2020, 1, 1, 0, 0, 0, 0, store.CST), Values: store.Values{}.With(store.Avg, 1)},
		{Point: points[0], Factor: "a21026", Kind: store.Hour, Time: keyFirst.Add(-time.Hour), Values: store.Values{}.With(store.Avg, 2)},
	}
	if err := old.WriteMeasurements(ctx, ms); err != nil {
		t.Fatal(err)
	}
	var oldData []byte
	var oldT int64
	if err := old.Writer().QueryRow("SELECT t, data FROM measurement WHERE t < 0").Scan(&oldT, &oldData); err != nil {
		t.Fatal(err)
	}
	old.Close()

	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatalf("migration of a store with an unkeyable row: %v", err)
	}
	defer s.Close()
	if n := countRows(t, s.Writer()); n != 1 {
		t.Fatalf("%d rows after the migration, want the keyable 1", n)
	}
	got, err := s.Measurements(ctx, store.MeasurementQuery{Point: points[0], Factor: "a21026", Kind: store.Hour,
		From: ms[0].Time, To: ms[0].Time.Add(time.Hour)})
	if err != nil || len(got) != 1 {
		t.Fatalf("the keyable row: %+v, %v", got, err)
	}
	var kind, tt int64
	var data []byte
	if err := s.Writer().QueryRow("SELECT kind, t, data FROM measurement_unkeyed").Scan(&kind, &tt, &data); err != nil {
		t.Fatal(err)
	}
	if kind != 2061 || tt != oldT || !bytes.Equal(data, oldData) {
		t.Fatalf("set aside: kind %d t %d (want 2061, %d), same data %v", kind, tt, oldT, bytes.Equal(data, oldData))
	}
}

// TestKeyOrder: ids sort exactly as (point, kind, t) tuples did, so the
// migration's copy and every range read see the same order as before.
func TestKeyOrder(t *testing.T) {
	type key struct {
		p int64
		k store.Kind
		t int64
	}
	r := rand.New(rand.NewPCG(1, 2))
	var ks []key
	for i := 0; i < 2000; i++ {
		p := []int64{0, 1, 2, r.Int64N(1 << 28), 1<<28 - 1}[r.IntN(5)]
		tm := []int64{0, 1, maxKeyTime - 1, maxKeyTime, r.Int64N(maxKeyTime + 1)}[r.IntN(5)]
		ks = append(ks, key{p, store.Kinds[r.IntN(len(store.Kinds))], tm})
	}
	id := func(k key) int64 {
		v, err := measurementKey(k.p, int16(k.k), k.t)
		if err != nil || v < 0 {
			t.Fatalf("key %+v: %d, %v", k, v, err)
		}
		return v
	}
	slices.SortFunc(ks, func(a, b key) int {
		if c := id(a) - id(b); c != 0 {
			return map[bool]int{true: -1, false: 1}[c < 0]
		}
		return 0
	})
	for i := 1; i < len(ks); i++ {
		a, b := ks[i-1], ks[i]
		if a.p > b.p || a.p == b.p && (a.k > b.k || a.k == b.k && a.t > b.t) {
			t.Fatalf("%+v sorts before %+v", a, b)
		}
		if a != b && id(a) == id(b) {
			t.Fatalf("%+v and %+v share id %d", a, b, id(a))
		}
	}
}

// TestKeyLimits: values the key cannot hold (a time before 1970 or after
// 2106-02-07 06:28:15 UTC, a point id of 2^28 or more) are refused with
// store.ErrInvalid and a message naming the limit, by every write; the
// first and last second are stored and read back. In a batch, such a
// frame is archived alone with the reason and the others are stored.
func TestKeyLimits(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	defer s.Close()
	points := storetest.SeedPoints(t, s, 2)
	// A point whose id the key cannot hold (ids are given by the
	// registry; this one is forced).
	if _, err := s.Writer().Exec(`INSERT INTO point (id, code, name, kind, region_code) SELECT ?, 'BIG', 'big', kind, region_code FROM point WHERE code = ?`,
		int64(1)<<28, points[0]); err != nil {
		t.Fatal(err)
	}
	v := store.Values{Flag: "N"}.With(store.Avg, 7.25)
	m := func(p string, at time.Time) store.Measurement {
		return store.Measurement{Point: p, Factor: "a21026", Kind: store.Minute, Time: at, Values: v}
	}
	for _, c := range []struct {
		m    store.Measurement
		want string
	}{
		{m(points[0], keyFirst.Add(-time.Second)), "time 1969-12-31T23:59:59Z: the SQLite store keeps times from 1970-01-01 to 2106-02-07 06:28:15 UTC"},
		{m(points[0], keyLast.Add(time.Second)), "time 2106-02-07T06:28:16Z: the SQLite store keeps times"},
		{m(points[0], time.Date(9999, 12, 31, 23, 59, 59, 0, store.CST)), "time 9999-12-31T15:59:59Z"},
		{m("BIG", time.Date(2020, 1, 1, 0, 0, 0, 0, store.CST)), "point id 268435456: the SQLite store keys point ids below 2^28"},
	} {
		err := s.WriteMeasurements(ctx, []store.Measurement{m(points[1], keyFirst), c.m})
		if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "measurement 1 (point "+c.m.Point) {
			t.Errorf("write of %s at %v: err = %v, want ErrInvalid with %q", c.m.Point, c.m.Time, err, c.want)
		}
		if _, err := s.Ingest(ctx, store.Frame{Received: time.Now(), Raw: []byte("##x")}, []store.Measurement{c.m}); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ingest of %s at %v: err = %v", c.m.Point, c.m.Time, err)
		}
	}
	// Nothing of the refused writes was stored, not even their valid value.
	if n := countRows(t, s.Writer()); n != 0 {
		t.Fatalf("%d rows after refused writes", n)
	}

	// The first and last second the key holds, and a batch with a frame
	// at a time it cannot hold.
	rec := time.Date(2020, 2, 1, 0, 0, 0, 0, store.CST)
	frames := []store.Frame{
		{Received: rec, Raw: []byte("##edges"), Verdict: "ok"},
		{Received: rec, Raw: []byte("##future"), Verdict: "ok"},
	}
	ids, err := s.IngestBatch(ctx, frames, [][]store.Measurement{
		{m(points[0], keyFirst), m(points[0], keyLast), m(points[1], keyLast)},
		{m(points[1], keyLast.Add(time.Second))},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		p    string
		at   time.Time
		want int
	}{{points[0], keyFirst, 1}, {points[0], keyLast, 1}, {points[1], keyFirst, 0}, {points[1], keyLast, 1}} {
		got, err := s.Measurements(ctx, store.MeasurementQuery{Point: c.p, Factor: "a21026", Kind: store.Minute, From: c.at, To: c.at.Add(time.Second)})
		if err != nil || len(got) != c.want || c.want == 1 && (!got[0].Time.Equal(c.at) || !got[0].Values.Equal(v) || got[0].Frame != ids[0]) {
			t.Fatalf("%s at %v: %+v, %v; want %d value from frame %d", c.p, c.at, got, err, c.want, ids[0])
		}
	}
	fs, err := s.Frames(ctx, store.FrameQuery{})
	if err != nil || len(fs) != 2 || fs[0].Diagnostics != "" || !strings.Contains(fs[1].Diagnostics, "measurements not stored") ||
		!strings.Contains(fs[1].Diagnostics, "2106-02-07T06:28:16Z") {
		t.Fatalf("frames: %+v, %v", fs, err)
	}
	// Reads and purges clamp their range to what the key holds and never
	// reach into another kind's or point's range.
	all, err := s.Measurements(ctx, store.MeasurementQuery{Point: points[0], Factor: "a21026", Kind: store.Minute,
		From: time.Unix(-1<<40, 0), To: time.Unix(1<<40, 0)})
	if err != nil || len(all) != 2 {
		t.Fatalf("whole range: %d values, %v", len(all), err)
	}
	if got, err := s.Measurements(ctx, store.MeasurementQuery{Point: "BIG", Factor: "a21026", Kind: store.Minute,
		From: keyFirst, To: keyLast}); err != nil || len(got) != 0 {
		t.Fatalf("point beyond the key: %+v, %v", got, err)
	}
	p, err := s.Purge(ctx, store.Retention{Minute: time.Hour}, keyLast)
	if err != nil || p.Rows[store.Minute] != 1 {
		t.Fatalf("purge: %+v, %v", p, err)
	}
	p, err = s.Purge(ctx, store.Retention{Minute: time.Hour}, time.Unix(1<<40, 0))
	if err != nil || p.Rows[store.Minute] != 2 || countRows(t, s.Writer()) != 0 {
		t.Fatalf("purge of everything: %+v, %v", p, err)
	}
}

// TestReadPlan: the day read and the purge are one range search of the
// table's B-tree, without a sort.
func TestReadPlan(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	for _, q := range []string{readSQL, purgeSQL} {
		rows, err := s.Writer().Query("EXPLAIN QUERY PLAN "+q, 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		var plan bytes.Buffer
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&plan, detail)
		}
		rows.Close()
		if got := strings.TrimSpace(plan.String()); got != "SEARCH measurement USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)" {
			t.Errorf("plan of %s:\n%s", q, got)
		}
	}
}
