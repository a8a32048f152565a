package seed

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"ecowatch/registry"
	"ecowatch/store/sqlite"
)

func TestCitiesAndStations(t *testing.T) {
	cities, err := Cities()
	if err != nil {
		t.Fatal(err)
	}
	// Hunan has 14 prefecture-level divisions (13 cities and Xiangxi
	// autonomous prefecture), GB/T 2260 codes 4301xx … 4313xx and 4331xx.
	if len(cities) != 14 {
		t.Fatalf("%d cities", len(cities))
	}
	byCode := map[string]bool{}
	for _, c := range cities {
		if err := c.Validate(); err != nil || c.Level != registry.LevelCity || len(c.Outline) < 100 {
			t.Errorf("%+v: %v", c.Code, err)
		}
		byCode[c.Code] = true
	}
	stations, corrected, err := Stations()
	if err != nil {
		t.Fatal(err)
	}
	// The data README: 82 national stations; three Changde stations are
	// flagged Y without "(对照点)" in their names.
	if len(stations) != 82 || strings.Join(corrected, ",") != "1853A,1855A,1856A" {
		t.Fatalf("%d stations, corrected %v", len(stations), corrected)
	}
	background := map[string]int{}
	for _, p := range stations {
		if !byCode[p.RegionCode] {
			t.Errorf("station %s in unknown city %s", p.Code, p.RegionCode)
		}
		if p.Background != strings.Contains(p.Name, "(对照点)") {
			t.Errorf("station %s %s: background %v disagrees with its name", p.Code, p.Name, p.Background)
		}
		if p.Background {
			background[p.RegionCode]++
		}
	}
	// After the correction every city has exactly one background station.
	for code := range byCode {
		if background[code] != 1 {
			t.Errorf("city %s has %d background stations", code, background[code])
		}
	}
	if !strings.Contains(License, "MIT License") {
		t.Error("the outlines' licence is not shipped")
	}
}

func TestHunanIntoStoreTwice(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var sum Summary
	var first []registry.Region
	for i := 0; i < 2; i++ { // idempotent
		if sum, err = Hunan(ctx, st); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first, _ = st.Regions(ctx)
		}
	}
	regions, _ := st.Regions(ctx)
	points, _ := st.Points(ctx)
	targets, _ := st.Targets(ctx)
	deps, _ := st.Departments(ctx)
	// The province, 14 cities and 122 county-level divisions.
	if len(regions) != 137 || len(points) != 82 || len(targets) != len(Targets) || len(deps) != len(Departments) || sum.Stations != 82 ||
		sum.Regions != 137 || sum.Counties != 122 {
		t.Fatalf("regions %d points %d targets %d departments %d, summary %v", len(regions), len(points), len(targets), len(deps), sum)
	}
	if !reflect.DeepEqual(first, regions) {
		t.Fatal("the second seed changed the regions")
	}
	// A second seed keeps the cities' outlines (counties have none).
	if c, err := st.Region(ctx, "430100"); err != nil || len(c.Outline) < 100 {
		t.Fatalf("长沙市 after a second seed: outline %d bytes, %v", len(c.Outline), err)
	}
	if c, err := st.Region(ctx, "430212"); err != nil || c.Name != "渌口区" || c.Level != registry.LevelCounty || c.ParentCode != "430200" || c.Outline != nil {
		t.Fatalf("渌口区 = %+v, %v", c, err)
	}
	// The plan's first goal: PM2.5 at most 42 µg/m³ (二、工作目标).
	if targets[len(targets)-1].RegionCode != Province {
		t.Fatalf("targets = %+v", targets)
	}
	found := false
	for _, tg := range targets {
		if tg.Indicator == "pm25_annual_mean" {
			found = tg.Value == 42 && tg.Comparison == registry.AtMost && tg.Year == 2020
		}
	}
	if !found {
		t.Fatal("PM2.5 target missing or wrong")
	}
	p, err := st.Point(ctx, "1853A")
	if err != nil || p.Background || !p.InCityAverage || len(p.Factors) != 6 {
		t.Fatalf("1853A = %+v, %v", p, err)
	}
}

