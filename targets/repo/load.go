// Package repo is the storage side of the targets feature: it loads the
// cities' daily air values from the store's hourly measurements for the
// pure computation in package targets, and keeps the feature's own tables
// over store.SQL (target edits with their history, the indicator
// registries, generated reports), each change committed with its audit
// entry in one transaction.
package repo

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"ecowatch/assess/air"
	"ecowatch/assess/aqi"
	"ecowatch/assess/decimal"
	"ecowatch/registry"
	"ecowatch/store"
	"ecowatch/targets"
	"ecowatch/targets/cnemc"
)

// cityOf is the city code of a county or city code (GB/T 2260).
func cityOf(code string) string {
	if len(code) != 6 {
		return code
	}
	return code[:4] + "00"
}

// Cities lists the prefecture-level regions in code order.
func Cities(ctx context.Context, st store.Store) ([]registry.Region, error) {
	rs, err := st.Regions(ctx)
	if err != nil {
		return nil, err
	}
	var out []registry.Region
	for _, r := range rs {
		if lv, err := registry.LevelOf(r.Code); err == nil && lv == registry.LevelCity {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

// LoadCityAir reads every city's hourly values in [from, to) and turns
// them into daily city values (HJ 663: station days, then the mean of the
// city's assessment stations). A city's city-level point (imported from
// the release's city layout) is used for the days it has data; the other
// days come from its stations, background stations left out.
func LoadCityAir(ctx context.Context, st store.Store, from, to time.Time) ([]targets.CityAir, error) {
	cities, err := Cities(ctx, st)
	if err != nil {
		return nil, err
	}
	pts, err := st.Points(ctx)
	if err != nil {
		return nil, err
	}
	stations := map[string][]registry.Point{}
	for _, p := range pts {
		if p.Kind != registry.KindAirStation || strings.HasPrefix(p.Code, "city-") {
			continue
		}
		c := cityOf(p.RegionCode)
		stations[c] = append(stations[c], p)
	}
	var out []targets.CityAir
	for _, c := range cities {
		ca := targets.CityAir{Code: c.Code, Name: c.Name}
		cityDays, err := readDays(ctx, st, cnemc.CityPoint(c.Code), from, to)
		if err != nil {
			return nil, err
		}
		byDay := map[string][]air.StationDaily{}
		for _, p := range stations[c.Code] {
			if p.Background {
				continue
			}
			days, err := readDays(ctx, st, p.Code, from, to)
			if err != nil {
				return nil, err
			}
			for d, h := range days {
				if _, ok := cityDays[d]; ok {
					continue
				}
				byDay[d] = append(byDay[d], air.StationDaily{Code: p.Code, Daily: air.StationDay(h, air.DefaultMDA8Limit)})
			}
		}
		for d, h := range cityDays {
			byDay[d] = []air.StationDaily{{Code: cnemc.CityPoint(c.Code), Daily: air.StationDay(h, air.DefaultMDA8Limit)}}
		}
		keys := make([]string, 0, len(byDay))
		for d := range byDay {
			keys = append(keys, d)
		}
		sort.Strings(keys)
		for _, d := range keys {
			date, _ := time.ParseInLocation(time.DateOnly, d, aqi.UTC8())
			cd, err := air.CityOf(date, byDay[d])
			if err != nil {
				return nil, err
			}
			ca.Days = append(ca.Days, cd)
		}
		out = append(out, ca)
	}
	return out, nil
}

// readDays reads a point's hourly values of the six pollutants by day
// (YYYY-MM-DD in UTC+8).
func readDays(ctx context.Context, st store.Store, point string, from, to time.Time) (map[string]*air.Hours, error) {
	days := map[string]*air.Hours{}
	for _, p := range aqi.Pollutants {
		ms, err := st.Measurements(ctx, store.MeasurementQuery{Point: point, Factor: cnemc.FactorCode(p), Kind: store.Hour, From: from, To: to})
		if errors.Is(err, store.ErrNotFound) {
			return days, nil
		}
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			x, ok := m.Values.Get(store.Avg)
			if !ok || x < 0 {
				continue
			}
			v, err := air.ParseValue(p, strconv.FormatFloat(x, 'f', -1, 64))
			if err != nil {
				// More decimals than the engine's scale: round (GB/T 8170).
				d, err2 := decimal.FromFloat(x)
				if err2 != nil {
					continue
				}
				if v, err = air.ValueOf(p, d.Round(air.Scale(p), decimal.HalfEven)); err != nil {
					continue
				}
			}
			t := m.Time.In(aqi.UTC8())
			key := t.Format(time.DateOnly)
			h := days[key]
			if h == nil {
				h = new(air.Hours)
				for i := range h {
					for j := range h[i] {
						h[i][j] = air.Missing
					}
				}
				days[key] = h
			}
			h[p][t.Hour()] = v
		}
	}
	return days, nil
}
