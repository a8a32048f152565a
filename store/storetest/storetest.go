// Package storetest is the conformance suite every store.Store
// implementation must pass; store/sqlite and store/postgres run it, so the
// two backends behave the same.
//
// Example, in a backend's test file:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openFresh(t) })
//	}
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"ecowatch/registry"
	"ecowatch/store"
)

// Open returns a new, empty, migrated store; the suite closes it.
type Open func(t *testing.T) store.Store

// Run runs every conformance test, each on a fresh store.
func Run(t *testing.T, open Open) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Registry", testRegistry},
		{"RegistryErrors", testRegistryErrors},
		{"UpdateRegistryAllOrNothing", testUpdateRegistryAllOrNothing},
		{"FramesByteExact", testFramesByteExact},
		{"Ingest", testIngest},
		{"IngestUnknownPointStoresNothing", testIngestUnknownPoint},
		{"IdempotentWrites", testIdempotentWrites},
		{"WhichCopyWins", testWhichCopyWins},
		{"QueryRangeAndZone", testQueryRangeAndZone},
		{"Purge", testPurge},
		{"ConcurrentWriters", testConcurrentWriters},
		{"BatchIngest", BatchIngest},
		{"BatchIngestKeys", BatchIngestKeys},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			tc.fn(t, s)
		})
	}
}

// Fixture codes. The credit code is Huawei's published one, valid by
// GB 32100-2015; the region codes are GB/T 2260's for Hunan, Changsha and
// its Furong district.
const (
	Province   = "430000"
	City       = "430100"
	County     = "430102"
	CreditCode = "914403001922038216"
	Outlet     = "DA001"
	Station    = "1337A"
	MN         = "88888880000001"
)

