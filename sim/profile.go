// Package sim simulates data acquisition units (数采仪) that talk HJ 212 to a
// gateway over real TCP: realistic profiles with diurnal patterns, the
// standard's upload schedules, acknowledgement with timeout and retry, answers
// to platform requests, and faults injected on request. Values depend only on
// the seed, the device and the virtual time, so the same seed gives the same
// frames.
//
// Example:
//
//	clk := sim.NewClock(time.Now(), 60) // one virtual minute per second
//	d := sim.NewDevice(sim.DeviceConfig{MN: "88888880000001", PW: "123456",
//		Profile: sim.Wastewater, Seed: 1, Clock: clk})
//	err := d.Run(ctx, "127.0.0.1:2120")
package sim

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"strconv"
	"time"
)

// Kind names a profile.
type Kind string

// The simulated kinds of monitoring point.
const (
	FlueGas      Kind = "flue-gas"      // coal power unit CEMS
	Wastewater   Kind = "wastewater"    // industrial wastewater outlet
	AirStation   Kind = "air"           // ambient air station
	SurfaceWater Kind = "surface-water" // surface-water automatic station
)

// Kinds lists every profile kind in the order a fleet cycles through them.
func Kinds() []Kind { return []Kind{FlueGas, Wastewater, AirStation, SurfaceWater} }

// FactorSpec describes how one factor's values move.
type FactorSpec struct {
	Code     string
	Base     float64 // daily mean
	Diurnal  float64 // relative amplitude of the daily cycle
	PeakHour float64 // hour of the daily maximum (China time)
	Noise    float64 // relative amplitude of the noise
	Digits   int     // decimals written
	Limit    float64 // emission limit for exceedance episodes, 0 = none
	Zs       bool    // also send the O2-converted value (ZsRtd/ZsAvg…)
}

// Profile is one kind of point: its system code, factors and schedules.
type Profile struct {
	Kind    Kind
	ST      string // HJ 212-2017 Table 5 system code
	Name    string
	Factors []FactorSpec
	// Rtd is the real-time (2011) interval; 0 sends no real-time data.
	Rtd time.Duration
	// Minute is the minute-data (2051) interval; 0 sends none.
	Minute time.Duration
	// Hour is the hourly-data (2061) interval: one hour, or four for a
	// surface-water station that analyses every four hours.
	Hour time.Duration
	// Day reports whether daily data (2031) is sent.
	Day bool
	// RefO2 is the reference O2 content (%) of the Zs conversion.
	RefO2 float64
}

