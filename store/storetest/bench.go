package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"ecowatch/registry"
	"ecowatch/store"
)

// GasFactors are the ten factors of a typical flue-gas outlet's minute
// upload (HJ 212-2017 appendix B codes): SO2, NOx, particulates, CO, NMHC,
// O2, flue temperature, pressure, velocity, humidity. A "value" in the
// benchmarks is one factor of one point at one time, with its fields.
var GasFactors = []string{"a21026", "a21002", "a34013", "a21005", "a24088", "a19001", "a01012", "a01013", "a01011", "a01014"}

// SeedPoints adds n gas outlets P0000… to a seeded registry.
func SeedPoints(tb testing.TB, s store.Store, n int) []string {
	tb.Helper()
	Seed(tb, s)
	ctx := context.Background()
	codes := make([]string, n)
	err := s.UpdateRegistry(ctx, func(r store.Registry) error {
		for i := range codes {
			codes[i] = fmt.Sprintf("P%04d", i)
			if err := r.UpsertPoint(ctx, registry.Point{Code: codes[i], Name: codes[i], Kind: registry.KindGasOutlet,
				RegionCode: County, EnterpriseCode: CreditCode}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return codes
}

// minuteValues is what one factor of a flue-gas outlet's minute record
// carries: average, minimum, maximum, cumulative amount, and for the
// pollutants the O2-converted average, minimum and maximum, with flag N.
func minuteValues(factor int, x float64) store.Values {
	v := store.Values{Flag: "N"}.With(store.Avg, x).With(store.Min, x-1).With(store.Max, x+1).With(store.Cou, x*60)
	if factor < 5 {
		v = v.With(store.ZsAvg, x*1.1).With(store.ZsMin, x*1.1-1).With(store.ZsMax, x*1.1+1)
	}
	return v
}

// Batch fills ms (reusing its storage) with values of every point and
// factor for consecutive minutes starting at minute index start.
func Batch(ms []store.Measurement, points []string, start, values int, received time.Time) []store.Measurement {
	ms = ms[:0]
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, store.CST)
	for i := 0; len(ms) < values; i++ {
		p := points[i%len(points)]
		at := base.Add(time.Duration(start+i/len(points)) * time.Minute)
		for f, code := range GasFactors {
			if len(ms) == values {
				break
			}
			ms = append(ms, store.Measurement{Point: p, Factor: code, Kind: store.Minute, Time: at,
				Values: minuteValues(f, float64(i%97)+0.125), Received: received})
		}
	}
	return ms
}

// BenchWrite writes durable batches of batch values, all new keys, and
// reports values/s. One batch is one WriteMeasurements call, one commit.
func BenchWrite(b *testing.B, s store.Store, batch int) {
	points := SeedPoints(b, s, 100)
	ctx := context.Background()
	ms := make([]store.Measurement, 0, batch)
	perBatch := batch / len(GasFactors) / len(points) // minutes per batch
	if perBatch == 0 {
		perBatch = 1
	}
	rec := time.Date(2020, 2, 1, 0, 0, 0, 0, store.CST)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ms = Batch(ms, points, i*perBatch, batch, rec)
		if err := s.WriteMeasurements(ctx, ms); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "values/s")
}

// BenchReadDay reads one factor of one point for one CST day of minute
// data (1,440 values) from a store holding three days of 20 points.
func BenchReadDay(b *testing.B, s store.Store) {
	points := SeedPoints(b, s, 20)
	ctx := context.Background()
	rec := time.Date(2020, 2, 1, 0, 0, 0, 0, store.CST)
	var ms []store.Measurement
	for m := 0; m < 3*1440; m += 50 {
		ms = Batch(ms, points, m, 50*len(points)*len(GasFactors), rec)
		if err := s.WriteMeasurements(ctx, ms); err != nil {
			b.Fatal(err)
		}
	}
	day := time.Date(2020, 1, 2, 0, 0, 0, 0, store.CST)
	q := store.MeasurementQuery{Point: points[7], Factor: "a21026", Kind: store.Minute, From: day, To: day.AddDate(0, 0, 1)}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, err := s.Measurements(ctx, q)
		if err != nil || len(got) != 1440 {
			b.Fatalf("%d values, %v", len(got), err)
		}
	}
}

// MeasureSize writes n values (in batches of 10,000) and returns the
// bytes the store grew by, as size reports it.
func MeasureSize(tb testing.TB, s store.Store, n int, size func() int64) int64 {
	points := SeedPoints(tb, s, 100)
	before := size()
	ctx := context.Background()
	ms := make([]store.Measurement, 0, 10000)
	rec := time.Date(2020, 2, 1, 0, 0, 0, 0, store.CST)
	for done, i := 0, 0; done < n; i++ {
		ms = Batch(ms, points, i*10, min(10000, n-done), rec)
		if err := s.WriteMeasurements(ctx, ms); err != nil {
			tb.Fatal(err)
		}
		done += len(ms)
	}
	return size() - before
}

// BenchIngest is the gateway's path without batching: one frame and its
// ten values per durable transaction. It reports frames/s.
func BenchIngest(b *testing.B, s store.Store) {
	points := SeedPoints(b, s, 100)
	ctx := context.Background()
	raw := []byte("##0000QN=20200101000000000;ST=31;CN=2051;PW=123456;MN=88888880000001;Flag=5;CP=&&DataTime=20200101000000;a21026-Avg=12.125,a21026-Flag=N&&0000\r\n")
	rec := time.Date(2020, 2, 1, 0, 0, 0, 0, store.CST)
	var ms []store.Measurement
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ms = Batch(ms, points[i%len(points):i%len(points)+1], i/len(points), len(GasFactors), rec)
		if _, err := s.Ingest(ctx, store.Frame{Received: rec, Remote: "10.0.0.1:4000", MN: MN, CN: "2051", Raw: raw, Verdict: "ok"}, ms); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// BenchIngestBatch is the gateway's path with group commit: frames frames
// of ten values each per IngestBatch, one durable transaction. It reports
// frames/s and values/s.
func BenchIngestBatch(b *testing.B, s store.Store, frames int) {
	bi := s.(store.BatchIngester)
	points := SeedPoints(b, s, 100)
	ctx := context.Background()
	raw := []byte("##0000QN=20200101000000000;ST=31;CN=2051;PW=123456;MN=88888880000001;Flag=5;CP=&&DataTime=20200101000000;a21026-Avg=12.125,a21026-Flag=N&&0000\r\n")
	rec := time.Date(2020, 2, 1, 0, 0, 0, 0, store.CST)
	fs := make([]store.Frame, frames)
	ms := make([][]store.Measurement, frames)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range fs {
			n := i*frames + j
			fs[j] = store.Frame{Received: rec, Remote: "10.0.0.1:4000", MN: MN, CN: "2051", Raw: raw, Verdict: "ok"}
			ms[j] = Batch(ms[j], points[n%len(points):n%len(points)+1], n/len(points), len(GasFactors), rec)
		}
		if _, err := bi.IngestBatch(ctx, fs, ms); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*frames)/b.Elapsed().Seconds(), "frames/s")
	b.ReportMetric(float64(b.N*frames*len(GasFactors))/b.Elapsed().Seconds(), "values/s")
}
