package assess_test

import (
	"fmt"

	"ecowatch/assess"
)

func Example() {
	for _, rs := range assess.RuleSets()[:2] {
		fmt.Println(rs.Kind, rs.Name, rs.Defaults())
	}
	// Output:
	// aqi HJ633-2012 default before 2026-03-01
	// aqi HJ633-2026 default from 2026-03-01
}
