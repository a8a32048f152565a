// Package cnemc reads the national air-quality real-time release (中国环境
// 监测总站 CNEMC) in its three CSV layouts and imports the hourly values
// into the store:
//
//   - city: date,hour,city,AQI,PM2.5,PM2.5_24h,PM10,…,CO,CO_24h — one row
//     per city and hour (the layout of changsha-hourly-2019-12-to-2020-06.csv);
//   - wide: date,hour,type,<station code>… — one row per pollutant type
//     and hour, one column per station (one file a day);
//   - long: timepoint,stationcode,…,aqi,pm10,pm10_24h,pm2_5,… — one row
//     per station and hour.
//
// Only the 1-hour values of the six pollutants are stored: the 24-hour,
// 8-hour and AQI columns are the release's own derivations, which the
// standards engine recomputes from the hours. City rows go to a city-level
// point "city-<adcode>" (created on first use, left out of city averages);
// station rows go to the registry's station points (the national station
// code), and a station not in the registry is reported, not created.
//
// The hour of the release's "hour" column (0…23) is stored as the start
// of the hour, the convention of `ecowatch assess city-year`.
package cnemc

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"ecowatch/assess/aqi"
	"ecowatch/assess/decimal"
)

// Layout is one of the release's CSV layouts.
type Layout string

// Layouts.
const (
	City Layout = "city"
	Wide Layout = "wide"
	Long Layout = "long"
)

// Cell is one hourly value of one pollutant at one point.
type Cell struct {
	Point     string // station code, or CityPoint(adcode)
	Time      time.Time
	Pollutant aqi.Pollutant
	Value     float64
}

// CityPoint is the code of a city's city-level point.
func CityPoint(adcode string) string { return "city-" + adcode }

// Cities maps the names the release uses for Hunan's 14 prefecture-level
// cities (pinyin and Chinese, with or without 市) to their GB/T 2260 codes.
var Cities = func() map[string]string {
	m := map[string]string{}
	for _, c := range []struct{ code, en, zh string }{
		{"430100", "Changsha", "长沙"}, {"430200", "Zhuzhou", "株洲"}, {"430300", "Xiangtan", "湘潭"},
		{"430400", "Hengyang", "衡阳"}, {"430500", "Shaoyang", "邵阳"}, {"430600", "Yueyang", "岳阳"},
		{"430700", "Changde", "常德"}, {"430800", "Zhangjiajie", "张家界"}, {"430900", "Yiyang", "益阳"},
		{"431000", "Chenzhou", "郴州"}, {"431100", "Yongzhou", "永州"}, {"431200", "Huaihua", "怀化"},
		{"431300", "Loudi", "娄底"}, {"433100", "Xiangxi", "湘西"},
	} {
		m[strings.ToLower(c.en)] = c.code
		m[c.zh] = c.code
		m[c.zh+"市"] = c.code
		m[c.code] = c.code
	}
	m["湘西州"] = "433100"
	m["湘西土家族苗族自治州"] = "433100"
	m["xiangxizhou"] = "433100"
	return m
}()

// pollutantColumn maps a 1-hour column name (lower case, "." and "_"
// removed) to its pollutant.
var pollutantColumn = map[string]aqi.Pollutant{
	"so2": aqi.SO2, "no2": aqi.NO2, "pm10": aqi.PM10, "co": aqi.CO, "o3": aqi.O3, "pm25": aqi.PM25,
}

func norm(s string) string {
	s = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(s, "\ufeff")))
	return strings.NewReplacer(".", "", "_", "", " ", "").Replace(s)
}

// Parser reads the rows of one file after its header.
type Parser struct {
	Layout  Layout
	n       int
	date    int
	hour    int
	city    int
	typ     int
	tp      int
	station int
	// pollutant columns (city and long layouts) or station columns (wide)
	cols     []int
	pols     []aqi.Pollutant
	stations []string
}

// NewParser recognises the layout from the header.
func NewParser(header []string) (*Parser, error) {
	p := &Parser{n: len(header), date: -1, hour: -1, city: -1, typ: -1, tp: -1, station: -1}
	for k, h := range header {
		switch norm(h) {
		case "date":
			p.date = k
		case "hour":
			p.hour = k
		case "city", "cityname", "area":
			p.city = k
		case "type":
			p.typ = k
		case "timepoint":
			p.tp = k
		case "stationcode":
			p.station = k
		}
	}
	switch {
	case p.date >= 0 && p.hour >= 0 && p.typ >= 0:
		p.Layout = Wide
		for k, h := range header {
			if k == p.date || k == p.hour || k == p.typ {
				continue
			}
			code := strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
			if code == "" {
				return nil, fmt.Errorf("cnemc: wide layout: column %d has no station code", k+1)
			}
			p.cols, p.stations = append(p.cols, k), append(p.stations, code)
		}
		if len(p.cols) == 0 {
			return nil, errors.New("cnemc: wide layout without station columns")
		}
		return p, nil
	case p.tp >= 0 && p.station >= 0:
		p.Layout = Long
	case p.date >= 0 && p.hour >= 0 && p.city >= 0:
		p.Layout = City
	default:
		return nil, errors.New("cnemc: unknown layout: want date,hour,city,… (city), date,hour,type,<station>… (wide) or timepoint,stationcode,… (long)")
	}
	seen := map[aqi.Pollutant]bool{}
	for k, h := range header {
		if pol, ok := pollutantColumn[norm(h)]; ok {
			if seen[pol] {
				return nil, fmt.Errorf("cnemc: %s given twice", pol)
			}
			seen[pol] = true
			p.cols, p.pols = append(p.cols, k), append(p.pols, pol)
		}
	}
	if len(p.cols) == 0 {
		return nil, errors.New("cnemc: no pollutant column (PM2.5, PM10, SO2, NO2, O3, CO)")
	}
	return p, nil
}

