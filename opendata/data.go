package opendata

import (
	"context"
	"slices"
	"strings"
	"time"

	"ecowatch/assess/aqi"
	"ecowatch/registry"
	"ecowatch/store"
)

// IsSection reports whether a point kind is published as a water section.
func IsSection(k registry.PointKind) bool {
	return k == registry.KindWaterSection || k == registry.KindWaterStation || k == registry.KindDrinkingSource
}

// IsOutlet reports whether a point kind is an enterprise's outlet.
func IsOutlet(k registry.PointKind) bool {
	return k == registry.KindGasOutlet || k == registry.KindWaterOutlet
}

// PublishesPoint reports whether a point's measurements are published.
func (p *Policy) PublishesPoint(pt registry.Point) bool { return p.Allows(PointKind, string(pt.Kind)) }

// CityOf is the city code of a county or city code (GB/T 2260: the
// first four digits and 00).
func CityOf(code string) string {
	if len(code) != 6 {
		return code
	}
	return code[:4] + "00"
}

// Station is an air station's public record.
func (p *Policy) Station(pt registry.Point) *Record {
	return p.New(Station).Set("code", pt.Code).Set("name", pt.Name).Set("region", pt.RegionCode).
		Set("city", CityOf(pt.RegionCode)).Set("lon", pt.Lon).Set("lat", pt.Lat).Set("level", pt.Level).
		Set("background", pt.Background)
}

// Section is a water section's public record.
func (p *Policy) Section(pt registry.Point) *Record {
	return p.New(Section).Set("code", pt.Code).Set("name", pt.Name).Set("kind", string(pt.Kind)).
		Set("region", pt.RegionCode).Set("city", CityOf(pt.RegionCode)).Set("lon", pt.Lon).Set("lat", pt.Lat).
		Set("level", pt.Level).Set("water_body", pt.WaterBody).Set("target_class", pt.TargetClass)
}

// Enterprise is an enterprise's public record. Contact and ContactPhone
// are never read here.
func (p *Policy) Enterprise(e registry.Enterprise) *Record {
	keys := make([]string, 0, len(e.KeyUnits))
	for _, k := range e.KeyUnits {
		keys = append(keys, string(k))
	}
	return p.New(Enterprise).Set("credit_code", e.CreditCode).Set("name", e.Name).Set("region", e.RegionCode).
		Set("city", CityOf(e.RegionCode)).Set("industry_code", e.IndustryCode).Set("address", e.Address).
		Set("lon", e.Lon).Set("lat", e.Lat).Set("key_units", keys).Set("permit_number", e.PermitNumber)
}

// Outlet is an outlet's public record.
func (p *Policy) Outlet(pt registry.Point) *Record {
	return p.New(Outlet).Set("code", pt.Code).Set("name", pt.Name).Set("kind", string(pt.Kind)).
		Set("lon", pt.Lon).Set("lat", pt.Lat)
}

// LimitAt is the limit of a factor valid at t, if any.
func LimitAt(ls []registry.Limit, factor string, t time.Time) (registry.Limit, bool) {
	for _, l := range ls {
		if l.Factor == factor && !t.Before(l.ValidFrom) && (l.ValidTo.IsZero() || t.Before(l.ValidTo)) {
			return l, true
		}
	}
	return registry.Limit{}, false
}

// RulesFor names the rule set a value is judged by: the AQI rules in
// force for an air station's pollutants (HJ 633-2012 before 2026-03-01,
// HJ 633-2026 after), GB 3838-2002 for surface water, the limit's
// standard for an outlet's factor with a limit, else "".
func RulesFor(pt registry.Point, ls []registry.Limit, factor string, t time.Time) string {
	switch {
	case pt.Kind == registry.KindAirStation:
		return aqi.Default(t).Name
	case IsSection(pt.Kind):
		return "GB3838-2002"
	}
	if l, ok := LimitAt(ls, factor, t); ok {
		return l.Standard
	}
	return ""
}

// Query selects published measurements: hourly or daily values of the
// given points (the caller filters them by region and code), one factor or
// all, in [From, To).
type Query struct {
	Points   []registry.Point
	Factor   string
	Kind     store.Kind
	From, To time.Time
}

// Reader is what reading measurements needs of the store.
type Reader interface {
	Measurements(ctx context.Context, q store.MeasurementQuery) ([]store.Measurement, error)
	Limits(ctx context.Context, point string) ([]registry.Limit, error)
}

// Measurements reads the published measurements of q, ordered by point
// code, factor code and time: the same order in the API and the bulk
// files, so the two can be compared byte for byte.
func (p *Policy) Measurements(ctx context.Context, st Reader, q Query) ([]*Record, error) {
	pts := slices.Clone(q.Points)
	slices.SortFunc(pts, func(a, b registry.Point) int { return strings.Compare(a.Code, b.Code) })
	var out []*Record
	for _, pt := range pts {
		if !p.PublishesPoint(pt) {
			continue
		}
		var ls []registry.Limit
		if IsOutlet(pt.Kind) {
			var err error
			if ls, err = st.Limits(ctx, pt.Code); err != nil {
				return nil, err
			}
		}
		// Only the factors the registry lists for the point are published;
		// without a factor asked for, one query reads them all (ordered by
		// factor code, then time).
		listed := make(map[string]bool, len(pt.Factors))
		for _, f := range pt.Factors {
			if q.Factor == "" || f.Code == q.Factor {
				listed[f.Code] = true
			}
		}
		if len(listed) == 0 {
			continue
		}
		ms, err := st.Measurements(ctx, store.MeasurementQuery{Point: pt.Code, Factor: q.Factor, Kind: q.Kind, From: q.From, To: q.To})
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if listed[m.Factor] {
				out = append(out, p.measurement(pt, ls, m))
			}
		}
	}
	return out, nil
}

var valueFields = []struct {
	name string
	f    store.Field
}{{"avg", store.Avg}, {"min", store.Min}, {"max", store.Max}, {"cou", store.Cou},
	{"zs_avg", store.ZsAvg}, {"zs_min", store.ZsMin}, {"zs_max", store.ZsMax}}

func (p *Policy) measurement(pt registry.Point, ls []registry.Limit, m store.Measurement) *Record {
	t := m.Time.In(store.CST)
	rec := p.New(Measurement).Set("point", pt.Code).Set("factor", m.Factor).Set("kind", m.Kind.String()).
		Set("time", t.Format(time.RFC3339))
	for _, vf := range valueFields {
		if v, ok := m.Values.Get(vf.f); ok {
			rec.Set(vf.name, v)
		} else {
			rec.Set(vf.name, nil)
		}
	}
	return rec.Set("flag", m.Values.Flag).Set("rules", RulesFor(pt, ls, m.Factor, t))
}
