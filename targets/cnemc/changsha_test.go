package cnemc_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"math/big"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"ecowatch/seed"
	"ecowatch/store"
	"ecowatch/store/postgres"
	"ecowatch/store/postgres/pgtest"
	"ecowatch/store/sqlite"
	"ecowatch/targets"
	"ecowatch/targets/cnemc"
	"ecowatch/targets/repo"
)

const changshaFile = "testdata/changsha-hourly-2019-12-to-2020-06.csv"

func changsha(t *testing.T) []byte {
	data, err := os.ReadFile(changshaFile)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// independent computes, straight from the file's rows and without the
// standards engine, each month's PM2.5 mean (mean of the daily means of
// days with ≥ 20 hours, rounded half to even) and good days. A day is good
// when every daily indicator it has, rounded as the bulletin reports it,
// is within the AQI-100 breakpoint of HJ 633-2012 Table 1 (SO2 150, NO2
// 80, PM10 150, CO 4 mg/m³, O3 1-hour maximum 200, O3 MDA8 160, PM2.5 75
// µg/m³): then every IAQI is ≤ 100.
func independent(t *testing.T, data []byte) (pm map[string]string, good map[string]int) {
	r := csv.NewReader(bytes.NewReader(data))
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for k, h := range rows[0] {
		col[h] = k
	}
	names := []string{"SO2", "NO2", "PM10", "CO", "O3", "PM2.5"}
	type dayv struct{ v [6][24]*big.Rat }
	days := map[string]*dayv{}
	var order []string
	for _, rec := range rows[1:] {
		d := rec[col["date"]]
		h, _ := strconv.Atoi(rec[col["hour"]])
		if days[d] == nil {
			days[d] = &dayv{}
			order = append(order, d)
		}
		for i, n := range names {
			s := strings.TrimSpace(rec[col[n]])
			if s == "" || s == "NA" {
				continue
			}
			x, ok := new(big.Rat).SetString(s)
			if ok {
				days[d].v[i][h] = x
			}
		}
	}
	roundHalfEven := func(x *big.Rat, places int) *big.Rat {
		scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil))
		y := new(big.Rat).Mul(x, scale)
		q, m := new(big.Int).QuoRem(y.Num(), y.Denom(), new(big.Int))
		twice := new(big.Int).Mul(m, big.NewInt(2))
		switch twice.Cmp(y.Denom()) {
		case 1:
			q.Add(q, big.NewInt(1))
		case 0:
			if q.Bit(0) == 1 {
				q.Add(q, big.NewInt(1))
			}
		}
		return new(big.Rat).Quo(new(big.Rat).SetInt(q), scale)
	}
	limit := map[string]int64{"SO2": 150, "NO2": 80, "PM10": 150, "CO": 4, "PM2.5": 75}
	pmSum, pmN := map[string]*big.Rat{}, map[string]int{}
	pm, good = map[string]string{}, map[string]int{}
	for _, d := range order {
		month := d[:4] + "-" + d[4:6]
		dv := days[d]
		anyValid, isGood := false, true
		for i, n := range names {
			var sum big.Rat
			cnt := 0
			var maxV *big.Rat
			for _, x := range dv.v[i] {
				if x != nil {
					sum.Add(&sum, x)
					cnt++
					if maxV == nil || x.Cmp(maxV) > 0 {
						maxV = x
					}
				}
			}
			if n == "O3" {
				if cnt >= 20 {
					anyValid = true
					if roundHalfEven(maxV, 0).Cmp(big.NewRat(200, 1)) > 0 {
						isGood = false
					}
				}
				// MDA8: 8-hour windows ending 08:00…24:00, ≥ 6 hours each, ≥ 14 windows.
				var best *big.Rat
				windows := 0
				for e := 8; e <= 24; e++ {
					var s big.Rat
					c := 0
					for k := e - 8; k < e; k++ {
						if dv.v[i][k] != nil {
							s.Add(&s, dv.v[i][k])
							c++
						}
					}
					if c < 6 {
						continue
					}
					windows++
					m := new(big.Rat).Quo(&s, big.NewRat(int64(c), 1))
					if best == nil || m.Cmp(best) > 0 {
						best = m
					}
				}
				if best != nil && (windows >= 14 || best.Cmp(big.NewRat(160, 1)) > 0) {
					anyValid = true
					if roundHalfEven(best, 0).Cmp(big.NewRat(160, 1)) > 0 {
						isGood = false
					}
				}
				continue
			}
			if cnt < 20 {
				continue
			}
			anyValid = true
			mean := new(big.Rat).Quo(&sum, big.NewRat(int64(cnt), 1))
			places := 0
			if n == "CO" {
				places = 1
			}
			if roundHalfEven(mean, places).Cmp(big.NewRat(limit[n], 1)) > 0 {
				isGood = false
			}
			if n == "PM2.5" {
				if pmSum[month] == nil {
					pmSum[month] = new(big.Rat)
				}
				pmSum[month].Add(pmSum[month], mean)
				pmN[month]++
			}
		}
		if anyValid && isGood {
			good[month]++
		} else if _, ok := good[month]; !ok {
			good[month] = 0
		}
	}
	for m, s := range pmSum {
		pm[m] = roundHalfEven(new(big.Rat).Quo(s, big.NewRat(int64(pmN[m]), 1)), 0).FloatString(0)
	}
	return pm, good
}