// Seed writes a small registry: Hunan, Changsha, Furong, one enterprise
// with a gas outlet, one air station and an active device on the outlet.
func Seed(t testing.TB, s store.Registry) {
	t.Helper()
	ctx := context.Background()
	o2 := 6.0
	for _, err := range []error{
		s.UpsertRegion(ctx, registry.Region{Code: Province, Name: "湖南省", Outline: []byte(`{"type":"Point","coordinates":[112,28]}`)}),
		s.UpsertRegion(ctx, registry.Region{Code: City, Name: "长沙市"}),
		s.UpsertRegion(ctx, registry.Region{Code: County, Name: "芙蓉区"}),
		s.UpsertDepartment(ctx, registry.Department{Code: "hn-sthjt", Name: "省生态环境厅"}),
		s.UpsertEnterprise(ctx, registry.Enterprise{CreditCode: CreditCode, Name: "某热电有限公司", RegionCode: County,
			IndustryCode: "4411", Lon: 113.03, Lat: 28.19, KeyUnits: []registry.KeyUnit{registry.KeyUnitAir, registry.KeyUnitWater}, PermitNumber: "914403001922038216001P"}),
		s.UpsertPoint(ctx, registry.Point{Code: Outlet, Name: "1号锅炉排放口", Kind: registry.KindGasOutlet, RegionCode: County, EnterpriseCode: CreditCode,
			Factors: []registry.PointFactor{{Code: "a21026", Name: "二氧化硫", Unit: "mg/m3"}, {Code: "a21002", Name: "氮氧化物", Unit: "mg/m3"}}}),
		s.UpsertPoint(ctx, registry.Point{Code: Station, Name: "马坡岭", Kind: registry.KindAirStation, RegionCode: City, Level: registry.National, InCityAverage: true, Lon: 113.0792, Lat: 28.2053}),
		s.UpsertDevice(ctx, registry.Device{MN: MN, Password: "123456", ProtocolVersion: "HJ212-2017", Quirks: []string{"lowercase-crc", "terminator"}, PointCode: Outlet, State: registry.DeviceActive}),
		s.UpsertLimit(ctx, registry.Limit{PointCode: Outlet, Factor: "a21026", Value: 35, ReferenceO2: &o2, Standard: "超低排放", ValidFrom: time.Date(2020, 1, 1, 0, 0, 0, 0, store.CST)}),
		s.UpsertTarget(ctx, registry.Target{RegionCode: Province, Year: 2020, Indicator: "pm25_annual_mean", Name: "PM2.5年均浓度", Value: 42, Unit: "µg/m³", Comparison: registry.AtMost, Source: "工作要点 二"}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func testRegistry(t *testing.T, s store.Store) {
	ctx := context.Background()
	Seed(t, s)
	Seed(t, s) // upserts are idempotent: seeding twice changes nothing

	regions, err := s.Regions(ctx)
	if err != nil || len(regions) != 3 || regions[1].Code != City || regions[1].ParentCode != Province || regions[1].Level != registry.LevelCity {
		t.Fatalf("regions = %+v, %v", regions, err)
	}
	r, err := s.Region(ctx, Province)
	if err != nil || !bytes.Contains(r.Outline, []byte("Point")) {
		t.Fatalf("region outline = %q, %v", r.Outline, err)
	}
	e, err := s.Enterprise(ctx, CreditCode)
	if err != nil || e.Name != "某热电有限公司" || len(e.KeyUnits) != 2 || e.KeyUnits[1] != registry.KeyUnitWater || e.Lat != 28.19 {
		t.Fatalf("enterprise = %+v, %v", e, err)
	}
	p, err := s.Point(ctx, Outlet)
	if err != nil || p.EnterpriseCode != CreditCode || len(p.Factors) != 2 || p.Factors[0].Unit != "mg/m3" {
		t.Fatalf("point = %+v, %v", p, err)
	}
	st, err := s.Point(ctx, Station)
	if err != nil || !st.InCityAverage || st.Background || st.Level != registry.National || st.Lon != 113.0792 {
		t.Fatalf("station = %+v, %v", st, err)
	}
	d, err := s.DeviceByMN(ctx, MN)
	if err != nil || d.Password != "123456" || d.PointCode != Outlet || len(d.Quirks) != 2 || d.State != registry.DeviceActive {
		t.Fatalf("device = %+v, %v", d, err)
	}
	// Upsert replaces by natural key.
	d.State = registry.DeviceSuspended
	if err := s.UpsertDevice(ctx, d); err != nil {
		t.Fatal(err)
	}
	if ds, err := s.Devices(ctx, registry.DeviceSuspended); err != nil || len(ds) != 1 || ds[0].MN != MN {
		t.Fatalf("suspended devices = %+v, %v", ds, err)
	}
	if ds, err := s.Devices(ctx, registry.DeviceActive); err != nil || len(ds) != 0 {
		t.Fatalf("active devices = %+v, %v", ds, err)
	}
	// An unregistered device has no point.
	if err := s.UpsertDevice(ctx, registry.Device{MN: "X1", ProtocolVersion: "HJ212-2005", State: registry.DeviceUnregistered}); err != nil {
		t.Fatal(err)
	}
	if ds, err := s.Devices(ctx, registry.DeviceUnregistered); err != nil || len(ds) != 1 || ds[0].PointCode != "" {
		t.Fatalf("unregistered = %+v, %v", ds, err)
	}
	ls, err := s.Limits(ctx, Outlet)
	if err != nil || len(ls) != 1 || ls[0].ReferenceO2 == nil || *ls[0].ReferenceO2 != 6 || !ls[0].ValidTo.IsZero() ||
		!ls[0].ValidFrom.Equal(time.Date(2020, 1, 1, 0, 0, 0, 0, store.CST)) {
		t.Fatalf("limits = %+v, %v", ls, err)
	}
	ts, err := s.Targets(ctx)
	if err != nil || len(ts) != 1 || ts[0].Value != 42 || ts[0].Comparison != registry.AtMost {
		t.Fatalf("targets = %+v, %v", ts, err)
	}
	if ps, err := s.Points(ctx); err != nil || len(ps) != 2 {
		t.Fatalf("points = %d, %v", len(ps), err)
	}
	if es, err := s.Enterprises(ctx); err != nil || len(es) != 1 {
		t.Fatalf("enterprises = %d, %v", len(es), err)
	}
	if ds, err := s.Departments(ctx); err != nil || len(ds) != 1 || ds[0].Name != "省生态环境厅" {
		t.Fatalf("departments = %+v, %v", ds, err)
	}
}

func testRegistryErrors(t *testing.T, s store.Store) {
	ctx := context.Background()
	Seed(t, s)
	_, err := s.DeviceByMN(ctx, "nosuch")
	wantIs(t, "device lookup", err, store.ErrNotFound)
	_, err = s.Point(ctx, "nosuch")
	wantIs(t, "point lookup", err, store.ErrNotFound)
	_, err = s.Enterprise(ctx, "nosuch")
	wantIs(t, "enterprise lookup", err, store.ErrNotFound)
	_, err = s.Region(ctx, "440000")
	wantIs(t, "region lookup", err, store.ErrNotFound)
	err = s.UpsertPoint(ctx, registry.Point{Code: "P9", Name: "x", Kind: registry.KindAirStation, RegionCode: "430199"})
	wantIs(t, "point in unknown region", err, store.ErrNotFound)
	err = s.UpsertDevice(ctx, registry.Device{MN: "M9", ProtocolVersion: "HJ212-2017", PointCode: "nosuch", State: registry.DeviceActive})
	wantIs(t, "device on unknown point", err, store.ErrNotFound)
	err = s.UpsertEnterprise(ctx, registry.Enterprise{CreditCode: "914403001922038217", Name: "x", RegionCode: County})
	wantIs(t, "bad credit code", err, store.ErrInvalid)
}

func wantIs(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want %v", what, err, target)
	}
}

func testUpdateRegistryAllOrNothing(t *testing.T, s store.Store) {
	ctx := context.Background()
	Seed(t, s)
	boom := errors.New("row 3 bad")
	err := s.UpdateRegistry(ctx, func(r store.Registry) error {
		if err := r.UpsertRegion(ctx, registry.Region{Code: "430200", Name: "株洲市"}); err != nil {
			return err
		}
		// Reads inside the transaction see its writes.
		if _, err := r.Region(ctx, "430200"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	_, err = s.Region(ctx, "430200")
	wantIs(t, "region after rolled-back update", err, store.ErrNotFound)
	if err := s.UpdateRegistry(ctx, func(r store.Registry) error {
		return r.UpsertRegion(ctx, registry.Region{Code: "430200", Name: "株洲市"})
	}); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Region(ctx, "430200"); err != nil || r.Name != "株洲市" {
		t.Fatalf("committed region = %+v, %v", r, err)
	}
}

func testFramesByteExact(t *testing.T, s store.Store) {
	ctx := context.Background()
	// Every byte value, a NUL, invalid UTF-8 and a lone CR: evidence is
	// kept as received, whatever it holds.
	raw := []byte("##0101QN=20200101000000001;ST=22;CN=2051;\x00\xff\xfe\r")
	for b := 0; b < 256; b++ {
		raw = append(raw, byte(b))
	}
	raw = append(raw, "\r\n"...)
	rec := time.Date(2020, 1, 1, 8, 0, 5, 0, store.CST)
	var ids []int64
	for i, mn := range []string{MN, "OTHER", MN} {
		id, err := s.AppendFrame(ctx, store.Frame{Received: rec.Add(time.Duration(i) * time.Second), Remote: "10.0.0.1:5000", MN: mn, CN: "2051",
			QN: "20200101000000001", Raw: raw, Verdict: "rejected", Diagnostics: "crc mismatch: got 1A2B want 3C4D"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if !(ids[0] < ids[1] && ids[1] < ids[2]) {
		t.Fatalf("ids not increasing: %v", ids)
	}
	fs, err := s.Frames(ctx, store.FrameQuery{MN: MN})
	if err != nil || len(fs) != 2 {
		t.Fatalf("frames = %d, %v", len(fs), err)
	}
	f := fs[0]
	if !bytes.Equal(f.Raw, raw) || f.ID != ids[0] || f.Remote != "10.0.0.1:5000" || f.Verdict != "rejected" ||
		f.Diagnostics != "crc mismatch: got 1A2B want 3C4D" || f.QN != "20200101000000001" || f.CN != "2051" {
		t.Fatalf("frame = %+v", f)
	}
	if !f.Received.Equal(rec) || f.Received.Location() != store.CST {
		t.Fatalf("received = %v, want %v in CST", f.Received, rec)
	}
	page, err := s.Frames(ctx, store.FrameQuery{AfterID: ids[0], Limit: 1})
	if err != nil || len(page) != 1 || page[0].ID != ids[1] {
		t.Fatalf("page after %d = %+v, %v", ids[0], page, err)
	}
	win, err := s.Frames(ctx, store.FrameQuery{From: rec.Add(time.Second), To: rec.Add(2 * time.Second)})
	if err != nil || len(win) != 1 || win[0].ID != ids[1] {
		t.Fatalf("time window = %+v, %v", win, err)
	}
	// Garbage in the text fields (a MN cut from a malformed frame, a
	// diagnostic quoting it) is stored as valid UTF-8, on both backends.
	id, err := s.AppendFrame(ctx, store.Frame{Received: rec, Remote: "r", MN: "88\xff\x00", Raw: []byte("##\xff\x00"), Diagnostics: "bad byte \xfe"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Frames(ctx, store.FrameQuery{AfterID: id - 1, Limit: 1})
	if err != nil || len(got) != 1 || got[0].MN != "88\uFFFD\uFFFD" || got[0].Diagnostics != "bad byte \uFFFD" || string(got[0].Raw) != "##\xff\x00" {
		t.Fatalf("frame with garbage = %+v, %v", got, err)
	}
	// An empty frame (a connection that sent nothing parseable) is kept too.
	if _, err := s.AppendFrame(ctx, store.Frame{Received: rec, Remote: "x"}); err != nil {
		t.Fatal(err)
	}
}

func minute(h, m int) time.Time { return time.Date(2020, 1, 1, h, m, 0, 0, store.CST) }

func testIngest(t *testing.T, s store.Store) {
	ctx := context.Background()
	Seed(t, s)
	rec := minute(10, 1)
	ms := []store.Measurement{
		{Point: Outlet, Factor: "a21026", Kind: store.Minute, Time: minute(10, 0), Values: store.Values{Flag: "N"}.With(store.Avg, 12.5).With(store.ZsAvg, 14.25)},
		{Point: Outlet, Factor: "a21002", Kind: store.Minute, Time: minute(10, 0), Values: store.Values{Flag: "N"}.With(store.Avg, 40)},
	}
	id, err := s.Ingest(ctx, store.Frame{Received: rec, Remote: "r", MN: MN, CN: "2051", Raw: []byte("##x"), Verdict: "ok"}, ms)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Measurements(ctx, store.MeasurementQuery{Point: Outlet, Factor: "a21026", Kind: store.Minute, From: minute(0, 0), To: minute(23, 0)})
	if err != nil || len(got) != 1 {
		t.Fatalf("measurements = %+v, %v", got, err)
	}
	m := got[0]
	if m.Frame != id || !m.Received.Equal(rec) || !m.Time.Equal(minute(10, 0)) || m.Values.Flag != "N" {
		t.Fatalf("measurement = %+v, want frame %d", m, id)
	}
	if v, ok := m.Values.Get(store.ZsAvg); !ok || v != 14.25 {
		t.Fatalf("ZsAvg = %v %v", v, ok)
	}
	if _, ok := m.Values.Get(store.Max); ok {
		t.Fatal("Max present though never written")
	}
	fs, err := s.Frames(ctx, store.FrameQuery{MN: MN})
	if err != nil || len(fs) != 1 || fs[0].ID != id {
		t.Fatalf("frames = %+v, %v", fs, err)
	}
}

func testIngestUnknownPoint(t *testing.T, s store.Store) {
	ctx := context.Background()
	Seed(t, s)
	_, err := s.Ingest(ctx, store.Frame{Received: minute(10, 1), MN: MN, Raw: []byte("##")},
		[]store.Measurement{{Point: "nosuch", Factor: "a21026", Kind: store.Minute, Time: minute(10, 0), Values: store.Values{}.With(store.Avg, 1)}})
	wantIs(t, "ingest to unknown point", err, store.ErrNotFound)
	fs, err := s.Frames(ctx, store.FrameQuery{})
	if err != nil || len(fs) != 0 {
		t.Fatalf("a failed ingest left %d frames (%v)", len(fs), err)
	}
	err = s.WriteMeasurements(ctx, []store.Measurement{{Point: Outlet, Factor: "a21026", Kind: 9999, Time: minute(1, 0)}})
	wantIs(t, "unknown kind", err, store.ErrInvalid)
}

func testIdempotentWrites(t *testing.T, s store.Store) {
	ctx := context.Background()
	Seed(t, s)
	rec := minute(12, 0)
	var batch []store.Measurement
	for i := 0; i < 60; i++ {
		for _, f := range []string{"a21026", "a21002"} {
			batch = append(batch, store.Measurement{Point: Outlet, Factor: f, Kind: store.Minute, Time: minute(10, i),
				Values: store.Values{Flag: "N"}.With(store.Avg, float64(i)), Received: rec})
		}
	}
	for round := 0; round < 3; round++ { // a device repeating the same frames
		if err := s.WriteMeasurements(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	// The same values twice in one batch count once.
	if err := s.WriteMeasurements(ctx, append(batch[:2:2], batch[:2]...)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Measurements(ctx, store.MeasurementQuery{Point: Outlet, Factor: "a21002", Kind: store.Minute, From: minute(0, 0), To: minute(23, 0)})
	if err != nil || len(got) != 60 {
		t.Fatalf("got %d measurements, want 60 (%v)", len(got), err)
	}
	for i, m := range got {
		if v, _ := m.Values.Get(store.Avg); v != float64(i) || !m.Time.Equal(minute(10, i)) {
			t.Fatalf("measurement %d = %+v", i, m)
		}
	}
	// Other kinds are other keys.
	other, err := s.Measurements(ctx, store.MeasurementQuery{Point: Outlet, Factor: "a21002", Kind: store.Hour, From: minute(0, 0), To: minute(23, 0)})
	if err != nil || len(other) != 0 {
		t.Fatalf("hour data = %d, %v", len(other), err)
	}
	// No factor: every factor in one query, as one query per factor in
	// factor-code order would give them.
	all, err := s.Measurements(ctx, store.MeasurementQuery{Point: Outlet, Kind: store.Minute, From: minute(0, 0), To: minute(23, 0)})
	if err != nil {
		t.Fatal(err)
	}
	var want []store.Measurement
	for _, f := range []string{"a21002", "a21026"} {
		ms, err := s.Measurements(ctx, store.MeasurementQuery{Point: Outlet, Factor: f, Kind: store.Minute, From: minute(0, 0), To: minute(23, 0)})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, ms...)
	}
	if len(all) != 120 || len(all) != len(want) {
		t.Fatalf("every factor: %d measurements, want 120 (%d by factor)", len(all), len(want))
	}
	for i := range all {
		a, w := all[i], want[i]
		if a.Factor != w.Factor || !a.Time.Equal(w.Time) || a.Values != w.Values || a.Frame != w.Frame || !a.Received.Equal(w.Received) {
			t.Fatalf("every factor [%d] = %+v, by factor %+v", i, a, w)
		}
	}
}

func testWhichCopyWins(t *testing.T, s store.Store) {
	ctx := context.Background()
	Seed(t, s)
	at := minute(10, 0)
	write := func(factor string, v float64, received time.Time, frame int64) {
		t.Helper()
		if err := s.WriteMeasurements(ctx, []store.Measurement{{Point: Outlet, Factor: factor, Kind: store.Minute, Time: at,
			Values: store.Values{}.With(store.Avg, v), Received: received, Frame: frame}}); err != nil {
			t.Fatal(err)
		}
	}
	read := func(factor string) store.Measurement {
		t.Helper()
		got, err := s.Measurements(ctx, store.MeasurementQuery{Point: Outlet, Factor: factor, Kind: store.Minute, From: at, To: at.Add(time.Minute)})
		if err != nil || len(got) != 1 {
			t.Fatalf("%s: %+v, %v", factor, got, err)
		}
		return got[0]
	}
	check := func(step, factor string, want float64) {
		t.Helper()
		if v, _ := read(factor).Values.Get(store.Avg); v != want {
			t.Fatalf("%s: %s = %v, want %v", step, factor, v, want)
		}
	}
	// The rule is store.Wins: later receive time wins; on a tie the larger
	// frame id; an exact repeat changes nothing.
	write("a21026", 1, minute(10, 1), 10)
	write("a21002", 100, minute(10, 1), 10)
	write("a21026", 2, minute(11, 0), 20) // re-sent an hour later (补发): replaces
	check("re-send", "a21026", 2)
	check("re-send leaves other factors", "a21002", 100)
	write("a21026", 3, minute(10, 30), 30) // an archived frame replayed: received earlier, loses
	check("replay", "a21026", 2)
	write("a21026", 4, minute(11, 0), 19) // same second, smaller frame id: loses
	check("tie, smaller frame", "a21026", 2)
	write("a21026", 5, minute(11, 0), 21) // same second, larger frame id: wins
	check("tie, larger frame", "a21026", 5)
	if m := read("a21026"); m.Frame != 21 || !m.Received.Equal(minute(11, 0)) {
		t.Fatalf("winner's provenance = frame %d received %v", m.Frame, m.Received)
	}
	// Within one batch the same rule applies.
	if err := s.WriteMeasurements(ctx, []store.Measurement{
		{Point: Outlet, Factor: "a21002", Kind: store.Minute, Time: at, Values: store.Values{}.With(store.Avg, 200), Received: minute(12, 0), Frame: 40},
		{Point: Outlet, Factor: "a21002", Kind: store.Minute, Time: at, Values: store.Values{}.With(store.Avg, 150), Received: minute(11, 30), Frame: 41},
	}); err != nil {
		t.Fatal(err)
	}
	check("in-batch", "a21002", 200)
	if !store.Wins(store.Measurement{Received: minute(1, 0)}, store.Measurement{Received: minute(0, 59)}) ||
		store.Wins(store.Measurement{Received: minute(1, 0), Frame: 1}, store.Measurement{Received: minute(1, 0), Frame: 1}) {
		t.Fatal("store.Wins disagrees with the documented rule")
	}
}

func testQueryRangeAndZone(t *testing.T, s store.Store) {
	ctx := context.Background()
	Seed(t, s)
	// A CST day is [00:00 CST, next 00:00 CST) = [16:00 UTC the day
	// before, 16:00 UTC): values at 23:59 CST on Dec 31 and at 00:00 CST
	// on Jan 2 are outside Jan 1.
	times := []time.Time{
		time.Date(2019, 12, 31, 23, 59, 0, 0, store.CST),
		time.Date(2020, 1, 1, 0, 0, 0, 0, store.CST),
		time.Date(2020, 1, 1, 23, 59, 0, 0, store.CST),
		time.Date(2020, 1, 2, 0, 0, 0, 0, store.CST),
	}
	var ms []store.Measurement
	for i, tm := range times {
		// Given in UTC to show the zone of the input does not matter.
		ms = append(ms, store.Measurement{Point: Station, Factor: "a34004", Kind: store.Hour, Time: tm.UTC(), Values: store.Values{}.With(store.Avg, float64(i))})
	}
	if err := s.WriteMeasurements(ctx, ms); err != nil {
		t.Fatal(err)
	}
	from := time.Date(2020, 1, 1, 0, 0, 0, 0, store.CST)
	got, err := s.Measurements(ctx, store.MeasurementQuery{Point: Station, Factor: "a34004", Kind: store.Hour, From: from, To: from.AddDate(0, 0, 1)})
	if err != nil || len(got) != 2 {
		t.Fatalf("day = %+v, %v", got, err)
	}
	if !got[0].Time.Equal(times[1]) || !got[1].Time.Equal(times[2]) || got[0].Time.Location() != store.CST ||
		got[0].Time.Format("2006-01-02 15:04") != "2020-01-01 00:00" {
		t.Fatalf("times = %v, %v", got[0].Time, got[1].Time)
	}
	if none, err := s.Measurements(ctx, store.MeasurementQuery{Point: Station, Factor: "a21026", Kind: store.Hour, From: from, To: from.AddDate(0, 0, 1)}); err != nil || len(none) != 0 {
		t.Fatalf("another factor = %+v, %v", none, err)
	}
	_, err = s.Measurements(ctx, store.MeasurementQuery{Point: "nosuch", Factor: "a34004", Kind: store.Hour, From: from, To: from})
	wantIs(t, "query of unknown point", err, store.ErrNotFound)
}

func testPurge(t *testing.T, s store.Store) {
	ctx := context.Background()
	Seed(t, s)
	now := time.Date(2021, 6, 1, 0, 0, 0, 0, store.CST)
	old, recent := now.AddDate(-2, 0, 0), now.AddDate(0, 0, -1)
	var ms []store.Measurement
	for _, k := range store.Kinds {
		for _, tm := range []time.Time{old, recent} {
			ms = append(ms, store.Measurement{Point: Outlet, Factor: "a21026", Kind: k, Time: tm, Values: store.Values{}.With(store.Avg, 1)})
		}
	}
	if err := s.WriteMeasurements(ctx, ms); err != nil {
		t.Fatal(err)
	}
	for _, tm := range []time.Time{old, recent} {
		if _, err := s.AppendFrame(ctx, store.Frame{Received: tm, Raw: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	// Keep real-time data a year, everything else forever but frames
	// (kept 30 days).
	p, err := s.Purge(ctx, store.Retention{RealTime: 365 * 24 * time.Hour, Frames: 30 * 24 * time.Hour}, now)
	if err != nil {
		t.Fatal(err)
	}
	if p.Rows[store.RealTime] != 1 || p.Rows[store.Hour] != 0 || p.Frames != 1 {
		t.Fatalf("purged = %+v", p)
	}
	for _, k := range store.Kinds {
		got, err := s.Measurements(ctx, store.MeasurementQuery{Point: Outlet, Factor: "a21026", Kind: k, From: old.Add(-time.Hour), To: now})
		want := 2
		if k == store.RealTime {
			want = 1
		}
		if err != nil || len(got) != want {
			t.Fatalf("%s after purge: %d, want %d (%v)", k, len(got), want, err)
		}
	}
	fs, err := s.Frames(ctx, store.FrameQuery{})
	if err != nil || len(fs) != 1 || !fs[0].Received.Equal(recent) {
		t.Fatalf("frames after purge = %+v, %v", fs, err)
	}
}

// testConcurrentWriters has four writers send overlapping batches (the
// same keys, different receive times) while a reader reads: whatever the
// interleaving, each key ends with the copy received last.
func testConcurrentWriters(t *testing.T, s store.Store) {
	ctx := context.Background()
	Seed(t, s)
	const writers, rounds, minutes = 4, 10, 30
	var wg sync.WaitGroup
	errs := make(chan error, writers+1)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				// Writer w's round r was received at second r*writers+w:
				// the globally last copy is writer 3's round 9.
				rec := minute(12, 0).Add(time.Duration(r*writers+w) * time.Second)
				var ms []store.Measurement
				for m := 0; m < minutes; m++ {
					ms = append(ms, store.Measurement{Point: Outlet, Factor: "a21026", Kind: store.Minute, Time: minute(10, m),
						Values: store.Values{}.With(store.Avg, float64(r*writers+w)), Received: rec})
				}
				if err := s.WriteMeasurements(ctx, ms); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < rounds; i++ {
			got, err := s.Measurements(ctx, store.MeasurementQuery{Point: Outlet, Factor: "a21026", Kind: store.Minute, From: minute(0, 0), To: minute(23, 0)})
			if err != nil || len(got) > minutes {
				errs <- fmt.Errorf("concurrent read: %d values, %v", len(got), err)
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, err := s.Measurements(ctx, store.MeasurementQuery{Point: Outlet, Factor: "a21026", Kind: store.Minute, From: minute(0, 0), To: minute(23, 0)})
	if err != nil || len(got) != minutes {
		t.Fatalf("%d values, %v", len(got), err)
	}
	last := float64((rounds-1)*writers + writers - 1)
	for _, m := range got {
		if v, _ := m.Values.Get(store.Avg); v != last {
			t.Fatalf("%v: %v, want the last received copy %v", m.Time, v, last)
		}
	}
}

// BatchIngest checks IngestBatch (store.BatchIngester): one transaction
// for many frames, ids in order, copies of one key resolved by Wins, and
// a frame with refused values archived alone with the reason.
func BatchIngest(t *testing.T, s store.Store) {
	bi, ok := s.(store.BatchIngester)
	if !ok {
		t.Fatalf("%T does not implement store.BatchIngester", s)
	}
	ctx := context.Background()
	Seed(t, s)
	at := minute(10, 0)
	v := func(x float64) store.Values { return store.Values{Flag: "N"}.With(store.Avg, x) }
	frames := []store.Frame{
		{Received: minute(10, 1), MN: MN, CN: "2051", Raw: []byte("##first"), Verdict: "ok"},
		{Received: minute(10, 2), MN: MN, CN: "2051", Raw: []byte("##bad"), Verdict: "ok", Diagnostics: "crc ok"},
		{Received: minute(10, 3), MN: MN, CN: "2051", Raw: []byte("##resent"), Verdict: "ok"},
	}
	ms := [][]store.Measurement{
		{{Point: Outlet, Factor: "a21026", Kind: store.Minute, Time: at, Values: v(1)}, {Point: Outlet, Factor: "a21002", Kind: store.Minute, Time: at, Values: v(10)}},
		{{Point: "nosuch", Factor: "a21026", Kind: store.Minute, Time: at, Values: v(99)}},
		{{Point: Outlet, Factor: "a21026", Kind: store.Minute, Time: at, Values: v(2)}}, // received later: wins
	}
	ids, err := bi.IngestBatch(ctx, frames, ms)
	if err != nil || len(ids) != 3 || !(ids[0] < ids[1] && ids[1] < ids[2]) {
		t.Fatalf("ids %v, %v", ids, err)
	}
	for _, c := range []struct {
		factor string
		want   float64
		frame  int64
	}{{"a21026", 2, ids[2]}, {"a21002", 10, ids[0]}} {
		got, err := s.Measurements(ctx, store.MeasurementQuery{Point: Outlet, Factor: c.factor, Kind: store.Minute, From: at, To: at.Add(time.Minute)})
		if err != nil || len(got) != 1 {
			t.Fatalf("%s: %+v, %v", c.factor, got, err)
		}
		if x, _ := got[0].Values.Get(store.Avg); x != c.want || got[0].Frame != c.frame {
			t.Fatalf("%s = %v from frame %d, want %v from %d", c.factor, x, got[0].Frame, c.want, c.frame)
		}
	}
	fs, err := s.Frames(ctx, store.FrameQuery{MN: MN})
	if err != nil || len(fs) != 3 {
		t.Fatalf("frames %d, %v", len(fs), err)
	}
	if d := fs[1].Diagnostics; !strings.HasPrefix(d, "crc ok; measurements not stored: ") || !strings.Contains(d, "nosuch") || string(fs[1].Raw) != "##bad" {
		t.Fatalf("refused frame: %q %q", d, fs[1].Raw)
	}
	if fs[0].Diagnostics != "" {
		t.Fatalf("good frame diagnostics %q", fs[0].Diagnostics)
	}
	if _, err := bi.IngestBatch(ctx, frames, ms[:1]); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("mismatched lists: %v", err)
	}
}

// BatchIngestKeys checks that a frame whose Key was stored before (a bus
// message delivered again) is not stored twice, nor its values written
// again, also when two transactions carry it at once; frames without a
// Key are always stored; PurgeIngestKeys forgets keys by receive time.
func BatchIngestKeys(t *testing.T, s store.Store) {
	bi := s.(store.BatchIngester)
	ctx := context.Background()
	Seed(t, s)
	at := minute(11, 0)
	v := func(x float64) store.Values { return store.Values{Flag: "N"}.With(store.Avg, x) }
	frame := func(key string, sec int) store.Frame {
		return store.Frame{Received: minute(11, 1).Add(time.Duration(sec) * time.Second), MN: MN, CN: "2051",
			Raw: []byte("##" + key), Verdict: "ok", Key: key}
	}
	m := func(x float64) []store.Measurement {
		return []store.Measurement{{Point: Outlet, Factor: "a21026", Kind: store.Minute, Time: at, Values: v(x)}}
	}
	ids, err := bi.IngestBatch(ctx, []store.Frame{frame("k1", 0), frame("k2", 1), frame("k2", 1)}, [][]store.Measurement{m(1), m(2), m(2)})
	if err != nil || ids[0] == 0 || ids[1] == 0 || ids[2] != 0 {
		t.Fatalf("first batch ids %v, %v: want k2's second copy skipped (0)", ids, err)
	}
	// The same messages again (a redelivery), plus an unkeyed frame and a
	// new key; k1's copy would win if it were written again (received
	// later), so the value shows whether it was.
	again := frame("k1", 30)
	unkeyed := frame("", 2)
	ids2, err := bi.IngestBatch(ctx, []store.Frame{again, frame("k2", 1), unkeyed, frame("k3", 3)},
		[][]store.Measurement{m(9), m(2), m(3), m(4)})
	if err != nil || ids2[0] != 0 || ids2[1] != 0 || ids2[2] == 0 || ids2[3] == 0 {
		t.Fatalf("redelivery ids %v, %v: want the stored keys skipped", ids2, err)
	}
	got, err := s.Measurements(ctx, store.MeasurementQuery{Point: Outlet, Factor: "a21026", Kind: store.Minute, From: at, To: at.Add(time.Minute)})
	if err != nil || len(got) != 1 {
		t.Fatalf("measurements %+v, %v", got, err)
	}
	if x, _ := got[0].Values.Get(store.Avg); x != 4 || got[0].Frame != ids2[3] {
		t.Fatalf("value %v from frame %d, want 4 from k3's frame %d (the skipped k1 copy must not count)", x, got[0].Frame, ids2[3])
	}
	// Concurrent batches carrying one key: exactly one stores it.
	var wg sync.WaitGroup
	stored := make([]int64, 4)
	errs := make([]error, 4)
	for i := range stored {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := bi.IngestBatch(ctx, []store.Frame{frame("k4", 4), frame(fmt.Sprintf("own%d", i), 5)}, [][]store.Measurement{nil, nil})
			errs[i] = err
			if err == nil {
				stored[i] = got[0]
			}
		}()
	}
	wg.Wait()
	n := 0
	for i := range stored {
		if errs[i] != nil {
			t.Fatalf("concurrent batch %d: %v", i, errs[i])
		}
		if stored[i] != 0 {
			n++
		}
	}
	fs, err := s.Frames(ctx, store.FrameQuery{MN: MN})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, f := range fs {
		count[string(f.Raw)]++
	}
	if n != 1 || count["##k4"] != 1 || count["##k1"] != 1 || count["##k2"] != 1 || count["##"] != 1 || count["##own3"] != 1 {
		t.Fatalf("k4 stored by %d batches; frames by raw %v", n, count)
	}
	p, ok := s.(interface {
		PurgeIngestKeys(context.Context, time.Time) (int64, error)
	})
	if !ok {
		t.Fatalf("%T has no PurgeIngestKeys", s)
	}
	if n, err := p.PurgeIngestKeys(ctx, minute(11, 1).Add(2*time.Second)); err != nil || n != 2 {
		t.Fatalf("purged %d keys, %v; want k1 and k2", n, err)
	}
	// A purged key is new again: that is why keys live as long as the
	// bus may still deliver their message.
	if ids, err := bi.IngestBatch(ctx, []store.Frame{frame("k1", 0)}, [][]store.Measurement{nil}); err != nil || ids[0] == 0 {
		t.Fatalf("after purge: %v, %v", ids, err)
	}
}
