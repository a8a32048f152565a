package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readCSV(t *testing.T, s string) [][]string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(s))
	r.Comment = '#'
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v\n%s", err, s)
	}
	return recs
}

func col(t *testing.T, header []string, name string) int {
	t.Helper()
	for k, h := range header {
		if h == name {
			return k
		}
	}
	t.Fatalf("no column %q in %v", name, header)
	return -1
}

func TestAssessRules(t *testing.T) {
	out, _, code := runCLI(t, "", "assess", "rules")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, n := range []string{"HJ633-2012", "HJ633-2026", "CNEMC-release-2012", "GB3095-2012", "GB3095-2026-transitional", "GB3095-2026-final", "GB3838-2002"} {
		if !strings.Contains(out, n) {
			t.Errorf("rules output lacks %s", n)
		}
	}
	out, _, _ = runCLI(t, "", "assess", "rules", "--json")
	var rows []map[string]string
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 7 {
		t.Fatalf("rules --json: %v, %d rows", err, len(rows))
	}
}

// Done criterion of issue 4: piping the national release's CSV through
// `ecowatch assess aqi --rules CNEMC-release-2012` gives the published AQI
// back on every row, and the input columns unchanged. The expected values
// are the file's own AQI column.
func TestAssessAQIReproducesRelease(t *testing.T) {
	in, err := os.ReadFile("../../assess/aqi/testdata/changsha-hourly-2019-12-to-2020-06.csv")
	if err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runCLI(t, string(in), "assess", "aqi", "--rules", "CNEMC-release-2012")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	inRecs, outRecs := readCSV(t, string(in)), readCSV(t, out)
	if len(inRecs) != len(outRecs) || len(outRecs) != 5094 {
		t.Fatalf("%d rows in, %d out", len(inRecs), len(outRecs))
	}
	h := outRecs[0]
	published, computed, rules, note := col(t, h, "AQI"), col(t, h, "computed_aqi"), col(t, h, "rules"), col(t, h, "note")
	col(t, h, "iaqi_PM2.5")
	for i := 1; i < len(outRecs); i++ {
		r := outRecs[i]
		if strings.Join(r[:len(inRecs[i])], ",") != strings.Join(inRecs[i], ",") {
			t.Fatalf("row %d input changed", i+1)
		}
		if r[computed]+".0" != r[published] || r[rules] != "CNEMC-release-2012" || r[note] != "" {
			t.Fatalf("row %d: computed %s, published %s, rules %s, note %q", i+1, r[computed], r[published], r[rules], r[note])
		}
	}
}

func TestAssessAQINotesAndDefaults(t *testing.T) {
	in := "date,hour,city,AQI,PM2.5,PM10,SO2,NO2,O3,CO\n" +
		"20260301,0,X,,75,50,5,20,50,0.5\n" + // HJ 633-2026 by date: PM2.5 75 → 100+50×15/55 → 114
		"20200101,0,X,,75,50,5,20,50,0.5\n" + // HJ 633-2012 by date: PM2.5 1h has no IAQI in the text; PM10 1h neither
		"20200101,0,X,,abc,50,5,20,50,0.5\n" +
		"20200101,0,X\n" +
		"2020-13-01,0,X,,1,1,1,1,1,1\n"
	out, stderr, code := runCLI(t, in, "assess", "aqi")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs := readCSV(t, out)
	h := recs[0]
	aqiC, rulesC, noteC := col(t, h, "computed_aqi"), col(t, h, "rules"), col(t, h, "note")
	if recs[1][aqiC] != "114" || recs[1][rulesC] != "HJ633-2026" {
		t.Errorf("2026 row: %v", recs[1])
	}
	if recs[2][rulesC] != "HJ633-2012" || !strings.Contains(recs[2][noteC], "missing [PM10 PM2.5]") {
		t.Errorf("2012 row: %v", recs[2])
	}
	if !strings.Contains(recs[3][noteC], "PM2.5") {
		t.Errorf("bad number row note: %q", recs[3][noteC])
	}
	if !strings.Contains(recs[4][noteC], "fields") || len(recs[4]) != len(h) {
		t.Errorf("short row: %v", recs[4])
	}
	if !strings.Contains(recs[5][noteC], "date") {
		t.Errorf("bad date row: %v", recs[5])
	}
	if _, _, code := runCLI(t, "PM2.5\n1\n", "assess", "aqi"); code != 1 {
		t.Error("no date column and no --rules must fail")
	}
	if _, _, code := runCLI(t, "x\n", "assess", "aqi", "--rules", "nope"); code != 1 {
		t.Error("unknown rule set must fail")
	}
	out, _, code = runCLI(t, "date,PM2.5_24h,O3_8h_24h\n20200101,36,\n", "assess", "aqi", "--daily", "--json")
	var objs []map[string]string
	if err := json.Unmarshal([]byte(out), &objs); err != nil || code != 0 || objs[0]["computed_aqi"] != "52" {
		t.Fatalf("daily json: %v %v %s", err, objs, out) // PM2.5 36: ceil(51.25) = 52
	}
}

