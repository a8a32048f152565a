package emergency

import (
	"fmt"
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
// sensitive receptor too.
func AroundOf(lat, lon, radiusKm float64, n int, sources []RiskSource, res []Resource, receptors []Receptor, points []registry.Point) Around {
	var experts, stores, teams, srcs, pts, recs, water []Place
	for _, x := range res {
		p := Place{Kind: x.Kind, Ref: fmt.Sprint(x.ID), Name: x.Name, Region: x.RegionCode, Lon: x.Lon, Lat: x.Lat, Phone: x.Phone}
		switch x.Kind {
		case "expert":
			p.Detail = strings.Join(x.Fields, "、")
			if x.Org != "" {
				p.Detail = x.Org + "：" + p.Detail
			}
			experts = append(experts, p)
		case "store":
			var items []string
			for _, s := range x.Stock {
				items = append(items, fmt.Sprintf("%s %g%s", s.Kind, s.Quantity, s.Unit))
			}
			p.Detail = strings.Join(items, "，")
			stores = append(stores, p)
		case "team":
			p.Detail = fmt.Sprintf("%d 人，%s", x.Members, strings.Join(x.Fields, "、"))
			teams = append(teams, p)
		}
	}
	for _, s := range sources {
		var subs []string
		for _, x := range s.Substances {
			subs = append(subs, fmt.Sprintf("%s %gt", x.Name, x.Quantity))
		}
		srcs = append(srcs, Place{Kind: string(s.Kind), Ref: fmt.Sprint(s.ID), Name: s.Name, Region: s.RegionCode, Lon: s.Lon, Lat: s.Lat,
			Phone: s.Phone, Detail: string(s.Level) + "；" + strings.Join(subs, "，")})
	}
	for _, x := range receptors {
		recs = append(recs, Place{Kind: x.Kind, Ref: fmt.Sprint(x.ID), Name: x.Name, Region: x.RegionCode, Lon: x.Lon, Lat: x.Lat, Detail: x.Note})
	}
	for _, p := range points {
		pl := Place{Kind: string(p.Kind), Ref: p.Code, Name: p.Name, Region: p.RegionCode, Lon: p.Lon, Lat: p.Lat}
		switch p.Kind {
		case registry.KindWaterSection, registry.KindWaterStation:
			pl.Detail = p.WaterBody
			water = append(water, pl)
		case registry.KindDrinkingSource:
			recs = append(recs, pl)
		default:
			pts = append(pts, pl)
		}
	}
	return Around{Lat: lat, Lon: lon, RadiusKm: radiusKm,
		Experts: Nearest(lat, lon, experts, 0, n), Stores: Nearest(lat, lon, stores, 0, n), Teams: Nearest(lat, lon, teams, 0, n),
		RiskSources: Nearest(lat, lon, srcs, radiusKm, 4*n), Points: Nearest(lat, lon, pts, radiusKm, 4*n),
		Receptors: Nearest(lat, lon, recs, radiusKm, 4*n), WaterSections: Nearest(lat, lon, water, radiusKm, 4*n)}
}
