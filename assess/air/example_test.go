package air_test

import (
	"fmt"
	"time"

	"ecowatch/assess/air"
	"ecowatch/assess/aqi"
)

func Example() {
	// Two assessment stations and a background station, one day, constant
	// hourly values: PM2.5 30 and 41 µg/m³ (the background's 500 is left out).
	mk := func(code string, bg bool, pm25 air.Value) air.StationDaily {
		var h air.Hours
		for p := range h {
			for k := range h[p] {
				h[p][k] = 1000 // 10 µg/m³ (CO 1 mg/m³), in scaled units
			}
		}
		for k := range h[aqi.PM25] {
			h[aqi.PM25][k] = pm25
		}
		return air.StationDaily{Code: code, Background: bg, Daily: air.StationDay(&h, air.DefaultMDA8Limit)}
	}
	day := time.Date(2020, 1, 1, 0, 0, 0, 0, aqi.UTC8())
	city, _ := air.CityOf(day, []air.StationDaily{mk("A", false, 3000), mk("B", false, 4100), mk("BG", true, 50000)})
	fmt.Println(city.Values[air.DayPM25].Report(aqi.PM25)) // (30 + 41)/2 = 35.5 → 36 (GB/T 8170)
	fmt.Println(air.DayAQI(&city, aqi.HJ633_2012, false).AQI)
	// Output:
	// 36
	// 52
}
