package air

import (
	"testing"
	"time"

	"ecowatch/assess/aqi"
)

// stationYears builds n distinct station-years of hourly data (366 days,
// as 2020) with a deterministic generator and about 2 % missing hours.
func stationYears(n int) [][]Hours {
	out := make([][]Hours, n)
	x := uint64(88172645463325252)
	next := func() uint64 { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x }
	for s := range out {
		out[s] = make([]Hours, 366)
		for d := range out[s] {
			for p := range 6 {
				for k := range HoursPerDay {
					r := next()
					if r%50 == 0 {
						out[s][d][p][k] = Missing
						continue
					}
					base := []Value{800, 3000, 7000, 900, 9000, 4500}[p] // scaled units
					out[s][d][p][k] = base/2 + Value(r>>40)%base
				}
			}
		}
	}
	return out
}

// BenchmarkCityYears is the speed target of issue 4: a full year for
// 1,500 stations (8,784 hours × 6 pollutants) through hourly validity,
// daily means, MDA8, station → city and the annual statistics with
// percentiles, exact arithmetic throughout. One op is the whole year of
// all 1,500 stations (300 cities of 5 stations, the 5th a background
// station in every third city).
func BenchmarkCityYears(b *testing.B) {
	const stations, perCity = 1500, 5
	pool := stationYears(16)
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, aqi.UTC8())
	dates := make([]time.Time, 366)
	for d := range dates {
		dates[d] = start.AddDate(0, 0, d)
	}
	sd := make([]StationDaily, perCity)
	days := make([]CityDay, 366)
	b.ReportAllocs()
	b.SetBytes(stations * 8784 * 6 * 4)
	for b.Loop() {
		for c := 0; c < stations/perCity; c++ {
			for d := range days {
				for k := range sd {
					st := c*perCity + k
					sd[k] = StationDaily{Background: k == 4 && c%3 == 0, Daily: StationDay(&pool[st%len(pool)][d], DefaultMDA8Limit)}
				}
				cd, err := CityOf(dates[d], sd)
				if err != nil {
					b.Fatal(err)
				}
				days[d] = cd
			}
			if _, err := Summarise(days, Options{Annual: true}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
