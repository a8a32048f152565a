// Package flue computes the quantities of continuous emission monitoring
// (CEMS) of flue gas by HJ 75-2017 / HJ 76-2017 and judges exceedance
// against emission limits such as GB 13223-2011, which carry their own
// reference oxygen. All arithmetic is exact (big rationals from decimal
// inputs); round with decimal.RoundRat only when reporting.
//
// Example:
//
//	// 80 mg/m³ SO2 measured at 9 % O2, against the coal-boiler limit at 6 % O2:
//	lim := flue.GB13223CoalBoiler[flue.SO2]
//	j, _ := flue.Judge(lim, flue.D("80"), flue.D("9"))
//	fmt.Println(j.Converted.FloatString(1), j.Exceeds) // 100.0 false (80 × 15/12 = 100, on the limit)
package flue

import (
	"errors"
	"fmt"
	"math/big"

	"ecowatch/assess/decimal"
)

// D parses a constant decimal into an exact rational; it panics on bad
// text, so use it for constants only.
func D(s string) *big.Rat { return decimal.MustParse(s).Rat() }

var (
	twentyOne = big.NewRat(21, 1)
	one       = big.NewRat(1, 1)
)

// DryBasis converts a wet-basis concentration to dry basis:
// C_dry = C_wet / (1 − X_sw), X_sw the moisture volume fraction (0 ≤ X_sw
// < 1) (HJ 75-2017 §6, CEMS results are reported dry).
func DryBasis(wet, xsw *big.Rat) (*big.Rat, error) {
	if xsw.Sign() < 0 || xsw.Cmp(one) >= 0 {
		return nil, fmt.Errorf("flue: moisture fraction %s outside [0, 1)", xsw.FloatString(4))
	}
	d := new(big.Rat).Sub(one, xsw)
	return d.Quo(wet, d), nil
}

// ToReferenceO2 converts a dry measured concentration to the reference
// oxygen content: C = C_meas × (21 − O2_ref)/(21 − O2_meas), O2 in %
// (GB 13223-2011 §5.2, HJ 75-2017 formula for 折算浓度). O2_meas must be
// below 21 %.
func ToReferenceO2(measured, o2, o2ref *big.Rat) (*big.Rat, error) {
	if o2.Sign() < 0 || o2.Cmp(twentyOne) >= 0 {
		return nil, fmt.Errorf("flue: measured O2 %s %% outside [0, 21)", o2.FloatString(2))
	}
	if o2ref.Sign() < 0 || o2ref.Cmp(twentyOne) >= 0 {
		return nil, fmt.Errorf("flue: reference O2 %s %% outside [0, 21)", o2ref.FloatString(2))
	}
	n := new(big.Rat).Sub(twentyOne, o2ref)
	d := new(big.Rat).Sub(twentyOne, o2)
	n.Mul(n, measured)
	return n.Quo(n, d), nil
}

// StandardFlow converts an actual wet flow Q_s (m³/h) to dry standard
// conditions (273 K, 101325 Pa): Q_sn = Q_s × 273/(273 + t_s) ×
// (B_a + P_s)/101325 × (1 − X_sw), t_s in °C, B_a and P_s in Pa
// (HJ 75-2017, reference §4).
func StandardFlow(qs, ts, ba, ps, xsw *big.Rat) (*big.Rat, error) {
	t := new(big.Rat).Add(big.NewRat(273, 1), ts)
	if t.Sign() <= 0 {
		return nil, errors.New("flue: flue-gas temperature at or below absolute zero")
	}
	p := new(big.Rat).Add(ba, ps)
	if p.Sign() <= 0 {
		return nil, errors.New("flue: absolute pressure B_a + P_s must be positive")
	}
	if xsw.Sign() < 0 || xsw.Cmp(one) >= 0 {
		return nil, fmt.Errorf("flue: moisture fraction %s outside [0, 1)", xsw.FloatString(4))
	}
	q := new(big.Rat).Mul(qs, big.NewRat(273, 1))
	q.Quo(q, t)
	q.Mul(q, p)
	q.Quo(q, big.NewRat(101325, 1))
	return q.Mul(q, new(big.Rat).Sub(one, xsw)), nil
}

// EmissionRate is G (kg/h) = C (mg/m³) × Q_sn (m³/h) × 10⁻⁶, with C the
// measured dry standard concentration, not the O2-converted one: mass
// emissions use what left the stack, limits use the converted value.
func EmissionRate(measured, qsn *big.Rat) *big.Rat {
	g := new(big.Rat).Mul(measured, qsn)
	return g.Quo(g, big.NewRat(1000000, 1))
}

// Flag is an HJ 212-2017 data flag of a minute or hourly value.
type Flag byte

// HJ 212-2017 data flags (Table 4 of the protocol).
const (
	FlagNormal      Flag = 'N' // 正常
	FlagStopped     Flag = 'F' // 停运
	FlagMaintenance Flag = 'M' // 维护
	FlagManual      Flag = 'S' // 手工输入
	FlagFault       Flag = 'D' // 故障
	FlagCalibration Flag = 'C' // 校准
	FlagOverRange   Flag = 'T' // 超限
	FlagCommFault   Flag = 'B' // 通讯异常
)

// Minute is one minute value with its flag.
type Minute struct {
	Value *big.Rat
	Flag  Flag
}

