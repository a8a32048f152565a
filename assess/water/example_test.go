package water_test

import (
	"fmt"

	"ecowatch/assess/decimal"
	"ecowatch/assess/water"
)

func Example() {
	var s water.Sample
	s.Set(water.NH3N, decimal.MustParse("1.2")) // Class IV (III limit 1.0)
	s.Set(water.DO, decimal.MustParse("6.5"))   // Class II (DO is a lower limit)
	e := water.Evaluate(&s, water.River)
	fmt.Println(e.Class, e.Status, e.MainPollutants[0].Item, e.MainPollutants[0].Multiple)
	// Output: IV 轻度污染 NH3-N 0.20
}
