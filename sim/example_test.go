package sim_test

import (
	"fmt"
	"time"

	"ecowatch/hj212"
	"ecowatch/sim"
)

// A device builds the same frame for the same seed, MN and time.
func ExampleDevice_DataFrame() {
	d, err := sim.NewDevice(sim.DeviceConfig{MN: "88888880000001", PW: "123456", Profile: sim.Wastewater, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	hour := time.Date(2020, 6, 1, 9, 0, 0, 0, hj212.ChinaTime)
	f := d.DataFrame("2061", hour, time.Hour, "20200601100000000", true)
	fmt.Println(f.CN, f.CP[0].Name, f.CP[0].Value, f.CP[2].Name)
	// Output: 2061 DataTime 20200601090000 w01018-Avg
}

// The O2 reference conversion of a coal unit (reference 6 %).
func ExampleConvert() {
	fmt.Printf("%.1f\n", sim.Convert(20, 9, 6))
	// Output: 25.0
}
