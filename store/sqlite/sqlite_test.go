package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ecowatch/store"
	"ecowatch/store/internal/sqlstore"
	"ecowatch/store/storetest"
)

func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

func TestImmutableFramesAndBackup(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	storetest.Seed(t, s)
	id, err := s.AppendFrame(ctx, store.Frame{Received: time.Now(), Raw: []byte("##evidence")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Writer().ExecContext(ctx, "UPDATE raw_frame SET raw = 'x' WHERE id = ?", id); err == nil || !strings.Contains(err.Error(), "never altered") {
		t.Fatalf("update of a raw frame: err = %v", err)
	}
	dst := filepath.Join(t.TempDir(), "copy.db")
	if err := s.Backup(ctx, dst); err != nil {
		t.Fatal(err)
	}
	if err := s.Backup(ctx, dst); err == nil {
		t.Fatal("backup overwrote an existing file")
	}
	// The copy is a working store with the same content.
	dir := filepath.Dir(dst)
	if err := os.Rename(dst, filepath.Join(dir, FileName)); err != nil {
		t.Fatal(err)
	}
	c, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fs, err := c.Frames(ctx, store.FrameQuery{})
	if err != nil || len(fs) != 1 || string(fs[0].Raw) != "##evidence" {
		t.Fatalf("frames in backup = %+v, %v", fs, err)
	}
	if _, err := c.DeviceByMN(ctx, storetest.MN); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkWrite1000(b *testing.B)      { storetest.BenchWrite(b, openTemp(b), 1000) }
func BenchmarkWrite10000(b *testing.B)     { storetest.BenchWrite(b, openTemp(b), 10000) }
func BenchmarkReadDay(b *testing.B)        { storetest.BenchReadDay(b, openTemp(b)) }
func BenchmarkIngest(b *testing.B)         { storetest.BenchIngest(b, openTemp(b)) }
func BenchmarkIngestBatch100(b *testing.B) { storetest.BenchIngestBatch(b, openTemp(b), 100) }

// BenchmarkSizePerMillion reports the database file's growth per million
// values after a checkpoint folds the WAL into it.
func BenchmarkSizePerMillion(b *testing.B) {
	for i := 0; i < b.N; i++ {
		s := openTemp(b)
		size := func() int64 {
			if _, err := s.Writer().Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
				b.Fatal(err)
			}
			fi, err := os.Stat(s.Path())
			if err != nil {
				b.Fatal(err)
			}
			return fi.Size()
		}
		grew := storetest.MeasureSize(b, s, 1_000_000, size)
		b.ReportMetric(float64(grew)/1e6, "MB/Mvalues")
		s.Close()
	}
}

// TestBackupWhileWriting backs up while another goroutine commits batches
// of twenty values (one minute of ten factors at two points, two rows):
// the copy must pass SQLite's integrity check and hold only whole batches
// (a consistent snapshot, never half a transaction).
func TestBackupWhileWriting(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	points := storetest.SeedPoints(t, s, 2)
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		var ms []store.Measurement
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			ms = storetest.Batch(ms, points, i, 20, time.Now())
			if err := s.WriteMeasurements(ctx, ms); err != nil {
				done <- err
				return
			}
		}
	}()
	time.Sleep(50 * time.Millisecond)
	dir := t.TempDir()
	if err := s.Backup(ctx, filepath.Join(dir, FileName)); err != nil {
		t.Fatal(err)
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	c, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var check string
	if err := c.Writer().QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	var rows int
	if err := c.Writer().QueryRow("SELECT COUNT(*) FROM measurement").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows == 0 || rows%2 != 0 {
		t.Fatalf("backup holds %d rows, want a positive even number (two per batch)", rows)
	}
	day := time.Date(2020, 1, 1, 0, 0, 0, 0, store.CST)
	for _, p := range points {
		for _, f := range storetest.GasFactors {
			got, err := c.Measurements(ctx, store.MeasurementQuery{Point: p, Factor: f, Kind: store.Minute, From: day, To: day.AddDate(1, 0, 0)})
			if err != nil || len(got) != rows/2 {
				t.Fatalf("%s %s: %d values, want %d (%v)", p, f, len(got), rows/2, err)
			}
		}
	}
}

// TestPurgeFramesInChunks purges more frames than one chunk holds: every
// old frame goes, in several transactions, and the recent one stays.
func TestPurgeFramesInChunks(t *testing.T) {
	defer func(n int) { sqlstore.PurgeChunk = n }(sqlstore.PurgeChunk)
	sqlstore.PurgeChunk = 3
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	now := time.Date(2021, 1, 1, 0, 0, 0, 0, store.CST)
	for i := 0; i < 10; i++ {
		if _, err := s.AppendFrame(ctx, store.Frame{Received: now.AddDate(-1, 0, i), Raw: []byte("old")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AppendFrame(ctx, store.Frame{Received: now, Raw: []byte("new")}); err != nil {
		t.Fatal(err)
	}
	p, err := s.Purge(ctx, store.Retention{Frames: 30 * 24 * time.Hour}, now)
	if err != nil || p.Frames != 10 {
		t.Fatalf("purged %d frames, %v; want 10", p.Frames, err)
	}
	fs, err := s.Frames(ctx, store.FrameQuery{})
	if err != nil || len(fs) != 1 || string(fs[0].Raw) != "new" {
		t.Fatalf("left %+v, %v", fs, err)
	}
}

// TestReadManyRows reads several days of minute data of one point: every
// row comes back once, in time order, with its values, including values
// whose packed bytes hold NULs and arbitrary float64 bytes.
func TestReadManyRows(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	points := storetest.SeedPoints(t, s, 1)
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, store.CST)
	const readWindow = 4096
	n := 2*readWindow + 7
	ms := make([]store.Measurement, 0, n)
	for i := 0; i < n; i++ {
		// i/4 makes zero bytes; 0.1*i has no short decimal form below 10^-6
		// for most i and is stored as raw float64 bytes (any byte values).
		v := store.Values{Flag: "N"}.With(store.Avg, float64(i/4)).With(store.Max, 0.1*float64(i)+1e-9)
		ms = append(ms, store.Measurement{Point: points[0], Factor: "a21026", Kind: store.Minute,
			Time: base.Add(time.Duration(i) * time.Minute), Values: v, Received: base})
	}
	if err := s.WriteMeasurements(ctx, ms); err != nil {
		t.Fatal(err)
	}
	got, err := s.Measurements(ctx, store.MeasurementQuery{Point: points[0], Factor: "a21026", Kind: store.Minute,
		From: base, To: base.Add(time.Duration(n) * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d values, want %d", len(got), n)
	}
	for i, m := range got {
		if !m.Time.Equal(ms[i].Time) || !m.Values.Equal(ms[i].Values) {
			t.Fatalf("value %d = %v %+v, want %v %+v", i, m.Time, m.Values, ms[i].Time, ms[i].Values)
		}
	}
	// A range starting inside the data and ending before its end.
	got, err = s.Measurements(ctx, store.MeasurementQuery{Point: points[0], Factor: "a21026", Kind: store.Minute,
		From: base.Add(10 * time.Minute), To: base.Add(time.Duration(readWindow+20) * time.Minute)})
	if err != nil || len(got) != readWindow+10 || !got[0].Time.Equal(ms[10].Time) {
		t.Fatalf("%d values from %v, %v", len(got), got[0].Time, err)
	}
}

// TestChunks: the ranges cover 0..n in order, each of a size there is a
// prepared statement for.
func TestChunks(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, insertChunk - 1, insertChunk, insertChunk + 1, 1000, 2*insertChunk + 77} {
		next := 0
		err := chunks(n, func(start, end int) error {
			size := end - start
			if start != next || size < 1 || size > insertChunk || size&(size-1) != 0 {
				t.Fatalf("n=%d: range [%d, %d) after %d", n, start, end, next)
			}
			next = end
			return nil
		})
		if err != nil || next != n {
			t.Fatalf("n=%d: covered %d, %v", n, next, err)
		}
	}
}

// TestIngestBatchOddSizes: batches of sizes that take full statements and
// every remainder statement store each frame once, in order, with its
// values.
func TestIngestBatchOddSizes(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	points := storetest.SeedPoints(t, s, 3)
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, store.CST)
	total := 0
	for _, n := range []int{1, insertChunk + 255, 2*insertChunk + 3} {
		fs := make([]store.Frame, n)
		ms := make([][]store.Measurement, n)
		for i := range fs {
			at := base.Add(time.Duration(total+i) * time.Minute)
			fs[i] = store.Frame{Received: base, MN: storetest.MN, CN: "2051", QN: fmt.Sprint(total + i),
				Raw: []byte(fmt.Sprintf("##frame %d", total+i)), Verdict: "ok"}
			ms[i] = []store.Measurement{{Point: points[i%3], Factor: "a21026", Kind: store.Minute, Time: at,
				Values: store.Values{Flag: "N"}.With(store.Avg, float64(total+i))}}
		}
		ids, err := s.IngestBatch(ctx, fs, ms)
		if err != nil {
			t.Fatalf("batch of %d: %v", n, err)
		}
		for i := 1; i < n; i++ {
			if ids[i] != ids[i-1]+1 {
				t.Fatalf("batch of %d: ids %d then %d", n, ids[i-1], ids[i])
			}
		}
		total += n
	}
	got, err := s.Frames(ctx, store.FrameQuery{MN: storetest.MN, Limit: total + 1})
	if err != nil || len(got) != total {
		t.Fatalf("%d frames stored (%v), want %d", len(got), err, total)
	}
	seen := map[string]bool{}
	for _, f := range got {
		seen[string(f.Raw)] = true
	}
	for i := range total {
		if !seen[fmt.Sprintf("##frame %d", i)] {
			t.Fatalf("frame %d missing", i)
		}
	}
	var values int
	for _, p := range points {
		vs, err := s.Measurements(ctx, store.MeasurementQuery{Point: p, Factor: "a21026", Kind: store.Minute,
			From: base, To: base.Add(time.Duration(total) * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			if x, _ := v.Values.Get(store.Avg); !v.Time.Equal(base.Add(time.Duration(x) * time.Minute)) {
				t.Fatalf("point %s: value %v at %v", p, x, v.Time)
			}
		}
		values += len(vs)
	}
	if values != total {
		t.Fatalf("%d values stored, want %d", values, total)
	}
}