// ProfileFor returns the profile of a kind.
func ProfileFor(k Kind) (Profile, bool) {
	switch k {
	case FlueGas:
		// Ultra-low emission coal unit (limits SO2 35, NOx 50, dust 10
		// mg/m³ at 6 % O2, GB 13223-2011 and the 2015 ultra-low plan).
		return Profile{Kind: k, ST: "31", Name: "coal power unit flue gas", Rtd: 30 * time.Second,
			Minute: 10 * time.Minute, Hour: time.Hour, Day: true, RefO2: 6, Factors: []FactorSpec{
				{Code: "a21026", Base: 18, Diurnal: 0.15, PeakHour: 11, Noise: 0.08, Digits: 2, Limit: 35, Zs: true},
				{Code: "a21002", Base: 32, Diurnal: 0.12, PeakHour: 11, Noise: 0.08, Digits: 2, Limit: 50, Zs: true},
				{Code: "a34013", Base: 4.5, Diurnal: 0.1, PeakHour: 11, Noise: 0.1, Digits: 2, Limit: 10, Zs: true},
				{Code: "a19001", Base: 6.4, Diurnal: 0.05, PeakHour: 3, Noise: 0.03, Digits: 2},
				{Code: "a01012", Base: 48, Diurnal: 0.03, PeakHour: 11, Noise: 0.01, Digits: 1},
				{Code: "a01013", Base: -0.25, Diurnal: 0.05, PeakHour: 11, Noise: 0.05, Digits: 3},
				{Code: "a01011", Base: 12.5, Diurnal: 0.12, PeakHour: 11, Noise: 0.03, Digits: 2},
				{Code: "a00000", Base: 420, Diurnal: 0.12, PeakHour: 11, Noise: 0.03, Digits: 1},
			}}, true
	case Wastewater:
		// Outlet values under GB 8978-1996 grade 1 (COD 100, NH3-N 15 mg/L).
		return Profile{Kind: k, ST: "32", Name: "industrial wastewater outlet", Rtd: time.Minute,
			Minute: 10 * time.Minute, Hour: time.Hour, Day: true, Factors: []FactorSpec{
				{Code: "w01018", Base: 42, Diurnal: 0.2, PeakHour: 14, Noise: 0.06, Digits: 1, Limit: 100},
				{Code: "w21003", Base: 2.1, Diurnal: 0.25, PeakHour: 15, Noise: 0.08, Digits: 3, Limit: 15},
				{Code: "w21011", Base: 0.32, Diurnal: 0.2, PeakHour: 14, Noise: 0.08, Digits: 3, Limit: 0.5},
				{Code: "w21001", Base: 9.8, Diurnal: 0.15, PeakHour: 14, Noise: 0.06, Digits: 2, Limit: 15},
				{Code: "w01001", Base: 7.2, Diurnal: 0.02, PeakHour: 14, Noise: 0.01, Digits: 2},
				{Code: "w00000", Base: 28, Diurnal: 0.35, PeakHour: 13, Noise: 0.05, Digits: 2},
			}}, true
	case AirStation:
		// Hunan 2020 annual means are near PM2.5 41, PM10 58, SO2 8, NO2
		// 24 μg/m³, CO 1.0 mg/m³; O3 peaks in the afternoon.
		return Profile{Kind: k, ST: "22", Name: "ambient air station", Rtd: time.Minute,
			Minute: 5 * time.Minute, Hour: time.Hour, Day: true, Factors: []FactorSpec{
				{Code: "a34004", Base: 41, Diurnal: 0.25, PeakHour: 8, Noise: 0.1, Digits: 0, Limit: 75},
				{Code: "a34002", Base: 58, Diurnal: 0.25, PeakHour: 8, Noise: 0.1, Digits: 0, Limit: 150},
				{Code: "a21026", Base: 8, Diurnal: 0.2, PeakHour: 10, Noise: 0.1, Digits: 0, Limit: 150},
				{Code: "a21004", Base: 24, Diurnal: 0.35, PeakHour: 20, Noise: 0.1, Digits: 0, Limit: 80},
				{Code: "a05024", Base: 70, Diurnal: 0.6, PeakHour: 15, Noise: 0.1, Digits: 0, Limit: 200},
				{Code: "a21005", Base: 1.0, Diurnal: 0.2, PeakHour: 8, Noise: 0.1, Digits: 2, Limit: 4},
				{Code: "a01001", Base: 18, Diurnal: 0.25, PeakHour: 14, Noise: 0.02, Digits: 1},
				{Code: "a01002", Base: 76, Diurnal: 0.15, PeakHour: 5, Noise: 0.03, Digits: 0},
				{Code: "a01006", Base: 100.8, Diurnal: 0.002, PeakHour: 10, Noise: 0.001, Digits: 1},
				{Code: "a01007", Base: 2.0, Diurnal: 0.3, PeakHour: 14, Noise: 0.2, Digits: 1},
				{Code: "a01008", Base: 180, Diurnal: 0.5, PeakHour: 12, Noise: 0.3, Digits: 0},
			}}, true
	case SurfaceWater:
		// GB 3838-2002 class III river water; analysed every four hours.
		return Profile{Kind: k, ST: "21", Name: "surface-water automatic station", Hour: 4 * time.Hour, Day: false,
			Factors: []FactorSpec{
				{Code: "w01010", Base: 19, Diurnal: 0.05, PeakHour: 16, Noise: 0.01, Digits: 1},
				{Code: "w01001", Base: 7.6, Diurnal: 0.02, PeakHour: 15, Noise: 0.01, Digits: 2},
				{Code: "w01009", Base: 7.8, Diurnal: 0.1, PeakHour: 15, Noise: 0.03, Digits: 2},
				{Code: "w01014", Base: 310, Diurnal: 0.03, PeakHour: 12, Noise: 0.02, Digits: 0},
				{Code: "w01003", Base: 14, Diurnal: 0.1, PeakHour: 12, Noise: 0.1, Digits: 1},
				{Code: "w01019", Base: 2.6, Diurnal: 0.08, PeakHour: 12, Noise: 0.05, Digits: 2, Limit: 6},
				{Code: "w21003", Base: 0.32, Diurnal: 0.1, PeakHour: 12, Noise: 0.08, Digits: 3, Limit: 1},
				{Code: "w21011", Base: 0.08, Diurnal: 0.1, PeakHour: 12, Noise: 0.08, Digits: 3, Limit: 0.2},
				{Code: "w21001", Base: 1.4, Diurnal: 0.08, PeakHour: 12, Noise: 0.05, Digits: 2},
			}}, true
	}
	return Profile{}, false
}

// noise returns a deterministic value in [-1, 1) for a seed, device, factor
// and instant: values never depend on scheduling, only on these inputs.
func noise(seed int64, mn, code string, t time.Time) float64 {
	h := fnv.New64a()
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(seed))
	binary.LittleEndian.PutUint64(b[8:], uint64(t.Unix()))
	h.Write(b[:])
	h.Write([]byte(mn))
	h.Write([]byte{0})
	h.Write([]byte(code))
	return float64(h.Sum64()>>11)/float64(1<<52)*2 - 1
}

// Value is the factor's value at t before faults: the daily mean shaped by a
// cosine with its maximum at PeakHour (China time), plus noise.
func (f FactorSpec) Value(seed int64, mn string, t time.Time) float64 {
	h := float64(t.In(chinaTime).Hour()) + float64(t.Minute())/60
	cycle := math.Cos(2 * math.Pi * (h - f.PeakHour) / 24)
	v := f.Base * (1 + f.Diurnal*cycle + f.Noise*noise(seed, mn, f.Code, t))
	if f.Code == "a01008" { // wind direction wraps
		v = math.Mod(v+360, 360)
	}
	return v
}

// Format writes v with the factor's decimals.
func (f FactorSpec) Format(v float64) string { return strconv.FormatFloat(v, 'f', f.Digits, 64) }

// Convert applies the O2 reference conversion of HJ 75-2017 (formula in
// §A / GB 13223-2011 §5.2): C_ref = C × (21 − O2_ref) / (21 − O2).
// An O2 reading at or above 20.9 % (air only) yields the measured value.
func Convert(c, o2, refO2 float64) float64 {
	if o2 >= 20.9 {
		return c
	}
	return c * (21 - refO2) / (21 - o2)
}