// missing says whether a cell is empty in the release's ways.
func missing(s string) bool {
	switch s {
	case "", "NA", "na", "NaN", "nan", "—", "-", "--", "null", "NULL":
		return true
	}
	return false
}

func value(s string) (float64, bool, error) {
	s = strings.TrimSpace(s)
	if missing(s) {
		return 0, false, nil
	}
	d, err := decimal.Parse(s)
	if err != nil {
		return 0, false, fmt.Errorf("%q is not a decimal", s)
	}
	if d.Sign() < 0 {
		return 0, false, fmt.Errorf("negative concentration %s", s)
	}
	return d.Float64(), true, nil
}

func dateHour(ds, hs string) (time.Time, error) {
	ds = strings.TrimSpace(ds)
	var d time.Time
	var err error
	for _, layout := range []string{"20060102", time.DateOnly, "2006/1/2"} {
		if d, err = time.ParseInLocation(layout, ds, aqi.UTC8()); err == nil {
			break
		}
	}
	if err != nil {
		return d, fmt.Errorf("date %q is not YYYYMMDD or YYYY-MM-DD", ds)
	}
	h, err := strconv.Atoi(strings.TrimSpace(hs))
	if err != nil || h < 0 || h > 23 {
		return d, fmt.Errorf("hour %q is not 0..23", hs)
	}
	return d.Add(time.Duration(h) * time.Hour), nil
}

func timePoint(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	// The release writes Beijing time; a trailing Z seen in some mirrors
	// does not make it UTC.
	s = strings.TrimSuffix(s, "Z")
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006/1/2 15:04:05", "2006/1/2 15:04", "2006010215"} {
		if t, err := time.ParseInLocation(layout, s, aqi.UTC8()); err == nil {
			if t.Minute() != 0 || t.Second() != 0 {
				return t, fmt.Errorf("time point %q is not on the hour", s)
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("time point %q is not YYYY-MM-DD HH:MM:SS", s)
}

// wideTypes are the type values of the wide layout that carry 1-hour
// values; the others (AQI, *_24h, O3_8h…) are derived and skipped.
var wideTypes = map[string]aqi.Pollutant{
	"so2": aqi.SO2, "no2": aqi.NO2, "pm10": aqi.PM10, "co": aqi.CO, "o3": aqi.O3, "pm25": aqi.PM25,
}

// ErrSkip marks a row that is well formed but carries nothing to store (a
// wide-layout row of a derived type such as AQI or PM2.5_24h).
var ErrSkip = errors.New("derived type, not stored")

// Row parses one record into cells. A row with any malformed field is an
// error naming the field; nothing of it is stored.
func (p *Parser) Row(rec []string) ([]Cell, error) {
	if len(rec) != p.n {
		return nil, fmt.Errorf("row has %d fields, header has %d", len(rec), p.n)
	}
	var cells []Cell
	switch p.Layout {
	case Wide:
		t, err := dateHour(rec[p.date], rec[p.hour])
		if err != nil {
			return nil, err
		}
		typ := norm(rec[p.typ])
		pol, ok := wideTypes[typ]
		if !ok {
			if strings.HasPrefix(typ, "aqi") || strings.HasSuffix(typ, "24h") || strings.HasPrefix(typ, "o38h") {
				return nil, ErrSkip
			}
			return nil, fmt.Errorf("type %q is not a pollutant of the release", rec[p.typ])
		}
		for k, col := range p.cols {
			v, ok, err := value(rec[col])
			if err != nil {
				return nil, fmt.Errorf("station %s: %v", p.stations[k], err)
			}
			if ok {
				cells = append(cells, Cell{Point: p.stations[k], Time: t, Pollutant: pol, Value: v})
			}
		}
		return cells, nil
	case Long:
		t, err := timePoint(rec[p.tp])
		if err != nil {
			return nil, err
		}
		code := strings.TrimSpace(rec[p.station])
		if code == "" {
			return nil, errors.New("empty station code")
		}
		return p.values(rec, code, t)
	default:
		t, err := dateHour(rec[p.date], rec[p.hour])
		if err != nil {
			return nil, err
		}
		name := strings.TrimSpace(rec[p.city])
		code, ok := Cities[strings.ToLower(name)]
		if !ok {
			return nil, fmt.Errorf("city %q is not one of Hunan's 14 cities", name)
		}
		return p.values(rec, CityPoint(code), t)
	}
}

func (p *Parser) values(rec []string, point string, t time.Time) ([]Cell, error) {
	var cells []Cell
	for k, col := range p.cols {
		v, ok, err := value(rec[col])
		if err != nil {
			return nil, fmt.Errorf("%s: %v", p.pols[k], err)
		}
		if ok {
			cells = append(cells, Cell{Point: point, Time: t, Pollutant: p.pols[k], Value: v})
		}
	}
	return cells, nil
}

// IsCityPoint says whether a point code is a city-level point: the
// station views and the city averages of live data must leave it out (it
// is an average already).
func IsCityPoint(code string) bool { return strings.HasPrefix(code, "city-") }
