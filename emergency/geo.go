// Package emergency keeps what the work plan's §20–§24 ask for: the
// database of environmental risk sources (风险源) of the kinds §20 lists,
// hazard-check campaigns (隐患排查) with checklists per kind, emergency
// plans (应急预案) with filing, review, versions, revision dates and drills,
// the expert pool, material stores and response teams, and incidents
// (突发环境事件) graded by the national plan, with their timeline and the
// map of what is around them.
//
// The computations (great-circle distance, nearest resources, incident
// grading, risk levels, reminders) are pure functions that take the clock
// as an argument; Repo keeps the records over store.SQL, every change
// committed with its audit entry.
//
// Example:
//
//	d := emergency.Distance(28.2325, 113.0833, 27.8274, 113.1340) // km, 长沙经开区 → 株洲
//	g := emergency.GradeOf(emergency.Facts{Deaths: 4})            // g.Grade == emergency.Larger
package emergency

import (
	"math"
	"sort"
)

// EarthRadiusKm is the mean Earth radius (IUGG, R1 = 6371.0088 km) used
// for great-circle distances; on a sphere of that radius the haversine
// distance is within 0.5 % of the WGS 84 ellipsoidal one, far finer than
// anything an emergency map needs.
const EarthRadiusKm = 6371.0088

// Distance is the great-circle distance in kilometres between two points
// given in WGS 84 degrees (latitude, longitude), by the haversine formula,
// which stays accurate for short distances where the spherical law of
// cosines loses digits.
func Distance(lat1, lon1, lat2, lon2 float64) float64 {
	const rad = math.Pi / 180
	φ1, φ2 := lat1*rad, lat2*rad
	dφ, dλ := (lat2-lat1)*rad, (lon2-lon1)*rad
	h := math.Sin(dφ/2)*math.Sin(dφ/2) + math.Cos(φ1)*math.Cos(φ2)*math.Sin(dλ/2)*math.Sin(dλ/2)
	return 2 * EarthRadiusKm * math.Asin(math.Min(1, math.Sqrt(h)))
}

// Place is anything with a location that can be around an incident or a
// risk source: a risk source, an expert, a store, a team, a monitoring
// point, a sensitive receptor.
type Place struct {
	Kind   string  `json:"kind"`    // e.g. "expert", "store", "air_station", "school"
	Ref    string  `json:"ref"`     // the object's id or code
	Name   string  `json:"name"`    // what to show
	Region string  `json:"region"`  // GB/T 2260 code
	Lon    float64 `json:"lon"`     // WGS 84
	Lat    float64 `json:"lat"`     // WGS 84
	Phone  string  `json:"phone"`   // who to call, where known
	Detail string  `json:"detail"`  // a line of context: fields, stock, substances
	DistKm float64 `json:"dist_km"` // set by Nearest
}

// located reports whether a place has coordinates (0, 0 means unknown in
// the registry).
func (p Place) located() bool { return p.Lon != 0 || p.Lat != 0 }

// Nearest returns the places within maxKm of (lat, lon), nearest first,
// at most n of them (n ≤ 0: all), each with DistKm set. Places without
// coordinates are left out. Ties are broken by name so the order is stable.
func Nearest(lat, lon float64, places []Place, maxKm float64, n int) []Place {
	out := make([]Place, 0, len(places))
	for _, p := range places {
		if !p.located() {
			continue
		}
		p.DistKm = Distance(lat, lon, p.Lat, p.Lon)
		if maxKm > 0 && p.DistKm > maxKm {
			continue
		}
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].DistKm != out[j].DistKm {
			return out[i].DistKm < out[j].DistKm
		}
		return out[i].Name < out[j].Name
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	for i := range out {
		out[i].DistKm = math.Round(out[i].DistKm*100) / 100
	}
	return out
}
