package flue_test

import (
	"fmt"

	"ecowatch/assess/flue"
)

func Example() {
	// 80 mg/m³ SO2 measured at 9 % O2, against the coal-boiler limit at 6 % O2.
	lim := flue.GB13223CoalBoiler[flue.SO2]
	j, _ := flue.Judge(lim, flue.D("80"), flue.D("9"))
	fmt.Println(j.Converted.FloatString(1), j.Exceeds)
	// Output: 100.0 false
}
