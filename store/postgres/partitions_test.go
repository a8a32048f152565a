package postgres

import (
	"context"
	"testing"
	"time"

	"ecowatch/store"
	"ecowatch/store/postgres/pgtest"
	"ecowatch/store/storetest"
)

func exists(t *testing.T, s *Store, name string) bool {
	t.Helper()
	var ok bool
	if err := s.Writer().QueryRow("SELECT to_regclass($1) IS NOT NULL", name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func write(t *testing.T, s *Store, point string, k store.Kind, at ...time.Time) {
	t.Helper()
	var ms []store.Measurement
	for _, tm := range at {
		ms = append(ms, store.Measurement{Point: point, Factor: "a21026", Kind: k, Time: tm, Values: store.Values{}.With(store.Avg, 1), Received: tm})
	}
	if err := s.WriteMeasurements(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
}

func times(t *testing.T, s *Store, point string, k store.Kind, from, to time.Time) []time.Time {
	t.Helper()
	got, err := s.Measurements(context.Background(), store.MeasurementQuery{Point: point, Factor: "a21026", Kind: k, From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	var out []time.Time
	for _, m := range got {
		out = append(out, m.Time)
	}
	return out
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, store.CST) }

// TestPurgeDropsPartitions: a month wholly past a kind's retention loses
// that kind's partition (and a month of frames its partition) while the
// month's other kinds stay untouched; a month partly past it loses only
// the expired rows; a write into a dropped range works again, also from
// a second store that had the partition in its cache.
func TestPurgeDropsPartitions(t *testing.T) {
	ctx := context.Background()
	url := pgtest.SchemaURL(t, "ecowatch_test")
	s, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	pt := storetest.SeedPoints(t, s, 1)[0]

	write(t, s, pt, store.Minute, day(2021, 1, 10), day(2021, 1, 11), day(2021, 2, 10), day(2021, 2, 20), day(2021, 6, 1))
	write(t, other, pt, store.RealTime, day(2021, 1, 10))
	write(t, s, pt, store.Hour, day(2021, 1, 10))
	write(t, s, pt, store.Day, day(2021, 1, 10))
	for _, at := range []time.Time{day(2021, 1, 10), day(2021, 6, 1)} {
		if _, err := s.AppendFrame(ctx, store.Frame{Received: at, Raw: []byte("##")}); err != nil {
			t.Fatal(err)
		}
	}
	if !exists(t, s, "measurement_p202101_minute") || !exists(t, s, "raw_frame_p202101") {
		t.Fatal("partitions not made by kind and month")
	}

	// 120 days before June 15 is February 15: January is wholly past,
	// February partly.
	now := time.Date(2021, 6, 15, 0, 0, 0, 0, store.CST)
	r := store.Retention{RealTime: 120 * 24 * time.Hour, Minute: 120 * 24 * time.Hour, Frames: 120 * 24 * time.Hour}
	p, err := s.Purge(ctx, r, now)
	if err != nil {
		t.Fatal(err)
	}
	if p.Rows[store.Minute] != 3 || p.Rows[store.RealTime] != 1 || p.Rows[store.Hour] != 0 || p.Rows[store.Day] != 0 || p.Frames != 1 {
		t.Errorf("purged %+v; want 3 minute rows, 1 real-time row, 1 frame", p)
	}
	for name, want := range map[string]bool{
		"measurement_p202101_minute": false, "measurement_p202101_realtime": false, "raw_frame_p202101": false,
		"measurement_p202101_hour": true, "measurement_p202101_day": true, "measurement_p202101": true,
		"measurement_p202102_minute": true, "raw_frame_p202106": true,
	} {
		if got := exists(t, s, name); got != want {
			t.Errorf("partition %s exists: %v, want %v", name, got, want)
		}
	}
	var inherits int
	if err := s.Writer().QueryRow(`SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE c.relname IN ('measurement_p202101_minute', 'measurement_p202101_realtime', 'raw_frame_p202101')`).Scan(&inherits); err != nil || inherits != 0 {
		t.Errorf("dropped partitions still in pg_inherits: %d, %v", inherits, err)
	}
	from, to := day(2020, 12, 1), day(2021, 7, 1)
	if got := times(t, s, pt, store.Minute, from, to); len(got) != 2 || !got[0].Equal(day(2021, 2, 20)) || !got[1].Equal(day(2021, 6, 1)) {
		t.Errorf("minute data left: %v", got)
	}
	if got := times(t, s, pt, store.Hour, from, to); len(got) != 1 || !got[0].Equal(day(2021, 1, 10)) {
		t.Errorf("hourly data of the month whose minute data was dropped: %v", got)
	}
	if got := times(t, s, pt, store.RealTime, from, to); len(got) != 0 {
		t.Errorf("real-time data left: %v", got)
	}
	fs, err := s.Frames(ctx, store.FrameQuery{})
	if err != nil || len(fs) != 1 || !fs[0].Received.Equal(day(2021, 6, 1)) {
		t.Errorf("frames left: %+v, %v", fs, err)
	}

	// other still has January's minute partition in its map: its read
	// finds the table gone and reads the parent instead.
	jan, feb := time.Date(2021, 1, 1, 0, 0, 0, 0, store.CST), time.Date(2021, 2, 1, 0, 0, 0, 0, store.CST)
	if got := times(t, other, pt, store.Minute, jan, feb); len(got) != 0 {
		t.Errorf("January's minute data read by the other store: %v", got)
	}
	if got := times(t, other, pt, store.Hour, jan, feb); len(got) != 1 {
		t.Errorf("January's hourly data read by the other store: %v", got)
	}

	// A device re-sends January: both stores write into the dropped
	// range (other made the real-time partition before the purge).
	write(t, other, pt, store.RealTime, day(2021, 1, 12))
	write(t, s, pt, store.Minute, day(2021, 1, 12))
	if _, err := other.AppendFrame(ctx, store.Frame{Received: day(2021, 1, 12), Raw: []byte("##")}); err != nil {
		t.Fatal(err)
	}
	if got := times(t, other, pt, store.Minute, jan, feb); len(got) != 1 || !got[0].Equal(day(2021, 1, 12)) {
		t.Errorf("January after the re-send: %v", got)
	}
	// …and the next pass drops it again.
	p, err = s.Purge(ctx, r, now)
	if err != nil {
		t.Fatal(err)
	}
	if p.Rows[store.Minute] != 1 || p.Rows[store.RealTime] != 1 || p.Frames != 1 || exists(t, s, "measurement_p202101_minute") {
		t.Errorf("second pass purged %+v", p)
	}
	// Once every kind of January has expired, its month table goes too.
	r.Hour, r.Day = r.Minute, r.Minute
	p, err = s.Purge(ctx, r, now)
	if err != nil {
		t.Fatal(err)
	}
	if p.Rows[store.Hour] != 1 || p.Rows[store.Day] != 1 || exists(t, s, "measurement_p202101") || !exists(t, s, "measurement_p202102") {
		t.Errorf("every kind expired: purged %+v, January exists %v", p, exists(t, s, "measurement_p202101"))
	}
}

// TestPurgeKeepsRecentMonths: the current and the previous month's
// partitions are never dropped (a writer trusts its cache of them), even
// when their rows have all expired; the rows are deleted instead.
func TestPurgeKeepsRecentMonths(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	pt := storetest.SeedPoints(t, s, 1)[0]
	prev := time.Now().In(store.CST).AddDate(0, -1, 0)
	at := time.Date(prev.Year(), prev.Month(), 1, 0, 0, 0, 0, store.CST)
	write(t, s, pt, store.Minute, at)
	name := monthName("measurement", at) + "_minute"
	p, err := s.Purge(ctx, store.Retention{Minute: 24 * time.Hour}, at.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if p.Rows[store.Minute] != 1 || !exists(t, s, name) {
		t.Errorf("purged %+v; %s exists: %v", p, name, exists(t, s, name))
	}
}

// TestPurgeMixedMonth: a month partition of an older ecowatch holds every
// kind in one table; it loses expired rows and is dropped only once every
// kind in it has expired.
func TestPurgeMixedMonth(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	pt := storetest.SeedPoints(t, s, 1)[0]
	if _, err := s.Writer().Exec(`CREATE TABLE measurement_p202003 PARTITION OF measurement
FOR VALUES FROM ('2020-03-01T00:00:00+08:00') TO ('2020-04-01T00:00:00+08:00')`); err != nil {
		t.Fatal(err)
	}
	write(t, s, pt, store.Minute, day(2020, 3, 5))
	write(t, s, pt, store.Hour, day(2020, 3, 5), day(2020, 3, 6))
	if exists(t, s, "measurement_p202003_minute") {
		t.Fatal("a mixed month got partitions by kind")
	}
	now := time.Date(2021, 6, 15, 0, 0, 0, 0, store.CST)
	year := 365 * 24 * time.Hour
	p, err := s.Purge(ctx, store.Retention{Minute: year}, now)
	if err != nil {
		t.Fatal(err)
	}
	if p.Rows[store.Minute] != 1 || p.Rows[store.Hour] != 0 || !exists(t, s, "measurement_p202003") {
		t.Errorf("hourly data kept forever: purged %+v, month exists %v", p, exists(t, s, "measurement_p202003"))
	}
	if got := times(t, s, pt, store.Hour, day(2020, 3, 1), day(2020, 4, 1)); len(got) != 2 {
		t.Errorf("hourly data of the mixed month: %v", got)
	}
	p, err = s.Purge(ctx, store.Retention{RealTime: year, Minute: year, Hour: year, Day: year}, now)
	if err != nil {
		t.Fatal(err)
	}
	if p.Rows[store.Hour] != 2 || exists(t, s, "measurement_p202003") {
		t.Errorf("every kind expired: purged %+v, month exists %v", p, exists(t, s, "measurement_p202003"))
	}
}
