package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ecowatch/store"
	"ecowatch/store/internal/sqlstore"
)

// TestFramesByDevice: frames indexed by device in bulk (raw_frame_by_mn)
// and the newer ones not yet indexed read as one list in id order, paged
// across the watermark and filtered by time; retention takes the index
// entries with the frames.
func TestFramesByDevice(t *testing.T) {
	defer func(n int64) { indexFramesEvery = n }(indexFramesEvery)
	indexFramesEvery = 10
	ctx := context.Background()
	s := openTemp(t)
	defer s.Close()
	mns := []string{"MNA", "MNB", "MNC"}
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, store.CST)
	n := 0
	for b := range 17 {
		var fs []store.Frame
		for i := range 3 {
			// Devices take turns unevenly, so each has frames on both
			// sides of the watermark.
			mn := mns[(b+i*b)%3]
			fs = append(fs, store.Frame{MN: mn, CN: "2011", QN: fmt.Sprint(n), Raw: []byte("##" + fmt.Sprint(n)),
				Verdict: "ok", Received: base.Add(time.Duration(n) * time.Second)})
			n++
		}
		if _, err := s.IngestBatch(ctx, fs, make([][]store.Measurement, len(fs))); err != nil {
			t.Fatal(err)
		}
	}
	var upto, indexed int64
	if err := s.Writer().QueryRow("SELECT upto, (SELECT COUNT(*) FROM raw_frame_by_mn) FROM raw_frame_by_mn_upto").Scan(&upto, &indexed); err != nil {
		t.Fatal(err)
	}
	if upto < 30 || upto == int64(n) || indexed != upto {
		t.Fatalf("watermark %d with %d entries after %d frames: want most, not all, indexed", upto, indexed, n)
	}
	all, err := s.Frames(ctx, store.FrameQuery{Limit: 1000})
	if err != nil || len(all) != n {
		t.Fatalf("all frames: %d, %v", len(all), err)
	}
	from, to := base.Add(10*time.Second), base.Add(40*time.Second)
	for _, mn := range mns {
		var want, wantRange []store.Frame
		for _, f := range all {
			if f.MN == mn {
				want = append(want, f)
				if !f.Received.Before(from) && f.Received.Before(to) {
					wantRange = append(wantRange, f)
				}
			}
		}
		var got []store.Frame
		for after := int64(0); ; {
			page, err := s.Frames(ctx, store.FrameQuery{MN: mn, AfterID: after, Limit: 4})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			after = page[len(page)-1].ID
		}
		same := func(what string, got, want []store.Frame) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("%s %s: %d frames, want %d", mn, what, len(got), len(want))
			}
			for i := range want {
				if got[i].ID != want[i].ID || got[i].QN != want[i].QN || string(got[i].Raw) != string(want[i].Raw) || !got[i].Received.Equal(want[i].Received) {
					t.Fatalf("%s %s [%d] = %+v, want %+v", mn, what, i, got[i], want[i])
				}
			}
		}
		same("paged", got, want)
		inRange, err := s.Frames(ctx, store.FrameQuery{MN: mn, From: from, To: to})
		if err != nil {
			t.Fatal(err)
		}
		same("in a time range", inRange, wantRange)
	}

	// A device's frames are read from the index in its order, never by
	// sorting all of them.
	q, args := framesByMN("MNA", 0, "received >= ?", []any{int64(0)}, 10)
	rows, err := s.Writer().Query("EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	var plan strings.Builder
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(detail + "\n")
	}
	rows.Close()
	if p := plan.String(); strings.Contains(p, "TEMP B-TREE") || !strings.Contains(p, "SEARCH m USING PRIMARY KEY (mn=? AND id>?)") {
		t.Fatalf("plan of a device's frames:\n%s", p)
	}

	// Retention: the frames of the first 20 seconds go, and their entries.
	if _, err := s.Purge(ctx, store.Retention{Frames: time.Hour}, base.Add(time.Hour+20*time.Second)); err != nil {
		t.Fatal(err)
	}
	var left, stale int
	if err := s.Writer().QueryRow(`SELECT (SELECT COUNT(*) FROM raw_frame_by_mn),
	(SELECT COUNT(*) FROM raw_frame_by_mn m WHERE NOT EXISTS (SELECT 1 FROM raw_frame f WHERE f.id = m.id))`).Scan(&left, &stale); err != nil {
		t.Fatal(err)
	}
	if stale != 0 || int64(left) != upto-20 {
		t.Fatalf("after purging 20 frames: %d entries (want %d), %d without their frame", left, upto-20, stale)
	}
}

// TestMigrateFramesByDevice: a store made before migration 0003 (frames
// indexed by an index on (mn, id)) keeps every device's frames readable,
// all of them indexed, and the old index is gone.
func TestMigrateFramesByDevice(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w, err := sql.Open(driverName, dsn(filepath.Join(dir, FileName), false))
	if err != nil {
		t.Fatal(err)
	}
	w.SetMaxOpenConns(1)
	if _, err := migrate(ctx, w, func(m sqlstore.Migration) bool { return m.Version != 3 }); err != nil {
		t.Fatal(err)
	}
	pre := *dialect
	pre.IndexFrames, pre.FramesByMN = nil, nil
	old := sqlstore.New(&pre, w, w, w.Close)
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, store.CST)
	var fs []store.Frame
	for i := range 30 {
		fs = append(fs, store.Frame{MN: fmt.Sprintf("MN%d", i%4), CN: "2011", QN: fmt.Sprint(i), Raw: []byte("##"),
			Verdict: "ok", Received: base.Add(time.Duration(i) * time.Second)})
	}
	if _, err := old.IngestBatch(ctx, fs, make([][]store.Measurement, len(fs))); err != nil {
		t.Fatal(err)
	}
	old.Close()

	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var upto, entries, oldIndex int
	if err := s.Writer().QueryRow(`SELECT upto, (SELECT COUNT(*) FROM raw_frame_by_mn),
	(SELECT COUNT(*) FROM sqlite_schema WHERE name = 'raw_frame_mn') FROM raw_frame_by_mn_upto`).Scan(&upto, &entries, &oldIndex); err != nil {
		t.Fatal(err)
	}
	if upto != 30 || entries != 30 || oldIndex != 0 {
		t.Fatalf("after the migration: watermark %d, %d entries, old index %d; want 30, 30, gone", upto, entries, oldIndex)
	}
	got, err := s.Frames(ctx, store.FrameQuery{MN: "MN1"})
	if err != nil || len(got) != 8 {
		t.Fatalf("MN1's frames: %d, %v; want 8", len(got), err)
	}
	for i, f := range got {
		if f.MN != "MN1" || (i > 0 && f.ID <= got[i-1].ID) {
			t.Fatalf("MN1's frames out of order or foreign: %+v", got)
		}
	}
}
