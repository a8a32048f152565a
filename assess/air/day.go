package air

import (
	"fmt"
	"time"

	"ecowatch/assess/aqi"
)

// DayIndicator is one daily statistic of a station or city.
type DayIndicator uint8

// The daily statistics. The first six follow aqi.Pollutant order, with
// the O3 slot holding MDA8, so DayIndicator(p) is pollutant p's daily
// statistic; DayO3Max1h is the extra O3 indicator of the HJ 633-2012
// daily report.
const (
	DaySO2     DayIndicator = DayIndicator(aqi.SO2)  // 24-hour mean
	DayNO2     DayIndicator = DayIndicator(aqi.NO2)  // 24-hour mean
	DayPM10    DayIndicator = DayIndicator(aqi.PM10) // 24-hour mean
	DayCO      DayIndicator = DayIndicator(aqi.CO)   // 24-hour mean
	DayO3MDA8  DayIndicator = DayIndicator(aqi.O3)   // daily maximum 8-hour mean
	DayPM25    DayIndicator = DayIndicator(aqi.PM25) // 24-hour mean
	DayO3Max1h DayIndicator = 6                      // daily maximum 1-hour value
	NumDay                  = 7
)

// Pollutant returns the indicator's pollutant.
func (d DayIndicator) Pollutant() aqi.Pollutant {
	if d == DayO3Max1h {
		return aqi.O3
	}
	return aqi.Pollutant(d)
}

// Validity thresholds of GB 3095-2012 Table 4 (unchanged in GB 3095-2026
// Table 4) and HJ 663-2013 §4.
const (
	MinHourMinutes   = 45 // a 1-hour mean needs ≥ 45 minutes of sampling
	MinDayHours      = 20 // a 24-hour mean needs ≥ 20 hourly means
	MinWindowHours   = 6  // an 8-hour mean needs ≥ 6 hourly means
	MinMDA8Windows   = 14 // MDA8 needs ≥ 14 valid 8-hour means of the 17 (HJ 663-2013 §4.1)
	MinAnnualDays    = 324
	MinMonthDays     = 27
	MinFebruaryDays  = 25
	windowsPerDay    = 17 // 8-hour windows ending at 08:00 … 24:00
	hoursPerWindow   = 8
	HoursPerDay      = 24
	DefaultMDA8Limit = Value(160 * 100) // GB 3095 Grade II O3 MDA8, µg/m³ scaled
)

// HourFromMinutes averages minute values into an hourly mean. The hour is
// valid only with at least MinHourMinutes valid minutes (GB 3095 Table 4);
// Missing minutes are skipped.
func HourFromMinutes(minutes []Value) (Ratio, bool) {
	var sum, n int64
	for _, v := range minutes {
		if v != Missing {
			sum += int64(v)
			n++
		}
	}
	if n < MinHourMinutes {
		return Ratio{}, false
	}
	return Ratio{sum, n}, true
}

// Daily holds the daily statistics of one station or city for one day.
type Daily struct {
	Values [NumDay]Ratio
	Valid  [NumDay]bool
}

// Hours is one day of hourly means of the six pollutants, indexed by
// pollutant then hour: Hours[p][k] covers k:00–(k+1):00 Beijing time
// (labelled k+1 in the Chinese end-of-hour convention), so the day is the
// 24 hours 00:00–24:00 of its date (HJ 633-2026 §5.1 "自然日").
type Hours [6][HoursPerDay]Value

// StationDay computes a station's daily statistics from its day of
// hourly means: 24-hour means valid with ≥ 20 hours; MDA8 as the largest
// of the 17 8-hour moving means ending at 08:00 … 24:00, each valid with ≥ 6
// hours (mean of the valid hours), the MDA8 valid with ≥ 14 valid windows,
// or with fewer if it still exceeds mda8Limit (HJ 663-2013 §4.1: an
// exceedance stands even when data are incomplete); and the O3 daily
// maximum 1-hour value, which this package requires ≥ 20 valid hours for,
// like a daily mean (no standard states a rule for it).
func StationDay(h *Hours, mda8Limit Value) Daily {
	var d Daily
	for p := range 6 {
		var sum, n int64
		var maxV Value = Missing
		for _, v := range h[p] {
			if v != Missing {
				sum += int64(v)
				n++
				maxV = max(maxV, v)
			}
		}
		if p == int(aqi.O3) {
			if n >= MinDayHours {
				d.Values[DayO3Max1h], d.Valid[DayO3Max1h] = Ratio{int64(maxV), 1}, true
			}
			d.Values[DayO3MDA8], d.Valid[DayO3MDA8] = mda8(&h[p], mda8Limit)
			continue
		}
		if n >= MinDayHours {
			d.Values[p], d.Valid[p] = Ratio{sum, n}, true
		}
	}
	return d
}