// TestCounties checks the county-level list against its source (the
// 民政部 codes at the end of 2025: 122 divisions) and against the
// structure of GB/T 2260 codes.
func TestCounties(t *testing.T) {
	counties, err := Counties()
	if err != nil {
		t.Fatal(err)
	}
	cities, err := Cities()
	if err != nil {
		t.Fatal(err)
	}
	cityName := map[string]string{}
	for _, c := range cities {
		cityName[c.Code] = c.Name
	}
	perCity := map[string][]string{}
	names := map[string]bool{}
	codes := map[string]bool{}
	for _, c := range counties {
		if c.Level != registry.LevelCounty || c.ParentCode != c.Code[:4]+"00" {
			t.Errorf("%s %s: level %s, parent %s", c.Code, c.Name, c.Level, c.ParentCode)
		}
		if _, ok := cityName[c.ParentCode]; !ok {
			t.Errorf("%s %s: parent %s is not one of the 14 cities", c.Code, c.Name, c.ParentCode)
		}
		if codes[c.Code] {
			t.Errorf("code %s twice", c.Code)
		}
		codes[c.Code] = true
		if names[c.ParentCode+c.Name] {
			t.Errorf("%s: name %s twice in %s", c.Code, c.Name, c.ParentCode)
		}
		names[c.ParentCode+c.Name] = true
		perCity[c.ParentCode] = append(perCity[c.ParentCode], c.Code+" "+c.Name)
		// GB/T 2260 numbers a city's districts 01–20, its counties 21–80
		// and its county-level cities 81–99; an autonomous prefecture
		// (4331) numbers its cities from 01. The names must agree.
		n := (c.Code[4]-'0')*10 + c.Code[5] - '0'
		var suffix string
		switch {
		case c.ParentCode == "433100" && n <= 20, n >= 81:
			suffix = "市"
		case n <= 20:
			suffix = "区"
		default:
			suffix = "县"
		}
		if !strings.HasSuffix(c.Name, suffix) {
			t.Errorf("%s %s: a code numbered %02d names a …%s", c.Code, c.Name, n, suffix)
		}
	}
	if len(counties) != 122 {
		t.Errorf("%d county-level divisions, want 122", len(counties))
	}
	// Per city, as the source lists them.
	want := map[string]int{"430100": 9, "430200": 9, "430300": 5, "430400": 12, "430500": 12, "430600": 9, "430700": 9,
		"430800": 4, "430900": 6, "431000": 11, "431100": 11, "431200": 12, "431300": 5, "433100": 8}
	for code, n := range want {
		if len(perCity[code]) != n {
			t.Errorf("%s %s has %d county-level divisions, want %d: %v", code, cityName[code], len(perCity[code]), n, perCity[code])
		}
	}
	changsha := []string{"430102 芙蓉区", "430103 天心区", "430104 岳麓区", "430105 开福区", "430111 雨花区", "430112 望城区",
		"430121 长沙县", "430181 浏阳市", "430182 宁乡市"}
	if !slices.Equal(perCity["430100"], changsha) {
		t.Errorf("长沙市: %v, want %v", perCity["430100"], changsha)
	}
	xiangxi := []string{"433101 吉首市", "433122 泸溪县", "433123 凤凰县", "433124 花垣县", "433125 保靖县", "433126 古丈县",
		"433127 永顺县", "433130 龙山县"}
	if !slices.Equal(perCity["433100"], xiangxi) {
		t.Errorf("湘西: %v, want %v", perCity["433100"], xiangxi)
	}
	// The list is today's: withdrawn codes are gone, their successors in.
	for _, r := range Replaced {
		if codes[r.Code] || !codes[r.By] || !names[r.By[:4]+"00"+r.ByName] {
			t.Errorf("replacement %+v: withdrawn code listed or successor missing", r)
		}
		if got, ok := ReplacedCode(r.Code); !ok || got != r {
			t.Errorf("ReplacedCode(%s) = %+v, %v", r.Code, got, ok)
		}
	}
	if _, ok := ReplacedCode("430212"); ok {
		t.Error("a code in force is reported as replaced")
	}
}
