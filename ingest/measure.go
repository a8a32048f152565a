package ingest

import (
	"fmt"
	"strings"
	"time"

	"ecowatch/hj212"
	"ecowatch/registry"
	"ecowatch/store"
)

// Measurements extracts the values of a data upload for point: one
// store.Measurement per factor, holding its Rtd/Avg/Min/Max/Cou and Zs*
// fields and its data flag (HJ 212-2017 §6.3.3, Table 4). Only the four
// interval uploads carry measurements (2011 real-time, 2051 minute, 2061
// hourly, 2031 daily); other frames give none. 2005 frames' legacy factor
// codes are mapped to the 2017 codes (HJ 212-2017 Appendix B lists both),
// so one factor has one name in the store whatever the device's edition.
//
// A value that is not a number is left out and named in the error, which
// is a report, not a failure: the other values are returned.
func Measurements(f *hj212.Frame, point string, loc *time.Location) ([]store.Measurement, error) {
	kind := store.Kind(0)
	switch f.CN {
	case "2011":
		kind = store.RealTime
	case "2051":
		kind = store.Minute
	case "2061":
		kind = store.Hour
	case "2031":
		kind = store.Day
	default:
		return nil, nil
	}
	t, err := f.DataTime(loc)
	if err != nil {
		return nil, fmt.Errorf("ingest: %s upload without a usable DataTime: %w", f.CN, err)
	}
	legacy := f.Version() == hj212.V2005
	// A factor usually has a value and a flag field: sized so that a
	// frame's values need one allocation instead of a growing slice's five.
	out := make([]store.Measurement, 0, len(f.CP)/2+1)
	var bad []string
	index := func(code string) int {
		for i := len(out) - 1; i >= 0; i-- {
			if out[i].Factor == code {
				return i
			}
		}
		out = append(out, store.Measurement{Point: point, Factor: code, Kind: kind, Time: t})
		return len(out) - 1
	}
	for i := range f.CP {
		fd := &f.CP[i]
		code, suffix := fd.Code(), fd.Suffix()
		if code == "" {
			continue
		}
		if legacy {
			if fc, ok := hj212.LookupFactor2005(code); ok {
				code = fc.Code
			}
		}
		if registry.ValidateFactorCode(code) != nil {
			// Invented codes (reference §3: "ua19004", "CONC") stay in
			// the raw archive only.
			bad = append(bad, fd.Name+"="+fd.Value)
			continue
		}
		if suffix == "Flag" {
			j := index(code)
			out[j].Values.Flag = strings.TrimSpace(fd.Value)
			continue
		}
		field, ok := store.ParseField(suffix)
		if !ok {
			continue // SampleTime, EFlag, Info, SN…: not values
		}
		v, err := fd.Float()
		if err != nil {
			bad = append(bad, fd.Name+"="+fd.Value)
			continue
		}
		j := index(code)
		out[j].Values = out[j].Values.With(field, v)
	}
	// A factor with only a flag has nothing to store.
	kept := out[:0]
	for _, m := range out {
		if m.Values.Has != 0 {
			kept = append(kept, m)
		}
	}
	if len(bad) > 0 {
		return kept, fmt.Errorf("ingest: values with a bad factor code or not a number left out: %s", strings.Join(bad, ", "))
	}
	return kept, nil
}