func mda8(o3 *[HoursPerDay]Value, limit Value) (Ratio, bool) {
	var best Ratio
	found := false
	valid := 0
	// Running sum over the window; hours [e-8, e) for e = 8 … 24.
	var sum, n int64
	for k := range HoursPerDay {
		if v := o3[k]; v != Missing {
			sum += int64(v)
			n++
		}
		if k >= hoursPerWindow {
			if v := o3[k-hoursPerWindow]; v != Missing {
				sum -= int64(v)
				n--
			}
		}
		if k < hoursPerWindow-1 || n < MinWindowHours {
			continue
		}
		valid++
		w := Ratio{sum, n}
		if !found || w.Cmp(best) > 0 {
			best, found = w, true
		}
	}
	if !found {
		return Ratio{}, false
	}
	if valid >= MinMDA8Windows || best.Cmp(Ratio{int64(limit), 1}) > 0 {
		return best, true
	}
	return Ratio{}, false
}

// CityDay is one city's daily statistics, the input of Summarise.
type CityDay struct {
	Date time.Time // any time in the day; the day is cut in UTC+8
	Daily
	Stations [NumDay]int // valid stations behind each value
	// Dust marks the day as affected by a sand-dust process as decided by
	// the monitoring centre (环办监测〔2016〕120号); the dust-deducted
	// statistics leave its PM10 and PM2.5 out.
	Dust bool
}

// StationDaily is one station's daily statistics with the station
// attributes the city aggregation needs.
type StationDaily struct {
	Code string
	// Background marks a background station (对照点), which is not part of
	// the city mean (HJ 663-2013 §4.3).
	Background bool
	Daily
}

// CityOf averages the valid station values of one day into the city's
// values: the arithmetic mean of the city's assessment stations
// (HJ 663-2013 §4.3), leaving out background stations. City MDA8 is
// the mean of the stations' MDA8, as the national centre computes it
// (reference §2.2 (a)). A value is valid when at least one station is.
func CityOf(date time.Time, stations []StationDaily) (CityDay, error) {
	return CityOfAtLeast(date, stations, 1)
}

// CityOfAtLeast is CityOf with a minimum number of valid assessment
// stations for a city value to be valid. HJ 663 states no such share;
// some provinces require 75 % of the city's stations (reference §2.2 (b)),
// which the caller converts to a count.
func CityOfAtLeast(date time.Time, stations []StationDaily, minStations int) (CityDay, error) {
	c := CityDay{Date: date}
	minStations = max(minStations, 1)
	buf := make([]Ratio, 0, len(stations))
	for i := range NumDay {
		buf = buf[:0]
		for k := range stations {
			if !stations[k].Background && stations[k].Valid[i] {
				buf = append(buf, stations[k].Values[i])
			}
		}
		if len(buf) < minStations {
			continue
		}
		m, ok := meanOf(buf)
		if !ok {
			return c, fmt.Errorf("air: city %s mean of %d stations overflows exact arithmetic", DayIndicator(i).Pollutant(), len(buf))
		}
		c.Values[i], c.Valid[i], c.Stations[i] = m, true, len(buf)
	}
	return c, nil
}

// DayAQI computes the daily AQI of a city day with rules: concentrations
// rounded per GB/T 8170 to the reported precision, then HJ 633's daily
// report. Without dust deduction all pollutants are used; with it, a dust
// day's PM10 and PM2.5 are left out.
func DayAQI(d *CityDay, rules *aqi.Rules, deductDust bool) aqi.Result {
	var c aqi.Concentrations
	set := func(di DayIndicator, ind aqi.Indicator) {
		if !d.Valid[di] {
			return
		}
		if deductDust && d.Dust && (di == DayPM10 || di == DayPM25) {
			return
		}
		c.Set(ind, d.Values[di].Report(di.Pollutant()))
	}
	set(DaySO2, aqi.SO2_24h)
	set(DayNO2, aqi.NO2_24h)
	set(DayPM10, aqi.PM10_24h)
	set(DayCO, aqi.CO24h)
	set(DayO3Max1h, aqi.O3_1h)
	set(DayO3MDA8, aqi.O3_8h)
	set(DayPM25, aqi.PM25_24h)
	return rules.Compute(aqi.Daily, c)
}