func seeded(t *testing.T) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := seed.Hunan(ctx, st); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestImportChangshaMonthlyFigures(t *testing.T) {
	data := changsha(t)
	ctx := context.Background()
	st := seeded(t)
	sqlh := st.SQL()
	var progress bytes.Buffer
	sum, err := cnemc.Import(ctx, st, "changsha.csv", data, cnemc.Options{SQL: &sqlh, Progress: &progress, Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Layout != cnemc.City || sum.Read < 5000 || sum.Stored+sum.Rejected != sum.Read || len(sum.CreatedPoints) != 1 || sum.CreatedPoints[0] != "city-430100" {
		t.Fatalf("summary %s", sum)
	}
	if !strings.Contains(progress.String(), "100%") {
		t.Errorf("no progress to 100%%: %q", progress.String())
	}
	cities, err := repo.LoadCityAir(ctx, st, time.Date(2019, 12, 1, 0, 0, 0, 0, store.CST), time.Date(2020, 7, 1, 0, 0, 0, 0, store.CST))
	if err != nil {
		t.Fatal(err)
	}
	wantPM, wantGood := independent(t, data)
	if len(wantPM) != 7 {
		t.Fatalf("independent computation found months %v", wantPM)
	}
	for _, m := range []string{"2019-12", "2020-01", "2020-02", "2020-03", "2020-04", "2020-05", "2020-06"} {
		y, _ := strconv.Atoi(m[:4])
		mo, _ := strconv.Atoi(m[5:])
		rows, err := targets.Rows(cities, targets.Month(y, time.Month(mo)))
		if err != nil {
			t.Fatal(err)
		}
		var got *targets.CityRow
		for i := range rows {
			if rows[i].Region == "430100" {
				got = &rows[i]
			}
		}
		if got == nil || got.PM25 != wantPM[m] || got.GoodDays != wantGood[m] {
			t.Errorf("%s: engine PM2.5 %q good %d, independent %s and %d", m, got.PM25, got.GoodDays, wantPM[m], wantGood[m])
		} else {
			t.Logf("%s: PM2.5 %s µg/m³, %d good days of %d", m, got.PM25, got.GoodDays, got.ValidDays)
		}
	}
	// The official January 2020 figure for the province was 51 µg/m³; the
	// figure for Changsha alone is checked above against the rows.

	// Again: the checkpoint says the file is done, nothing is read twice.
	again, err := cnemc.Import(ctx, st, "changsha.csv", data, cnemc.Options{SQL: &sqlh})
	if err != nil {
		t.Fatal(err)
	}
	if again.Stored != 0 || again.Skipped != again.Read || again.Resumed == 0 {
		t.Errorf("second import: %s", again)
	}
	// Restart ignores the checkpoint; the values are the same (idempotent).
	before, _ := st.Measurements(ctx, store.MeasurementQuery{Point: "city-430100", Factor: "a34004", Kind: store.Hour, From: time.Unix(0, 0), To: time.Now()})
	if _, err := cnemc.Import(ctx, st, "changsha.csv", data, cnemc.Options{SQL: &sqlh, Restart: true}); err != nil {
		t.Fatal(err)
	}
	after, _ := st.Measurements(ctx, store.MeasurementQuery{Point: "city-430100", Factor: "a34004", Kind: store.Hour, From: time.Unix(0, 0), To: time.Now()})
	if len(before) != len(after) || len(before) < 5000 {
		t.Errorf("restart changed the count: %d → %d", len(before), len(after))
	}
}

// cancelAt cancels the import when the progress reaches a line.
type cancelAt struct {
	cancel func()
	n      int
}

func (c *cancelAt) Write(p []byte) (int, error) {
	c.n++
	if c.n == 3 {
		c.cancel()
	}
	return len(p), nil
}

func TestImportResumes(t *testing.T) {
	data := changsha(t)
	st := seeded(t)
	sqlh := st.SQL()
	ctx, cancel := context.WithCancel(context.Background())
	first, err := cnemc.Import(ctx, st, "changsha.csv", data, cnemc.Options{SQL: &sqlh, BatchRows: 500, Progress: &cancelAt{cancel: cancel}})
	if err == nil {
		t.Fatal("the cancelled import reported success")
	}
	second, err := cnemc.Import(context.Background(), st, "changsha.csv", data, cnemc.Options{SQL: &sqlh, BatchRows: 500})
	if err != nil {
		t.Fatal(err)
	}
	if second.Resumed == 0 || second.Skipped == 0 || second.Stored == 0 || second.Skipped+second.Stored+second.Rejected != second.Read {
		t.Fatalf("resume: first %s\nsecond %s", first, second)
	}
	if first.Stored+second.Stored < second.Read-second.Rejected {
		t.Errorf("rows lost between the runs: first stored %d, second %s", first.Stored, second)
	}
}

func TestSimulatedOthersAreLabelled(t *testing.T) {
	data := changsha(t)
	sim, err := cnemc.SimulateOthers(data)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st := seeded(t)
	sum, err := cnemc.Import(ctx, st, "simulated.csv", sim, cnemc.Options{Simulated: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.CreatedPoints) != 13 || sum.Rejected != 0 || sum.Read != 13*5093 {
		t.Fatalf("summary %s", sum)
	}
	for _, code := range sum.CreatedPoints {
		p, err := st.Point(ctx, code)
		if err != nil || !strings.Contains(p.Name, cnemc.SimulatedLabel) {
			t.Errorf("%s: %q %v", code, p.Name, err)
		}
	}
}

// The checkpoint table's SQL on PostgreSQL: an interrupted import resumes
// and a finished one is skipped.
func TestImportCheckpointPostgres(t *testing.T) {
	data := changsha(t)
	ctx := context.Background()
	st, err := postgres.Open(ctx, pgtest.SchemaURL(t, "targets_cnemc"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := seed.Hunan(ctx, st); err != nil {
		t.Fatal(err)
	}
	sqlh := st.SQL()
	cctx, cancel := context.WithCancel(ctx)
	if _, err := cnemc.Import(cctx, st, "cs.csv", data, cnemc.Options{SQL: &sqlh, BatchRows: 1000, Progress: &cancelAt{cancel: cancel}}); err == nil {
		t.Fatal("the cancelled import reported success")
	}
	second, err := cnemc.Import(ctx, st, "cs.csv", data, cnemc.Options{SQL: &sqlh, BatchRows: 1000})
	if err != nil || second.Resumed == 0 || second.Stored == 0 {
		t.Fatalf("resume: %v %s", err, second)
	}
	third, err := cnemc.Import(ctx, st, "cs.csv", data, cnemc.Options{SQL: &sqlh})
	if err != nil || third.Stored != 0 || third.Skipped != third.Read {
		t.Fatalf("repeat: %v %s", err, third)
	}
	ms, err := st.Measurements(ctx, store.MeasurementQuery{Point: "city-430100", Factor: "a34004", Kind: store.Hour, From: time.Unix(0, 0), To: time.Now()})
	if err != nil || len(ms) < 5000 {
		t.Errorf("PM2.5 hours stored: %d %v", len(ms), err)
	}
}

func TestImportWideAndLongLayouts(t *testing.T) {
	ctx := context.Background()
	st := seeded(t)
	wide := "date,hour,type,1335A,1336A,9999A\n" +
		"20200102,0,AQI,50,60,70\n" + // derived: skipped
		"20200102,0,PM2.5,35,40,45\n" +
		"20200102,0,PM2.5_24h,35,40,45\n" + // derived: skipped
		"20200102,0,CO,0.8,,0.9\n" +
		"20200102,1,PM2.5,x,40,45\n" + // malformed value
		"20200102,1,XYZ,1,2,3\n" // unknown type
	sum, err := cnemc.Import(ctx, st, "wide.csv", []byte(wide), cnemc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Layout != cnemc.Wide || sum.Read != 6 || sum.Stored != 2 || sum.Skipped != 2 || sum.Rejected != 2 || sum.Values != 3 ||
		len(sum.UnknownPoints) != 1 || sum.UnknownPoints[0] != "9999A" || sum.Reasons["value not a decimal"] != 1 || sum.Reasons["type malformed"] != 1 {
		t.Fatalf("wide: %s %v", sum, sum.Reasons)
	}
	ms, _ := st.Measurements(ctx, store.MeasurementQuery{Point: "1336A", Factor: "a34004", Kind: store.Hour, From: time.Unix(0, 0), To: time.Now()})
	if len(ms) != 1 || !ms[0].Time.Equal(time.Date(2020, 1, 2, 0, 0, 0, 0, store.CST)) {
		t.Errorf("1336A PM2.5: %+v", ms)
	}
	long := "timepoint,stationcode,positionname,aqi,pm10,pm10_24h,pm2_5,pm2_5_24h,so2,so2_24h,no2,no2_24h,o3,o3_24h,o3_8h,o3_8h_24h,co,co_24h\n" +
		"2020-01-02 05:00:00,1335A,经开区环保局,80,70,71,59,60,6,7,40,41,30,31,20,21,0.9,1.0\n" +
		"2020-01-02 05:00:00,9999A,外省站,80,70,71,59,60,6,7,40,41,30,31,20,21,0.9,1.0\n" + // not in the registry
		"2020-01-02 05:30:00,1335A,经开区环保局,80,70,71,59,60,6,7,40,41,30,31,20,21,0.9,1.0\n" + // not on the hour
		"2020-01-02 06:00:00,1335A,经开区环保局,80,-1,71,59,60,6,7,40,41,30,31,20,21,0.9,1.0\n" // negative
	sum, err = cnemc.Import(ctx, st, "long.csv", []byte(long), cnemc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Layout != cnemc.Long || sum.Read != 4 || sum.Stored != 1 || sum.Values != 6 || sum.Rejected != 3 ||
		sum.Reasons["station not in the registry"] != 1 || sum.Reasons["time malformed"] != 1 || sum.Reasons["negative value"] != 1 {
		t.Fatalf("long: %s %v", sum, sum.Reasons)
	}
}
