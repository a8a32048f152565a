package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ecowatch/opendata"
	"ecowatch/registry"
	"ecowatch/store"
	"ecowatch/store/sqlite"
)

// opendataSeedDir writes three days of hourly SO2 at one air station in
// January 2020 into an embedded store in dir.
func opendataSeedDir(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	seedPoint(t, st, "1335A")
	pt, _ := st.Point(ctx, "1335A")
	pt.Factors = []registry.PointFactor{{Code: "a21026", Unit: "µg/m3"}}
	if err := st.UpsertPoint(ctx, pt); err != nil {
		t.Fatal(err)
	}
	var ms []store.Measurement
	t0 := time.Date(2020, 1, 1, 0, 0, 0, 0, store.CST)
	for h := 0; h < 72; h++ {
		ms = append(ms, store.Measurement{Point: "1335A", Factor: "a21026", Kind: store.Hour, Time: t0.Add(time.Duration(h) * time.Hour),
			Values: store.Values{Flag: "N"}.With(store.Avg, float64(10+h%7))})
	}
	if err := st.WriteMeasurements(ctx, ms); err != nil {
		t.Fatal(err)
	}
}

// TestOpenDataServeAndDownload: serve writes the bulk files on its
// schedule (clock fixed in January 2020), and `ecowatch opendata download`
// fetches the year's hourly files from it, verified, as a researcher
// would.
func TestOpenDataServeAndDownload(t *testing.T) {
	dir := t.TempDir()
	opendataSeedDir(t, dir)
	saved := opendataClock
	opendataClock = func() time.Time { return time.Date(2020, 1, 10, 3, 0, 0, 0, store.CST) }
	t.Cleanup(func() { opendataClock = saved })
	m := &Main{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	m.Settings.flags(fs)
	if err := fs.Parse([]string{"--data-dir", dir, "--gateway-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--clock-drift", "-1s",
		"--retention", "off", "--opendata", "bulk-days=12,anonymous=1000/m"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	})
	var ix opendata.Index
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var err error
		if ix, err = opendata.ReadIndex(filepath.Join(dir, "opendata")); err == nil && len(ix.Files) == 36 { // 12 days of 3 kinds
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no bulk index after 20 s: %+v %v", ix, err)
		}
	}
	if f, ok := ix.Lookup("hourly", "2020-01-02"); !ok || f.Rows != 24 || !f.Final {
		t.Fatalf("2020-01-02 hourly: %+v", f)
	}
	out := t.TempDir()
	got, code := serveCLI(t, "opendata", "download", "--server", "http://"+m.HTTPAddr, "--from", "2020-01-01", "--to", "2020-12-31", "--out", out)
	if code != 0 || !strings.Contains(got, "3 files downloaded") {
		t.Fatalf("download: %d %s", code, got)
	}
	gz, err := os.ReadFile(filepath.Join(out, "hourly", "2020", "2020-01-03.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	csv, _ := io.ReadAll(zr)
	if lines := strings.Split(strings.TrimSpace(string(csv)), "\n"); len(lines) != 25 ||
		lines[1] != "1335A,a21026,hour,2020-01-03T00:00:00+08:00,16,,,,,,,N,HJ633-2012" {
		t.Errorf("2020-01-03: %d lines, first %q", len(lines), lines[1])
	}
	if got, code := serveCLI(t, "opendata", "download", "--server", "http://"+m.HTTPAddr, "--from", "2020-01-01", "--to", "2020-12-31", "--out", out); code != 0 ||
		!strings.Contains(got, "0 files downloaded") || !strings.Contains(got, "3 already present") {
		t.Errorf("second download: %d %s", code, got)
	}
	// The daily AQI files: the city and its station on each of the 3 days.
	if got, code := serveCLI(t, "opendata", "download", "--server", "http://"+m.HTTPAddr, "--kind", "aqi-daily", "--from", "2020-01-01", "--to", "2020-12-31", "--out", out); code != 0 ||
		!strings.Contains(got, "3 files downloaded") {
		t.Errorf("AQI download: %d %s", code, got)
	}
	for _, bad := range [][]string{{"opendata", "download", "--server", "ftp://x", "--from", "2020-01-01", "--to", "2020-01-02", "--out", out},
		{"opendata", "download", "--server", "http://" + m.HTTPAddr, "--from", "2020-13-01", "--to", "2020-01-02", "--out", out},
		{"opendata", "bench", "--server", "http://192.0.2.1:8080"}, {"opendata", "nothing"}} {
		if got, code := serveCLI(t, bad...); code == 0 {
			t.Errorf("%v: exit 0: %s", bad, got)
		}
	}
	got, code = serveCLI(t, "opendata", "bench", "--server", "http://"+m.HTTPAddr, "--duration", "300ms", "--conns", "2")
	if code != 0 || !strings.Contains(got, "requests/s") || !strings.Contains(got, "HTTP 200") {
		t.Errorf("bench: %d %s", code, got)
	}
}

func TestOpenDataBulkCommand(t *testing.T) {
	dir := t.TempDir()
	opendataSeedDir(t, dir)
	saved := opendataClock
	opendataClock = func() time.Time { return time.Date(2020, 1, 3, 12, 0, 0, 0, store.CST) }
	t.Cleanup(func() { opendataClock = saved })
	got, code := serveCLI(t, "opendata", "bulk", "--data-dir", dir, "--days", "5")
	// Three days of hourly values of one station: three hourly files of
	// 24 rows and three daily AQI files of 2 (the city and the station).
	if code != 0 || !strings.Contains(got, "6 files with 78 rows") {
		t.Fatalf("bulk: %d %s", code, got)
	}
	ix, err := opendata.ReadIndex(filepath.Join(dir, "opendata"))
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := ix.Lookup(opendata.AQIDaily, "2020-01-02"); f.Rows != 2 || f.Path != "aqi-daily/2020/2020-01-02.csv.gz" {
		t.Errorf("daily AQI file: %+v", f)
	}
	if f, _ := ix.Lookup("hourly", "2020-01-03"); f.Final || f.Rows != 24 {
		t.Errorf("today's file must not be final: %+v", f)
	}
	if got, code := serveCLI(t, "opendata", "bulk", "--data-dir", dir, "--opendata-policy", "enterprise.contact=public"); code == 0 || !strings.Contains(got, "never published") {
		t.Errorf("policy publishing contacts: %d %s", code, got)
	}
}
