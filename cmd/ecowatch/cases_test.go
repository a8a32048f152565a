package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"ecowatch/casework"
	"ecowatch/store"
	"ecowatch/store/sqlite"
)

// TestCasesScheduler drives the escalation schedule with a controllable
// clock and timer: each tick is one pass at the clock's time, and the
// case climbs 提醒 → 督办 → 挂牌督办 as the clock passes the thresholds.
func TestCasesScheduler(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, store.CST)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	repo := casework.NewRepo(st.SQL(), clock)
	deadline := now.AddDate(0, 0, 10)
	c, err := repo.Create(ctx, casework.Case{Title: "督察反馈问题", Source: casework.SourceCentralInspection, Category: "water",
		RegionCode: "430102", Deadline: deadline}, casework.Actor{Name: "province"})
	if err != nil {
		t.Fatal(err)
	}
	ticks := make(chan time.Time)
	passes := make(chan int)
	waits := make(chan time.Duration)
	s := casesScheduler{repo: repo, every: time.Hour, now: clock, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		after: func(d time.Duration) <-chan time.Time { waits <- d; return ticks },
		passed: func(n int, err error) {
			if err != nil {
				t.Error(err)
			}
			passes <- n
		}}
	done := make(chan struct{})
	go func() { s.run(ctx); close(done) }()
	if n := <-passes; n != 0 {
		t.Errorf("first pass, 10 days before the deadline, raised %d", n)
	}
	if d := <-waits; d != time.Hour {
		t.Errorf("waits %s between passes, want 1h", d)
	}
	for _, step := range []struct {
		at   time.Time
		want casework.Level
	}{
		{deadline.Add(-48 * time.Hour), casework.LevelReminder},
		{deadline.Add(-47 * time.Hour), casework.LevelReminder},
		{deadline.Add(8 * 24 * time.Hour), casework.LevelEscalate},
		{deadline.Add(40 * 24 * time.Hour), casework.LevelListed},
	} {
		mu.Lock()
		now = step.at
		mu.Unlock()
		ticks <- step.at
		<-passes
		<-waits
		got, err := repo.Case(ctx, c.ID)
		if err != nil || got.Level != step.want {
			t.Errorf("at deadline%+v: level %s (%v), want %s", step.at.Sub(deadline), got.Level, err, step.want)
		}
	}
	cancel()
	<-done
}

// TestCasesDemo: the demo cases are valid, spread over the cities, some
// closed and some overdue, and the audit chain holds.
func TestCasesDemo(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	out, code := userCLI(t, "", "case", "demo", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "28 cases, 3 complaints") {
		t.Fatalf("case demo (%d): %s", code, out)
	}
	st, err = sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stats, err := casework.NewRepo(st.SQL(), nil).Stats(ctx, casework.Filter{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if stats.Open+stats.Closed != 28 || stats.Closed == 0 || stats.Overdue == 0 || len(stats.ByCity) != 14 {
		t.Errorf("demo stats %+v", stats)
	}
	if rep, err := casework.Verify(ctx, st.SQL()); err != nil || rep.Break != nil {
		t.Errorf("demo audit chain: %+v %v", rep, err)
	}
}

// TestCasesServePart: `ecowatch serve` serves the public complaint route
// and keeps its photos in <data-dir>/attachments, content-addressed.
func TestCasesServePart(t *testing.T) {
	m := startMain(t)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("json", `{"what":"河道偷排","address":"长沙市"}`)
	w, _ := mw.CreateFormFile("files", "p.png")
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00serve-part")
	w.Write(png)
	mw.Close()
	res, err := http.Post("http://"+m.HTTPAddr+"/api/v1/complaints", mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("complaint: %d %s", res.StatusCode, body)
	}
	sum := sha256.Sum256(png)
	sha := hex.EncodeToString(sum[:])
	if _, err := os.Stat(filepath.Join(m.Settings.DataDir, "attachments", sha[:2], sha[2:4], sha)); err != nil {
		t.Errorf("photo not in the data directory: %v", err)
	}
}
