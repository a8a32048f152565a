package seed

import (
	"context"
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
	for i := 0; i < 2; i++ { // idempotent
		if sum, err = Hunan(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	regions, _ := st.Regions(ctx)
	points, _ := st.Points(ctx)
	targets, _ := st.Targets(ctx)
	deps, _ := st.Departments(ctx)
	if len(regions) != 15 || len(points) != 82 || len(targets) != len(Targets) || len(deps) != len(Departments) || sum.Stations != 82 {
		t.Fatalf("regions %d points %d targets %d departments %d", len(regions), len(points), len(targets), len(deps))
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
