package aqi

import (
	"math/big"
	"testing"
	"time"

	"ecowatch/assess/decimal"
)

func conc(kv ...any) Concentrations {
	var c Concentrations
	for k := 0; k < len(kv); k += 2 {
		c.Set(kv[k].(Indicator), decimal.MustParse(kv[k+1].(string)))
	}
	return c
}

// Worked examples of reference §1.2 and §5.
func TestWorkedExamples(t *testing.T) {
	cases := []struct {
		why   string
		rules *Rules
		rep   Report
		c     Concentrations
		want  int
	}{
		{"CO 2.2 trap: 50+50×0.2/2 = 55 exactly, float code gives 56", HJ633_2012, Daily, conc(CO24h, "2.2"), 55},
		{"PM2.5 36: 50+50×1/40 = 51.25, ceiling 52 (python-aqi gives 51)", HJ633_2012, Daily, conc(PM25_24h, "36"), 52},
		{"PM10 151: 100+50×1/100 = 100.5, ceiling 101 (go-aqi gives 100)", HJ633_2012, Daily, conc(PM10_24h, "151"), 101},
		{"concentration 0 gives IAQI 0 (go-aqi gives 166)", HJ633_2012, Daily, conc(PM25_24h, "0"), 0},
		{"PM2.5 75 is IAQI 100 under 2012", HJ633_2012, Daily, conc(PM25_24h, "75"), 100},
		{"PM2.5 75 under 2026: 100+50×15/55 = 113.6…, ceiling 114", HJ633_2026, Daily, conc(PM25_24h, "75"), 114},
		{"PM10 120 under 2026 is IAQI 100", HJ633_2026, Daily, conc(PM10_24h, "120"), 100},
		{"GB/T 8170 before lookup: PM2.5 35.5 → 36 (even) → 52", HJ633_2026, Daily, conc(PM25_24h, "35.5"), 52},
		{"GB/T 8170 before lookup: PM2.5 34.5 → 34 (even) → ceil(48.57) = 49", HJ633_2026, Daily, conc(PM25_24h, "34.5"), 49},
		{"CO 2.25 → 2.2 (half-even) → 55", HJ633_2026, Daily, conc(CO24h, "2.25"), 55},
		{"release: CO 2.25 used as is: 56.25 → 56 half-up", Release2012, Daily, conc(CO24h, "2.25"), 56},
		{"release: PM2.5 36 half-up: 51.25 → 51", Release2012, Hourly, conc(PM25_1h, "36"), 51},
		{"release: PM10 151 half-up: 100.5 → 101", Release2012, Hourly, conc(PM10_1h, "151"), 101},
		{"2026 SO2 1h 801 → 200", HJ633_2026, Hourly, conc(SO2_1h, "801", NO2_1h, "10"), 200},
		{"2026 SO2 1h 800 on the column end → 200", HJ633_2026, Hourly, conc(SO2_1h, "800", NO2_1h, "10"), 200},
		{"2012 SO2 1h 900 falls back to SO2 24h 500: 150+50×25/325 = 153.8 → 154", HJ633_2012, Hourly, conc(SO2_1h, "900", SO2_24h, "500"), 154},
		{"2026 O3 8h 801 → 300", HJ633_2026, Daily, conc(O3_8h, "801"), 300},
		{"2012 O3 8h 900 dropped, O3 1h 300 gives 150", HJ633_2012, Daily, conc(O3_8h, "900", O3_1h, "300"), 150},
		{"above the table: PM2.5 600 capped at 500", HJ633_2012, Daily, conc(PM25_24h, "600"), 500},
		{"NO2 1h 3840 is the top: 500", HJ633_2012, Hourly, conc(NO2_1h, "3840"), 500},
	}
	for _, c := range cases {
		r := c.rules.Compute(c.rep, c.c)
		if r.AQI != c.want || (c.want > 0 && !r.Available && c.rules.Missing != MissingPublishAbove100) {
			t.Errorf("%s: got %v (AQI %d), want %d", c.why, r, r.AQI, c.want)
		}
		if r.Rules != c.rules.Name {
			t.Errorf("%s: result names rules %q", c.why, r.Rules)
		}
	}
}

