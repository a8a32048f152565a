package emergency

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"ecowatch/registry"
)

// BenchmarkAroundOf: the incident map's gathering over a province-sized
// register (n risk sources, n/4 each of experts, stores, teams and
// receptors, 500 monitoring points), all within Hunan's extent.
func BenchmarkAroundOf(b *testing.B) {
	for _, n := range []int{100, 5000} {
		rng := rand.New(rand.NewPCG(1, 2))
		at := func() (float64, float64) { return 24.6 + rng.Float64()*5.5, 108.8 + rng.Float64()*5.4 }
		var srcs []RiskSource
		var res []Resource
		var recs []Receptor
		var pts []registry.Point
		for i := 0; i < n; i++ {
			lat, lon := at()
			srcs = append(srcs, RiskSource{ID: int64(i), Kind: ChemicalEnterprise, Name: fmt.Sprint(i), Lat: lat, Lon: lon, Level: LevelGeneral})
			if i%4 == 0 {
				for _, k := range ResourceKinds {
					lat, lon := at()
					res = append(res, Resource{ID: int64(i), Kind: k, Name: fmt.Sprint(k, i), Lat: lat, Lon: lon})
				}
				lat, lon := at()
				recs = append(recs, Receptor{ID: int64(i), Kind: "school", Name: fmt.Sprint(i), Lat: lat, Lon: lon})
			}
		}
		for i := 0; i < 500; i++ {
			lat, lon := at()
			pts = append(pts, registry.Point{Code: fmt.Sprint(i), Kind: registry.KindAirStation, Lat: lat, Lon: lon})
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				AroundOf(28.2, 113.0, 10, 5, srcs, res, recs, pts)
			}
		})
	}
}
