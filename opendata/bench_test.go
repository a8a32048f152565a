package opendata

import (
	"context"
	"testing"
	"time"

	"ecowatch/assess/decimal"
	"ecowatch/assess/water"
	"ecowatch/registry"
	"ecowatch/store"
)

// fakeReader serves a year of hourly values for every point and factor.
type fakeReader struct{}

func (f fakeReader) Measurements(_ context.Context, q store.MeasurementQuery) ([]store.Measurement, error) {
	var out []store.Measurement
	for t := q.From; t.Before(q.To); t = t.Add(time.Hour) {
		out = append(out, store.Measurement{Point: q.Point, Factor: q.Factor, Kind: q.Kind, Time: t,
			Values: store.Values{Flag: "N"}.With(store.Avg, float64(50+t.Hour())/100)})
	}
	return out, nil
}

func (fakeReader) Limits(context.Context, string) ([]registry.Limit, error) { return nil, nil }

// BenchmarkAssessmentsYear: a year of monthly classes of one automatic
// water station with five items (8,760 hours each).
func BenchmarkAssessmentsYear(b *testing.B) {
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, store.CST)
	pt := registry.Point{Code: "W1", Kind: registry.KindWaterStation, Factors: []registry.PointFactor{
		{Code: "w01001"}, {Code: "w01009"}, {Code: "w01019"}, {Code: "w21003"}, {Code: "w21011"}}}
	p := DefaultPolicy()
	b.ReportAllocs()
	for b.Loop() {
		recs, err := p.Assessments(context.Background(), fakeReader{}, []registry.Point{pt}, Monthly, from, from.AddDate(1, 0, 0))
		if err != nil || len(recs) != 12 {
			b.Fatal(len(recs), err)
		}
	}
}

// TestAssessmentsMatchWaterMean: the summed means give the class that
// water.Mean of the hourly samples gives (the 2011 method's period mean).
func TestAssessmentsMatchWaterMean(t *testing.T) {
	from := time.Date(2025, 3, 1, 0, 0, 0, 0, store.CST)
	pt := registry.Point{Code: "W1", Kind: registry.KindWaterSection, TargetClass: 2, Factors: []registry.PointFactor{{Code: "w21003"}, {Code: "w01019"}}}
	recs, err := DefaultPolicy().Assessments(context.Background(), fakeReader{}, []registry.Point{pt}, Daily, from, from.AddDate(0, 0, 2))
	if err != nil || len(recs) != 2 {
		t.Fatal(len(recs), err)
	}
	var samples []water.Sample
	ms, _ := fakeReader{}.Measurements(context.Background(), store.MeasurementQuery{From: from, To: from.AddDate(0, 0, 1)})
	for _, m := range ms {
		var s water.Sample
		v, _ := m.Values.Get(store.Avg)
		d, _ := decimal.FromFloat(v)
		s.Set(water.NH3N, d)
		s.Set(water.CODMn, d)
		samples = append(samples, s)
	}
	mean := water.Mean(samples)
	want := water.EvaluateAgainst(&mean, water.River, water.ClassII)
	got, _ := recs[0].Get("class")
	hours, _ := recs[0].Get("hours")
	// NH3-N 0.615 mean (0.50 … 0.73): class III (II ≤ 0.5), against target II not attained.
	if got != want.Class.String() || got != "III" || hours != 24 {
		t.Errorf("class %v (%v hours), water.Mean gives %s", got, hours, want.Class)
	}
	if a, _ := recs[0].Get("attained"); a != false {
		t.Errorf("attained %v", a)
	}
}