// Every breakpoint of every column gives exactly its IAQI (HJ 633 Table 1),
// and one unit above it gives the next integer up under the ceiling rule.
func TestEveryBreakpoint(t *testing.T) {
	for _, r := range []*Rules{HJ633_2012, HJ633_2026} {
		for i := Indicator(0); i < NumIndicators; i++ {
			col := r.tables[i]
			for k, bp := range col {
				x, ok := r.iaqi(i, decimal.FromInt(bp))
				if (i == SO2_1h || i == O3_8h) && bp == 800 && r == HJ633_2026 {
					continue // 800 is the column end; covered above
				}
				if !ok || int64(x.Value) != iaqiSteps[k] {
					t.Errorf("%s %s at %d: IAQI %d, want %d", r.Name, i, bp, x.Value, iaqiSteps[k])
				}
				if k+1 < len(col) {
					// One smallest reported unit above the breakpoint.
					step := decimal.FromInt(bp + 1)
					if i.Pollutant() == CO {
						step = decimal.New(bp*10+1, 1)
					}
					y, _ := r.iaqi(i, step)
					// Expected: the formula of HJ 633-2012 §6.1 in big
					// rationals, then the ceiling of §6.2.
					f := new(big.Rat).Sub(step.Rat(), new(big.Rat).SetInt64(bp))
					f.Mul(f, big.NewRat(iaqiSteps[k+1]-iaqiSteps[k], col[k+1]-bp))
					f.Add(f, new(big.Rat).SetInt64(iaqiSteps[k]))
					want, _ := decimal.RoundRat(f, 0, decimal.Ceiling)
					if int64(y.Value) != want.Mantissa() || y.Value <= int(iaqiSteps[k]) {
						t.Errorf("%s %s just above %d (%s): IAQI %d, want %s", r.Name, i, bp, step, y.Value, want)
					}
				}
			}
		}
	}
}

// Primary pollutant ties are all listed (HJ 633-2012 §3.5 "并列"); none
// when AQI ≤ 50.
func TestPrimaryTiesAndLevels(t *testing.T) {
	// PM10 150 and PM2.5 75 both give 100 (2012 table).
	r := HJ633_2012.Compute(Daily, conc(PM10_24h, "150", PM25_24h, "75", SO2_24h, "10"))
	if r.AQI != 100 || len(r.Primary) != 2 || r.Primary[0] != PM10 || r.Primary[1] != PM25 {
		t.Fatalf("tie: %v", r)
	}
	if r.Level.Category != "良" || r.Level.Number != 2 {
		t.Fatalf("level: %+v", r.Level)
	}
	r = HJ633_2012.Compute(Daily, conc(PM25_24h, "35", PM10_24h, "50"))
	if r.AQI != 50 || r.Primary != nil {
		t.Fatalf("AQI 50 must have no primary pollutant: %v", r)
	}
	// O3 in the 2012 daily report has two indicators; the pollutant's IAQI is the larger.
	r = HJ633_2012.Compute(Daily, conc(O3_1h, "300", O3_8h, "100"))
	if v, _ := r.IAQIOf(O3); v != 150 || len(r.Primary) != 1 || r.Primary[0] != O3 {
		t.Fatalf("O3: %v", r)
	}
	// Exceeding pollutants exist only in 2012.
	r = HJ633_2012.Compute(Daily, conc(PM25_24h, "80", PM10_24h, "160"))
	if len(r.Exceeding) != 2 {
		t.Fatalf("2012 exceeding: %v", r.Exceeding)
	}
	if r = HJ633_2026.Compute(Daily, conc(PM25_24h, "80", PM10_24h, "160")); len(r.Exceeding) != 0 {
		t.Fatalf("2026 has no exceeding pollutants: %v", r.Exceeding)
	}
	// Level boundaries from HJ 633 Table 2.
	for aqi, want := range map[int]int{0: 1, 50: 1, 51: 2, 100: 2, 101: 3, 150: 3, 151: 4, 200: 4, 201: 5, 300: 5, 301: 6, 500: 6} {
		if LevelOf(aqi).Number != want {
			t.Errorf("LevelOf(%d) = %d, want %d", aqi, LevelOf(aqi).Number, want)
		}
	}
	if LevelOf(0).RGB != [3]uint8{0, 228, 0} {
		t.Errorf("green is 0,228,0 per HJ 633 Table 2")
	}
}

