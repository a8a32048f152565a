package decimal_test

import (
	"fmt"

	"ecowatch/assess/decimal"
)

func Example() {
	d, _ := decimal.Parse("0.85")
	fmt.Println(d.Round(1, decimal.HalfEven)) // GB/T 8170: a tie goes to the even digit
	fmt.Println(d.Round(1, decimal.HalfUp))
	fmt.Println(decimal.MustParse("51.25").Round(0, decimal.Ceiling)) // HJ 633 IAQI rounding
	// Output:
	// 0.8
	// 0.9
	// 52
}
