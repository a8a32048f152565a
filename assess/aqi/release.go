package aqi

import (
	"fmt"
	"strings"

	"ecowatch/assess/decimal"
)

// The national release's CSV layout (the Changsha file): date, hour, city,
// AQI, then for each pollutant its 1-hour value and its 24-hour value
// (moving mean, or the day's maximum for O3), O3_8h with O3_8h_24h, and
// CO in mg/m³. releaseColumns maps a column to the indicator it feeds in
// each report kind.
var releaseColumns = map[string][2]Indicator{
	// column: {hourly report indicator, daily report indicator}
	"SO2":       {SO2_1h, badIndicator},
	"SO2_24h":   {SO2_24h, SO2_24h},
	"NO2":       {NO2_1h, badIndicator},
	"NO2_24h":   {NO2_24h, NO2_24h},
	"PM10":      {PM10_1h, badIndicator},
	"PM10_24h":  {PM10_24h, PM10_24h},
	"CO":        {CO1h, badIndicator},
	"CO_24h":    {CO24h, CO24h},
	"O3":        {O3_1h, badIndicator},
	"O3_24h":    {badIndicator, O3_1h}, // the day's maximum 1-hour value
	"O3_8h":     {O3_8h, badIndicator},
	"O3_8h_24h": {badIndicator, O3_8h}, // the day's maximum 8-hour value
	"PM2.5":     {PM25_1h, badIndicator},
	"PM2.5_24h": {PM25_24h, PM25_24h},
}

const badIndicator = NumIndicators

// Layout maps the columns of a header row to indicators for one report
// kind. Build it once per file with NewLayout.
type Layout struct {
	cols []int       // record index
	inds []Indicator // indicator for cols[k]
	n    int         // header length
}

// NewLayout reads a header in the national release's layout. Columns it
// does not know (date, hour, city, AQI, anything else) are ignored, so
// they pass through callers unchanged. A header without any pollutant
// column is an error.
func NewLayout(header []string, rep Report) (*Layout, error) {
	l := &Layout{n: len(header)}
	seen := map[Indicator]string{}
	for k, h := range header {
		name := strings.TrimSpace(h)
		if k == 0 {
			name = strings.TrimPrefix(name, "\ufeff") // a spreadsheet's BOM
		}
		m, ok := releaseColumns[name]
		if !ok {
			continue
		}
		i := m[rep]
		if i == badIndicator {
			continue
		}
		if prev, dup := seen[i]; dup {
			return nil, fmt.Errorf("aqi: columns %q and %q both give %s", prev, name, i)
		}
		seen[i] = name
		l.cols = append(l.cols, k)
		l.inds = append(l.inds, i)
	}
	if len(l.cols) == 0 {
		return nil, fmt.Errorf("aqi: header has no pollutant column of the national release layout (SO2, NO2, PM10, CO, O3, PM2.5, …_24h, O3_8h)")
	}
	return l, nil
}

// Row reads one record. Empty cells, "NA", "—" and "-" mean missing; any
// other text that is not a plain decimal, or a negative value, is an
// error naming the column, and the concentrations read so far are still
// returned so the caller can compute from the rest.
func (l *Layout) Row(header, rec []string) (Concentrations, error) {
	var c Concentrations
	if len(rec) != l.n {
		return c, fmt.Errorf("aqi: row has %d fields, header has %d", len(rec), l.n)
	}
	var errs []string
	for k, col := range l.cols {
		s := strings.TrimSpace(rec[col])
		switch s {
		case "", "NA", "na", "—", "-", "--":
			continue
		}
		d, err := decimal.Parse(s)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", header[col], err))
			continue
		}
		if d.Sign() < 0 {
			errs = append(errs, fmt.Sprintf("%s: negative concentration %s", header[col], s))
			continue
		}
		c.Set(l.inds[k], d)
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("aqi: %s", strings.Join(errs, "; "))
	}
	return c, nil
}