// HJ 633-2026 §5.3.1: with a pollutant missing the AQI is published only
// if above 100; HJ 633-2012 computes from what is there.
func TestMissing(t *testing.T) {
	c := conc(SO2_1h, "10", NO2_1h, "10", CO1h, "1", O3_1h, "100", PM10_1h, "100") // PM2.5 missing
	r := HJ633_2026.Compute(Hourly, c)
	if r.Available || len(r.Missing) != 1 || r.Missing[0] != PM25 {
		t.Fatalf("2026 missing PM2.5, AQI ≤ 100 must be NA: %v %v", r, r.Missing)
	}
	c.Set(PM10_1h, decimal.FromInt(300)) // IAQI 175
	if r = HJ633_2026.Compute(Hourly, c); !r.Available || r.AQI != 175 {
		t.Fatalf("2026 missing PM2.5, AQI > 100 must be published: %v", r)
	}
	c.Set(PM10_1h, decimal.FromInt(100))
	c.NotMonitored(PM25) // §5.3.2: a pollutant the point need not monitor is not missing
	if r = HJ633_2026.Compute(Hourly, c); !r.Available || r.AQI != 86 || len(r.Missing) != 0 {
		t.Fatalf("2026 with PM2.5 not monitored must publish AQI 86 (PM10 100 → 50+50×50/70 = 85.7, ceiling 86; 2026 PM10 table): %v", r)
	}
	if r = HJ633_2012.Compute(Hourly, conc(SO2_1h, "10")); !r.Available || r.AQI != 4 || len(r.Missing) == 0 {
		t.Fatalf("2012 computes from what is present: %v", r)
	}
	if r = HJ633_2012.Compute(Hourly, Concentrations{}); r.Available {
		t.Fatalf("nothing given: %v", r)
	}
}

func TestDefault(t *testing.T) {
	before := time.Date(2026, 2, 28, 23, 59, 0, 0, UTC8())
	after := time.Date(2026, 3, 1, 0, 0, 0, 0, UTC8())
	if Default(before) != HJ633_2012 || Default(after) != HJ633_2026 {
		t.Fatal("switch date 2026-03-01 Beijing time")
	}
	// 2026-02-28 16:30 UTC is 2026-03-01 00:30 in Beijing.
	if Default(time.Date(2026, 2, 28, 16, 30, 0, 0, time.UTC)) != HJ633_2026 {
		t.Fatal("days are cut in UTC+8")
	}
	if _, err := ByName("nope"); err == nil {
		t.Fatal("unknown rule set accepted")
	}
}

// Property (issue 4): the AQI never decreases when one concentration rises,
// and the level always matches the AQI.
func TestMonotoneAndCategoryProperty(t *testing.T) {
	for _, r := range All {
		for _, rep := range []Report{Hourly, Daily} {
			for _, i := range r.Indicators(rep) {
				top := r.tables[i][len(r.tables[i])-1]
				prev := -1
				limit := top*10 + 50
				for m := int64(0); m <= limit; m += 3 {
					v := decimal.New(m, 1)
					var c Concentrations
					c.Set(i, v)
					if i == SO2_1h {
						c.Set(SO2_24h, decimal.FromInt(2000))
					}
					if i == O3_8h {
						c.Set(O3_1h, decimal.FromInt(1100))
					}
					res := r.Compute(rep, c)
					if !res.Available && r.Missing != MissingPublishAbove100 {
						t.Fatalf("%s %s %s: not available", r.Name, i, v)
					}
					if res.AQI < prev {
						t.Fatalf("%s %v %s: AQI fell from %d to %d at %s", r.Name, rep, i, prev, res.AQI, v)
					}
					prev = res.AQI
					if res.Available && res.Level != LevelOf(res.AQI) {
						t.Fatalf("%s: level %v for AQI %d", r.Name, res.Level, res.AQI)
					}
				}
			}
		}
	}
}

func BenchmarkCompute(b *testing.B) {
	c := conc(SO2_1h, "8", NO2_1h, "35", PM10_1h, "88", CO1h, "0.72", O3_1h, "120", PM25_1h, "61")
	b.ReportAllocs()
	for b.Loop() {
		_ = Release2012.Compute(Hourly, c)
	}
}

func TestSetString(t *testing.T) {
	var c Concentrations
	if err := c.SetString(CO24h, "2.2"); err != nil {
		t.Fatal(err)
	}
	if r := HJ633_2026.Compute(Daily, c); r.AQI != 55 { // CO 2.2 → 55 exactly (reference §1.2)
		t.Fatalf("AQI %d", r.AQI)
	}
	for _, bad := range []string{"", "x", "-1", "1e2"} {
		if err := c.SetString(PM25_24h, bad); err == nil {
			t.Errorf("SetString(%q) accepted", bad)
		}
	}
	if _, ok := c.Get(PM25_24h); ok {
		t.Error("a rejected value was recorded")
	}
}
