package aqi_test

import (
	"fmt"

	"ecowatch/assess/aqi"
	"ecowatch/assess/decimal"
)

func Example() {
	var c aqi.Concentrations
	c.Set(aqi.CO24h, decimal.MustParse("2.2"))
	c.Set(aqi.PM25_24h, decimal.MustParse("36"))
	r := aqi.HJ633_2012.Compute(aqi.Daily, c)
	fmt.Println(r.AQI, r.Primary, r.Level.Category, r.Rules)
	// Output: 55 [CO] 良 HJ633-2012
}
