package postgres

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"ecowatch/store"
	"ecowatch/store/postgres/pgtest"
	"ecowatch/store/storetest"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat's CPU times on Linux.
const clockTicks = 100

// backendCPU sums the CPU time of the server processes serving
// connections named app, read from /proc: only for a server on this
// machine whose processes this user can read.
func backendCPU(ctx context.Context, s *Store, app string) (time.Duration, error) {
	rows, err := s.Writer().QueryContext(ctx, "SELECT pid FROM pg_stat_activity WHERE application_name = $1", app)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var total time.Duration
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			return 0, err
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return 0, err
		}
		// Fields after the command name (which may hold spaces):
		// utime and stime are the 14th and 15th fields overall.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		ut, err1 := strconv.ParseInt(f[11], 10, 64)
		st, err2 := strconv.ParseInt(f[12], 10, 64)
		if err1 != nil || err2 != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %q", pid, b)
		}
		total += time.Duration(ut+st) * time.Second / clockTicks
	}
	return total, rows.Err()
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkReadDayCPU is storetest's day read with, besides the time,
// the CPU it costs this process (client-µs/op, the whole test process)
// and the server processes of its connections (server-µs/op): unlike the
// wall clock, these hardly depend on what else the machine runs. With
// months=120 the table has ten years of (empty) partitions besides the
// one read, as a store in production would.
func BenchmarkReadDayCPU(b *testing.B) {
	for _, months := range []int{1, 120} {
		b.Run(fmt.Sprintf("months=%d", months), func(b *testing.B) { benchReadDayCPU(b, months) })
	}
}

func benchReadDayCPU(b *testing.B, months int) {
	app := fmt.Sprintf("ecowatch_bench_%d", os.Getpid())
	u, err := url.Parse(pgtest.SchemaURL(b, "ecowatch_test"))
	if err != nil {
		b.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	ctx := context.Background()
	s, err := Open(ctx, u.String())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	points := storetest.SeedPoints(b, s, 20)
	rec := time.Date(2020, 2, 1, 0, 0, 0, 0, store.CST)
	var ms []store.Measurement
	for m := 0; m < 3*1440; m += 50 {
		ms = storetest.Batch(ms, points, m, 50*len(points)*len(storetest.GasFactors), rec)
		if err := s.WriteMeasurements(ctx, ms); err != nil {
			b.Fatal(err)
		}
	}
	var secs []int64
	for m := 1; m < months; m++ {
		secs = append(secs, rec.AddDate(0, m-1, 0).Unix())
	}
	if err := s.parts.prepare(ctx, nil, secs); err != nil {
		b.Fatal(err)
	}
	day := time.Date(2020, 1, 2, 0, 0, 0, 0, store.CST)
	mq := store.MeasurementQuery{Point: points[7], Factor: "a21026", Kind: store.Minute, From: day, To: day.AddDate(0, 0, 1)}
	srv0, srvErr := backendCPU(ctx, s, app)
	b.ReportAllocs()
	b.ResetTimer()
	cli0 := selfCPU()
	for i := 0; i < b.N; i++ {
		got, err := s.Measurements(ctx, mq)
		if err != nil || len(got) != 1440 {
			b.Fatalf("%d values, %v", len(got), err)
		}
	}
	cli := selfCPU() - cli0
	b.StopTimer()
	b.ReportMetric(float64(cli.Microseconds())/float64(b.N), "client-µs/op")
	if srvErr == nil {
		srv1, err := backendCPU(ctx, s, app)
		if err == nil {
			b.ReportMetric(float64((srv1-srv0).Microseconds())/float64(b.N), "server-µs/op")
		}
	}
}
