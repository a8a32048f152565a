package opendata

import (
	"ecowatch/registry"
	"ecowatch/store"
)

// ExceedanceValue is the value of an hourly measurement judged against a
// limit: the O2-converted average (折算, ZsAvg) when the limit has a
// reference oxygen and the device sent one (GB 13223-2011 §4.4 judges the
// converted concentration), else the average.
func ExceedanceValue(m store.Measurement, l registry.Limit) (float64, bool) {
	if l.ReferenceO2 != nil {
		if v, ok := m.Values.Get(store.ZsAvg); ok {
			return v, true
		}
	}
	return m.Values.Get(store.Avg)
}

// Exceedances counts the valid hourly values that had a limit, and those
// of them above it. Only normal data count (flag N, or no flag): values
// flagged for maintenance, calibration, faults or stops (HJ 212-2017
// Table 8) are not emissions data and are judged neither way.
func Exceedances(ms []store.Measurement, ls []registry.Limit) (hours, exceeded int) {
	for _, m := range ms {
		if !validFlag(m.Values.Flag) {
			continue
		}
		l, ok := LimitAt(ls, m.Factor, m.Time)
		if !ok {
			continue
		}
		v, ok := ExceedanceValue(m, l)
		if !ok {
			continue
		}
		hours++
		if v > l.Value {
			exceeded++
		}
	}
	return hours, exceeded
}
