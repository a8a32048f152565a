package emergency

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"ecowatch/registry"
)

// Around is what an officer sees on the map around an incident or a risk
// source: the nearest experts, stores and teams (who to call, however far:
// mutual aid crosses city boundaries) and the risk sources, monitoring
// points, water sections and sensitive receptors within the radius.
type Around struct {
	Lat, Lon    float64 `json:"-"`
	RadiusKm    float64 `json:"radius_km"`
	Experts     []Place `json:"experts"`
	Stores      []Place `json:"stores"`
	Teams       []Place `json:"teams"`
	RiskSources []Place `json:"risk_sources"`
	Points      []Place `json:"points"`
	Receptors   []Place `json:"receptors"`
	// WaterSections are the surface-water sections and automatic stations
	// within the radius. Which of them lie downstream needs a river network
	// the registry does not hold (a point knows its water body type, not
	// its river or chainage), so they are listed by distance and the UI
	// says so.
	WaterSections   []Place `json:"water_sections"`
	DownstreamKnown bool    `json:"downstream_known"`
}

// AroundOf gathers the places around (lat, lon): at most n of each kind
// of resource, and everything of the other kinds within radiusKm (at most
// 4n each, nearest first). A drinking-water source of the registry is a
// sensitive receptor too. Places are described only once chosen, and a
// bounding box leaves out the far ones before any trigonometry, so a
// register of thousands costs little per map.
func AroundOf(lat, lon, radiusKm float64, n int, sources []RiskSource, res []Resource, receptors []Receptor, points []registry.Point) Around {
	// A resource of another kind has no location for that kind's list, so
	// nearestOf skips it without copying the register per kind.
	ofKind := func(k string) func(Resource) (float64, float64) {
		return func(x Resource) (float64, float64) {
			if x.Kind != k {
				return 0, 0
			}
			return x.Lat, x.Lon
		}
	}
	var water, pts []registry.Point
	recs := make([]Place, 0, len(receptors))
	for _, x := range receptors {
		recs = append(recs, Place{Kind: x.Kind, Ref: fmt.Sprint(x.ID), Name: x.Name, Region: x.RegionCode, Lon: x.Lon, Lat: x.Lat, Detail: x.Note})
	}
	for _, p := range points {
		switch p.Kind {
		case registry.KindWaterSection, registry.KindWaterStation:
			water = append(water, p)
		case registry.KindDrinkingSource:
			recs = append(recs, pointPlace(p))
		default:
			pts = append(pts, p)
		}
	}
	ptLoc := func(p registry.Point) (float64, float64) { return p.Lat, p.Lon }
	return Around{Lat: lat, Lon: lon, RadiusKm: radiusKm,
		Experts:     nearestOf(lat, lon, 0, n, res, ofKind("expert"), resourcePlace),
		Stores:      nearestOf(lat, lon, 0, n, res, ofKind("store"), resourcePlace),
		Teams:       nearestOf(lat, lon, 0, n, res, ofKind("team"), resourcePlace),
		RiskSources: nearestOf(lat, lon, radiusKm, 4*n, sources, func(s RiskSource) (float64, float64) { return s.Lat, s.Lon }, sourcePlace),
		Points:      nearestOf(lat, lon, radiusKm, 4*n, pts, ptLoc, pointPlace),
		Receptors:   nearestOf(lat, lon, radiusKm, 4*n, recs, func(p Place) (float64, float64) { return p.Lat, p.Lon }, func(p Place) Place { return p }),
		WaterSections: nearestOf(lat, lon, radiusKm, 4*n, water, ptLoc, func(p registry.Point) Place {
			pl := pointPlace(p)
			pl.Detail = p.WaterBody
			return pl
		})}
}

// nearestOf is Nearest over any records: it measures each record's
// distance, keeps the nearest n within maxKm (0: any distance) and only
// then turns them into places.
func nearestOf[T any](lat, lon, maxKm float64, n int, xs []T, loc func(T) (float64, float64), place func(T) Place) []Place {
	type cand struct {
		i int
		d float64
	}
	// One degree of latitude is at least 110.5 km, one of longitude at
	// least 110.5·cos(φ) km; the box is a little larger than the circle.
	dLat := maxKm / 110.5
	dLon := maxKm / (110.5 * math.Max(0.01, math.Cos((math.Abs(lat)+dLat)*math.Pi/180)))
	var cs []cand
	for i, x := range xs {
		la, lo := loc(x)
		if la == 0 && lo == 0 {
			continue
		}
		if maxKm > 0 && (math.Abs(la-lat) > dLat || math.Abs(lo-lon) > dLon) {
			continue
		}
		d := Distance(lat, lon, la, lo)
		if maxKm > 0 && d > maxKm {
			continue
		}
		cs = append(cs, cand{i, d})
	}
	// An unstable sort on (distance, position) is deterministic and, for a
	// slice of plain values, several times faster than a stable one.
	slices.SortFunc(cs, func(a, b cand) int {
		if c := cmp.Compare(a.d, b.d); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	if n > 0 && len(cs) > n {
		// Keep ties at the cut in name order, as Nearest does.
		cut := n
		for cut < len(cs) && cs[cut].d == cs[n-1].d {
			cut++
		}
		cs = cs[:cut]
	}
	out := make([]Place, len(cs))
	for k, c := range cs {
		out[k] = place(xs[c.i])
		out[k].DistKm = c.d
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].DistKm != out[b].DistKm {
			return out[a].DistKm < out[b].DistKm
		}
		return out[a].Name < out[b].Name
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	for k := range out {
		out[k].DistKm = math.Round(out[k].DistKm*100) / 100
	}
	return out
}

func resourcePlace(x Resource) Place {
	p := Place{Kind: x.Kind, Ref: fmt.Sprint(x.ID), Name: x.Name, Region: x.RegionCode, Lon: x.Lon, Lat: x.Lat, Phone: x.Phone}
	switch x.Kind {
	case "expert":
		p.Detail = strings.Join(x.Fields, "、")
		if x.Org != "" {
			p.Detail = x.Org + "：" + p.Detail
		}
	case "store":
		var items []string
		for _, s := range x.Stock {
			items = append(items, fmt.Sprintf("%s %g%s", s.Kind, s.Quantity, s.Unit))
		}
		p.Detail = strings.Join(items, "，")
	case "team":
		p.Detail = fmt.Sprintf("%d 人，%s", x.Members, strings.Join(x.Fields, "、"))
	}
	return p
}

func sourcePlace(s RiskSource) Place {
	var subs []string
	for _, x := range s.Substances {
		subs = append(subs, fmt.Sprintf("%s %gt", x.Name, x.Quantity))
	}
	return Place{Kind: string(s.Kind), Ref: fmt.Sprint(s.ID), Name: s.Name, Region: s.RegionCode, Lon: s.Lon, Lat: s.Lat,
		Phone: s.Phone, Detail: string(s.Level) + "；" + strings.Join(subs, "，")}
}

func pointPlace(p registry.Point) Place {
	return Place{Kind: string(p.Kind), Ref: p.Code, Name: p.Name, Region: p.RegionCode, Lon: p.Lon, Lat: p.Lat}
}