// MinValidMinutes is the commonly applied hourly validity: at least 45
// valid minutes (75 %) in the hour. HJ 75-2017's exact clause was not
// available to confirm (reference §4, §7.9).
const MinValidMinutes = 45

// Hour is an hourly average from minute data.
type Hour struct {
	Mean  *big.Rat // nil when the hour is invalid
	Valid bool
	N     int          // valid minutes
	Flags map[Flag]int // minutes by flag
}

// HourFromMinutes averages the minutes flagged N (normal); minutes with
// any other flag (stopped, maintenance, calibration, fault, over range,
// communication fault, manual) are excluded, and the hour is valid with at
// least MinValidMinutes valid minutes. A minute with a nil value counts as
// missing.
func HourFromMinutes(ms []Minute) Hour {
	h := Hour{Flags: map[Flag]int{}}
	sum := new(big.Rat)
	for _, m := range ms {
		h.Flags[m.Flag]++
		if m.Flag != FlagNormal || m.Value == nil {
			continue
		}
		sum.Add(sum, m.Value)
		h.N++
	}
	if h.N >= MinValidMinutes {
		h.Mean, h.Valid = sum.Quo(sum, big.NewRat(int64(h.N), 1)), true
	}
	return h
}

// Pollutant names an emitted pollutant.
type Pollutant string

// Common pollutants of GB 13223-2011.
const (
	PM  Pollutant = "PM"  // 颗粒物
	SO2 Pollutant = "SO2" // 二氧化硫
	NOx Pollutant = "NOx" // 氮氧化物 (as NO2)
	Hg  Pollutant = "Hg"  // 汞及其化合物
)

// Limit is an emission limit with the reference oxygen it is stated at
// (nil when the standard converts none) and its averaging period.
type Limit struct {
	Standard    string
	Pollutant   Pollutant
	Value       *big.Rat // mg/m³
	ReferenceO2 *big.Rat // %, or nil
	Averaging   string   // "1h": judged on hourly means
}

// GB13223CoalBoiler holds GB 13223-2011 Table 1 limits for new coal-fired
// boilers outside the key regions, at 6 % O2, judged hourly.
var GB13223CoalBoiler = map[Pollutant]Limit{
	PM:  {"GB 13223-2011 Table 1 coal-fired boiler", PM, D("30"), D("6"), "1h"},
	SO2: {"GB 13223-2011 Table 1 coal-fired boiler (new)", SO2, D("100"), D("6"), "1h"},
	NOx: {"GB 13223-2011 Table 1 coal-fired boiler", NOx, D("100"), D("6"), "1h"},
	Hg:  {"GB 13223-2011 Table 1 coal-fired boiler", Hg, D("0.03"), D("6"), "1h"},
}

// UltraLowCoal holds the ultra-low emission levels for coal power of
// 环发〔2015〕164号, at 6 % O2.
var UltraLowCoal = map[Pollutant]Limit{
	PM:  {"环发〔2015〕164号 ultra-low", PM, D("10"), D("6"), "1h"},
	SO2: {"环发〔2015〕164号 ultra-low", SO2, D("35"), D("6"), "1h"},
	NOx: {"环发〔2015〕164号 ultra-low", NOx, D("50"), D("6"), "1h"},
}

// ReferenceO2 lists the reference oxygen of sector standards, in %
// (reference §4); attach the right one to each Limit record.
var ReferenceO2 = map[string]string{
	"GB 13223-2011 coal-fired boiler":    "6",
	"GB 13223-2011 oil/gas-fired boiler": "3",
	"GB 13223-2011 gas turbine":          "15",
	"GB 13271-2014 coal-fired boiler":    "9",
	"GB 13271-2014 oil/gas-fired boiler": "3.5",
	"GB 18485-2014 waste incineration":   "11",
	"GB 4915-2013 cement kiln":           "10",
	"GB 28662-2012 sinter machine head":  "16",
	"GB 28662-2012 pelletizing":          "18",
	"GB 26453-2011 flat glass":           "8",
}

// Judgement is the comparison of one averaged value with a limit.
type Judgement struct {
	Limit     Limit
	Converted *big.Rat // the O2-converted value compared (the measured one when the limit has no reference O2)
	Exceeds   bool     // Converted > Limit.Value
	Multiple  *big.Rat // (Converted − Limit)/Limit when Exceeds, else nil
}

// Judge compares a dry measured concentration averaged over the limit's
// period with the limit: converted to the limit's reference O2 when it has
// one. A value exactly on the limit does not exceed it.
func Judge(l Limit, measured, o2 *big.Rat) (Judgement, error) {
	j := Judgement{Limit: l, Converted: measured}
	if l.Value == nil || l.Value.Sign() <= 0 {
		return j, errors.New("flue: limit without a positive value")
	}
	if l.ReferenceO2 != nil {
		if o2 == nil {
			return j, fmt.Errorf("flue: %s limit is at %s %% O2 but no measured O2 was given", l.Pollutant, l.ReferenceO2.FloatString(1))
		}
		c, err := ToReferenceO2(measured, o2, l.ReferenceO2)
		if err != nil {
			return j, err
		}
		j.Converted = c
	}
	if j.Converted.Cmp(l.Value) > 0 {
		j.Exceeds = true
		m := new(big.Rat).Sub(j.Converted, l.Value)
		j.Multiple = m.Quo(m, l.Value)
	}
	return j, nil
}