// city-year from station rows: background stations are left out and the
// city mean is rounded per GB/T 8170. Stations A (PM2.5 30) and B (41)
// give 35.5 → 36 (half-even); the background station's 500 is ignored.
// Daily AQI: PM2.5 36 → ceil(50 + 50×1/40) = 52, a good day.
func TestAssessCityYearStations(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "stations.csv")
	os.WriteFile(st, []byte("station_code,station_name,city_name,city_adcode,longitude,latitude,background\nA,a,长沙,430100,0,0,N\nB,b,长沙,430100,0,0,N\nBG,bg,长沙,430100,0,0,Y\n"), 0o644)
	dust := filepath.Join(dir, "dust.csv")
	os.WriteFile(dust, []byte("city,date\n长沙,20200102\n"), 0o644)
	var b strings.Builder
	b.WriteString("station_code,date,hour,PM2.5,PM10,SO2,NO2,O3,CO\n")
	for _, day := range []string{"20200101", "20200102"} {
		for h := range 24 {
			pm := map[string]string{"A": "30", "B": "41", "BG": "500"}
			for _, s := range []string{"A", "B", "BG"} {
				pm25 := pm[s]
				if day == "20200102" {
					pm25 = "200" // a dust day: AQI 250 unless deducted
				}
				fmt.Fprintf(&b, "%s,%s,%d,%s,40,5,20,60,0.5\n", s, day, h, pm25)
			}
		}
	}
	out, stderr, code := runCLI(t, b.String(), "assess", "city-year", "--stations", st, "--dust", dust, "--partial")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs := readCSV(t, out)
	if len(recs) != 3 {
		t.Fatalf("want actual and dust-deducted rows: %v", recs)
	}
	h := recs[0]
	get := func(r int, c string) string { return recs[r][col(t, h, c)] }
	// Actual: PM2.5 days 35.5 and 200: mean 117.75 → 118; heavy day AQI
	// 200 + 100×50/100 = 250 > 200.
	if get(1, "variant") != "actual" || get(1, "PM2.5_mean") != "118" || get(1, "heavy_days") != "1" || get(1, "good_ratio") != "50.0" {
		t.Fatalf("actual: %v", recs[1])
	}
	// Dust-deducted: only the first day's PM2.5: 35.5 → 36; the dust day
	// keeps an AQI from the other pollutants and is good.
	if get(2, "variant") != "dust-deducted" || get(2, "PM2.5_mean") != "36" || get(2, "heavy_days") != "0" || get(2, "good_ratio") != "100.0" {
		t.Fatalf("deducted: %v", recs[2])
	}
	if _, _, code := runCLI(t, b.String(), "assess", "city-year"); code != 1 {
		t.Error("station rows without --stations must fail")
	}
	if _, _, code := runCLI(t, "", "assess", "city-year", "--grade", "3"); code != 1 {
		t.Error("grade 3 must fail")
	}
}

func TestAssessWater(t *testing.T) {
	in := "断面,水温,pH,溶解氧,高锰酸盐指数,氨氮,总磷,总氮\n" +
		"S1,20,7.5,8.2,3.1,0.32,0.12,1.8\n" + // III (TP 0.12)
		"S2,20,7.5,8.2,3.1,2.5,0.12,1.8\n" + // 劣V (NH3-N 2.5; multiple (2.5−1)/1 = 1.50)
		"S3,20,7.5,8.2,3.1,0.1,0.01,9\n" + // II (CODMn 3.1 > 2; TN 9 not counted)
		"S4,20,7.5,8.2,3.1,0.1,0.15,1\n" + // III
		"S5,20,7.5,8.2,3.1,1.2,0.15,1\n" // IV
	out, stderr, code := runCLI(t, in, "assess", "water")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs := readCSV(t, out)
	want := []string{"III", "劣V", "II", "III", "IV"}
	for i, w := range want {
		if recs[i+1][2] != w {
			t.Errorf("%s class %s, want %s", recs[i+1][0], recs[i+1][2], w)
		}
	}
	if recs[2][4] != "NH3-N(1.50)" {
		t.Errorf("main pollutants %q", recs[2][4])
	}
	// 3 of 5 in I–III = 60 %, 劣V 20 %: 中度污染 (2011 method, ≥ 5 sections).
	if !strings.Contains(out, "# sections 5, I-III 60.0%, worse than V 20.0%, status 中度污染") {
		t.Errorf("ratios line missing:\n%s", out)
	}
	if _, _, code := runCLI(t, in, "assess", "water", "--body", "sea"); code != 1 {
		t.Error("unknown body must fail")
	}
	if _, _, code := runCLI(t, in, "assess", "water", "--group", "nope"); code != 1 {
		t.Error("unknown group column must fail")
	}
}

func TestAssessUsage(t *testing.T) {
	if _, errOut, code := runCLI(t, "", "assess"); code != 2 || !strings.Contains(errOut, "city-year") {
		t.Errorf("bare assess: exit %d", code)
	}
	if _, _, code := runCLI(t, "", "assess", "bogus"); code != 2 {
		t.Errorf("unknown subcommand: exit %d", code)
	}
	if _, _, code := runCLI(t, "", "assess", "rules", "extra"); code != 2 {
		t.Errorf("extra argument: exit %d", code)
	}
}

func FuzzAssessAQICSV(f *testing.F) {
	f.Add("date,hour,PM2.5,CO\n20200101,0,35,2.2\n")
	f.Add("date,PM10\n2026-03-01,\"1\n2\"\n")
	f.Add("date,SO2\n20200101,900\n20200101\n")
	f.Fuzz(func(t *testing.T, in string) {
		_, _, code := runCLI(t, in, "assess", "aqi")
		if code == 2 {
			t.Fatalf("usage error on data input")
		}
	})
}
